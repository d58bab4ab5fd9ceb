/**
 * Helpers for the restore integration tests: plans saved through the real handler map, backups
 * made by the real engine, jobs awaited to their final row, damaged copies of backup files, and
 * fingerprints of tables and folders to compare a restore with its source.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { ArchiveWriter } from '../../../src/main/core/archive/writer';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import type { JobContext } from '../../../src/main/core/jobs/job-runner';
import { makeBackupLocator } from '../../../src/main/core/restore/locate';
import type { FilesRestoreSpec } from '../../../src/main/core/restore/restore-files';
import type { LifeboatCore } from '../../../src/main/core/lifeboat';
import { AppError } from '../../../src/shared/errors';
import type { InvokeChannel, InvokeRequest, InvokeResponses } from '../../../src/shared/ipc-contract';
import type { JobDetail } from '../../../src/shared/job';
import type { BackupManifest, ManifestEntry } from '../../../src/shared/manifest';
import { filesTargetSchema, type FilesTargetInput } from '../../../src/shared/restore';
import type { Plan, PlanInput, PlanSecrets } from '../../../src/shared/plan';
import { quoteIdent, type PgCluster } from '../../support/pg-cluster';

/** Small chunks (many of them, so damage lands in different ones) and a cheap KDF. */
export const FAST_CONTAINER = { chunkSize: 64 * 1024, kdf: { name: 'argon2id', m: 64, t: 1, p: 1 } } as const;
export const PASSPHRASE = 'restore-test passphrase ⚓ 7';

/** Calls a channel through dispatch (validated like IPC); throws the AppError of a failed reply. */
export async function invoke<K extends InvokeChannel>(core: LifeboatCore, channel: K, request: InvokeRequest<K>): Promise<InvokeResponses[K]> {
  const reply = await dispatch(core.handlers, channel, request);
  if (!reply.ok) {
    const error = new AppError(reply.error.code);
    error.message = reply.error.message;
    throw error;
  }
  return reply.value;
}

export function planInput(overrides: Omit<Partial<PlanInput>, 'options'> & { destination: string; options?: Partial<PlanInput['options']> }): PlanInput {
  const { destination, options, ...rest } = overrides;
  return {
    name: 'Restore test plan',
    type: 'full',
    schedule: { kind: 'manual' },
    retention: { days: null, maxCount: null, keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 },
    ...rest,
    options: { destination, encrypt: true, verifyAfter: false, compressionLevel: 1, retries: { count: 0, backoffSeconds: 1 }, ...options },
  };
}

export async function savePlan(core: LifeboatCore, plan: PlanInput, secrets: PlanSecrets): Promise<Plan> {
  return invoke(core, 'plans/save', { plan, secrets });
}

/** Runs the plan now and returns its final row; fails the test when the backup did not succeed. */
export async function backupNow(core: LifeboatCore, plan: Plan): Promise<JobDetail> {
  const job = core.startPlanBackup(plan, 'manual');
  await core.runner.wait(job.id);
  const detail = core.jobs.detail(job.id)!;
  expect(detail.status, `${detail.errorCode}: ${detail.displayMessage}`).toBe('success');
  expect(detail.filePath).toBeTruthy();
  return detail;
}

/** Waits for a job's final row. */
export async function finished(core: LifeboatCore, jobId: string): Promise<JobDetail> {
  await core.runner.wait(jobId);
  return core.jobs.detail(jobId)!;
}

/** A JobContext outside the runner, for calling core functions directly. */
export function testContext(signal: AbortSignal = new AbortController().signal, onProgress?: JobContext['progress']): JobContext {
  return {
    jobId: 'test',
    signal,
    progress: onProgress ?? (() => undefined),
    setTempPath: () => undefined,
    recordTempDatabase: () => undefined,
    forgetTempDatabase: () => undefined,
  };
}

/** Resolves with the AppError a promise rejects with (fails when it resolves or throws something else). */
export async function appError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'expected an AppError').toBeInstanceOf(AppError);
  return error as AppError;
}

export function sha256(data: Buffer | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Header length of a .lifeboat file (preamble + JSON): damage after it lands in the chunks. */
export function headerBytes(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    const pre = Buffer.alloc(14);
    fs.readSync(fd, pre, 0, 14, 0);
    return 14 + pre.readUInt32BE(10);
  } finally {
    fs.closeSync(fd);
  }
}

/** A copy of `file` with one byte flipped at each of `count` random positions among the chunks. */
export function flippedCopy(file: string, out: string, count: number, seed: number): number[] {
  const data = fs.readFileSync(file);
  const start = headerBytes(file);
  const end = data.length - 16; // the trailer is checked separately (truncation)
  let state = seed;
  const positions: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const at = start + (state % (end - start));
    data[at] = data[at]! ^ (1 << (state % 8));
    positions.push(at);
  }
  fs.writeFileSync(out, data);
  return positions;
}

export function truncatedCopy(file: string, out: string, keepFraction: number): void {
  const data = fs.readFileSync(file);
  fs.writeFileSync(out, data.subarray(0, Math.floor(data.length * keepFraction)));
}

/** Row count and an md5 over every row's text form in a stable order. */
export async function tableFingerprint(cluster: PgCluster, db: string, table: { schema: string; name: string }): Promise<string> {
  const q = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
  return (await cluster.psql(`SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') FROM ${q} t`, db)).trim();
}

export async function databaseNames(cluster: PgCluster): Promise<string[]> {
  return (await cluster.psql('SELECT datname FROM pg_database ORDER BY 1')).trim().split('\n').filter(Boolean);
}

export async function userTables(cluster: PgCluster, db: string): Promise<string[]> {
  const out = await cluster.psql(
    `SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1`,
    db,
  );
  return out.trim().split('\n').filter(Boolean);
}

/** path -> sha256, mode and mtime of every file below `dir` (relative, forward slashes). */
export function snapshotTree(dir: string): Record<string, { sha256: string; mode: number; mtimeMs: number }> {
  const out: Record<string, { sha256: string; mode: number; mtimeMs: number }> = {};
  if (!fs.existsSync(dir)) return out;
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const name = rel ? `${rel}/${d.name}` : d.name;
      const abs = path.join(dir, name);
      if (d.isDirectory()) walk(name);
      else {
        const stat = fs.lstatSync(abs);
        out[name] = { sha256: d.isFile() ? sha256(fs.readFileSync(abs)) : 'link', mode: stat.mode & 0o777, mtimeMs: Math.floor(stat.mtimeMs) };
      }
    }
  };
  walk('');
  return out;
}

/** pids of live pg_restore processes that talk to `port` (from their environment). Linux /proc only. */
export function pgRestorePids(port: number): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'pg_restore') continue;
      if (/\) Z /.test(fs.readFileSync(`/proc/${name}/stat`, 'utf8'))) continue;
      if (fs.readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`PGPORT=${port}`)) pids.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/**
 * The manifest of a backup made by hand (a crafted archive): one folder source `f1` rooted at
 * `root`, no entries yet; tests push the entries they wrote.
 */
export function handMadeManifest(backupId: string, root: string, options: { format?: number; encrypted?: boolean } = {}): BackupManifest {
  return {
    format: options.format ?? 1,
    backupId,
    app: { name: 'Lifeboat', version: 'test' },
    createdAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    plan: null,
    type: 'full',
    baseBackupId: null,
    encrypted: options.encrypted ?? true,
    compressionLevel: 1,
    host: 'test',
    sources: [
      { kind: 'folder', id: 'f1', label: root, status: 'success', error: null, root, excludes: [], entryPrefix: 'folders/f1/', files: 0, bytes: 0, unchanged: [] },
    ],
    entries: [],
  };
}

/** Writes `content` at `rel` ('/' between names) below `root`, making the folders on the way. */
export function writeAt(root: string, rel: string, content: string | Buffer): void {
  const abs = path.join(root, ...rel.split('/'));
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
}

/**
 * How many items a file restore of the suites holds before it replays its plan from the index
 * (FilesRestoreSpec.heldItems): the project integration-replayed sets 0 (vitest.config.ts), so
 * that the same suites run every restore through the replays; otherwise the default.
 */
export const HELD_ITEMS_UNDER_TEST = process.env.LIFEBOAT_TEST_HELD_ITEMS ? Number(process.env.LIFEBOAT_TEST_HELD_ITEMS) : undefined;

/** A file restore of `filePath` with the suites' passphrase, finding earlier backups next to it only. */
export function filesSpec(filePath: string, target: FilesTargetInput, overrides: Partial<FilesRestoreSpec> = {}): FilesRestoreSpec {
  return {
    filePath,
    passphrase: PASSPHRASE,
    target: filesTargetSchema.parse(target),
    locate: makeBackupLocator(filePath, () => null),
    heldItems: HELD_ITEMS_UNDER_TEST,
    ...overrides,
  };
}

/**
 * Writes a format 1 backup by hand: `files` as entries of folder f1 named by path (a `sha256`
 * override makes the manifest disagree with the content), `unchanged` records pointing at
 * itself. For archives the app would never write.
 */
export async function craftBackup(
  file: string,
  options: { backupId?: string; passphrase: string | null; root: string; files: { rel: string; content: Buffer; sha256?: string; mode?: number }[]; unchanged?: { path: string }[] },
): Promise<{ file: string; backupId: string }> {
  const backupId = options.backupId ?? crypto.randomUUID();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const writer = await ArchiveWriter.create({ finalPath: file, backupId, appVersion: 'test', passphrase: options.passphrase, compressionLevel: 1, ...FAST_CONTAINER });
  const manifest = handMadeManifest(backupId, options.root, { encrypted: options.passphrase !== null });
  for (const f of options.files) {
    const added = await writer.addStream(`folders/f1/${f.rel}`, Readable.from([f.content]));
    const entry: ManifestEntry = { name: `folders/f1/${f.rel}`, kind: 'file', sourceId: 'f1', ...added, mode: f.mode ?? 0o644, mtimeMs: Date.now() };
    if (f.sha256) entry.sha256 = f.sha256;
    manifest.entries.push(entry);
  }
  const folder = manifest.sources[0] as { files: number; unchanged: unknown[] };
  folder.files = options.files.length;
  for (const u of options.unchanged ?? []) folder.unchanged.push({ path: u.path, size: 1, mtimeMs: Date.now(), mode: 0o644, sha256: '0'.repeat(64), storedIn: backupId });
  await writer.finish(manifest);
  return { file, backupId };
}
