/** Verification as a job, one backup or every backup in the catalog; each recorded in `verifications`. */
import fs from 'node:fs';
import path from 'node:path';
import { AppError, toTransferable } from '../../../shared/errors';
import type { JobSummary } from '../../../shared/job';
import type { CoreContext, JobEnvOptions } from '../context';
import type { JobContext, JobOutcome } from '../jobs/job-runner';
import { verifyBackupFile, type VerifyOptions, type VerifyReport } from '../verify/verify-backup';
import { CopiesRepo } from '../catalog/copies-repo';
import { recordVerification } from './record-verification';
import { resolveBackup, type BackupRef } from './resolve-backup';
import { readableLocation } from '../destinations/copy-locations';
import { isDestinationUrl } from '../destinations/url';

/** What a verification job uses of the core. */
export type VerifyJobContext = Pick<CoreContext, 'jobs' | 'secrets' | 'runner' | 'verifications' | 'clock'> &
  // with the catalog, a backup whose primary is missing or damaged is verified from its nearest healthy copy
  Partial<Pick<CoreContext, 'catalog'>>;

/** The verify engine's progress (items checked of all) as the job's percent, to a tenth. */
function verifyProgress(job: Pick<JobContext, 'progress'>): NonNullable<VerifyOptions['onProgress']> {
  return (done, total, item) => job.progress({ phase: 'verify', percent: Math.min(100, Math.round((1000 * done) / total) / 10), currentItem: item });
}

/** Starts a verification job of a backup and records its result in `verifications`. */
export async function startVerifyJob(ctx: VerifyJobContext, ref: BackupRef, options: JobEnvOptions = {}): Promise<JobSummary> {
  const backup = await resolveBackup(ctx, ref);
  return ctx.runner.start(
    { kind: 'verify', planId: null, planName: backup.planName ?? path.basename(backup.filePath), trigger: 'manual' },
    async (job): Promise<JobOutcome> => {
      const report = await verifyBackupFile(backup.filePath, backup.passphrase, {
        expectedSha256: backup.expectedSha256,
        expectEncrypted: backup.expectEncrypted,
        signal: job.signal,
        env: options.env,
        onProgress: verifyProgress(job),
      });
      recordVerification(
        ctx,
        { jobId: job.jobId, backupJobId: backup.backupJobId, filePath: backup.filePath },
        { status: report.status, drill: false, reasons: report.reasons },
      );
      const fromCopy = backup.copy ? ` (the copy at ${backup.copy.url}: the primary file was missing or damaged)` : '';
      return verifyOutcome(
        report,
        backup.filePath,
        report.status === 'passed'
          ? `Verified${fromCopy}: ${report.checks.length} checks passed.`
          : report.status === 'warnings'
            ? `Verified with warnings${fromCopy}: ${report.reasons[0]}`
            : `Verification failed${fromCopy}: ${report.reasons[0]}`,
      );
    },
  );
}

/** A verification job's outcome: failed when the report failed (a report with warnings is a success), with the file's SHA-256 as read. */
function verifyOutcome(report: Pick<VerifyReport, 'status' | 'errorCode' | 'fileSha256'>, filePath: string, displayMessage: string): JobOutcome {
  return { status: report.status === 'failed' ? 'failed' : 'success', errorCode: report.errorCode, filePath, checksum: report.fileSha256, displayMessage };
}

/**
 * Failures that say nothing about a copy's bytes (its destination could not be reached or
 * refused the credentials, the passphrase is missing): the verification job fails, the copy's
 * row stays as it was.
 */
const COPY_UNCHECKED_CODES: readonly string[] = ['DEST_UNREACHABLE', 'DEST_AUTH_FAILED', 'HOST_KEY_UNKNOWN', 'HOST_KEY_CHANGED', 'PASSPHRASE_REQUIRED', 'CANCELLED'];

/**
 * Starts a verification of one copy of a catalog backup where it lies (verify/run with `copy`:
 * "is my S3 copy still good?"): its URL is read with ranged reads through the process's remote
 * opener (a plan destination's settings and keychain secret), checked against the catalog's
 * SHA-256 of the backup, and recorded in `verifications` (file_path: the copy's URL, so the
 * primary's own verification status is untouched). The copy's row becomes 'verified' (verified
 * now) when it passed, 'failed' with the reason when its bytes did not check out; unchanged when
 * the destination could not be reached. NOT_FOUND: no such backup, or no copy at that
 * destination; VALIDATION: the copy was deleted.
 */
export async function startVerifyCopyJob(ctx: VerifyJobContext, backupJobId: string, destinationId: string, options: JobEnvOptions = {}): Promise<JobSummary> {
  if (!ctx.catalog) throw new AppError('VALIDATION', { detail: 'verifying a copy needs the catalog' });
  const backup = ctx.jobs.get(backupJobId);
  if (!backup || backup.kind !== 'backup') throw new AppError('NOT_FOUND', { detail: `backup ${backupJobId}` });
  const copies = new CopiesRepo(ctx.catalog);
  const copy = copies.get(backupJobId, destinationId);
  if (!copy) throw new AppError('NOT_FOUND', { detail: `backup ${backupJobId} has no copy at destination ${destinationId}` });
  if (copy.status === 'deleted') {
    throw new AppError('VALIDATION', {
      detail: `the copy at ${copy.url} was deleted with its backup, so there is nothing to verify: verify another copy or the backup itself`,
    });
  }
  const where = `the copy at ${copy.url}`;
  return ctx.runner.start(
    { kind: 'verify', planId: null, planName: backup.planName ?? path.basename(copy.url), trigger: 'manual' },
    async (job): Promise<JobOutcome> => {
      let report: Pick<VerifyReport, 'status' | 'reasons' | 'checks' | 'errorCode' | 'fileSha256'>;
      try {
        // the header names the backup; the passphrase is its plan's (keychain)
        const resolved = await resolveBackup(ctx, { filePath: copy.url });
        if (resolved.backupJobId !== backupJobId) {
          throw new AppError('FILE_CORRUPT', { detail: `${copy.url} holds another backup than ${backupJobId}` });
        }
        report = await verifyBackupFile(resolved.filePath, resolved.passphrase, {
          expectedSha256: backup.checksum ?? copy.sha256,
          expectEncrypted: Boolean(backup.encrypted),
          signal: job.signal,
          env: options.env,
          onProgress: verifyProgress(job),
        });
      } catch (error) {
        if (job.signal.aborted) throw error;
        const t = toTransferable(error);
        if (t.code === 'CANCELLED') throw error;
        // the object is gone, or its header does not read: the copy is bad (unless COPY_UNCHECKED_CODES)
        report = { status: 'failed', reasons: [t.message], checks: [], errorCode: t.code, fileSha256: null };
      }
      recordVerification(ctx, { jobId: job.jobId, backupJobId, filePath: copy.url }, { status: report.status, drill: false, reasons: report.reasons });
      const unchecked = report.status === 'failed' && COPY_UNCHECKED_CODES.includes(report.errorCode ?? '');
      if (report.status !== 'failed') copies.markVerified(backupJobId, destinationId, ctx.clock.now().toISOString());
      else if (!unchecked) copies.markVerifyFailed(backupJobId, destinationId, `Verification failed: ${report.reasons[0]}`);
      return verifyOutcome(
        report,
        copy.url,
        report.status === 'passed'
          ? `Verified ${where}: ${report.checks.length} checks passed.`
          : report.status === 'warnings'
            ? `Verified with warnings (${where}): ${report.reasons[0]}`
            : unchecked
              ? `Could not verify ${where} (its status is unchanged): ${report.reasons[0]}`
              : `Verification of ${where} failed: ${report.reasons[0]}`,
      );
    },
  );
}

/** Which backups `startVerifyAll` verifies: every one, or those of a plan, made since a time. */
export interface VerifyAllOptions extends JobEnvOptions {
  planId?: string;
  /** ISO time: only backups started at or after it */
  since?: string;
  /** the passphrase of encrypted backups that belong to no plan (one-off backups); a plan's comes from the secret store */
  passphrase?: string | null;
}

/** Starts verification jobs for every backup in the catalog that still has its file (of a plan, since a time, if asked). */
export async function startVerifyAll(
  ctx: VerifyJobContext,
  options: VerifyAllOptions = {},
): Promise<{ jobIds: string[]; skipped: { backupJobId: string; reason: string }[]; started: { jobId: string; backupJobId: string }[] }> {
  const { planId, since, passphrase, ...env } = options;
  const jobIds: string[] = [];
  const started: { jobId: string; backupJobId: string }[] = [];
  const skipped: { backupJobId: string; reason: string }[] = [];
  for (const backup of ctx.jobs.all({ kind: 'backup', planId, from: since })) {
    if (!backup.filePath || !['success', 'partial'].includes(backup.status)) continue;
    // a remote primary (the command line's `backup --out s3://...`) is not a file here: its verify job reads it by URL
    const missing = !isDestinationUrl(backup.filePath) && !fs.existsSync(backup.filePath);
    if (missing && !readableLocation(ctx.catalog, backup)?.copy) {
      skipped.push({ backupJobId: backup.id, reason: `the file is missing: ${backup.filePath}` });
      continue;
    }
    try {
      const own = !backup.planId && backup.encrypted && passphrase ? { passphrase } : {};
      const jobId = (await startVerifyJob(ctx, { backupJobId: backup.id, ...own }, env)).id;
      jobIds.push(jobId);
      started.push({ jobId, backupJobId: backup.id });
    } catch (error) {
      skipped.push({ backupJobId: backup.id, reason: toTransferable(error).message });
    }
  }
  return { jobIds, skipped, started };
}
