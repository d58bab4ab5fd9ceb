/**
 * One backup run: preflight, then one streaming pass — pg_dump output and folder files flow
 * through the zip writer, the sealed container and the whole-file hash straight into
 * `<file>.part` — then fsync and rename. Nothing is copied to a temp location first, and memory
 * stays flat (one container chunk plus stream buffers) whatever the size of the data.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError, toTransferable } from '../../../shared/errors';
import type { JobSourceResult } from '../../../shared/job';
import type {
  BackupManifest,
  ManifestDatabaseSource,
  ManifestEntry,
  ManifestFolderSource,
  ManifestUnchangedFile,
} from '../../../shared/manifest';
import { MANIFEST_FORMAT } from '../../../shared/manifest';
import type { BackupType, DatabaseSource, FolderSource } from '../../../shared/plan';
import { ArchiveWriter, destinationError, tempPathFor, type AddedEntry } from '../archive/writer';
import { assertReadableFolder, measureFolder, walkFolder } from '../folders/walk';
import type { JobContext, JobOutcome } from '../jobs/job-runner';
import type pg from 'pg';
import { connectDatabase } from '../postgres/connection';
import { spawnPgDump } from '../postgres/dump';
import { preflightDatabase, type PreflightResult } from '../postgres/preflight';
import { openSnapshot } from '../postgres/snapshot';
import { ProgressMeter } from './progress';
import type { KdfSetting } from '../crypto/container';

export interface DatabaseInput {
  source: DatabaseSource;
  password: string | null;
}

/** What a base backup tells an incremental about each folder file (by folder source id). */
export type BaseIndex = Map<string, Map<string, ManifestUnchangedFile>>;

export interface BackupSpec {
  backupId: string;
  plan: { id: string; name: string } | null;
  type: BackupType;
  /** set for incremental/differential runs that found their base */
  base: { backupId: string; index: BaseIndex } | null;
  destination: string;
  /** file name without folder; `.lifeboat` is added */
  fileStem: string;
  compressionLevel: number;
  passphrase: string | null;
  databases: DatabaseInput[];
  folders: FolderSource[];
  appVersion: string;
  /** transient failures (server unreachable) are retried this often with exponential back-off */
  retries: { count: number; backoffSeconds: number };
  env?: NodeJS.ProcessEnv;
  /**
   * Folders searched for pg_dump after LIFEBOAT_PG_BIN and PATH; defaults to the platform's usual
   * install folders. Tests pass [] (with an env whose PATH has no pg_dump) to prove a missing tool.
   */
  pgToolDirs?: readonly string[];
  /** tests: smaller container chunks, cheaper KDF */
  containerOptions?: { chunkSize?: number; kdf?: KdfSetting };
}

export interface BackupResult extends JobOutcome {
  manifest: BackupManifest | null;
}

/** Minimum free space kept at the destination beyond the estimate. */
const FREE_SPACE_MARGIN = 16 * 1024 * 1024;

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
 * `<stem>.lifeboat` at the destination, or `<stem>-2.lifeboat`, `-3`... when that name is taken:
 * names are stamped to the second, and the rename into place would silently replace an earlier
 * backup made in the same second.
 */
async function unusedFinalPath(destination: string, stem: string): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = path.join(destination, `${stem}${n > 1 ? `-${n}` : ''}.lifeboat`);
    const taken = await Promise.all(
      [candidate, tempPathFor(candidate)].map((p) => fs.promises.lstat(p).then(() => true, () => false)),
    );
    if (!taken.includes(true)) return candidate;
  }
}

function sourceLabel(source: DatabaseSource): string {
  return `${source.database}@${source.host}:${source.port}`;
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'x';
}

/**
 * Runs a backup inside a job. Returns success, partial (some sources failed; the file holds the
 * rest) or failed (nothing usable: no file is kept). Throws for preflight failures that concern
 * the whole run (destination, space) and for cancellation; the job runner records those.
 */
export async function runBackup(spec: BackupSpec, ctx: JobContext): Promise<BackupResult> {
  const { signal } = ctx;
  const env = spec.env ?? process.env;
  const meter = new ProgressMeter(ctx);
  meter.phase('preflight');

  // 1. checks before anything is written: destination, sources, free space
  await assertWritableDestination(spec.destination);
  const sourceResults: JobSourceResult[] = [];
  const manifestSources: (ManifestDatabaseSource | ManifestFolderSource)[] = [];
  const readyDatabases: { input: DatabaseInput; preflight: PreflightResult; manifest: ManifestDatabaseSource }[] = [];
  let estimate = 0;
  for (const input of spec.databases) {
    const manifest: ManifestDatabaseSource = {
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
    manifestSources.push(manifest);
    try {
      const preflight = await withRetries(spec, signal, () =>
        preflightDatabase(input.source, input.password, env, { signal, fallbackDirs: spec.pgToolDirs }),
      );
      manifest.serverVersion = preflight.serverVersion.text;
      manifest.pgDumpVersion = preflight.pgDumpVersion.text;
      readyDatabases.push({ input, preflight, manifest });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      failSource(manifest, sourceResults, error);
    }
  }
  const readyFolders: { source: FolderSource; manifest: ManifestFolderSource; files: number; bytes: number }[] = [];
  for (const source of spec.folders) {
    const manifest: ManifestFolderSource = {
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
    manifestSources.push(manifest);
    try {
      await assertReadableFolder(manifest.root);
      const measured = await measureFolder(manifest.root, source.excludes, signal);
      readyFolders.push({ source, manifest, ...measured });
      estimate += measured.bytes;
      meter.addTotals(measured.bytes, measured.files);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      failSource(manifest, sourceResults, error);
    }
  }
  if (readyDatabases.length === 0 && readyFolders.length === 0) {
    // every source failed its checks: report the first reason as the job's
    const first = manifestSources.find((s) => s.error)?.error;
    return {
      status: 'failed',
      errorCode: first?.code ?? 'INTERNAL',
      displayMessage: first?.message ?? 'Every source failed its checks.',
      sources: sourceResults,
      manifest: null,
    };
  }
  const free = await freeBytes(spec.destination);
  // folder bytes are known; a dump is smaller than the database, whose size the snapshot gives later
  if (free !== null && free < estimate * 0.5 + FREE_SPACE_MARGIN) {
    throw new AppError('DEST_NO_SPACE', {
      detail: `${spec.destination}: ${Math.round(free / 1e6)} MB free, about ${Math.round((estimate * 0.5) / 1e6)} MB needed`,
    });
  }

  // 2. the streaming pass
  const finalPath = await unusedFinalPath(spec.destination, spec.fileStem);
  // recorded before the file exists: a crash right after it is created still finds and removes it
  ctx.setTempPath(tempPathFor(finalPath));
  const writer = await ArchiveWriter.create({
    finalPath,
    backupId: spec.backupId,
    appVersion: spec.appVersion,
    passphrase: spec.passphrase,
    compressionLevel: spec.compressionLevel,
    signal,
    ...spec.containerOptions,
  });
  const entries: ManifestEntry[] = [];
  const stderrTails: string[] = [];
  const createdAt = new Date().toISOString();
  try {
    for (const { input, preflight, manifest } of readyDatabases) {
      meter.phase('dump', manifest.label);
      try {
        const client = await connectDatabase(input.source, input.password, { signal });
        // a row count can wait on a lock for a long time: a cancel stops it on the server too
        const closeOnAbort = () => void cancelBackend(input, client).finally(() => client.end().catch(() => undefined));
        signal.addEventListener('abort', closeOnAbort, { once: true });
        let snapshot;
        try {
          snapshot = await openSnapshot(client);
        } finally {
          signal.removeEventListener('abort', closeOnAbort);
        }
        if (signal.aborted) {
          await snapshot.release();
          throw signal.reason;
        }
        try {
          manifest.tables = snapshot.tables;
          meter.addTotals(
            snapshot.tables.reduce((sum, t) => sum + t.bytes, 0),
            0,
          );
          // pg_dump stops when the job is cancelled, and also when the archive fails under it
          // (disk full): nobody reads its output then, and it would block on the pipe for ever
          const stopDump = new AbortController();
          const onAbort = () => stopDump.abort(signal.reason);
          signal.addEventListener('abort', onAbort, { once: true });
          const dump = spawnPgDump({
            pgDumpPath: preflight.pgDumpPath,
            source: input.source,
            password: input.password,
            snapshotId: snapshot.snapshotId,
            compressionLevel: spec.compressionLevel,
            signal: stopDump.signal,
            env,
          });
          const name = `databases/${safeName(input.source.id)}-${safeName(input.source.database)}.dump`;
          let added: AddedEntry;
          let stderrTail: string;
          try {
            added = await writer.addStream(name, dump.stdout, { store: true, onBytes: (n) => meter.bytes(n) });
            ({ stderrTail } = await dump.done);
          } catch (error) {
            stopDump.abort();
            await dump.done.catch(() => undefined);
            throw error;
          } finally {
            signal.removeEventListener('abort', onAbort);
          }
          if (stderrTail.trim()) stderrTails.push(`${manifest.label}: ${stderrTail.trim()}`);
          manifest.entry = name;
          entries.push({ name, kind: 'database-dump', sourceId: input.source.id, size: added.size, sha256: added.sha256 });
          sourceResults.push({
            kind: 'database',
            label: manifest.label,
            status: 'success',
            bytes: added.size,
            files: 1,
            errorCode: null,
            message: `${snapshot.tables.length} tables, ${snapshot.tables.reduce((s, t) => s + t.rows, 0)} rows`,
          });
        } finally {
          await snapshot.release();
        }
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (isRunFatal(error)) throw error;
        failSource(manifest, sourceResults, error);
        if (error instanceof AppError && error.detail) stderrTails.push(`${manifest.label}: ${error.detail}`);
      }
    }

    for (const { source, manifest } of readyFolders) {
      meter.phase('files', manifest.root);
      const baseIndex = spec.base?.index.get(source.id) ?? null;
      const skipped: string[] = [];
      try {
        for await (const file of walkFolder(manifest.root, source.excludes, {
          signal,
          onSkip: (s) => skipped.push(`${s.relPath}: ${s.reason}`),
        })) {
          meter.item(file.relPath);
          const known = baseIndex?.get(file.relPath);
          if (known && known.size === file.size) {
            // same size: unchanged if the mtime matches, or else if the content hash does
            if (known.mtimeMs === file.mtimeMs || (await hashFile(file.absPath, signal)) === known.sha256) {
              manifest.unchanged.push({ ...known, mtimeMs: file.mtimeMs, mode: file.mode });
              meter.file(file.size);
              continue;
            }
          }
          const name = `${manifest.entryPrefix}${file.relPath}`;
          let handle: fs.promises.FileHandle;
          try {
            handle = await fs.promises.open(file.absPath, 'r');
          } catch (error) {
            // vanished or unreadable since the walk: skip it, say so, keep going
            skipped.push(`${file.relPath}: ${(error as Error).message}`);
            continue;
          }
          const added = await writer.addStream(name, handle.createReadStream(), {
            mode: file.mode,
            date: new Date(file.mtimeMs),
            onBytes: (n) => meter.bytes(n),
          });
          entries.push({
            name,
            kind: 'file',
            sourceId: source.id,
            size: added.size,
            sha256: added.sha256,
            mode: file.mode,
            mtimeMs: file.mtimeMs,
          });
          manifest.files++;
          manifest.bytes += added.size;
          meter.file(0);
        }
        sourceResults.push({
          kind: 'folder',
          label: manifest.label,
          status: 'success',
          bytes: manifest.bytes,
          files: manifest.files,
          errorCode: null,
          message:
            (manifest.unchanged.length ? `${manifest.unchanged.length} unchanged files kept in the base backup. ` : '') +
            (skipped.length ? `${skipped.length} skipped (${skipped.slice(0, 3).join('; ')})` : '') || null,
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (isRunFatal(error)) throw error;
        failSource(manifest, sourceResults, error);
      }
    }

    const succeeded = manifestSources.filter((s) => s.status === 'success').length;
    if (succeeded === 0) {
      await writer.abort();
      const first = manifestSources.find((s) => s.error)?.error;
      return {
        status: 'failed',
        errorCode: first?.code ?? 'INTERNAL',
        displayMessage: first?.message ?? 'Every source failed.',
        sources: sourceResults,
        stderrTail: stderrTails.join('\n') || null,
        manifest: null,
      };
    }

    // 3. manifest last, then fsync + rename
    meter.phase('finalize');
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      backupId: spec.backupId,
      app: { name: 'Lifeboat', version: spec.appVersion },
      createdAt,
      finishedAt: new Date().toISOString(),
      plan: spec.plan,
      type: spec.base ? spec.type : 'full',
      baseBackupId: spec.base?.backupId ?? null,
      encrypted: spec.passphrase !== null,
      compressionLevel: spec.compressionLevel,
      host: os.hostname(),
      sources: manifestSources,
      entries,
    };
    const finished = await writer.finish(manifest);
    ctx.setTempPath(null);
    const bytesIn = entries.reduce((sum, e) => sum + e.size, 0);
    const failed = manifestSources.length - succeeded;
    return {
      status: failed > 0 ? 'partial' : 'success',
      displayMessage:
        failed > 0
          ? `${failed} of ${manifestSources.length} sources failed; the backup holds the other ${succeeded}.`
          : `Backed up ${manifestSources.length} source${manifestSources.length > 1 ? 's' : ''}.`,
      errorCode: failed > 0 ? (manifestSources.find((s) => s.error)?.error?.code ?? null) : null,
      bytesIn,
      sizeBytes: finished.sizeBytes,
      compressionRatio: finished.sizeBytes > 0 ? bytesIn / finished.sizeBytes : null,
      checksum: finished.sha256,
      filePath: finished.path,
      stderrTail: stderrTails.join('\n') || null,
      sources: sourceResults,
      manifest,
    };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/**
 * Cancels what `client`'s server process is doing (a query waiting on a lock would otherwise
 * keep running after our side hangs up), from a second short-lived connection as the same user.
 */
async function cancelBackend(input: DatabaseInput, client: pg.Client): Promise<void> {
  const pid = (client as unknown as { processID?: number }).processID;
  if (!pid) return;
  try {
    const other = await connectDatabase(input.source, input.password, { connectTimeoutMs: 5000 });
    try {
      await other.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await other.end().catch(() => undefined);
    }
  } catch {
    // best effort: the server ends the session once the wait is over and it sees we are gone
  }
}

/** A failure of the destination ends the whole run; a failure of one source does not. */
function isRunFatal(error: unknown): boolean {
  return error instanceof AppError && (error.code === 'DEST_NO_SPACE' || error.code === 'DEST_NOT_WRITABLE');
}

/** SHA-256 of a file, read as a stream. */
export async function hashFile(filePath: string, signal?: AbortSignal): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(filePath, { signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function failSource(
  manifest: ManifestDatabaseSource | ManifestFolderSource,
  results: JobSourceResult[],
  error: unknown,
): void {
  const t = toTransferable(error);
  manifest.status = 'failed';
  manifest.error = { code: t.code, message: t.message };
  results.push({
    kind: manifest.kind,
    label: manifest.label,
    status: 'failed',
    bytes: 0,
    files: 0,
    errorCode: t.code,
    message: t.message,
  });
}
