/**
 * A restore as a job: a database, a folder tree or both from one backup, with a `restores` row
 * in the catalog for its history and an audit line. A restore over an existing database takes a
 * safety backup first, recorded as a backup job of its own.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { AppError, toTransferable } from '../../../shared/errors';
import type { JobSourceResult, JobSummary } from '../../../shared/job';
import type { DatabaseTarget, FilesTarget } from '../../../shared/restore';
import type { CoreContext, JobEnvOptions } from '../context';
import type { JobContext, JobOutcome } from '../jobs/job-runner';
import { sliceProgress } from '../jobs/slice-progress';
import { makeBackupLocator } from '../restore/locate';
import { restoreDatabase, type DatabaseRestoreResult } from '../restore/restore-database';
import { restoreFiles, type FilesRestoreResult } from '../restore/restore-files';
import { resolveBackup, resolveServerPassword, withoutPassword, type BackupRef, type ResolvedBackup } from './resolve-backup';
import { catalogSafetyBackup } from './safety-backup';

export interface RestoreRequest extends BackupRef {
  database?: DatabaseTarget;
  files?: FilesTarget;
}

/** What a restore job uses of the core. */
export type RestoreJobContext = Pick<
  CoreContext,
  'jobs' | 'plans' | 'secrets' | 'runner' | 'restores' | 'audit' | 'clock' | 'events' | 'dataDir' | 'appVersion' | 'containerOptions'
>;

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
      : `${db.tables.length} tables restored, ${db.rowsChecked ? 'row counts match the backup' : 'row counts not compared'}`,
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
    message: `${c.create} created, ${c.replace} replaced, ${c['keep-both']} kept both, ${c.same} already identical, ${c.skip} skipped`,
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
  }
  if (files) parts.push(`Files: ${files.message}.`);
  return parts.join(' ');
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
  // with both targets, each takes half of the bar
  const both = Boolean(request.database && request.files);
  let db: DatabaseRestoreResult | null = null;
  let files: FilesRestoreResult | null = null;
  try {
    if (request.database) {
      db = await restoreDatabase(
        {
          filePath: backup.filePath,
          passphrase: backup.passphrase,
          target: request.database,
          password,
          safety: catalogSafetyBackup(ctx, backup.passphrase),
          env: options.env,
          pgToolDirs: options.pgToolDirs,
        },
        sliceProgress(job, 0, both ? 50 : 100),
      );
    }
    if (request.files) {
      files = await restoreFiles(
        {
          filePath: backup.filePath,
          passphrase: backup.passphrase,
          target: request.files,
          locate: makeBackupLocator(backup.filePath, (id) => ctx.jobs.get(id)?.filePath ?? null),
          now: ctx.clock.now(),
        },
        sliceProgress(job, both ? 50 : 0, 100),
      );
    }
  } catch (error) {
    ctx.restores.finish(restoreId, job.signal.aborted ? 'cancelled' : 'failed', {
      error: job.signal.aborted ? { code: 'CANCELLED', message: 'Cancelled by the user.' } : toTransferable(error),
      safetyBackup: db?.safetyBackup ?? null,
    });
    throw error;
  }
  const sources = [...(db ? [databaseSource(db)] : []), ...(files ? [filesSource(files)] : [])];
  const mismatched = Boolean(db?.mismatches.length);
  const status = mismatched ? 'partial' : 'success';
  ctx.restores.finish(restoreId, status, {
    database: db,
    files: files ? { counts: files.counts, roots: files.roots, bytesWritten: files.bytesWritten, items: files.items.slice(0, 1000) } : null,
  });
  return {
    status,
    displayMessage: restoreMessage(db, files ? sources.at(-1)! : null),
    errorCode: mismatched ? 'FILE_CORRUPT' : null,
    filePath: backup.filePath,
    stderrTail: db?.stderrTail ?? null,
    sources,
  };
}
