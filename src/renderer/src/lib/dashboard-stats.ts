/**
 * The renderer's side of the dashboard's figures: main computes them over the catalog
 * ('jobs/stats'); the renderer says which time zone its days are in and labels the days.
 */
import type { DayStats } from '../../../shared/stats';

export { STATS_DAYS } from '../../../shared/stats';

/** A day of the series with its x-axis label. */
export interface DayPoint extends DayStats {
  /** the x-axis label, e.g. "Mar 4" */
  label: string;
}

/** The IANA zone the user sees times in; main cuts the series into this zone's calendar days. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

// the day key is already a calendar day: format it as one, in UTC, so no zone can shift it
const dayLabelFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** "2026-03-04" as the short label of the locale, e.g. "Mar 4". */
export function dayLabel(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return dayLabelFormat.format(new Date(Date.UTC(y, m - 1, d)));
}

/** The series as main returns it, each day with its x-axis label. */
export function labelDays(days: readonly DayStats[]): DayPoint[] {
  return days.map((point) => ({ ...point, label: dayLabel(point.day) }));
}
