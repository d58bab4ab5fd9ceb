/**
 * The one way Lifeboat writes sizes, durations, dates and relative times, for the screens, the
 * engine's messages and alerts, notifications and the CLI alike: the same backup is the same
 * "304 KB" everywhere. Pure (Intl only): no node, no DOM.
 *
 * Sizes are decimal (1 KB = 1000 bytes), as file managers show them and as `parseByteSize`
 * (size.ts) reads "50MB" back.
 */

const SIZE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 1536 -> "1.5 KB", 304_000 -> "304 KB"; null/undefined/NaN -> "—" (not known yet). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  // 999.95 KB would print as "1000 KB": carry it into the next unit
  if (unit > 0 && value >= 999.5 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 ? Math.round(value).toString() : value.toFixed(value < 10 ? 1 : 0);
  return `${sign}${digits} ${SIZE_UNITS[unit]}`;
}

/** bytes per second -> "35 MB/s"; 0 or unknown -> "—". */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (!bytesPerSecond || !Number.isFinite(bytesPerSecond)) return '—';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/**
 * 350 -> "350 ms", 95_000 -> "1 min 35 s", 26 h -> "1 d 2 h"; null -> "—". Never "0 s": a job
 * that took 200 ms says so.
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** A ratio against the usual: 2.04 -> "2.0x", 0.004 -> "0.4 %" (never "0.0x"). */
export function formatFactor(ratio: number): string {
  if (!Number.isFinite(ratio)) return '—';
  if (ratio >= 1) return `${ratio >= 10 ? Math.round(ratio) : ratio.toFixed(1)}x`;
  const percent = ratio * 100;
  const digits = percent >= 10 ? 0 : percent >= 1 ? 1 : 2;
  return `${Number(percent.toFixed(digits))} %`;
}

function toDate(value: string | Date | number): Date | null {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
function dateTimeFormat(options: Intl.DateTimeFormatOptions, locale?: string): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let format = dateTimeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    dateTimeFormats.set(key, format);
  }
  return format;
}

export interface DateFormatOptions {
  locale?: string;
  /** IANA zone; the process's own when absent */
  timeZone?: string;
}

/** "Jun 3, 2025, 2:00 AM" (the locale's medium date, short time); null -> "—"; unreadable -> as given. */
export function formatDateTime(value: string | Date | null | undefined, options: DateFormatOptions = {}): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = toDate(value);
  if (!date) return String(value);
  return dateTimeFormat({ dateStyle: 'medium', timeStyle: 'short', timeZone: options.timeZone }, options.locale).format(date);
}

/** For table cells: "Jun 3, 2:00 AM", the year only when it is not the year of `now`. */
export function formatShortDateTime(value: string | Date | null | undefined, now: Date = new Date(), options: DateFormatOptions = {}): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = toDate(value);
  if (!date) return String(value);
  if (date.getFullYear() !== now.getFullYear()) return formatDateTime(date, options);
  return dateTimeFormat({ month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZone: options.timeZone }, options.locale).format(date);
}

const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.35],
  ['month', 12],
  ['year', Infinity],
];

/**
 * "in 5 minutes", "3 hours ago", "yesterday", "now" (Intl.RelativeTimeFormat, numeric auto),
 * in the largest unit that fits. null -> "—".
 */
export function formatRelativeTime(value: string | Date | null | undefined, now: Date = new Date(), locale?: string): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = toDate(value);
  if (!date) return String(value);
  let amount = (date.getTime() - now.getTime()) / 1000;
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  // under 10 seconds either way is "now": a countdown of seconds only flickers
  if (Math.abs(amount) < 10) return format.format(0, 'second');
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(amount) < size || unit === 'year') return format.format(Math.round(amount), unit);
    amount /= size;
  }
  return format.format(Math.round(amount), 'year');
}

/**
 * A moment in the past as a person says it after "since": "14:05" today, "yesterday", "Tuesday"
 * within the week, else the date ("Jun 3", with the year when it is not this year's).
 */
export function formatSince(value: string | Date, now: Date = new Date(), options: DateFormatOptions = {}): string {
  const date = toDate(value);
  if (!date) return String(value);
  const dayStart = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((dayStart(now) - dayStart(date)) / 86_400_000);
  if (days <= 0) return dateTimeFormat({ hour: 'numeric', minute: '2-digit', timeZone: options.timeZone }, options.locale).format(date);
  if (days === 1) return new Intl.RelativeTimeFormat(options.locale, { numeric: 'auto' }).format(-1, 'day');
  if (days < 7) return dateTimeFormat({ weekday: 'long', timeZone: options.timeZone }, options.locale).format(date);
  return dateTimeFormat(
    date.getFullYear() === now.getFullYear()
      ? { month: 'short', day: 'numeric', timeZone: options.timeZone }
      : { year: 'numeric', month: 'short', day: 'numeric', timeZone: options.timeZone },
    options.locale,
  ).format(date);
}

/** The last part of a path, for either separator: "/mnt/b/nightly.lifeboat" -> "nightly.lifeboat". */
export function fileNameOf(p: string): string {
  const trimmed = p.replace(/[\\/]+$/, '');
  return trimmed.slice(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1) || p;
}
