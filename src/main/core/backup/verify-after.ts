import { randomUUID } from 'node:crypto';
import type { JobContext, JobOutcome } from '../jobs/job-runner';
import type { LifeboatCore } from '../lifeboat';
import { verifyBackupFile } from '../verify/verify-backup';

/**
 * "Verify after backup": verifies the file a run just wrote, records the result in the catalog
 * and folds it into the job's outcome. A file that fails verification turns the run into a
 * failure (the file stays for inspection; nobody should trust it). Returns the outcome and
 * whether the backup passed cleanly (retention's "newest verified" floor needs that).
 */
export async function verifyAfterBackup(
  core: Pick<LifeboatCore, 'verifications' | 'clock'>,
  ctx: JobContext,
  outcome: JobOutcome,
  passphrase: string | null,
  env?: NodeJS.ProcessEnv,
  /** the part of the run's 0-100 this step takes */
  [from, to]: readonly [number, number] = [93, 99],
): Promise<{ outcome: JobOutcome; passed: boolean }> {
  if (outcome.status === 'failed' || !outcome.filePath) return { outcome, passed: false };
  ctx.progress({ phase: 'verify', percent: from, currentItem: outcome.filePath });
  const report = await verifyBackupFile(outcome.filePath, passphrase, {
    expectedSha256: outcome.checksum,
    signal: ctx.signal,
    env,
    onProgress: (done, total) => ctx.progress({ percent: from + Math.min(to - from, ((to - from) * done) / total) }),
  });
  core.verifications.record({
    id: randomUUID(),
    jobId: ctx.jobId,
    backupJobId: ctx.jobId,
    filePath: outcome.filePath,
    status: report.status,
    drill: false,
    reasons: report.reasons,
    createdAt: core.clock.now().toISOString(),
  });
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
