/** Verification as a job, one backup or every backup in the catalog; each recorded in `verifications`. */
import fs from 'node:fs';
import path from 'node:path';
import { toTransferable } from '../../../shared/errors';
import type { JobSummary } from '../../../shared/job';
import type { CoreContext, JobEnvOptions } from '../context';
import type { JobOutcome } from '../jobs/job-runner';
import { verifyBackupFile } from '../verify/verify-backup';
import { recordVerification } from './record-verification';
import { resolveBackup, type BackupRef } from './resolve-backup';
import { readableLocation } from '../destinations/copy-locations';

/** What a verification job uses of the core. */
export type VerifyJobContext = Pick<CoreContext, 'jobs' | 'secrets' | 'runner' | 'verifications' | 'clock'> &
  // with the catalog, a backup whose primary is missing or damaged is verified from its nearest healthy copy
  Partial<Pick<CoreContext, 'catalog'>>;

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
        onProgress: (done, total, item) => job.progress({ phase: 'verify', percent: Math.min(100, Math.round((1000 * done) / total) / 10), currentItem: item }),
      });
      recordVerification(
        ctx,
        { jobId: job.jobId, backupJobId: backup.backupJobId, filePath: backup.filePath },
        { status: report.status, drill: false, reasons: report.reasons },
      );
      const fromCopy = backup.copy ? ` (the copy at ${backup.copy.url}: the primary file was missing or damaged)` : '';
      return {
        status: report.status === 'failed' ? 'failed' : 'success',
        errorCode: report.errorCode,
        filePath: backup.filePath,
        checksum: report.fileSha256,
        displayMessage:
          report.status === 'passed'
            ? `Verified${fromCopy}: ${report.checks.length} checks passed.`
            : report.status === 'warnings'
              ? `Verified with warnings${fromCopy}: ${report.reasons[0]}`
              : `Verification failed${fromCopy}: ${report.reasons[0]}`,
      };
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
    if (!fs.existsSync(backup.filePath) && !readableLocation(ctx.catalog, backup)?.copy) {
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
