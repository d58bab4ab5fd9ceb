/**
 * The Dashboard's backup statistics, aggregated by SQLite over the whole catalog: a few rows come
 * back, however long the history is.
 *
 * Instants compare as text: started_at and created_at are ISO-8601 UTC as `Date#toISOString`
 * writes them (as jobs/list's from/to filters assume too), so the bounds below are written the
 * same way.
 */
import { DateTime } from 'luxon';
import type { DayStats, JobStats, StorageUsed, SuccessRate } from '../../../shared/stats';
import { resolveTimeZone } from '../scheduler/next-run';
import type { CatalogDb } from './catalog';

const DAY_MS = 86_400_000;

/** A local calendar day as the half-open range of instants [start, end). */
export interface LocalDay {
  /** YYYY-MM-DD in the zone */
  day: string;
  /** ISO-8601 UTC */
  start: string;
  end: string;
}

/**
 * The last `days` local calendar days of `timeZone` up to the one holding `now` (included),
 * oldest first. Calendar arithmetic, not multiples of 24 hours: a DST day is 23 or 25 hours
 * long, and where midnight does not exist a day starts at its first instant.
 *
 * @throws AppError VALIDATION when `timeZone` is not an IANA zone luxon knows
 */
export function lastLocalDays(now: Date, timeZone: string, days: number): LocalDay[] {
  const zone = resolveTimeZone(timeZone);
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  const bounds = Array.from({ length: days + 1 }, (_, i) => today.plus({ days: i - days + 1 }).startOf('day'));
  return bounds.slice(0, -1).map((start, i) => ({
    day: start.toISODate()!,
    start: start.toJSDate().toISOString(),
    end: bounds[i + 1].toJSDate().toISOString(),
  }));
}

/** What the figures are computed for: `now` comes from the core's clock, the zone from the renderer. */
export interface JobStatsQuery {
  now: Date;
  timeZone: string;
  days: number;
}

/** Aggregates the catalog's backup jobs into the Dashboard's figures (JobStats). */
export class JobStatsRepo {
  constructor(private readonly db: CatalogDb) {}

  /**
   * Every figure of the Dashboard, read in one transaction so that they agree with each other.
   *
   * @throws AppError VALIDATION when `timeZone` is not an IANA zone luxon knows
   */
  stats({ now, timeZone, days }: JobStatsQuery): JobStats {
    const localDays = lastLocalDays(now, timeZone, days);
    const rollingFrom = new Date(now.getTime() - days * DAY_MS).toISOString();
    return this.db.transaction(() => ({
      successRate: this.successRate(rollingFrom),
      storageUsed: this.storageUsed(),
      lastProvenByPlan: this.lastProvenByPlan(),
      daily: this.daily(localDays),
    }))();
  }

  /** Share of the backups started since `from` that succeeded, of those that finished; a cancel does not count. */
  successRate(from: string): SuccessRate {
    const { succeeded, counted } = this.db
      .prepare(
        `SELECT COALESCE(SUM(status = 'success'), 0) AS succeeded,
                COALESCE(SUM(status IN ('success', 'failed', 'partial', 'interrupted')), 0) AS counted
           FROM jobs
          WHERE kind = 'backup' AND started_at >= ?`,
      )
      .get(from) as { succeeded: number; counted: number };
    return { rate: counted ? succeeded / counted : null, succeeded, counted };
  }

  /** Sum of the sizes of the backups whose file is still on disk (retention clears the path). */
  storageUsed(): StorageUsed {
    return this.db
      .prepare(
        `SELECT COALESCE(SUM(size_bytes), 0) AS bytes, COUNT(*) AS backups
           FROM jobs
          WHERE kind = 'backup' AND status IN ('success', 'partial') AND file_path IS NOT NULL AND file_path <> ''`,
      )
      .get() as StorageUsed;
  }

  /**
   * Per plan, the newest restore drill that passed over its successful and partial backups (the
   * provenAt of jobs-repo, folded per plan); plans never proven are absent.
   */
  lastProvenByPlan(): Record<string, string> {
    const rows = this.db
      .prepare(
        `SELECT j.plan_id AS planId, MAX(v.created_at) AS provenAt
           FROM jobs j
           JOIN verifications v ON v.backup_job_id = j.id AND v.drill = 1 AND v.status = 'passed'
          WHERE j.kind = 'backup' AND j.status IN ('success', 'partial') AND j.plan_id IS NOT NULL AND j.plan_id <> ''
          GROUP BY j.plan_id`,
      )
      .all() as { planId: string; provenAt: string }[];
    return Object.fromEntries(rows.map((r) => [r.planId, r.provenAt]));
  }

  /**
   * Per local day, the successful backups started in it and their average size and duration;
   * AVG skips unknown sizes and durations and is null on a day without any.
   */
  daily(days: readonly LocalDay[]): DayStats[] {
    return this.db
      .prepare(
        `WITH days(day, start_at, end_at) AS (
           SELECT json_extract(value, '$.day'), json_extract(value, '$.start'), json_extract(value, '$.end')
             FROM json_each(?)
         )
         SELECT days.day AS day,
                COUNT(j.id) AS runs,
                AVG(j.size_bytes) AS avgSizeBytes,
                AVG(j.duration_ms) AS avgDurationMs
           FROM days
           LEFT JOIN jobs j
             ON j.kind = 'backup' AND j.status = 'success' AND j.started_at >= days.start_at AND j.started_at < days.end_at
          GROUP BY days.day
          ORDER BY days.day`,
      )
      .all(JSON.stringify(days)) as DayStats[];
  }
}
