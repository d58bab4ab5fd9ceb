/** How run times read on the plan editor and the dashboard: in a plan's zone, and relative to now. */
import { ERROR_MESSAGES } from '../../../shared/errors';
import { formatRelativeTime } from '../../../shared/format';
import type { UiError } from './errors';

const formatters = new Map<string, Intl.DateTimeFormat | null>();

function zoneFormatter(timeZone: string): Intl.DateTimeFormat | null {
  if (!formatters.has(timeZone)) {
    let formatter: Intl.DateTimeFormat | null = null;
    try {
      formatter = new Intl.DateTimeFormat(undefined, {
        timeZone,
        weekday: 'short',
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'short',
      });
    } catch {
      formatter = null; // not a zone this engine knows; main's answer decides
    }
    formatters.set(timeZone, formatter);
  }
  return formatters.get(timeZone) ?? null;
}

/** "Wed, Jan 14, 2026, 03:30 GMT+9": the wall time in `timeZone`, with the zone's name. */
export function formatInZone(iso: string, timeZone: string): string {
  const date = new Date(iso);
  return (zoneFormatter(timeZone) ?? zoneFormatter('UTC'))?.format(date) ?? iso;
}

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

const localShort = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** "Tue 18:30": the same instant on this computer's clock. */
export function formatLocalShort(iso: string): string {
  return localShort.format(new Date(iso));
}

/** "in 3 hours", "in 2 days", "5 minutes ago". */
export function formatRelative(iso: string, now: Date = new Date()): string {
  // the app's one relative-time formatter (src/shared/format.ts)
  return formatRelativeTime(iso, now);
}

/**
 * The specific part of a VALIDATION error from main ("cron expression …: … Use 5 fields …"),
 * without the generic first sentence: next to a field, the detail is what tells the fix.
 */
export function validationDetail(error: UiError): string {
  const prefix = `${ERROR_MESSAGES.VALIDATION} (`;
  if (error.code === 'VALIDATION' && error.message.startsWith(prefix) && error.message.endsWith(')')) {
    const detail = error.message.slice(prefix.length, -1);
    return detail.charAt(0).toUpperCase() + detail.slice(1);
  }
  return error.message;
}
