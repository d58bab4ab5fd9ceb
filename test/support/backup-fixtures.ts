/**
 * Helpers for the backup integration tests: plans saved through the real handler map, runs
 * awaited to their final job row, a folder tree with every kind of file the walker must handle,
 * dumps restored with the real pg_restore, and process checks through /proc.
 *
 * No vitest import here: test/support/backup-child.ts loads this file outside the test runner.
 */
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackupReader } from '../../src/main/core/archive/reader';
import { dispatch } from '../../src/main/core/ipc/dispatch';
import type { LifeboatCore } from '../../src/main/core/lifeboat';
import type { JobDetail } from '../../src/shared/job';
import type { Plan, PlanInput, PlanSecrets } from '../../src/shared/plan';
import { quoteIdent, type PgCluster } from './pg-cluster';

/** A cheap key derivation for tests that do not test the KDF itself. */
export const FAST_CONTAINER = { kdf: { name: 'argon2id', m: 64, t: 1, p: 1 } } as const;

export const PASSPHRASE = 'correct horse battery staple ⚓ 42';

/** A plan input with test-friendly defaults: manual schedule, keep everything, no retries. */
export function planInput(overrides: Partial<PlanInput> & { destination: string }): PlanInput {
  const { destination, options, ...rest } = overrides as Partial<PlanInput> & { destination: string };
  return {
    name: 'Test plan',
    type: 'full',
    schedule: { kind: 'manual' },
    retention: { days: null, maxCount: null, keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 },
    ...rest,
    options: {
      destination,
      encrypt: true,
      verifyAfter: false,
      compressionLevel: 1,
      retries: { count: 0, backoffSeconds: 1 },
      ...options,
    },
  };
}

/** Saves a plan the way the renderer does: validated by the contract's schema, then the handler. */
export async function savePlan(core: LifeboatCore, plan: PlanInput, secrets: PlanSecrets): Promise<Plan> {
  const reply = await dispatch(core.handlers, 'plans/save', { plan, secrets });
  if (!reply.ok) throw new Error(`plans/save failed: ${reply.error.code}: ${reply.error.message}`);
  return reply.value;
}

/** Starts a manual backup of the plan and waits for its final row, per-source results included. */
export async function runPlan(core: LifeboatCore, plan: Plan): Promise<JobDetail> {
  const job = core.startPlanBackup(plan, 'manual');
  await core.runner.wait(job.id);
  return core.jobs.detail(job.id)!;
}

export function sha256(data: Buffer | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Every name below `dir`, relative, sorted (directories end with /). */
export function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const name = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) {
        out.push(`${name}/`);
        walk(name);
      } else out.push(name);
    }
  };
  walk('');
  return out.sort();
}

export async function streamToBuffer(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

export async function readEntry(reader: BackupReader, name: string): Promise<Buffer> {
  return streamToBuffer(await reader.openEntry(name));
}

export interface FolderFixture {
  root: string;
  /** files the backup must hold (relative, forward slashes) */
  included: string[];
  /** files the default excludes must leave out */
  excluded: string[];
}

/**
 * A folder tree with nested dirs, a binary file, an empty file, a file with a unicode name,
 * odd permission bits and an old mtime, plus node_modules/ and *.log files that the default
 * excludes leave out. `secretText` goes into notes/secret-note.txt.
 */
export function makeFolderTree(root: string, secretText: string): FolderFixture {
  const files: Record<string, Buffer | string> = {
    'README.md': '# Project\n\nNothing to see here.\n',
    'notes/secret-note.txt': `Remember: ${secretText}\n`,
    'a/b/c/deep.txt': 'deep inside\n'.repeat(500),
    'a/b/sibling.csv': Array.from({ length: 2000 }, (_, i) => `${i},${(i * 37) % 101},${'z'.repeat(i % 17)}`).join('\n'),
    'bin/random.dat': crypto.randomBytes(300_000),
    'bin/all-bytes.bin': Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256)),
    'empty.txt': '',
    'ünïcødé 文件 🚀.txt': 'unicode name, unicode content: Grüße aus Zürich — 東京\n',
    'node_modules/left-pad/index.js': 'module.exports = (s) => s;\n',
    'a/node_modules/nested/package.json': '{}\n',
    'server.log': 'GET / 200\n'.repeat(100),
    'a/b/debug.log': 'debug\n',
  };
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, ...rel.split('/'));
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  }
  fs.chmodSync(path.join(root, 'bin/random.dat'), 0o640);
  fs.chmodSync(path.join(root, 'README.md'), 0o755);
  // an old mtime with a fraction of a second (a half: exact in the float seconds utimes takes)
  const old = new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 500));
  fs.utimesSync(path.join(root, 'a/b/c/deep.txt'), old, old);
  const excluded = Object.keys(files).filter((rel) => rel.includes('node_modules/') || rel.endsWith('.log'));
  const included = Object.keys(files)
    .filter((rel) => !excluded.includes(rel))
    .sort();
  return { root, included, excluded };
}

/** schema.table, both quoted. */
export function qualified(table: { schema: string; name: string }): string {
  return `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
}

/** Row count and an md5 over every row's text form, in a stable order. */
export async function tableFingerprint(cluster: PgCluster, db: string, table: { schema: string; name: string }): Promise<string> {
  const q = qualified(table);
  const out = await cluster.psql(
    `SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') FROM ${q} t`,
    db,
  );
  return out.trim();
}

/**
 * Restores a custom-format dump streamed on stdin into a new database with the real pg_restore,
 * over TCP with the password in PGPASSWORD (never on argv).
 */
export async function pgRestoreFromStream(cluster: PgCluster, dump: Readable, db: string): Promise<void> {
  await cluster.createDatabase(db);
  const args = ['--no-owner', '--exit-on-error', '--no-password', '-h', '127.0.0.1', '-p', String(cluster.port), '-U', cluster.user, '-d', db];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(path.join(cluster.binDir, 'pg_restore'), args, {
      env: { ...process.env, PGPASSWORD: cluster.password },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    dump.on('error', (error) => child.kill() && reject(error));
    dump.pipe(child.stdin);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pg_restore exited with ${code}: ${stderr}`))));
  });
}

/** Polls `check` until it returns a truthy value; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs: number, what: string, intervalMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * pids of running pg_dump processes that talk to `port` (read from their environment, which
 * holds PGPORT: the engine passes the connection there). Linux /proc only.
 */
export function pgDumpPids(port: number): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const comm = fs.readFileSync(`/proc/${name}/comm`, 'utf8').trim();
      if (comm !== 'pg_dump') continue;
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // a zombie has exited already; its parent just has not reaped it yet
      if (/\) Z /.test(stat)) continue;
      const environ = fs.readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (environ.includes(`PGPORT=${port}`)) pids.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** Mounts a tmpfs of `size` (for example '2m') on `dir`; returns the reason when it cannot. */
export async function mountTmpfs(dir: string, size: string, options: { inodes?: number } = {}): Promise<string | null> {
  fs.mkdirSync(dir, { recursive: true });
  if (process.platform !== 'linux') return `tmpfs needs Linux (this is ${process.platform})`;
  const inodes = options.inodes ? `,nr_inodes=${options.inodes}` : '';
  return new Promise((resolve) =>
    execFile('mount', ['-t', 'tmpfs', '-o', `size=${size}${inodes},mode=0755`, 'tmpfs', dir], (error, _out, stderr) =>
      resolve(error ? `mount -t tmpfs failed (needs root or CAP_SYS_ADMIN): ${stderr.trim() || error.message}` : null),
    ),
  );
}

export async function unmount(dir: string): Promise<void> {
  await new Promise<void>((resolve) => execFile('umount', [dir], () => resolve()));
}

/** The bytes of every file of the catalog (main database, WAL, shared memory). */
export function catalogFiles(dataDir: string): { name: string; bytes: Buffer }[] {
  return fs
    .readdirSync(dataDir)
    .filter((name) => name.startsWith('catalog.sqlite'))
    .map((name) => ({ name, bytes: fs.readFileSync(path.join(dataDir, name)) }));
}

/** Whether `haystack` holds `needle` in UTF-8 or UTF-16LE. */
export function containsSecret(haystack: Buffer, needle: string): boolean {
  return haystack.includes(Buffer.from(needle, 'utf8')) || haystack.includes(Buffer.from(needle, 'utf16le'));
}
