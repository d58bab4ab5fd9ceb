/**
 * Restoring a database dump from a backup, streamed out of the encrypted file into pg_restore's
 * stdin (no decrypted copy on disk). A bad backup never leaves a trace in the target:
 * - every byte pg_restore gets has been decrypted and authenticated (AES-GCM, chunk by chunk),
 *   and the dump's size and SHA-256 must match the manifest before its last piece is handed
 *   over, so pg_restore (one transaction, --single-transaction) cannot commit a dump that does
 *   not match; the rest of the file is authenticated alongside;
 * - into a new database (the default), the file is read once: the database is created, fed, and
 *   dropped again on any failure or cancel, so a damaged file leaves nothing behind;
 * - over an existing database, nothing happens to the target until the whole file has been
 *   authenticated and the dump checked against the manifest (one read ahead of the restore),
 *   and then a safety backup of the target is written (and recorded) first;
 * - afterwards the restored tables' row counts are compared with the manifest (target.checkRows,
 *   on unless turned off: it reads every restored table once more).
 * The key derivation (Argon2id, about 0.1 s by design) overlaps creating the new database,
 * which a wrong passphrase drops again at once.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { AppError, isErrorCode } from '../../../shared/errors';
import type { ManifestDatabaseSource } from '../../../shared/manifest';
import type { DatabaseTarget, TableRef } from '../../../shared/restore';
import { BackupReader, zipError } from '../archive/reader';
import { HashStream } from '../archive/hash-stream';
import type { KdfSetting } from '../crypto/container';
import { runBackup, type BackupResult } from '../backup/run-backup';
import { fileStamp } from '../backup/plan-backup';
import type { JobContext } from '../jobs/job-runner';
import { connectDatabase } from '../postgres/connection';
import { buildPgRestoreInvocation, parseTocList, selectTocEntries, spawnPgRestore, spawnPgRestoreList, type PgRestoreProcess, type TocEntry } from '../postgres/restore';
import { findPgTool } from '../postgres/tools';
import { assertTablesInSource, pickDatabaseSource } from './backup-index';
import { cancelledError } from './cancel';
import {
  assertDatabaseName,
  connectMaintenance,
  countRows,
  createDatabase,
  databaseExists,
  dropDatabaseQuietly,
  targetSource,
} from './target-db';

/** The safety backup taken before restoring over an existing database. */
export interface SafetyBackupInfo {
  backupId: string;
  filePath: string;
  sizeBytes: number;
  sha256: string;
  database: string;
  startedAt: string;
  finishedAt: string;
  result: BackupResult;
}

export interface DatabaseRestoreSpec {
  filePath: string;
  passphrase: string | null;
  target: DatabaseTarget;
  /** the target server's password (null: none, or ~/.pgpass) */
  password: string | null;
  /** required for mode 'existing': where and how the safety backup is written */
  safety?: {
    destination: string;
    passphrase: string | null;
    appVersion: string;
    containerOptions?: { chunkSize?: number; kdf?: KdfSetting };
    /** called once the safety backup is complete, before the target is changed (record it here) */
    onWritten?: (info: SafetyBackupInfo) => void | Promise<void>;
  };
  /** keep the dump's owners and privileges (default: off; see buildPgRestoreInvocation) */
  keepOwnership?: boolean;
  env?: NodeJS.ProcessEnv;
  pgToolDirs?: readonly string[];
}

export interface RestoredTable extends TableRef {
  expected: number;
  actual: number | null;
}

export interface DatabaseRestoreResult {
  sourceId: string;
  label: string;
  targetDatabase: string;
  mode: DatabaseTarget['mode'];
  /** the tables restored, with the manifest's and the restored row counts (actual null when not counted) */
  tables: RestoredTable[];
  /** whether the restored tables' rows were counted and compared (target.checkRows) */
  rowsChecked: boolean;
  /** tables whose row count differs from the manifest */
  mismatches: string[];
  safetyBackup: Omit<SafetyBackupInfo, 'result'> | null;
  bytesFed: number;
  stderrTail: string | null;
}

export type RestoreContext = Pick<JobContext, 'signal' | 'progress' | 'setTempPath'> & Partial<Pick<JobContext, 'jobId'>>;

/** The table of contents pg_restore --list printed; a dump it could not read is FILE_CORRUPT. */
async function tocOf(lister: PgRestoreProcess, label: string): Promise<TocEntry[]> {
  const { stdout } = await lister.done.catch((error: unknown) => {
    if (error instanceof AppError && (error.code === 'PG_RESTORE_TOO_OLD' || error.code === 'CANCELLED')) throw error;
    throw new AppError('FILE_CORRUPT', {
      detail: `the dump of ${label} is not readable by pg_restore: ${error instanceof Error ? error.message : String(error)}`,
    });
  });
  return parseTocList(stdout);
}

/** Reads the dump entry once: hash and size against the manifest, table of contents by pg_restore --list. */
async function authenticateDump(
  reader: BackupReader,
  entry: { name: string; size: number; sha256: string },
  label: string,
  pgRestorePath: string,
  env: NodeJS.ProcessEnv,
  ctx: RestoreContext,
  percent: (fraction: number) => number,
): Promise<TocEntry[]> {
  const lister = spawnPgRestoreList(pgRestorePath, env, ctx.signal, true);
  let read = 0;
  const hash = new HashStream((n) => {
    read += n;
    ctx.progress({ bytesDone: read, percent: percent(read / Math.max(1, entry.size)) });
  });
  try {
    const stream = await reader.openEntry(entry.name);
    stream.on('error', (error) => hash.destroy(error));
    for await (const chunk of stream.pipe(hash)) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      await lister.feed(chunk as Buffer);
    }
  } catch (error) {
    lister.end();
    await lister.done.catch(() => undefined);
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw error;
  } finally {
    lister.end();
  }
  if (hash.bytes !== entry.size || hash.digest() !== entry.sha256) {
    await lister.done.catch(() => undefined);
    throw new AppError('FILE_CORRUPT', { detail: `the dump of ${label} does not match its size and SHA-256 in the manifest` });
  }
  return tocOf(lister, label);
}

/** Lists the dump's table of contents: pg_restore --list reads the head of the dump and exits. */
async function readToc(
  reader: BackupReader,
  entry: { name: string },
  label: string,
  pgRestorePath: string,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<TocEntry[]> {
  const lister = spawnPgRestoreList(pgRestorePath, env, signal, true);
  let exited = false;
  lister.done.then(
    () => (exited = true),
    () => (exited = true),
  );
  try {
    for await (const chunk of await reader.openEntry(entry.name)) {
      if (signal.aborted) throw signal.reason;
      if (exited) break;
      await lister.feed(chunk as Buffer);
    }
  } catch (error) {
    lister.end();
    await lister.done.catch(() => undefined);
    throw signal.aborted ? signal.reason : zipError(error);
  } finally {
    lister.end();
  }
  return tocOf(lister, label);
}

/**
 * Feeds the dump entry to pg_restore and waits for it to finish (`onBytes`: bytes handed over
 * so far). With `verify`, the dump is checked in the same read: its size and SHA-256 against the manifest, and every container
 * chunk outside it authenticated alongside; the last piece is held back until both pass, so
 * pg_restore cannot reach its COMMIT with a dump that does not match. pg_restore may stop
 * reading early (a table selection needs only part of the dump): the dump is still read to the
 * end and checked. Any failure kills pg_restore (its transaction rolls back) and is thrown.
 */
export async function feedDump(
  reader: BackupReader,
  entry: { name: string; size: number; sha256: string },
  label: string,
  restore: PgRestoreProcess,
  stop: AbortController,
  options: { verify: boolean; signal: AbortSignal; onBytes: (fed: number) => void },
): Promise<{ stderrTail: string; fed: number }> {
  const { signal } = options;
  let exited: 'ok' | 'failed' | null = null;
  restore.done.then(
    () => (exited = 'ok'),
    () => (exited = 'failed'),
  );
  let outsideFailure: unknown = null;
  let outside: Promise<unknown> | null = null;
  if (options.verify) {
    const { first, last } = await reader.entryChunks(entry.name);
    outside = reader.container.authenticateChunks((i) => i < first || i > last, { signal: stop.signal }).catch((error: unknown) => {
      outsideFailure = error;
      stop.abort(error);
    });
  }
  const hash = crypto.createHash('sha256');
  let read = 0;
  let fed = 0;
  let held: Buffer | null = null;
  const stream = await reader.openEntry(entry.name);
  try {
    try {
      for await (const chunk of stream) {
        if (signal.aborted) throw signal.reason;
        if (outsideFailure) throw outsideFailure;
        // pg_restore failed: say why, without reading on
        if (exited === 'failed') await restore.done;
        const piece = chunk as Buffer;
        read += piece.length;
        if (options.verify) hash.update(piece);
        if (held && !exited) {
          await restore.feed(held);
          fed += held.length;
          options.onBytes(fed);
        }
        held = piece;
      }
      if (outside) await outside;
      if (outsideFailure) throw outsideFailure;
      if (options.verify && (read !== entry.size || hash.digest('hex') !== entry.sha256)) {
        throw new AppError('FILE_CORRUPT', { detail: `the dump of ${label} does not match its size and SHA-256 in the manifest` });
      }
    } catch (error) {
      stream.destroy();
      // a failed read or check (or a cancel) must not let pg_restore commit what it has: kill it
      stop.abort(error);
      await restore.done.catch(() => undefined);
      await outside;
      throw signal.aborted ? signal.reason : zipError(error);
    }
    if (held && !exited) {
      await restore.feed(held);
      fed += held.length;
      options.onBytes(fed);
    }
    restore.end();
    const { stderrTail } = await restore.done;
    return { stderrTail, fed };
  } finally {
    stop.abort(new AppError('CANCELLED'));
    await outside;
  }
}

/** Creates the new database (refusing a name that is taken); returns once it exists. */
async function createNewTarget(server: DatabaseTarget['server'], password: string | null, database: string, signal: AbortSignal): Promise<void> {
  const client = await connectMaintenance(server, password, signal);
  try {
    if (await databaseExists(client, database)) {
      throw new AppError('PG_DATABASE_EXISTS', { detail: `"${database}" on ${server.host}:${server.port}` });
    }
    await createDatabase(client, database);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Restores one database of a backup; see the module comment for the order of work. Throws
 * (leaving the target as it was) WRONG_PASSPHRASE, PASSPHRASE_REQUIRED, FILE_CORRUPT,
 * FILE_TRUNCATED, NOT_A_BACKUP, RESTORE_SELECTION_MISSING, RESTORE_TARGET_INVALID,
 * PG_RESTORE_MISSING, PG_RESTORE_TOO_OLD, PG_DATABASE_EXISTS, PG_DATABASE_MISSING,
 * PG_AUTH_FAILED, PG_UNREACHABLE, PG_CREATE_DENIED, PG_RESTORE_FAILED (rolled back) and
 * CANCELLED (rolled back; a database it created is dropped).
 */
export async function restoreDatabase(spec: DatabaseRestoreSpec, ctx: RestoreContext): Promise<DatabaseRestoreResult> {
  const { target } = spec;
  const { signal } = ctx;
  const env = spec.env ?? process.env;
  assertDatabaseName(target.database);
  const existing = target.mode === 'existing';
  if (existing && !spec.safety) throw new AppError('INTERNAL', { detail: 'restoring over a database needs a safety backup destination' });
  const server = target.server;
  const password = spec.password;

  ctx.progress({ phase: 'verify', percent: 0, currentItem: spec.filePath });
  // A new database is created while the key is derived (deliberately slow: ~0.1 s, 0.3 s for format 1); a
  // wrong passphrase or a file that does not open drops it again at once.
  const [opened, made] = await Promise.allSettled([
    BackupReader.open(spec.filePath, spec.passphrase),
    existing ? Promise.resolve() : createNewTarget(server, password, target.database, signal),
  ]);
  if (opened.status === 'rejected' || made.status === 'rejected') {
    if (opened.status === 'fulfilled') await opened.value.close().catch(() => undefined);
    if (!existing && made.status === 'fulfilled') await dropDatabaseQuietly(server, password, target.database);
    throw signal.aborted ? cancelledError(signal) : opened.status === 'rejected' ? opened.reason : (made as PromiseRejectedResult).reason;
  }
  const reader = opened.value;
  let client: pg.Client | null = null;
  let listDir: string | null = null;
  const created = !existing;
  try {
    const manifest = await reader.readManifest();
    if (manifest.backupId !== reader.container.header.backupId) {
      throw new AppError('FILE_CORRUPT', { detail: 'the manifest belongs to another backup than the file header names' });
    }
    const source: ManifestDatabaseSource = pickDatabaseSource(manifest, target.sourceId);
    const selected = target.tables && target.tables.length > 0 ? target.tables : null;
    if (selected) assertTablesInSource(source, selected);
    const entry = manifest.entries.find((e) => e.name === source.entry);
    if (!entry) throw new AppError('FILE_CORRUPT', { detail: `the manifest lists no entry for the dump of ${source.label}` });
    const pgRestorePath = await findPgTool('pg_restore', env, { fallbackDirs: spec.pgToolDirs });

    // 1. over an existing database: the whole file and the dump are checked before anything else
    let toc: TocEntry[] | null = null;
    if (existing) {
      let scanned = 0;
      await reader.container.scan({
        signal,
        onChunk: (n) => {
          scanned += n;
          ctx.progress({ percent: Math.round(((15 * scanned) / Math.max(1, reader.container.size)) * 10) / 10 });
        },
      });
      toc = await authenticateDump(reader, entry, source.label, pgRestorePath, env, ctx, (f) => Math.round((15 + f * 15) * 10) / 10);
    } else if (selected) {
      toc = await readToc(reader, entry, source.label, pgRestorePath, env, signal);
    }

    // 2. the target (a new database was created above)
    let missingSchemas = selected ? [...new Set(selected.map((t) => t.schema))] : [];
    if (existing) {
      client = await connectDatabase(targetSource(server, target.database), password, { signal });
      if (missingSchemas.length) {
        const { rows } = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)', [missingSchemas]);
        missingSchemas = missingSchemas.filter((s) => !rows.some((r) => r.nspname === s));
      }
      await client.end().catch(() => undefined);
      client = null;
    }
    if (signal.aborted) throw signal.reason;

    const chosen = selected && toc ? selectTocEntries(toc, selected, { createSchemas: missingSchemas }) : null;

    // 3. safety backup of the database about to be restored over
    let safety: SafetyBackupInfo | null = null;
    if (existing && spec.safety) {
      safety = await takeSafetyBackup(spec, ctx);
      await spec.safety.onWritten?.(safety);
    }

    if (signal.aborted) throw signal.reason;

    // 4. pg_restore in one transaction, fed from the file (and, into a new database, checked on the way)
    let listFile: string | undefined;
    if (chosen) {
      listDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'lifeboat-restore-'));
      listFile = path.join(listDir, 'toc.list');
      await fs.promises.writeFile(listFile, `${chosen.map((e) => e.line).join('\n')}\n`, { mode: 0o600 });
    }
    const restoreFrom = existing ? 50 : 2;
    ctx.progress({ phase: 'restore', percent: restoreFrom, bytesDone: 0, bytesTotal: entry.size, currentItem: `${source.label} → ${target.database}` });
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let fed: number;
    let stderrTail: string;
    try {
      const restore = spawnPgRestore(
        buildPgRestoreInvocation({
          pgRestorePath,
          target: targetSource(server, target.database),
          password,
          clean: existing,
          keepOwnership: spec.keepOwnership,
          listFile,
          env,
        }),
        { signal: stop.signal, password, target: targetSource(server, target.database) },
      );
      ({ fed, stderrTail } = await feedDump(reader, entry, source.label, restore, stop, {
        verify: !existing,
        signal,
        onBytes: (n) => ctx.progress({ bytesDone: n, percent: restoreFrom + Math.round(((97 - restoreFrom) * n) / Math.max(1, entry.size) * 10) / 10 }),
      }));
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) throw signal.reason;

    // 5. row counts against the manifest (unless turned off: pg_restore's one transaction succeeded with the checked dump)
    const restoredTables = selected ?? source.tables.map((t) => ({ schema: t.schema, name: t.name }));
    const rowsChecked = target.checkRows !== false;
    let counts: (number | null)[] = [];
    if (rowsChecked) {
      ctx.progress({ percent: 98, currentItem: 'counting rows' });
      client = await connectDatabase(targetSource(server, target.database), password, { signal });
      counts = await countRows(client, restoredTables);
    }
    const tables: RestoredTable[] = restoredTables.map((t, i) => ({
      schema: t.schema,
      name: t.name,
      expected: source.tables.find((m) => m.schema === t.schema && m.name === t.name)?.rows ?? 0,
      actual: counts[i] ?? null,
    }));
    const mismatches = tables
      .filter((t) => rowsChecked && t.actual !== t.expected)
      .map((t) => `${t.schema}.${t.name}: ${t.actual === null ? 'missing' : `${t.actual} rows`}, the backup holds ${t.expected}`);
    ctx.progress({ percent: 100 });
    const { result: _result, ...safetyInfo } = safety ?? { result: null };
    return {
      sourceId: source.id,
      label: source.label,
      targetDatabase: target.database,
      mode: target.mode,
      tables,
      rowsChecked,
      mismatches,
      safetyBackup: safety ? (safetyInfo as Omit<SafetyBackupInfo, 'result'>) : null,
      bytesFed: fed,
      stderrTail: stderrTail.trim() || null,
    };
  } catch (caught) {
    const error = signal.aborted ? cancelledError(signal) : caught;
    if (created) {
      await client?.end().catch(() => undefined);
      client = null;
      // a half-made database is worse than none: drop it (with a connection of its own, the job's signal may be aborted)
      await dropDatabaseQuietly(server, spec.password, target.database);
    }
    throw error;
  } finally {
    await client?.end().catch(() => undefined);
    await reader.close().catch(() => undefined);
    if (listDir) await fs.promises.rm(listDir, { recursive: true, force: true });
  }
}

/** Backs up the target database with the ordinary backup engine; throws if that fails. */
async function takeSafetyBackup(spec: DatabaseRestoreSpec, ctx: RestoreContext): Promise<SafetyBackupInfo> {
  const safety = spec.safety!;
  const { target } = spec;
  const backupId = crypto.randomUUID();
  const startedAt = new Date();
  ctx.progress({ phase: 'dump', percent: 30, currentItem: `safety backup of ${target.database}` });
  const result = await runBackup(
    {
      backupId,
      plan: null,
      type: 'full',
      base: null,
      destination: safety.destination,
      fileStem: `safety-${target.database.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60)}-${fileStamp(startedAt)}-${backupId.slice(0, 8)}`,
      compressionLevel: 1,
      passphrase: safety.passphrase,
      databases: [{ source: { ...targetSource(target.server, target.database), id: 'safety' }, password: spec.password }],
      folders: [],
      appVersion: safety.appVersion,
      retries: { count: 0, backoffSeconds: 1 },
      env: spec.env,
      pgToolDirs: spec.pgToolDirs,
      containerOptions: safety.containerOptions,
    },
    {
      jobId: backupId,
      signal: ctx.signal,
      // the backup's own 0-100 maps onto 30-50 of the restore
      progress: (update) => {
        const { percent, ...rest } = update;
        ctx.progress({ ...rest, phase: 'dump', ...(percent === undefined ? {} : { percent: 30 + percent / 5 }) });
      },
      setTempPath: (p) => ctx.setTempPath(p),
    },
  );
  if (result.status !== 'success' || !result.filePath || !result.checksum) {
    const code = isErrorCode(result.errorCode) ? result.errorCode : 'PG_DUMP_FAILED';
    throw new AppError(code, {
      detail: `the safety backup of "${target.database}" failed, so nothing was changed: ${result.displayMessage ?? result.errorCode ?? 'unknown error'}`,
    });
  }
  return {
    backupId,
    filePath: result.filePath,
    sizeBytes: result.sizeBytes ?? 0,
    sha256: result.checksum,
    database: target.database,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    result,
  };
}
