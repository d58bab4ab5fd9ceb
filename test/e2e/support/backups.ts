/**
 * Real backups for the e2e specs, made by the engine: a plan saved through the handler map and
 * run to its final job row, in the test's core (a backup in the catalog) or in a core of its own
 * that is closed afterwards (a backup "from another machine": its plan and passphrase are not in
 * the test's catalog). Plus the folder trees they are made of, and damaged copies.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LifeboatCore } from '../../../src/main/core/lifeboat';
import type { JobDetail } from '../../../src/shared/job';
import type { DatabaseSource, Plan } from '../../../src/shared/plan';
import { planInput, runPlan, savePlan } from '../../support/backup-fixtures';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

export const PASSPHRASE = 'e2e passphrase ⚓ 2025';

export interface BackupSpec {
  name?: string;
  folders?: string[];
  databases?: { source: DatabaseSource; password: string }[];
  destination: string;
  encrypt?: boolean;
}

/** Saves a plan in `core` (passwords and passphrase in its keychain) and runs it; fails unless it succeeded. */
export async function backupInCatalog(core: LifeboatCore, spec: BackupSpec): Promise<{ plan: Plan; job: JobDetail; file: string }> {
  const databases = spec.databases ?? [];
  const plan = await savePlan(
    core,
    planInput({
      name: spec.name ?? 'E2E plan',
      destination: spec.destination,
      folders: (spec.folders ?? []).map((p, i) => ({ id: `folder-${i + 1}`, path: p, excludes: ['*.log'] })),
      databases: databases.map((d) => d.source),
      options: { destination: spec.destination, encrypt: spec.encrypt ?? true },
    }),
    {
      dbPasswords: Object.fromEntries(databases.map((d) => [d.source.id, d.password])),
      ...(spec.encrypt === false ? {} : { passphrase: PASSPHRASE }),
    },
  );
  const job = await runPlan(core, plan);
  if (job.status !== 'success' || !job.filePath) throw new Error(`the backup did not succeed: ${job.errorCode}: ${job.displayMessage}`);
  return { plan, job, file: job.filePath };
}

/** A backup made by another Lifeboat (its own data dir, closed afterwards): not in the test's catalog. */
export async function backupElsewhere(spec: BackupSpec): Promise<string> {
  const other = makeTestCore({ dataDir: makeTempDir('lifeboat-e2e-elsewhere-') });
  try {
    return (await backupInCatalog(other, spec)).file;
  } finally {
    await other.cleanup();
  }
}

/** A small project folder: nested folders, a binary file, an empty file, a unicode name, and a log the plan excludes. */
export function makeProject(root: string): void {
  const files: Record<string, string | Buffer> = {
    'README.md': '# Project\n\nRestored by Lifeboat.\n',
    'notes/todo.txt': 'buy milk\nwater the plants\n',
    'src/app/main.ts': 'console.log("hello");\n'.repeat(40),
    'src/app/util/strings.ts': 'export const x = 1;\n',
    'data/blob.bin': crypto.randomBytes(120_000),
    'data/empty.txt': '',
    'ünïcødé 文件.txt': 'Grüße aus Zürich — 東京\n',
    'server.log': 'GET / 200\n',
  };
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, ...rel.split('/'));
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  }
}

/** relative path → sha256 of every file below `dir` (forward slashes). */
export function treeHashes(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const name = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(name);
      else if (!skip(name)) out[name] = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, name))).digest('hex');
    }
  };
  if (fs.existsSync(dir)) walk('');
  return out;
}

/** A copy of a .lifeboat file with one bit flipped in the middle of its encrypted chunks. */
export function damagedCopy(file: string, out: string): void {
  const data = fs.readFileSync(file);
  const header = 14 + data.readUInt32BE(10);
  const at = header + Math.floor((data.length - 16 - header) / 2);
  data[at] = data[at]! ^ 0x10;
  fs.writeFileSync(out, data);
}

export { makeTempDir };

/**
 * A screenshot of the whole screen for a human to look at, when LIFEBOAT_E2E_SCREENSHOTS names a
 * file prefix (for example /tmp/lifeboat-ui5-). The content pane scrolls, not the page, so the
 * window is made tall for the shot and put back afterwards.
 */
export async function screenshotForReview(page: import('@playwright/test').Page, name: string, height = 900): Promise<void> {
  const prefix = process.env.LIFEBOAT_E2E_SCREENSHOTS;
  if (!prefix) return;
  const before = page.viewportSize();
  if (before && height !== before.height) await page.setViewportSize({ width: before.width, height });
  await page.screenshot({ path: `${prefix}${name}.png` });
  if (before && height !== before.height) await page.setViewportSize(before);
}
