/**
 * The checks of a backup run before anything is written: the destination can be written, each
 * source is reachable (databases: server, credentials, a pg_dump new enough; folders: readable,
 * measured), and the destination has room for it. A source that fails its checks is recorded as
 * failed and the run goes on with the others.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import type { ManifestDatabaseSource, ManifestFolderSource } from '../../../shared/manifest';
import type { DatabaseSource, FolderSource } from '../../../shared/plan';
import { destinationError } from '../archive/writer';
import { assertReadableFolder, measureFolder } from '../folders/walk';
import { preflightDatabase, type PreflightResult } from '../postgres/preflight';
import { safeName } from './file-names';
import type { ProgressMeter } from './progress';
import type { BackupSpec, DatabaseInput, RunJob, RunRecord } from './run-state';

/** Minimum free space kept at the destination beyond the estimate. */
const FREE_SPACE_MARGIN = 16 * 1024 * 1024;

export interface ReadyDatabase {
  input: DatabaseInput;
  preflight: PreflightResult;
  manifest: ManifestDatabaseSource;
}

export interface ReadyFolder {
  source: FolderSource;
  manifest: ManifestFolderSource;
  files: number;
  bytes: number;
}

export interface ReadySources {
  databases: ReadyDatabase[];
  folders: ReadyFolder[];
}

/** Errors worth a retry: the server may come back. Everything else is configuration. */
function isTransient(error: unknown): boolean {
  return error instanceof AppError && error.code === 'PG_UNREACHABLE';
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

async function withRetries<T>(spec: BackupSpec, signal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransient(error) || i >= spec.retries.count || signal.aborted) throw error;
      await sleep(spec.retries.backoffSeconds * 1000 * 2 ** i, signal);
    }
  }
}

/** Creates the destination if needed and proves it can be written. */
export async function assertWritableDestination(destination: string): Promise<void> {
  try {
    await fs.promises.mkdir(destination, { recursive: true });
    const probe = path.join(destination, `.lifeboat-write-test-${process.pid}-${Date.now()}`);
    await fs.promises.writeFile(probe, 'ok', { mode: 0o600 });
    await fs.promises.rm(probe, { force: true });
  } catch (error) {
    const mapped = destinationError(error);
    if (mapped instanceof AppError) throw new AppError(mapped.code, { detail: destination, cause: error });
    throw new AppError('DEST_NOT_WRITABLE', { detail: `${destination}: ${(error as Error).message}`, cause: error });
  }
}

/** Free bytes at `dir`, or null where the platform cannot tell. */
export async function freeBytes(dir: string): Promise<number | null> {
  try {
    const stats = await fs.promises.statfs(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

/**
 * DEST_NO_SPACE unless the destination has room for about half the folder bytes (a dump is
 * smaller than its database, whose size the snapshot gives only later) plus a margin.
 */
export async function assertFreeSpace(destination: string, folderBytes: number): Promise<void> {
  const free = await freeBytes(destination);
  if (free !== null && free < folderBytes * 0.5 + FREE_SPACE_MARGIN) {
    throw new AppError('DEST_NO_SPACE', {
      detail: `${destination}: ${Math.round(free / 1e6)} MB free, about ${Math.round((folderBytes * 0.5) / 1e6)} MB needed`,
    });
  }
}

function sourceLabel(source: DatabaseSource): string {
  return `${source.database}@${source.host}:${source.port}`;
}

function databaseManifest(input: DatabaseInput): ManifestDatabaseSource {
  return {
    kind: 'database',
    id: input.source.id,
    label: sourceLabel(input.source),
    status: 'success',
    error: null,
    host: input.source.host,
    port: input.source.port,
    user: input.source.user,
    database: input.source.database,
    serverVersion: null,
    pgDumpVersion: null,
    format: 'custom',
    entry: null,
    tables: [],
  };
}

function folderManifest(source: FolderSource): ManifestFolderSource {
  return {
    kind: 'folder',
    id: source.id,
    label: source.path,
    status: 'success',
    error: null,
    root: path.resolve(source.path),
    excludes: source.excludes,
    entryPrefix: `folders/${safeName(source.id)}/`,
    files: 0,
    bytes: 0,
    unchanged: [],
  };
}

/**
 * Checks the destination (throws: the whole run depends on it) and every source (a failure is
 * recorded on that source). Folder sizes go into the meter's totals.
 */
export async function preflightSources(spec: BackupSpec, job: RunJob, env: NodeJS.ProcessEnv, meter: ProgressMeter, record: RunRecord): Promise<ReadySources> {
  const { signal } = job;
  await assertWritableDestination(spec.destination);
  const ready: ReadySources = { databases: [], folders: [] };
  for (const input of spec.databases) {
    const manifest = databaseManifest(input);
    record.sources.push(manifest);
    try {
      const preflight = await withRetries(spec, signal, () =>
        preflightDatabase(input.source, input.password, env, { signal, fallbackDirs: spec.pgToolDirs }),
      );
      manifest.serverVersion = preflight.serverVersion.text;
      manifest.pgDumpVersion = preflight.pgDumpVersion.text;
      ready.databases.push({ input, preflight, manifest });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      record.fail(manifest, error);
    }
  }
  for (const source of spec.folders) {
    const manifest = folderManifest(source);
    record.sources.push(manifest);
    try {
      await assertReadableFolder(manifest.root);
      // an incremental takes the size of the tree from its base (same folder, same excludes) rather than walk it twice
      const known = spec.base?.trees?.get(source.id);
      const sameTree = known && known.root === manifest.root && JSON.stringify(known.excludes) === JSON.stringify(source.excludes);
      const measured = sameTree ? { files: known.files, bytes: known.bytes } : await measureFolder(manifest.root, source.excludes, signal);
      ready.folders.push({ source, manifest, ...measured });
      meter.addTotals(measured.bytes, measured.files);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      record.fail(manifest, error);
    }
  }
  return ready;
}
