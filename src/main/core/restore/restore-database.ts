/**
 * Restoring a database dump from a backup, streamed out of the encrypted file into pg_restore's
 * stdin (no decrypted copy on disk). A bad backup never leaves a trace in the target:
 * - every byte pg_restore gets has been decrypted and authenticated (AES-GCM, chunk by chunk),
 *   and the dump's size and SHA-256 must match the manifest before its last piece is handed
 *   over, so pg_restore (one transaction, --single-transaction) cannot commit a dump that does
 *   not match; the rest of the file is authenticated alongside (not for a remote copy, which is
 *   read with ranged requests only where the dump is);
 * - into a new database (the default), the file is read once: the database is created, fed, and
 *   dropped again on any failure or cancel, so a damaged file leaves nothing behind (recorded on
 *   the job and marked as its own from before it exists, so that the next start drops what a crash
 *   or a lost server left: tasks/recover-temp-databases.ts);
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
import { AppError } from '../../../shared/errors';
import type { ManifestDatabaseSource } from '../../../shared/manifest';
import type { DatabaseTarget, RolesPreview, TableRef } from '../../../shared/restore';
import { BackupReader, zipError } from '../archive/reader';
import { isRemoteLocation } from '../destinations/remote-open';
import { createDatabaseOptions } from '../postgres/database-state';
import {
  applyDatabaseState,
  createRolesFromBackup,
  dropRolesQuietly,
  finishNewDatabase,
  prepareRestoreFidelity,
  type RestoreFidelityPlan,
} from './fidelity';
import { HashStream } from '../archive/hash-stream';
import type { JobContext } from '../jobs/job-runner';
import { sliceProgress } from '../jobs/slice-progress';
import { connectDatabase } from '../postgres/connection';
import { buildPsqlInvocation, findPsqlFor, spawnScriptRestore } from '../postgres/psql-restore';
import { buildPgRestoreInvocation, parseTocList, spawnPgRestore, spawnPgRestoreList, type PgRestoreProcess, type TocEntry } from '../postgres/restore';
import { orderForClean, type TablePlan } from '../postgres/toc-plan';
import { findPgTool } from '../postgres/tools';
import { assertEncryptionAsExpected, assertSha256AsExpected, type ExpectedBackup } from './authenticity';
import { assertTablesInSource, pickDatabaseSource } from './backup-index';
import { cancelledError } from './cancel';
import { assertRestorable, planSelection, readTargetState } from './table-selection';
import {
  assertDatabaseName,
  connectMaintenance,
  countRows,
  createDatabase,
  databaseExists,
  dropDatabaseQuietly,
  jobMarker,
  targetSource,
  tempDatabaseOf,
  unmarkDatabaseQuietly,
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
}

/** The database a safety backup is taken of, with how to reach it. */
export interface SafetyBackupTarget {
  server: DatabaseTarget['server'];
  database: string;
  password: string | null;
  env?: NodeJS.ProcessEnv;
  pgToolDirs?: readonly string[];
}

/**
 * Takes (and records) a complete backup of the target before a restore over it changes anything;
 * throws, leaving the target untouched, when it cannot. Progress: its own 0-100.
 */
export type SafetyBackupStep = (target: SafetyBackupTarget, ctx: RestoreContext) => Promise<SafetyBackupInfo>;

export interface DatabaseRestoreSpec {
  filePath: string;
  passphrase: string | null;
  target: DatabaseTarget;
  /** the target server's password (null: none, or ~/.pgpass) */
  password: string | null;
  /** required for mode 'existing': takes the safety backup before the target is changed */
  safety?: SafetyBackupStep;
  /**
   * A throwaway database the caller drops itself (the drill): after a successful restore it keeps
   * Lifeboat's mark and stays recorded as the job's temp database until the caller dropped it.
   */
  throwaway?: boolean;
  /** what the file must be (the catalog's SHA-256, encryption): a stand-in is refused before anything is touched */
  expected?: ExpectedBackup;
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
  safetyBackup: SafetyBackupInfo | null;
  bytesFed: number;
  stderrTail: string | null;
  /** the roles the restore needed and what became of them (null: the backup does not list them) */
  roles: RolesPreview | null;
  /** roles created from the backup's definitions (createRoles) */
  rolesCreated: string[];
  /** whether the backup's database-level state (settings, comment, grants, owner) was applied */
  databaseStateApplied: boolean;
  /** what of it could not be applied, and why */
  notes: string[];
}

export type RestoreContext = Pick<JobContext, 'signal' | 'progress' | 'setTempPath'> &
  Partial<Pick<JobContext, 'jobId' | 'recordTempDatabase' | 'forgetTempDatabase'>>;

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
export async function readToc(
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
 * `outside: false` leaves the chunks outside the dump unread (a remote copy: a restore of one table
 * must not fetch the whole file; what is restored is still proven by the dump's own chunks and its
 * SHA-256).
 */
export async function feedDump(
  reader: BackupReader,
  entry: { name: string; size: number; sha256: string },
  label: string,
  restore: PgRestoreProcess,
  stop: AbortController,
  options: { verify: boolean; outside?: boolean; signal: AbortSignal; onBytes: (fed: number) => void },
): Promise<{ stderrTail: string; fed: number }> {
  const { signal } = options;
  let exited: 'ok' | 'failed' | null = null;
  restore.done.then(
    () => (exited = 'ok'),
    () => (exited = 'failed'),
  );
  let outsideFailure: unknown = null;
  let outside: Promise<unknown> | null = null;
  let stream: NodeJS.ReadableStream & { destroy(): void } | null = null;
  const hash = crypto.createHash('sha256');
  let read = 0;
  let fed = 0;
  let held: Buffer | null = null;
  const handOver = async (piece: Buffer) => {
    await restore.feed(piece);
    fed += piece.length;
    options.onBytes(fed);
  };
  try {
    // every step that can fail, from locating the dump's chunks on, is inside this try: on any
    // failure pg_restore is killed and awaited, so no orphan keeps the process alive
    if (options.verify && options.outside !== false) {
      const { first, last } = await reader.entryChunks(entry.name);
      outside = reader.container.authenticateChunks((i) => i < first || i > last, { signal: stop.signal }).catch((error: unknown) => {
        outsideFailure = error;
        stop.abort(error);
      });
    }
    stream = await reader.openEntry(entry.name);
    for await (const chunk of stream) {
      if (signal.aborted) throw signal.reason;
      if (outsideFailure) throw outsideFailure;
      // pg_restore failed: say why, without reading on
      if (exited === 'failed') await restore.done;
      const piece = chunk as Buffer;
      read += piece.length;
      if (options.verify) hash.update(piece);
      if (held && !exited) await handOver(held);
      held = piece;
    }
    if (outside) await outside;
    if (outsideFailure) throw outsideFailure;
    if (options.verify && (read !== entry.size || hash.digest('hex') !== entry.sha256)) {
      throw new AppError('FILE_CORRUPT', { detail: `the dump of ${label} does not match its size and SHA-256 in the manifest` });
    }
    if (held && !exited) await handOver(held);
    restore.end();
    const { stderrTail } = await restore.done;
    return { stderrTail, fed };
  } catch (error) {
    stream?.destroy();
    // a failed read or check (or a cancel) must not let pg_restore commit what it has: kill it
    stop.abort(error);
    await restore.done.catch(() => undefined);
    throw signal.aborted ? signal.reason : zipError(error);
  } finally {
    stop.abort(new AppError('CANCELLED'));
    await outside;
  }
}

/**
 * Creates the new database (refusing a name that is taken), with `marker` as its comment and the
 * encoding and locale of the backup (`fidelity.state`, when it records them); returns once it exists.
 */
async function createNewTarget(
  server: DatabaseTarget['server'],
  password: string | null,
  database: string,
  signal: AbortSignal,
  marker: string | null,
  fidelity: RestoreFidelityPlan,
): Promise<void> {
  const client = await connectMaintenance(server, password, signal);
  try {
    if (await databaseExists(client, database)) {
      throw new AppError('PG_DATABASE_EXISTS', { detail: `"${database}" on ${server.host}:${server.port}` });
    }
    await createDatabase(client, database, marker, fidelity.state ? createDatabaseOptions(fidelity.state, fidelity.serverVersionNum) : undefined);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The dump a restore reads: its source in the manifest, its entry, the tables chosen, pg_restore. */
interface LocatedDump {
  source: ManifestDatabaseSource;
  entry: { name: string; size: number; sha256: string };
  /** the tables asked for, or null for the whole database */
  selected: TableRef[] | null;
  pgRestorePath: string;
}

/** Finds the target's dump in the backup and checks the table selection against the manifest. */
async function locateDump(reader: BackupReader, spec: DatabaseRestoreSpec, env: NodeJS.ProcessEnv): Promise<LocatedDump> {
  // the database's source and entries only: a folder's items are not read
  const manifest = await reader.readManifest({ items: false });
  if (manifest.backupId !== reader.container.header.backupId) {
    throw new AppError('FILE_CORRUPT', { detail: 'the manifest belongs to another backup than the file header names' });
  }
  const source: ManifestDatabaseSource = pickDatabaseSource(manifest, spec.target.sourceId);
  const selected = spec.target.tables && spec.target.tables.length > 0 ? spec.target.tables : null;
  if (selected) assertTablesInSource(source, selected);
  const entry = manifest.entries.find((e) => e.name === source.entry);
  if (!entry) throw new AppError('FILE_CORRUPT', { detail: `the manifest lists no entry for the dump of ${source.label}` });
  const pgRestorePath = await findPgTool('pg_restore', env, { fallbackDirs: spec.pgToolDirs });
  return { source, entry, selected, pgRestorePath };
}

/**
 * Runs pg_restore in one transaction, fed from the file (with `verify`, the dump checked on the
 * way; see feedDump), optionally limited to the table of contents lines `chosen` (in their
 * order). With `script`, pg_restore's SQL runs through psql between Lifeboat's own `prelude` and
 * `postlude` in one transaction that commits only once the dump is done and checked
 * (postgres/psql-restore.ts). Progress runs from `from` to 97.
 */
async function runPgRestore(
  reader: BackupReader,
  dump: LocatedDump,
  spec: DatabaseRestoreSpec,
  ctx: RestoreContext,
  options: {
    clean: boolean;
    verify: boolean;
    from: number;
    chosen: TocEntry[] | null;
    env: NodeJS.ProcessEnv;
    script?: { prelude: string; postlude: string } | null;
  },
): Promise<{ fed: number; stderrTail: string }> {
  const { signal } = ctx;
  const target = targetSource(spec.target.server, spec.target.database);
  let listDir: string | null = null;
  let listFile: string | undefined;
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (options.chosen) {
      listDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'lifeboat-restore-'));
      listFile = path.join(listDir, 'toc.list');
      await fs.promises.writeFile(listFile, `${options.chosen.map((e) => e.line).join('\n')}\n`, { mode: 0o600 });
    }
    ctx.progress({ phase: 'restore', percent: options.from, bytesDone: 0, bytesTotal: dump.entry.size, currentItem: `${dump.source.label} → ${spec.target.database}` });
    const invocation = buildPgRestoreInvocation({
      pgRestorePath: dump.pgRestorePath,
      target,
      password: spec.password,
      clean: options.clean,
      noOwner: spec.target.noOwner,
      noPrivileges: spec.target.noPrivileges,
      listFile,
      env: options.env,
      script: Boolean(options.script),
    });
    const restore = options.script
      ? spawnScriptRestore({
          pgRestore: invocation,
          psql: buildPsqlInvocation(await findPsqlFor(dump.pgRestorePath, options.env, spec.pgToolDirs), target, spec.password, options.env),
          target,
          password: spec.password,
          prelude: options.script.prelude,
          postlude: options.script.postlude,
          signal: stop.signal,
        })
      : spawnPgRestore(invocation, { signal: stop.signal, password: spec.password, target });
    const share = sliceProgress(ctx, options.from, 97);
    return await feedDump(reader, dump.entry, dump.source.label, restore, stop, {
      verify: options.verify,
      // a remote copy (s3://, azure://, sftp://) is read only where the dump is: ranged reads
      outside: !isRemoteLocation(spec.filePath),
      signal,
      onBytes: (n) => share.progress({ bytesDone: n, percent: (100 * n) / Math.max(1, dump.entry.size) }),
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (listDir) await fs.promises.rm(listDir, { recursive: true, force: true });
  }
}

/**
 * Counts the restored tables' rows and compares them with the manifest (unless the target
 * turned it off: pg_restore's one transaction succeeded with the checked dump), and sums up.
 */
async function checkRestored(
  spec: DatabaseRestoreSpec,
  dump: LocatedDump,
  ctx: RestoreContext,
  restored: { fed: number; stderrTail: string; safety: SafetyBackupInfo | null; plan?: TablePlan | null },
): Promise<DatabaseRestoreResult> {
  const { target } = spec;
  // like with like: a backup that records table kinds counted each table's own rows (count(*) FROM ONLY)
  const restoredTables = restored.plan?.tables ?? dump.source.tables.map((t) => ({ schema: t.schema, name: t.name, own: t.kind !== undefined }));
  const rowsChecked = target.checkRows !== false;
  let counts: (number | null)[] = [];
  if (rowsChecked) {
    ctx.progress({ percent: 98, currentItem: 'counting rows' });
    const client = await connectDatabase(targetSource(target.server, target.database), spec.password, { signal: ctx.signal });
    try {
      counts = await countRows(client, restoredTables);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const tables: RestoredTable[] = restoredTables.map((t, i) => ({
    schema: t.schema,
    name: t.name,
    expected: dump.source.tables.find((m) => m.schema === t.schema && m.name === t.name)?.rows ?? 0,
    actual: counts[i] ?? null,
  }));
  const mismatches = tables
    .filter((t) => rowsChecked && t.actual !== t.expected)
    .map((t) => `${t.schema}.${t.name}: ${t.actual === null ? 'missing' : `${t.actual} rows`}, the backup holds ${t.expected}`);
  ctx.progress({ percent: 100 });
  return {
    sourceId: dump.source.id,
    label: dump.source.label,
    targetDatabase: target.database,
    mode: target.mode,
    tables,
    rowsChecked,
    mismatches,
    safetyBackup: restored.safety,
    bytesFed: restored.fed,
    stderrTail: restored.stderrTail.trim() || null,
    roles: null,
    rolesCreated: [],
    databaseStateApplied: false,
    notes: [],
  };
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
  assertDatabaseName(spec.target.database);
  ctx.progress({ phase: 'verify', percent: 0, currentItem: spec.filePath });
  // roles, ownership and locale: every refusal comes before the target is touched
  const fidelity = await prepareRestoreFidelity({ ...spec, signal: ctx.signal }).catch((error: unknown) => {
    throw ctx.signal.aborted ? cancelledError(ctx.signal) : error;
  });
  return spec.target.mode === 'existing' ? restoreOverExisting(spec, ctx, fidelity) : restoreIntoNew(spec, ctx, fidelity);
}

/** Creates the roles the plan says to create (after the file was authenticated); returns their names. */
async function createPlannedRoles(spec: DatabaseRestoreSpec, fidelity: RestoreFidelityPlan, signal: AbortSignal): Promise<string[]> {
  const roles = fidelity.roles?.toCreate ?? [];
  if (roles.length === 0) return [];
  await createRolesFromBackup(spec.target.server, spec.password, fidelity.roleStatements, roles, signal);
  return roles;
}

/**
 * Into a new database, reading the file once: the database is created while the key is derived
 * (deliberately slow: ~0.1 s, 0.3 s for format 1), then fed the dump, which is checked on the
 * way. A wrong passphrase, a bad file, a failure or a cancel drops the new database again.
 */
async function restoreIntoNew(spec: DatabaseRestoreSpec, ctx: RestoreContext, fidelity: RestoreFidelityPlan): Promise<DatabaseRestoreResult> {
  const { target, password } = spec;
  const { signal } = ctx;
  const env = spec.env ?? process.env;
  // recorded (and marked as this job's) before it exists, so that start-up recovery drops it after
  // a crash; forgotten only once dropped: a server that went away keeps it recorded for recovery
  const temp = tempDatabaseOf(target.server, target.database);
  ctx.recordTempDatabase?.(temp);
  const dropNew = async () => {
    if ((await dropDatabaseQuietly(target.server, password, target.database)) === null) ctx.forgetTempDatabase?.(temp);
  };
  const [opened, made] = await Promise.allSettled([
    BackupReader.open(spec.filePath, spec.passphrase),
    createNewTarget(target.server, password, target.database, signal, ctx.jobId ? jobMarker(ctx.jobId) : null, fidelity),
  ]);
  if (opened.status === 'rejected' || made.status === 'rejected') {
    if (opened.status === 'fulfilled') await opened.value.close().catch(() => undefined);
    if (made.status === 'fulfilled') await dropNew();
    // nothing was created, but for a CREATE that failed oddly (a lost connection): recovery checks that one
    else if (made.reason instanceof AppError && made.reason.code !== 'PG_RESTORE_FAILED') ctx.forgetTempDatabase?.(temp);
    throw signal.aborted ? cancelledError(signal) : opened.status === 'rejected' ? opened.reason : (made as PromiseRejectedResult).reason;
  }
  const reader = opened.value;
  let rolesCreated: string[] = [];
  try {
    const encrypted = reader.container.header.encryption !== null;
    assertEncryptionAsExpected(encrypted, spec.expected, spec.filePath);
    // an encrypted file is authenticated as it is read; an unencrypted one only proves it is the
    // backup the catalog knows by its whole-file SHA-256, which takes a read of its own
    if (!encrypted && spec.expected?.sha256) assertSha256AsExpected(await reader.container.scan({ signal }), spec.expected, spec.filePath);
    rolesCreated = await createPlannedRoles(spec, fidelity, signal);
    const dump = await locateDump(reader, spec, env);
    const toc = dump.selected ? await readToc(reader, dump.entry, dump.source.label, dump.pgRestorePath, env, signal) : null;
    if (signal.aborted) throw signal.reason;
    // the chosen tables with everything they need (refused, the new database dropped again, when they cannot be restored alone)
    const plan = dump.selected && toc ? planSelection(toc, dump.source, dump.selected, null) : null;
    if (plan) assertRestorable(plan);
    const { fed, stderrTail } = await runPgRestore(reader, dump, spec, ctx, { clean: false, verify: true, from: 2, chosen: plan?.entries ?? null, env });
    if (signal.aborted) throw signal.reason;
    const result = await checkRestored(spec, dump, ctx, { fed, stderrTail, safety: null, plan });
    result.roles = fidelity.roles;
    result.rolesCreated = rolesCreated;
    if (fidelity.state) {
      // after the row counts: a statement_timeout the backup sets must not cut them short
      const options = { mode: 'new' as const, noOwner: target.noOwner, noPrivileges: target.noPrivileges, signal };
      result.notes.push(...(await applyDatabaseState(target.server, password, target.database, fidelity.state, options)));
      result.databaseStateApplied = true;
    }
    if (!spec.throwaway) {
      // the user's database now: the backup's comment replaces our mark, and it is no longer the job's to drop
      if (fidelity.state) {
        const note = await finishNewDatabase(target.server, password, target.database, fidelity.state.comment);
        if (note) result.notes.push(note);
      } else if (ctx.jobId) await unmarkDatabaseQuietly(target.server, password, target.database);
      ctx.forgetTempDatabase?.(temp);
    }
    return result;
  } catch (caught) {
    // a half-made database is worse than none: drop it (with a connection of its own, the job's signal may be aborted)
    await dropNew();
    // and the roles made for it: nothing uses them now
    await dropRolesQuietly(target.server, password, rolesCreated);
    throw signal.aborted ? cancelledError(signal) : caught;
  } finally {
    await reader.close().catch(() => undefined);
  }
}

/**
 * Over an existing database: the whole file and the dump are authenticated before anything else
 * (0-30 %), then the safety backup is taken (30-50 %), then the restore runs in one transaction
 * (50-97 %). A failure before the restore leaves the target untouched; a failed restore rolls back.
 * - The whole database: pg_restore --clean --if-exists --single-transaction, with the dump's
 *   entries in an order it can both drop and create (orderForClean: partitioned tables with keys,
 *   their partitions' indexes, inheritance and foreign keys). pg_restore itself writes the drops,
 *   exact for every kind of object, and its one transaction keeps the guarantee that a dump that
 *   does not match never commits; only the order had to change.
 * - A selection of tables (toc-plan planTableSelection): tables that are there are emptied and
 *   reloaded in place, others created; that needs SQL of Lifeboat's own in the same transaction,
 *   so pg_restore's SQL runs through psql (postgres/psql-restore.ts). A selection that cannot be
 *   restored alone is refused before the safety backup, naming the set that can.
 */
async function restoreOverExisting(spec: DatabaseRestoreSpec, ctx: RestoreContext, fidelity: RestoreFidelityPlan): Promise<DatabaseRestoreResult> {
  const { target, password } = spec;
  const { signal } = ctx;
  const env = spec.env ?? process.env;
  if (!spec.safety) throw new AppError('INTERNAL', { detail: 'restoring over a database needs a safety backup destination' });
  let rolesCreated: string[] = [];
  const reader = await BackupReader.open(spec.filePath, spec.passphrase).catch((error: unknown) => {
    throw signal.aborted ? cancelledError(signal) : error;
  });
  try {
    assertEncryptionAsExpected(reader.container.header.encryption !== null, spec.expected, spec.filePath);
    const dump = await locateDump(reader, spec, env);
    const sha256 = await reader.container.scan({ signal, onChunk: scanProgress(reader, sliceProgress(ctx, 0, 15)) });
    assertSha256AsExpected(sha256, spec.expected, spec.filePath);
    const toc = await authenticateDump(reader, dump.entry, dump.source.label, dump.pgRestorePath, env, ctx, (f) => Math.round((15 + f * 15) * 10) / 10);
    // also proves the target exists before a safety backup of it is attempted
    const state = await targetStateOf(spec, signal);
    if (signal.aborted) throw signal.reason;
    const plan = dump.selected ? planSelection(toc, dump.source, dump.selected, state) : null;
    if (plan) assertRestorable(plan);

    ctx.progress({ phase: 'dump', percent: 30, currentItem: `safety backup of ${target.database}` });
    const safety = await spec.safety(
      { server: target.server, database: target.database, password, env: spec.env, pgToolDirs: spec.pgToolDirs },
      sliceProgress(ctx, 30, 50, { phase: 'dump' }),
    );
    if (signal.aborted) throw signal.reason;

    rolesCreated = await createPlannedRoles(spec, fidelity, signal);
    const { fed, stderrTail } = await runPgRestore(
      reader,
      dump,
      spec,
      ctx,
      plan
        ? { clean: false, verify: false, from: 50, chosen: plan.entries, env, script: plan }
        : { clean: true, verify: false, from: 50, chosen: orderForClean(toc), env },
    );
    if (signal.aborted) throw signal.reason;
    const result = await checkRestored(spec, dump, ctx, { fed, stderrTail, safety, plan });
    result.roles = fidelity.roles;
    result.rolesCreated = rolesCreated;
    rolesCreated = [];
    // a full restore adds the backup's database settings, comment and grants (fidelity.state is null for a table selection)
    if (fidelity.state) {
      const options = { mode: 'existing' as const, noOwner: target.noOwner, noPrivileges: target.noPrivileges, signal };
      const notes = await applyDatabaseState(target.server, password, target.database, fidelity.state, options).then(
        (n) => ((result.databaseStateApplied = true), n),
        (error: unknown) => [`the database settings, comment and grants were not applied: ${error instanceof Error ? error.message : String(error)}`],
      );
      result.notes.push(...notes);
    }
    return result;
  } catch (caught) {
    // pg_restore rolled back: the roles made for it are not used
    await dropRolesQuietly(target.server, password, rolesCreated);
    throw signal.aborted ? cancelledError(signal) : caught;
  } finally {
    await reader.close().catch(() => undefined);
  }
}

/** Progress of a whole-file scan as 0-100 of `ctx`. */
function scanProgress(reader: BackupReader, ctx: Pick<RestoreContext, 'progress'>): (bytes: number) => void {
  let scanned = 0;
  return (n) => {
    scanned += n;
    ctx.progress({ percent: (100 * scanned) / Math.max(1, reader.container.size) });
  };
}

/** What the existing target holds, for planning a table selection over it (see readTargetState). */
async function targetStateOf(spec: DatabaseRestoreSpec, signal: AbortSignal) {
  const client = await connectDatabase(targetSource(spec.target.server, spec.target.database), spec.password, { signal });
  try {
    return await readTargetState(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
