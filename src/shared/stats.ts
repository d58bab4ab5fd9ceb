/**
 * The Dashboard's backup statistics as the `jobs/stats` channel returns them: computed in main
 * with SQL over the catalog, so the renderer never pages through the whole job history. Pure
 * types and constants: no node, no electron.
 */

/** The default window of the success rate and the daily series, in days. */
export const STATS_DAYS = 30;
/** The longest window a request may ask for: a year, leap day included. */
export const MAX_STATS_DAYS = 366;

export interface SuccessRate {
  /** 0..1, or null when nothing finished in the window */
  rate: number | null;
  succeeded: number;
  /** finished runs that count: success, failed, partial, interrupted (a user's cancel is no failure) */
  counted: number;
}

export interface StorageUsed {
  bytes: number;
  backups: number;
}

/** One local calendar day of the series. */
export interface DayStats {
  /** the day in the request's time zone, YYYY-MM-DD */
  day: string;
  /** successful backups started that day */
  runs: number;
  /** averages over the day's successful backups; null on days without one (or without a size/duration) */
  avgSizeBytes: number | null;
  avgDurationMs: number | null;
}

export interface JobStats {
  /**
   * Backups started in the last `days` × 24 hours (the rolling window, as instants: the same
   * however DST moved the clocks); cancelled runs are not counted.
   */
  successRate: SuccessRate;
  /** Backups (success or partial) whose file is still on disk: retention clears the path. */
  storageUsed: StorageUsed;
  /**
   * Per plan id, when a restore drill last proved one of its backups restorable (the newest passed
   * drill over its successful and partial backups); plans never proven are absent.
   */
  lastProvenByPlan: Record<string, string>;
  /**
   * One point per local calendar day of the last `days` days in the request's time zone, today
   * included, oldest first; days without a successful backup are included, with nulls, so that
   * the x-axis is a time line. A day is 23 or 25 hours long across a DST change.
   */
  daily: DayStats[];
}
