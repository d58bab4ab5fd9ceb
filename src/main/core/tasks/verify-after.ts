import type { CoreContext } from '../context';
import type { JobContext, JobOutcome } from '../jobs/job-runner';
import { sliceProgress } from '../jobs/slice-progress';
import { verifyBackupFile } from '../verify/verify-backup';
import { recordVerification } from './record-verification';

/**
 * "Verify after backup": verifies the file a run just wrote, records the result in the catalog
 * and folds it into the job's outcome. A file that fails verification turns the run into a
 * failure (the file stays for inspection; nobody should trust it). Returns the outcome and
 * whether the backup passed cleanly (retention's "newest verified" floor needs that).
 */
export async function verifyAfterBackup(
  ctx: Pick<CoreContext, 'verifications' | 'clock'>,
  job: JobContext,
  outcome: JobOutcome,
  passphrase: string | null,
  env?: NodeJS.ProcessEnv,
  /** the part of the run's 0-100 this step takes */
  [from, to]: readonly [number, number] = [93, 99],
): Promise<{ outcome: JobOutcome; passed: boolean }> {
  if (outcome.status === 'failed' || !outcome.filePath) return { outcome, passed: false };
  const share = sliceProgress(job, from, to);
  job.progress({ phase: 'verify', percent: from, currentItem: outcome.filePath });
  const report = await verifyBackupFile(outcome.filePath, passphrase, {
    expectedSha256: outcome.checksum,
    signal: job.signal,
    env,
    onProgress: (done, total) => share.progress({ percent: (100 * done) / Math.max(1, total) }),
  });
  recordVerification(ctx, { jobId: job.jobId, backupJobId: job.jobId, filePath: outcome.filePath }, { status: report.status, drill: false, reasons: report.reasons });
  if (report.status === 'failed') {
    return {
      outcome: {
        ...outcome,
        status: 'failed',
        errorCode: report.errorCode ?? 'FILE_CORRUPT',
        displayMessage: `The backup was written but failed verification: ${report.reasons[0]}`,
      },
      passed: false,
    };
  }
  const note = report.status === 'passed' ? 'Verified.' : `Verified with warnings: ${report.reasons[0]}`;
  return {
    outcome: { ...outcome, displayMessage: `${outcome.displayMessage ?? ''} ${note}`.trim() },
    passed: report.status === 'passed',
  };
}
