/**
 * Restores, verifications and drills as jobs: each runs through core.runner (progress, cancel,
 * a job row), and leaves its trace in the catalog: a `restores` row per restore, a
 * `verifications` row per verification or drill, a backup job row for each safety backup.
 * Secrets: a catalog backup's passphrase comes from the keychain (its plan's), a dropped file's
 * from the request; a target server's password from the request (used once, never stored) or
 * from the keychain entry of a plan that backs up that server with that user.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError, toTransferable } from '../../../shared/errors';
import type { JobSourceResult, JobSummary } from '../../../shared/job';
import type { DatabaseTarget, FilesTarget, ServerTarget } from '../../../shared/restore';
import type { JobOutcome } from '../jobs/job-runner';
import { RestoresRepo } from '../catalog/restores-repo';
import type { LifeboatCore } from '../lifeboat';
import { secretKeys } from '../paths';
import { recordDrill, runDrill } from '../verify/drill';
import { verifyBackupFile } from '../verify/verify-backup';
import { readHeaderInfo } from './backup-index';
import { makeBackupLocator } from './locate';
import { restoreDatabase, type DatabaseRestoreResult, type SafetyBackupInfo } from './restore-database';
import { restoreFiles, type FilesRestoreResult } from './restore-files';

/** A backup named by catalog job or by path, with the passphrase to read it. */
export interface BackupRef {
  filePath?: string;
  backupJobId?: string;
  passphrase?: string | null;
}

export interface ResolvedBackup {
  filePath: string;
  passphrase: string | null;
  /** the catalog job of this backup, when there is one */
  backupJobId: string | null;
  expectedSha256: string | null;
  planName: string | null;
}

/** Options tests and the CLI pass to jobs (tool discovery, environment). */
export interface JobEnvOptions {
  env?: NodeJS.ProcessEnv;
  pgToolDirs?: readonly string[];
}

/**
 * Finds the file and passphrase of a backup. The passphrase: the request's, else (for a backup
 * in the catalog) its plan's from the keychain. PASSPHRASE_REQUIRED when the file is encrypted
 * and neither has one, so that a missing passphrase never runs as a failed job.
 */
export async function resolveBackup(core: LifeboatCore, ref: BackupRef): Promise<ResolvedBackup> {
  let filePath: string;
  let job: JobSummary | undefined;
  if (ref.backupJobId) {
    job = core.jobs.get(ref.backupJobId);
    if (!job || job.kind !== 'backup') throw new AppError('NOT_FOUND', { detail: `backup ${ref.backupJobId}` });
    if (!job.filePath) throw new AppError('NOT_FOUND', { detail: `backup ${ref.backupJobId} has no file (removed by retention?)` });
    filePath = job.filePath;
  } else if (ref.filePath) {
    filePath = path.resolve(ref.filePath);
  } else {
    throw new AppError('VALIDATION', { detail: 'name the backup: a file path or a backup job id' });
  }
  const header = await readHeaderInfo(filePath);
  job ??= core.jobs.get(header.backupId);
  if (job && job.id !== header.backupId) {
    throw new AppError('FILE_CORRUPT', { detail: `${filePath} holds backup ${header.backupId}, not ${job.id}` });
  }
  let passphrase = ref.passphrase ?? null;
  if (!passphrase && header.encrypted && job?.planId) passphrase = await core.secrets.get(secretKeys.passphrase(job.planId));
  if (header.encrypted && !passphrase) throw new AppError('PASSPHRASE_REQUIRED', { detail: path.basename(filePath) });
  return {
    filePath,
    passphrase: header.encrypted ? passphrase : null,
    backupJobId: job?.id ?? null,
    expectedSha256: job?.checksum ?? null,
    planName: job?.planName ?? null,
  };
}

/**
 * The password of a target server: the request's, else the keychain entry of a plan database
 * on the same host, port and user. null lets libpq try ~/.pgpass.
 */
export async function resolveServerPassword(core: LifeboatCore, server: ServerTarget): Promise<string | null> {
  if (server.password !== undefined && server.password !== '') return server.password;
  for (const plan of core.plans.list()) {
    for (const db of plan.databases) {
      if (db.hasPassword && db.host === server.host && db.port === server.port && db.user === server.user) {
        const stored = await core.secrets.get(secretKeys.dbPassword(plan.id, db.id));
        if (stored) return stored;
      }
    }
  }
  return null;
}

/** The target as the restores table keeps it: no password. */
function describeTarget(database: DatabaseTarget | undefined, files: FilesTarget | undefined): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  if (database) {
    const { password: _password, ...server } = database.server;
    target.database = { ...database, server };
  }
  if (files) target.files = files;
  return target;
}

/** Records a safety backup as a finished backup job, so it shows in the history and can be restored. */
export function recordSafetyBackup(core: LifeboatCore, info: SafetyBackupInfo): void {
  core.jobs.create({
    id: info.backupId,
    kind: 'backup',
    planId: null,
    planName: `Safety backup of ${info.database} before a restore`,
    trigger: 'manual',
    startedAt: info.startedAt,
    backupType: 'full',
  });
  for (const source of info.result.sources ?? []) core.jobs.addSourceResult(info.backupId, source);
  const job = core.jobs.finish(info.backupId, {
    status: 'success',
    finishedAt: info.finishedAt,
    durationMs: Math.max(0, Date.parse(info.finishedAt) - Date.parse(info.startedAt)),
    bytesIn: info.result.bytesIn ?? null,
    sizeBytes: info.sizeBytes,
    compressionRatio: info.result.compressionRatio ?? null,
    checksum: info.sha256,
    filePath: info.filePath,
    displayMessage: `Safety backup of "${info.database}", taken automatically before restoring over it.`,
  });
  core.events.emit('jobs/updated', job);
}

export interface RestoreRequest extends BackupRef {
  database?: DatabaseTarget;
  files?: FilesTarget;
}

/**
 * Starts a restore job. Checks what can be checked at once (the backup is found, the passphrase
 * is known) and throws then; everything else fails the job with its error code.
 */
export async function startRestoreJob(core: LifeboatCore, request: RestoreRequest, options: JobEnvOptions = {}): Promise<JobSummary> {
  if (!request.database && !request.files) throw new AppError('VALIDATION', { detail: 'choose a database target, a files target, or both' });
  const backup = await resolveBackup(core, request);
  const password = request.database ? await resolveServerPassword(core, request.database.server) : null;
  const restores = new RestoresRepo(core.catalog);
  const restoreId = crypto.randomUUID();
  return core.runner.start(
    { kind: 'restore', planId: null, planName: backup.planName ?? path.basename(backup.filePath), trigger: 'manual' },
    async (ctx): Promise<JobOutcome> => {
      restores.create({
        id: restoreId,
        jobId: ctx.jobId,
        backupPath: backup.filePath,
        target: describeTarget(request.database, request.files),
        createdAt: core.clock.now().toISOString(),
      });
      const both = Boolean(request.database && request.files);
      const part = (offset: number) => (update: Parameters<typeof ctx.progress>[0]) => {
        const { percent, ...rest } = update;
        ctx.progress({ ...rest, ...(percent === undefined ? {} : { percent: both ? offset + percent / 2 : percent }) });
      };
      let db: DatabaseRestoreResult | null = null;
      let files: FilesRestoreResult | null = null;
      const sources: JobSourceResult[] = [];
      try {
        if (request.database) {
          db = await restoreDatabase(
            {
              filePath: backup.filePath,
              passphrase: backup.passphrase,
              target: request.database,
              password,
              safety: {
                destination: path.join(core.dataDir, 'safety'),
                passphrase: backup.passphrase,
                appVersion: core.appVersion,
                containerOptions: core.containerOptions,
                onWritten: (info) => recordSafetyBackup(core, info),
              },
              env: options.env,
              pgToolDirs: options.pgToolDirs,
            },
            { ...ctx, progress: part(0) },
          );
          sources.push({
            kind: 'database',
            label: `${db.label} → ${db.targetDatabase}`,
            status: db.mismatches.length ? 'failed' : 'success',
            bytes: db.bytesFed,
            files: db.tables.length,
            errorCode: db.mismatches.length ? 'FILE_CORRUPT' : null,
            message: db.mismatches.length
              ? db.mismatches.join('; ')
              : `${db.tables.length} tables restored, ${db.rowsChecked ? 'row counts match the backup' : 'row counts not compared'}`,
          });
        }
        if (request.files) {
          files = await restoreFiles(
            {
              filePath: backup.filePath,
              passphrase: backup.passphrase,
              target: request.files,
              locate: makeBackupLocator(backup.filePath, (id) => core.jobs.get(id)?.filePath ?? null),
              now: core.clock.now(),
            },
            { ...ctx, progress: part(both ? 50 : 0) },
          );
          const c = files.counts;
          sources.push({
            kind: 'folder',
            label: files.roots.join(', '),
            status: 'success',
            bytes: files.bytesWritten,
            files: c.create + c.replace + c['keep-both'],
            errorCode: null,
            message: `${c.create} created, ${c.replace} replaced, ${c['keep-both']} kept both, ${c.same} already identical, ${c.skip} skipped`,
          });
        }
      } catch (error) {
        const t = toTransferable(error);
        restores.finish(restoreId, ctx.signal.aborted ? 'cancelled' : 'failed', {
          error: ctx.signal.aborted ? { code: 'CANCELLED', message: 'Cancelled by the user.' } : t,
          safetyBackup: db?.safetyBackup ?? null,
        });
        throw error;
      }
      const mismatched = Boolean(db?.mismatches.length);
      const status = mismatched ? 'partial' : 'success';
      restores.finish(restoreId, status, {
        database: db ? { ...db, stderrTail: db.stderrTail } : null,
        files: files ? { counts: files.counts, roots: files.roots, bytesWritten: files.bytesWritten, items: files.items.slice(0, 1000) } : null,
      });
      const parts: string[] = [];
      if (db) {
        parts.push(
          mismatched
            ? `Restored ${db.label} into "${db.targetDatabase}", but row counts differ: ${db.mismatches[0]}`
            : `Restored ${db.tables.length} tables into "${db.targetDatabase}"; ${db.rowsChecked ? 'row counts match the backup' : 'row counts were not compared (turned off)'}.`,
        );
        if (db.safetyBackup) parts.push(`Safety backup: ${db.safetyBackup.filePath}.`);
      }
      if (files) parts.push(`Files: ${sources.at(-1)!.message}.`);
      return {
        status,
        displayMessage: parts.join(' '),
        errorCode: mismatched ? 'FILE_CORRUPT' : null,
        filePath: backup.filePath,
        stderrTail: db?.stderrTail ?? null,
        sources,
      };
    },
  );
}

/** Starts a verification job of a backup and records its result in `verifications`. */
export async function startVerifyJob(core: LifeboatCore, ref: BackupRef, options: JobEnvOptions = {}): Promise<JobSummary> {
  const backup = await resolveBackup(core, ref);
  return core.runner.start(
    { kind: 'verify', planId: null, planName: backup.planName ?? path.basename(backup.filePath), trigger: 'manual' },
    async (ctx): Promise<JobOutcome> => {
      const report = await verifyBackupFile(backup.filePath, backup.passphrase, {
        expectedSha256: backup.expectedSha256,
        signal: ctx.signal,
        env: options.env,
        onProgress: (done, total, item) => ctx.progress({ phase: 'verify', percent: Math.min(100, Math.round((1000 * done) / total) / 10), currentItem: item }),
      });
      core.verifications.record({
        id: crypto.randomUUID(),
        jobId: ctx.jobId,
        backupJobId: backup.backupJobId,
        filePath: backup.filePath,
        status: report.status,
        drill: false,
        reasons: report.reasons,
        createdAt: core.clock.now().toISOString(),
      });
      return {
        status: report.status === 'failed' ? 'failed' : 'success',
        errorCode: report.errorCode,
        filePath: backup.filePath,
        checksum: report.fileSha256,
        displayMessage:
          report.status === 'passed'
            ? `Verified: ${report.checks.length} checks passed.`
            : report.status === 'warnings'
              ? `Verified with warnings: ${report.reasons[0]}`
              : `Verification failed: ${report.reasons[0]}`,
      };
    },
  );
}

/** Starts verification jobs for every backup in the catalog that still has its file. */
export async function startVerifyAll(
  core: LifeboatCore,
  options: JobEnvOptions = {},
): Promise<{ jobIds: string[]; skipped: { backupJobId: string; reason: string }[] }> {
  const jobIds: string[] = [];
  const skipped: { backupJobId: string; reason: string }[] = [];
  for (const backup of core.jobs.all({ kind: 'backup' })) {
    if (!backup.filePath || !['success', 'partial'].includes(backup.status)) continue;
    if (!fs.existsSync(backup.filePath)) {
      skipped.push({ backupJobId: backup.id, reason: `the file is missing: ${backup.filePath}` });
      continue;
    }
    try {
      jobIds.push((await startVerifyJob(core, { backupJobId: backup.id }, options)).id);
    } catch (error) {
      skipped.push({ backupJobId: backup.id, reason: toTransferable(error).message });
    }
  }
  return { jobIds, skipped };
}

/**
 * Starts a restore drill job: each dump is restored into a throwaway database on `server`,
 * row counts compared, the database dropped. The result is a `verifications` row with drill=1.
 */
export async function startDrillJob(core: LifeboatCore, ref: BackupRef & { server: ServerTarget }, options: JobEnvOptions = {}): Promise<JobSummary> {
  const backup = await resolveBackup(core, ref);
  const password = await resolveServerPassword(core, ref.server);
  const { password: _password, ...server } = ref.server;
  return core.runner.start(
    { kind: 'drill', planId: null, planName: backup.planName ?? path.basename(backup.filePath), trigger: 'manual' },
    async (ctx): Promise<JobOutcome> => {
      const report = await runDrill(
        { filePath: backup.filePath, passphrase: backup.passphrase, serverFor: () => ({ server, password }), env: options.env, pgToolDirs: options.pgToolDirs },
        ctx,
      );
      recordDrill(core, report, { jobId: ctx.jobId, backupJobId: backup.backupJobId, filePath: backup.filePath });
      return {
        status: report.status === 'passed' ? 'success' : 'failed',
        errorCode: report.errorCode,
        filePath: backup.filePath,
        displayMessage:
          report.status === 'passed'
            ? `Proven restorable: ${report.checks.join('; ')}.`
            : `Restore drill failed: ${report.reasons[0] ?? 'unknown reason'}`,
        sources: report.databases.map((d) => ({
          kind: 'database' as const,
          label: d.label,
          status: d.status === 'passed' ? ('success' as const) : ('failed' as const),
          bytes: 0,
          files: d.tables.length,
          errorCode: d.status === 'passed' ? null : report.errorCode,
          message: d.status === 'passed' ? `restored into ${d.drillDatabase} and dropped; row counts match` : d.reasons.join('; '),
        })),
      };
    },
  );
}
