/**
 * Alerts: pure functions over a plan's backup history, a disk's free space and the clock. Each
 * returns a draft (what to raise) or nothing; the notification service stores, pushes and sends
 * the drafts and keeps the same alert from being raised over and over.
 */
import { DEFAULT_ALERT_RULES, type AlertRules } from '../../../shared/alert-rules';
import type { JobStatus } from '../../../shared/job';
import type { AlertKind } from '../../../shared/notify';
import type { BackupType, Plan, Schedule } from '../../../shared/plan';
import { formatDateTime, formatFactor } from '../../../shared/format';
import { formatBytes, formatDuration } from './format';

/** One finished backup run of a plan, as the alerts need it. */
export interface BackupRun {
  jobId: string;
  status: JobStatus;
  backupType: BackupType | null;
  startedAt: string;
  durationMs: number | null;
  sizeBytes: number | null;
}

export interface AlertDraft {
  kind: AlertKind;
  planId: string | null;
  jobId: string | null;
  message: string;
}

export interface PlanRef {
  id: string;
  name: string;
}

export const ALERT_LIMITS = {
  /** this many failed runs in a row raise an alert */
  consecutiveFailures: 2,
  /** the usual size and duration are the median of this many recent successful runs */
  baselineRuns: 10,
  /** fewer successful runs than this say nothing about what is usual */
  minBaselineRuns: 3,
  sizeHighFactor: 2,
  sizeLowFactor: 0.5,
  durationFactor: 3,
  /** a run 3x longer than a 5-second usual is not worth an alert */
  durationMinExtraMs: 60_000,
  lowDiskFraction: 0.1,
  lowDiskBytes: 1_000_000_000,
  /** a plan is overdue when its last success is older than this many schedule intervals */
  overdueFactor: 2,
} as const;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Runs that count as a failure of the plan; cancelled runs neither extend nor break a streak. */
const FAILED: readonly JobStatus[] = ['failed', 'partial', 'interrupted'];

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The failed runs in a row at the newest end of `runs` (newest first), cancelled runs skipped. */
export function failureStreak(runs: readonly BackupRun[]): BackupRun[] {
  const streak: BackupRun[] = [];
  for (const run of runs) {
    if (run.status === 'cancelled') continue;
    if (!FAILED.includes(run.status)) break;
    streak.push(run);
  }
  return streak;
}

/**
 * Consecutive failures: the newest runs (newest first) include at least `threshold` failed,
 * partial or interrupted runs in a row.
 */
export function consecutiveFailuresAlert(
  plan: PlanRef,
  runs: readonly BackupRun[],
  threshold: number = ALERT_LIMITS.consecutiveFailures,
): AlertDraft | null {
  const streak = failureStreak(runs);
  if (streak.length < threshold) return null;
  return {
    kind: 'consecutive-failures',
    planId: plan.id,
    jobId: streak[0].jobId,
    message: `"${plan.name}" has failed ${streak.length} runs in a row (since ${formatDateTime(streak[streak.length - 1].startedAt)}). Open its history to see why, fix the cause, then run it again.`,
  };
}

/** The usual value of `pick` over the newest successful runs of the same type, or null if too few. */
function baseline(
  current: BackupRun,
  previous: readonly BackupRun[],
  pick: (run: BackupRun) => number | null,
): { median: number; count: number } | null {
  const type = current.backupType ?? 'full';
  const values = previous
    .filter((r) => r.jobId !== current.jobId && r.status === 'success' && (r.backupType ?? 'full') === type)
    .map(pick)
    .filter((v): v is number => v !== null && v > 0)
    .slice(0, ALERT_LIMITS.baselineRuns);
  if (values.length < ALERT_LIMITS.minBaselineRuns) return null;
  return { median: median(values)!, count: values.length };
}

/**
 * Backup size far from usual: a successful run more than `factor` (default 2) times or less than
 * 1/`factor` of the median size of
 * the plan's last 10 successful backups of the same type (incrementals are compared with
 * incrementals). `previous` is newest first; the current run may be in it.
 */
export function sizeAnomalyAlert(
  plan: PlanRef,
  current: BackupRun,
  previous: readonly BackupRun[],
  factor: number = ALERT_LIMITS.sizeHighFactor,
): AlertDraft | null {
  if (current.status !== 'success' || current.sizeBytes === null) return null;
  const usual = baseline(current, previous, (r) => r.sizeBytes);
  if (!usual) return null;
  const ratio = current.sizeBytes / usual.median;
  // the plan's factor both ways: 2 means more than twice or less than half the usual size
  if (ratio <= factor && ratio >= 1 / factor) return null;
  const type = current.backupType ?? 'full';
  const fix =
    ratio > 1
      ? 'Check that the plan still backs up only what it should (new large files, a missing exclude).'
      : 'Check that no source went missing or empty.';
  return {
    kind: 'size-anomaly',
    planId: plan.id,
    jobId: current.jobId,
    message: `The backup of "${plan.name}" is ${formatBytes(current.sizeBytes)}, ${ratio >= 1 ? `${formatFactor(ratio)} its usual size` : `only ${formatFactor(ratio)} of its usual size`} (median ${formatBytes(usual.median)} over the last ${usual.count} ${type} backups). ${fix}`,
  };
}

/**
 * Run much longer than usual: a successful run more than `rule.factor` (default 3) times the
 * median duration of the plan's last 10 successful runs of the same type, and at least a minute
 * longer than it; or, with `rule.minutes`, longer than that many minutes whatever is usual.
 */
export function durationAnomalyAlert(
  plan: PlanRef,
  current: BackupRun,
  previous: readonly BackupRun[],
  rule: { factor: number | null; minutes: number | null } = { factor: ALERT_LIMITS.durationFactor, minutes: null },
): AlertDraft | null {
  if (current.status !== 'success' || current.durationMs === null) return null;
  if (rule.minutes !== null && current.durationMs > rule.minutes * 60_000) {
    return {
      kind: 'duration-anomaly',
      planId: plan.id,
      jobId: current.jobId,
      message: `The backup of "${plan.name}" took ${formatDuration(current.durationMs)}, longer than the ${formatDuration(rule.minutes * 60_000)} its alert rule allows. Check the database server's load, the network and the destination disk, or raise the limit in the plan's alert rules.`,
    };
  }
  if (rule.factor === null) return null;
  const usual = baseline(current, previous, (r) => r.durationMs);
  if (!usual) return null;
  if (current.durationMs <= usual.median * rule.factor) return null;
  if (current.durationMs - usual.median < ALERT_LIMITS.durationMinExtraMs) return null;
  return {
    kind: 'duration-anomaly',
    planId: plan.id,
    jobId: current.jobId,
    message: `The backup of "${plan.name}" took ${formatDuration(current.durationMs)}, ${formatFactor(current.durationMs / usual.median)} its usual ${formatDuration(usual.median)}. Check the database server's load, the network and the destination disk.`,
  };
}

export interface DiskUsage {
  freeBytes: number;
  totalBytes: number;
}

/**
 * Low disk space at the destination: less than `rule.percent` % (default 10) or less than
 * `rule.bytes` (default 1 GB) free; a null limit is not checked.
 */
export function lowDiskAlert(
  plan: PlanRef,
  destination: string,
  usage: DiskUsage,
  jobId: string | null = null,
  rule: { percent: number | null; bytes: number | null } = { percent: ALERT_LIMITS.lowDiskFraction * 100, bytes: ALERT_LIMITS.lowDiskBytes },
): AlertDraft | null {
  const fraction = usage.totalBytes > 0 ? usage.freeBytes / usage.totalBytes : 0;
  const lowShare = rule.percent !== null && fraction < rule.percent / 100;
  const lowBytes = rule.bytes !== null && usage.freeBytes < rule.bytes;
  if (!lowShare && !lowBytes) return null;
  return {
    kind: 'low-disk',
    planId: plan.id,
    jobId,
    message: `Only ${formatBytes(usage.freeBytes)} (${Math.floor(fraction * 100)}%) is free at the destination of "${plan.name}" (${destination}). Free some space, keep fewer backups, or choose another destination before the next run fails.`,
  };
}

/**
 * How often a schedule runs, roughly: daily 24 h; weekly the longest gap between its days
 * (7 d for one day a week); monthly 31 d; every N hours N h; cron 24 h (the scheduler may pass
 * the real interval instead). Null for manual plans, which are never overdue.
 */
export function scheduleIntervalMs(schedule: Schedule): number | null {
  switch (schedule.kind) {
    case 'manual':
      return null;
    case 'daily':
      return DAY;
    case 'weekly': {
      const days = [...new Set(schedule.days)].sort((a, b) => a - b);
      if (days.length === 0) return 7 * DAY;
      let gap = 0;
      for (let i = 0; i < days.length; i++) {
        const next = i + 1 < days.length ? days[i + 1] : days[0] + 7;
        gap = Math.max(gap, next - days[i]);
      }
      return gap * DAY;
    }
    case 'monthly':
      return 31 * DAY;
    case 'hourly':
      return schedule.everyHours * HOUR;
    case 'cron':
      return DAY;
  }
}

export type OverdueCandidate = Pick<Plan, 'id' | 'name' | 'enabled' | 'schedule' | 'createdAt'> & { alerts?: Pick<AlertRules, 'overdue'> };

export interface OverduePlan {
  planId: string;
  planName: string;
  /** newest successful backup, or null if there never was one */
  lastSuccessAt: string | null;
  /** 2x the schedule's interval, or the interval plus the plan's grace minutes */
  windowMs: number;
  /** how long since the last success (or since the plan was created) */
  sinceMs: number;
  message: string;
}

/**
 * Plans that have not succeeded within their expected window: enabled, scheduled, with the
 * overdue rule on, and whose last success (or creation, if none) is older than 2x the schedule's
 * interval (or the interval plus the rule's grace minutes). The scheduler calls
 * this periodically; `intervalMs` overrides the estimate of `scheduleIntervalMs` per plan.
 */
export function overduePlans(
  plans: readonly OverdueCandidate[],
  lastSuccessByPlan: ReadonlyMap<string, Date>,
  now: Date,
  options: { intervalMs?: (plan: OverdueCandidate) => number | null; factor?: number } = {},
): OverduePlan[] {
  const factor = options.factor ?? ALERT_LIMITS.overdueFactor;
  const overdue: OverduePlan[] = [];
  for (const plan of plans) {
    if (!plan.enabled) continue;
    const rule = plan.alerts?.overdue ?? DEFAULT_ALERT_RULES.overdue;
    if (!rule.enabled) continue;
    const interval = options.intervalMs?.(plan) ?? scheduleIntervalMs(plan.schedule);
    if (interval === null || interval <= 0) continue;
    const lastSuccess = lastSuccessByPlan.get(plan.id) ?? null;
    const reference = lastSuccess ?? new Date(plan.createdAt);
    const windowMs = rule.graceMinutes !== null ? interval + rule.graceMinutes * 60_000 : interval * factor;
    const sinceMs = now.getTime() - reference.getTime();
    if (sinceMs <= windowMs) continue;
    const message = lastSuccess
      ? `"${plan.name}" has not backed up successfully for ${formatDuration(sinceMs)} (last success ${formatDateTime(lastSuccess)}; expected at least every ${formatDuration(windowMs)}). Check that Lifeboat is running and not paused, and that the plan's runs succeed.`
      : `"${plan.name}" has never backed up successfully in the ${formatDuration(sinceMs)} since it was created (expected within ${formatDuration(windowMs)}). Check that Lifeboat is running and not paused, and that the plan's runs succeed.`;
    overdue.push({
      planId: plan.id,
      planName: plan.name,
      lastSuccessAt: lastSuccess ? lastSuccess.toISOString() : null,
      windowMs,
      sinceMs,
      message,
    });
  }
  return overdue;
}

/**
 * The alerts a finished backup run raises from its plan's history (newest first, current
 * included), as the plan's alert rules say (default: today's limits, every rule on).
 */
export function runAlerts(plan: PlanRef, current: BackupRun, history: readonly BackupRun[], rules: AlertRules = DEFAULT_ALERT_RULES): AlertDraft[] {
  return [
    rules.consecutiveFailures.enabled ? consecutiveFailuresAlert(plan, history, rules.consecutiveFailures.count) : null,
    rules.sizeChange.enabled ? sizeAnomalyAlert(plan, current, history, rules.sizeChange.factor) : null,
    rules.duration.enabled ? durationAnomalyAlert(plan, current, history, rules.duration) : null,
  ].filter((a): a is AlertDraft => a !== null);
}
