/**
 * The storage-cap alert: a pure function of what a plan's backups take after its retention ran.
 * Retention removes the oldest chains while the plan is over its cap, but never the newest backup
 * nor the newest verified one; when those alone exceed the cap, the admin has to act.
 */
import type { AlertDraft, PlanRef } from './alerts';
import { formatBytes } from './format';

/**
 * Over the cap: `keptBytes` (the plan's backups still on disk, after retention) is more than
 * `capBytes`. Null when within the cap.
 */
export function storageCapAlert(plan: PlanRef, keptBytes: number, capBytes: number, jobId: string | null): AlertDraft | null {
  if (keptBytes <= capBytes) return null;
  return {
    kind: 'storage-cap',
    planId: plan.id,
    jobId,
    message: `The backups of "${plan.name}" take ${formatBytes(keptBytes)}, more than its storage cap of ${formatBytes(capBytes)}, although retention removed every older chain it may: the newest backup (and the newest verified one) are never removed. Raise the cap, back up less (excludes), or make smaller backups (compression, incremental).`,
  };
}
