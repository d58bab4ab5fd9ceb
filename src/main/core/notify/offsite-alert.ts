/**
 * Whether a plan's newest backup has a copy off the machine (the Dashboard's off-site status,
 * plans/offsite-status) and the off-site alert: pure functions of the plan, its newest backup,
 * that backup's copies and the clock.
 *
 * A copy counts as off-site when its destination is S3, Azure or SFTP (another local folder,
 * even a mounted share, does not). A plan is protected when at least one off-site copy of its
 * newest backup is 'verified' or 'uploaded'. It is unprotected since that backup was made (or,
 * when the plan had no copies configured at that run, since the plan was last saved: the copies
 * were added later); the alert is raised when that lasts longer than its schedule's period
 * (daily 24 h, weekly 7 d, every N hours N h; a manual plan never), and clears when a copy
 * lands (the status is protected again and no alert is raised).
 */
import { isOffSite, type BackupCopy, type PlanOffsiteStatus } from '../../../shared/destination';
import { formatDateTime } from '../../../shared/format';
import type { JobSummary } from '../../../shared/job';
import type { Plan } from '../../../shared/plan';
import type { CatalogDb } from '../catalog/catalog';
import { CopiesRepo } from '../catalog/copies-repo';
import type { JobsRepo } from '../catalog/jobs-repo';
import { scheduleIntervalMs, type AlertDraft } from './alerts';
import { formatDuration } from './format';

/**
 * The off-site status of one plan: `newest` is its newest backup still kept (successful or
 * partial), `copies` that backup's copies as the catalog records them.
 */
export function planOffsiteStatus(
  plan: Pick<Plan, 'id' | 'name' | 'options' | 'updatedAt'>,
  newest: Pick<JobSummary, 'id' | 'startedAt' | 'finishedAt'> | null,
  copies: readonly BackupCopy[],
  /** when the plan's newest backups started to lack an off-site copy: the oldest of that run of backups (default: the newest's time) */
  unprotectedFrom: string | null = null,
): PlanOffsiteStatus {
  const offsiteIds = new Set(plan.options.copies.filter((d) => isOffSite(d.kind)).map((d) => d.id));
  const base = {
    planId: plan.id,
    planName: plan.name,
    configured: offsiteIds.size > 0,
    newestBackupId: newest?.id ?? null,
    newestBackupAt: newest ? (newest.finishedAt ?? newest.startedAt) : null,
    copies: [...copies],
  };
  if (!base.configured) return { ...base, state: 'not-configured', unprotectedSince: null };
  if (!newest) return { ...base, state: 'no-backup', unprotectedSince: null };
  const offsite = copies.filter((c) => isOffSite(c.kind) && c.status !== 'deleted');
  if (offsite.some((c) => c.status === 'verified')) return { ...base, state: 'verified', unprotectedSince: null };
  if (offsite.some((c) => c.status === 'uploaded')) return { ...base, state: 'uploaded', unprotectedSince: null };
  // no copy recorded at all: the plan had no off-site destination when this backup was made
  const streak = unprotectedFrom ?? base.newestBackupAt!;
  const since = copies.length > 0 || plan.updatedAt < streak ? streak : plan.updatedAt;
  const missing = [...offsiteIds].some((id) => !offsite.some((c) => c.destinationId === id));
  return { ...base, state: missing || offsite.length === 0 ? 'pending' : 'failed', unprotectedSince: since };
}

/**
 * The off-site alert of a plan, or null: raised when its status has been unprotected (neither
 * verified nor uploaded) for longer than its schedule's period; never for a disabled or manual
 * plan, nor one without a backup or without off-site copies configured.
 */
export function offsiteAlert(plan: Pick<Plan, 'id' | 'name' | 'enabled' | 'schedule'>, status: PlanOffsiteStatus, now: Date): AlertDraft | null {
  if (!plan.enabled || !status.configured || !status.unprotectedSince) return null;
  const period = scheduleIntervalMs(plan.schedule);
  if (period === null) return null;
  const sinceMs = now.getTime() - Date.parse(status.unprotectedSince);
  if (sinceMs <= period) return null;
  const failed = status.copies.filter((c) => isOffSite(c.kind) && c.status === 'failed');
  const why = failed.length
    ? ` The last attempt: ${failed.map((c) => `the copy to ${c.destinationUrl} failed: ${(c.error ?? 'no reason recorded').replace(/\.$/, '')}`).join('; ')}.`
    : ' No copy of it was uploaded off-site.';
  return {
    kind: 'offsite',
    planId: plan.id,
    jobId: status.newestBackupId,
    message: `"${plan.name}" has had no off-site copy of its newest backup for ${formatDuration(sinceMs)} (since ${formatDateTime(status.unprotectedSince)}; newest backup ${formatDateTime(status.newestBackupAt!)}), longer than its schedule's ${formatDuration(period)}.${why} Fix the destination (Test it in the plan editor), then run the plan: failed copies are uploaded again.`,
  };
}

/** The off-site status of a plan as the catalog has it now (its newest backup still kept and that backup's copies). */
export function readOffsiteStatus(
  deps: { catalog: CatalogDb; jobs: Pick<JobsRepo, 'get' | 'backupsOfPlan'> },
  plan: Pick<Plan, 'id' | 'name' | 'options' | 'updatedAt'>,
): PlanOffsiteStatus {
  const repo = new CopiesRepo(deps.catalog);
  const newest = repo.forNewestBackup(plan.id);
  const job = newest ? (deps.jobs.get(newest.backupId) ?? null) : null;
  return planOffsiteStatus(plan, job, newest?.copies ?? [], unprotectedFrom(repo, deps.jobs.backupsOfPlan(plan.id)));
}

/** How many of a plan's newest backups are looked at to find when it last had an off-site copy. */
const UNPROTECTED_LOOKBACK = 500;

/**
 * The time of the oldest backup in the run of newest backups without a healthy (verified or
 * uploaded) off-site copy: a plan whose every nightly copy fails has been unprotected since the
 * first of those nights, not since last night. Null when the newest backup has one.
 */
function unprotectedFrom(repo: CopiesRepo, backupsNewestFirst: readonly Pick<JobSummary, 'id' | 'startedAt' | 'finishedAt'>[]): string | null {
  let from: string | null = null;
  for (const backup of backupsNewestFirst.slice(0, UNPROTECTED_LOOKBACK)) {
    const healthy = repo.forBackup(backup.id).some((c) => isOffSite(c.kind) && (c.status === 'verified' || c.status === 'uploaded'));
    if (healthy) break;
    from = backup.finishedAt ?? backup.startedAt;
  }
  return from;
}
