/**
 * The dashboard's figures, computed from backup jobs as 'jobs/list' returns them. Pure: the
 * screen fetches, these functions count.
 */
import type { JobSummary } from '../../../shared/job';

const DAY_MS = 86_400_000;

/** The window of the success rate and the charts. */
export const STATS_DAYS = 30;

export interface SuccessRate {
  /** 0..1, or null when nothing finished in the window */
  rate: number | null;
  succeeded: number;
  /** finished runs that count: success, failed, partial, interrupted (a user's cancel is no failure) */
  counted: number;
}

/** Share of backup runs that succeeded, of those that finished; cancelled runs do not count. */
export function successRate(jobs: readonly JobSummary[]): SuccessRate {
  let succeeded = 0;
  let counted = 0;
  for (const job of jobs) {
    if (job.kind !== 'backup') continue;
    if (job.status === 'success') succeeded++;
    if (['success', 'failed', 'partial', 'interrupted'].includes(job.status)) counted++;
  }
  return { rate: counted ? succeeded / counted : null, succeeded, counted };
}

export interface StorageUsed {
  bytes: number;
  backups: number;
}

/** Sum of the sizes of backups whose file is still on disk (retention clears the path). */
export function storageUsed(jobs: readonly JobSummary[]): StorageUsed {
  let bytes = 0;
  let backups = 0;
  for (const job of jobs) {
    if (job.kind !== 'backup' || !job.filePath || (job.status !== 'success' && job.status !== 'partial')) continue;
    bytes += job.sizeBytes ?? 0;
    backups++;
  }
  return { bytes, backups };
}

/**
 * Per plan, when a restore drill last proved one of its backups restorable (the newest passed
 * drill over all its backups); plans never proven are absent.
 */
export function lastProvenByPlan(jobs: readonly JobSummary[]): Record<string, string> {
  const proven: Record<string, string> = {};
  for (const job of jobs) {
    if (job.kind !== 'backup' || !job.planId || !job.provenAt) continue;
    const seen = proven[job.planId];
    if (!seen || Date.parse(job.provenAt) > Date.parse(seen)) proven[job.planId] = job.provenAt;
  }
  return proven;
}

export interface DayPoint {
  /** local calendar day, YYYY-MM-DD */
  day: string;
  /** the x-axis label, e.g. "Mar 4" */
  label: string;
  runs: number;
  /** averages over the day's successful backups; null on days without one */
  avgSizeBytes: number | null;
  avgDurationMs: number | null;
}

function localDayKey(date: Date): string {
  const y = date.getFullYear();
  const m = String(date.getMonth() + 1).padStart(2, '0');
  const d = String(date.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/**
 * One point per local day of the last `days` days (today included), oldest first: the average
 * size and duration of that day's successful backups. Days without one stay in the series, with
 * nulls, so that the x-axis is a time line.
 */
export function dailySeries(jobs: readonly JobSummary[], now: Date, days = STATS_DAYS): DayPoint[] {
  const sums = new Map<string, { runs: number; size: number; sized: number; duration: number; timed: number }>();
  for (const job of jobs) {
    if (job.kind !== 'backup' || job.status !== 'success') continue;
    const key = localDayKey(new Date(job.startedAt));
    const sum = sums.get(key) ?? { runs: 0, size: 0, sized: 0, duration: 0, timed: 0 };
    sum.runs++;
    if (job.sizeBytes !== null) {
      sum.size += job.sizeBytes;
      sum.sized++;
    }
    if (job.durationMs !== null) {
      sum.duration += job.durationMs;
      sum.timed++;
    }
    sums.set(key, sum);
  }
  const points: DayPoint[] = [];
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  for (let i = days - 1; i >= 0; i--) {
    // calendar arithmetic, not i * 24 h: a DST day is 23 or 25 hours long
    const date = new Date(today.getFullYear(), today.getMonth(), today.getDate() - i);
    const key = localDayKey(date);
    const sum = sums.get(key);
    points.push({
      day: key,
      label: dayLabel.format(date),
      runs: sum?.runs ?? 0,
      avgSizeBytes: sum && sum.sized ? sum.size / sum.sized : null,
      avgDurationMs: sum && sum.timed ? sum.duration / sum.timed : null,
    });
  }
  return points;
}

/** The ISO instant `days` days before `now`, the lower bound of the stats window. */
export function windowStart(now: Date, days = STATS_DAYS): string {
  return new Date(now.getTime() - days * DAY_MS).toISOString();
}
