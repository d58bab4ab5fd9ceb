/**
 * Verification and drill results in the catalog: one `verifications` row each, against the
 * backup they checked. A passed drill is what "proven restorable" shows for a backup.
 */
import crypto from 'node:crypto';
import type { VerificationStatus } from '../catalog/verifications-repo';
import type { CoreContext } from '../context';
import type { DrillReport } from '../verify/drill';

/** Which job checked which backup file. */
export interface CheckedBackup {
  jobId: string;
  backupJobId: string | null;
  filePath: string;
}

/** Records a verification (drill: false) or a drill (drill: true) with its reasons. */
export function recordVerification(
  ctx: Pick<CoreContext, 'verifications' | 'clock'>,
  at: CheckedBackup,
  result: { status: VerificationStatus; drill: boolean; reasons: string[] },
): void {
  ctx.verifications.record({ id: crypto.randomUUID(), ...at, ...result, createdAt: ctx.clock.now().toISOString() });
}

/** Records a drill: its checks when it passed, its reasons when it failed. */
export function recordDrill(ctx: Pick<CoreContext, 'verifications' | 'clock'>, report: DrillReport, at: CheckedBackup): void {
  recordVerification(ctx, at, { status: report.status, drill: true, reasons: report.status === 'passed' ? report.checks : report.reasons });
}
