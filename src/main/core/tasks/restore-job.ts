/**
 * A restore as a job: a database, a folder tree or both from one backup, with a `restores` row
 * in the catalog for its history and an audit line. A restore over an existing database takes a
 * safety backup first, recorded as a backup job of its own.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { AppError, fromValueSource, toTransferable } from '../../../shared/errors';
import type { JobSourceResult, JobSummary } from '../../../shared/job';
import type { DatabaseTarget, FilesTarget } from '../../../shared/restore';
import type { CoreContext, JobEnvOptions } from '../context';
import type { JobContext, JobOutcome } from '../jobs/job-runner';
import { sliceProgress } from '../jobs/slice-progress';
import { makeBackupLocator } from '../restore/locate';
import { restoreDatabase, type DatabaseRestoreResult } from '../restore/restore-database';
import { prepareFileRestore, writePreparedFiles, type FilesRestoreResult, type PreparedFileRestore } from '../restore/restore-files';
import { dropDatabaseQuietly } from '../restore/target-db';
import { resolveBackup, resolveServerPassword, withoutPassword, type BackupRef, type ResolvedBackup } from './resolve-backup';
import { catalogSafetyBackup } from './safety-backup';
import { readableLocation } from '../destinations/copy-locations';

export interface RestoreRequest extends BackupRef {
  database?: DatabaseTarget;
  files?: FilesTarget;
  /**
   * The passphrase of the safety backup taken before a restore over an existing database, when
   * the backup itself is not encrypted (the CLI's --safety-passphrase-file). The app keeps a
   * generated one in the keychain instead.
   */
  safetyPassphrase?: string | null;
}

/** What a restore job uses of the core. */
export type RestoreJobContext = Pick<
  CoreContext,
  'jobs' | 'plans' | 'secrets' | 'runner' | 'restores' | 'audit' | 'clock' | 'events' | 'dataDir' | 'appVersion' | 'containerOptions'
> &
  // with the catalog, a backup (or a base of its chain) whose primary is gone is read from its nearest healthy copy
  Partial<Pick<CoreContext, 'catalog'>>;

/** The target as the restores table keeps it: no password. */
function describeTarget(database: DatabaseTarget | undefined, files: FilesTarget | undefined): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  if (database) target.database = { ...database, server: withoutPassword(database.server) };
  if (files) target.files = files;
  return target;
}

function databaseSource(db: DatabaseRestoreResult): JobSourceResult {
  const bad = db.mismatches.length > 0;
  return {
    kind: 'database',
    label: `${db.label} → ${db.targetDatabase}`,
    status: bad ? 'failed' : 'success',
    bytes: db.bytesFed,
    files: db.tables.length,
    errorCode: bad ? 'FILE_CORRUPT' : null,
    message: bad
      ? db.mismatches.join('; ')
      : [
          `${db.tables.length} tables restored, ${db.rowsChecked ? 'row counts match the backup' : 'row counts not compared'}`,
          ...(db.rolesCreated.length ? [`roles created: ${db.rolesCreated.join(', ')}`] : []),
          ...db.notes,
        ].join('; '),
  };
}

function filesSource(files: FilesRestoreResult): JobSourceResult {
  const c = files.counts;
  return {
    kind: 'folder',
    label: files.roots.join(', '),
    status: 'success',
    bytes: files.bytesWritten,
    files: c.create + c.replace + c['keep-both'],
    errorCode: null,
    message: [`${c.create} created, ${c.replace} replaced, ${c['keep-both']} kept both, ${c.same} already identical, ${c.skip} skipped`, ...files.notes].join('; '),
  };
}

function restoreMessage(db: DatabaseRestoreResult | null, files: JobSourceResult | null): string {
  const parts: string[] = [];
  if (db) {
    parts.push(
      db.mismatches.length
        ? `Restored ${db.label} into "${db.targetDatabase}", but row counts differ: ${db.mismatches[0]}`
        : `Restored ${db.tables.length} tables into "${db.targetDatabase}"; ${db.rowsChecked ? 'row counts match the backup' : 'row counts were not compared (turned off)'}.`,
    );
    if (db.safetyBackup) parts.push(`Safety backup: ${db.safetyBackup.filePath}.`);
    if (db.rolesCreated.length) parts.push(`Created the roles ${db.rolesCreated.join(', ')} from the backup (without passwords).`);
    else if (db.roles?.missing.length || db.roles?.leftOut.length) parts.push(db.roles.message);
    if (db.notes.length) parts.push(`Not restored: ${db.notes.join('; ')}.`);
  }
  if (files) parts.push(`Files: ${files.message}.`);
  return parts.join(' ');
}

/**
 * The files part of a combined restore failed after the database was restored: a database the
 * restore created is dropped again (all or nothing); one restored over keeps its restored state,
 * and the error says so and where the safety backup of its previous state is.
 */
async function undoDatabaseAfterFilesFailed(
  db: DatabaseRestoreResult,
  target: DatabaseTarget,
  password: string | null,
  error: unknown,
): Promise<AppError> {
  const code = error instanceof AppError ? error.code : 'INTERNAL';
  const first = error instanceof AppError ? error.detail : error instanceof Error ? error.message : String(error);
  const detail = (note: string) => [first, note].filter(Boolean).join(' — ');
  if (db.mode === 'new') {
    const dropError = await dropDatabaseQuietly(target.server, password, db.targetDatabase);
    const note = dropError
      ? `the database "${db.targetDatabase}" restored first could not be dropped again (drop it by hand): ${dropError}`
      : `the database "${db.targetDatabase}" restored first was dropped again, so nothing of this restore remains`;
    return new AppError(code, { detail: detail(note), cause: error });
  }
  return new AppError(code, {
    detail: detail(`the files were not written, but the database "${db.targetDatabase}" had already been restored; its previous state is in the safety backup ${db.safetyBackup?.filePath ?? ''}`.trim()),
    cause: error,
  });
}

/**
 * Starts a restore job. Checks what can be checked at once (the backup is found, the passphrase
 * is known) and throws then; everything else fails the job with its error code.
 */
export async function startRestoreJob(
  ctx: RestoreJobContext,
  request: RestoreRequest,
  options: JobEnvOptions & { actor?: string } = {},
): Promise<JobSummary> {
  if (!request.database && !request.files) throw new AppError('VALIDATION', { detail: 'choose a database target, a files target, or both' });
  const backup = await resolveBackup(ctx, request);
  const password = request.database ? await resolveServerPassword(ctx, request.database.server) : null;
  const job = ctx.runner.start(
    { kind: 'restore', planId: null, planName: backup.planName ?? path.basename(backup.filePath), trigger: 'manual' },
    (jobCtx) => runRestore(ctx, request, backup, password, jobCtx, options),
  );
  ctx.audit.record(options.actor ?? 'user', 'backup.restore', request.backupJobId ?? request.filePath ?? null, {
    jobId: job.id,
    database: request.database ? { ...request.database, server: withoutPassword(request.database.server) } : null,
    files: request.files ?? null,
  });
  return job;
}

async function runRestore(
  ctx: RestoreJobContext,
  request: RestoreRequest,
  backup: ResolvedBackup,
  password: string | null,
  job: JobContext,
  options: JobEnvOptions,
): Promise<JobOutcome> {
  const restoreId = crypto.randomUUID();
  ctx.restores.create({
    id: restoreId,
    jobId: job.jobId,
    backupPath: backup.filePath,
    target: describeTarget(request.database, request.files),
    createdAt: ctx.clock.now().toISOString(),
  });
  // with both targets: the files are checked first (nothing written), then the database is
  // restored, then the files are written; so a files part that cannot succeed never lets the
  // database be touched
  const both = Boolean(request.database && request.files);
  // a file the catalog knows is identified by its backup id (an encrypted one: without reading it
  // whole) or, unencrypted, its SHA-256 (restore/authenticity.ts)
  const expected = { sha256: backup.expectedSha256, encrypted: backup.expectEncrypted, backupId: backup.backupJobId };
  let db: DatabaseRestoreResult | null = null;
  let files: FilesRestoreResult | null = null;
  let prepared: PreparedFileRestore | null = null;
  try {
    if (request.files) {
      prepared = await prepareFileRestore(
        {
          filePath: backup.filePath,
          passphrase: backup.passphrase,
          target: request.files,
          locate: makeBackupLocator(backup.filePath, (id) => {
            const base = ctx.jobs.get(id);
            return base ? (readableLocation(ctx.catalog, base)?.location ?? null) : null;
          }),
          now: ctx.clock.now(),
          expected,
          // the files are read once before the database is touched: damage found later would leave it restored
          checkContentsFirst: both,
        },
        sliceProgress(job, 0, both ? 15 : 20),
      );
    }
    if (request.database) {
      db = await restoreDatabase(
        {
          filePath: backup.filePath,
          passphrase: backup.passphrase,
          target: request.database,
          password,
          safety: catalogSafetyBackup(ctx, backup.passphrase ?? request.safetyPassphrase ?? null),
          env: options.env,
          pgToolDirs: options.pgToolDirs,
          expected,
        },
        sliceProgress(job, both ? 15 : 0, both ? 60 : 100),
      );
    }
    if (prepared) {
      try {
        files = await writePreparedFiles(prepared, sliceProgress(job, both ? 60 : 20, 100));
      } catch (error) {
        throw db ? await undoDatabaseAfterFilesFailed(db, request.database!, password, error) : error;
      }
    }
  } catch (thrown) {
    // the target server, database and folder came from the restore form, not from a plan
    const error = fromValueSource(thrown, 'restore-form');
    ctx.restores.finish(restoreId, job.signal.aborted ? 'cancelled' : 'failed', {
      error: job.signal.aborted ? { code: 'CANCELLED', message: 'Cancelled by the user.' } : toTransferable(error),
      safetyBackup: db?.safetyBackup ?? null,
    });
    throw error;
  } finally {
    await prepared?.close();
  }
  const sources = [...(db ? [databaseSource(db)] : []), ...(files ? [filesSource(files)] : [])];
  const mismatched = Boolean(db?.mismatches.length);
  const status = mismatched ? 'partial' : 'success';
  ctx.restores.finish(restoreId, status, {
    database: db,
    // the first RESULT_ITEMS items (restore-files.ts): what the restore list shows; the counts cover all
    files: files ? { counts: files.counts, roots: files.roots, bytesWritten: files.bytesWritten, items: files.items } : null,
  });
  return {
    status,
    displayMessage: `${restoreMessage(db, files ? sources.at(-1)! : null)}${backup.copy ? ` Read from the copy at ${backup.copy.url} (the primary file was missing or damaged).` : ''}`,
    errorCode: mismatched ? 'FILE_CORRUPT' : null,
    filePath: backup.filePath,
    stderrTail: db?.stderrTail ?? null,
    sources,
  };
}
