/** Display formatting shared by the screens; every function accepts null for "not known yet". */

// sizes, durations and dates are written one way across the app (screens, engine messages,
// notifications, CLI): src/shared/format.ts
export { fileNameOf, formatBytes, formatDateTime, formatDuration, formatRate, formatRelativeTime, formatSince } from '../../../shared/format';
import { formatDuration, formatShortDateTime as sharedShortDateTime } from '../../../shared/format';

export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  return formatDuration(seconds * 1000);
}

/** For table cells: the year only when it is not this year. */
export function formatShortDateTime(iso: string | null | undefined): string {
  return sharedShortDateTime(iso);
}

export function formatPercent(percent: number | null | undefined): string {
  if (percent === null || percent === undefined) return '—';
  return `${Math.max(0, Math.min(100, percent)).toFixed(0)}%`;
}

/** "a few words" for enum-ish values such as `catch-up` or `verify-ca`. */
export function humanize(value: string): string {
  return value.replace(/-/g, ' ');
}
