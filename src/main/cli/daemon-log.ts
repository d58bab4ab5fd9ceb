/**
 * The daemon's log: one line per event on stdout, for journald (which stamps the time itself) or
 * any log collector.
 *
 *   text: `<level> <event> key=value key="a value with spaces" ...`
 *         values with spaces, quotes, `=` or control characters (or empty) are JSON-quoted
 *   json: `{"time":"<ISO>","level":"info","event":"job.finished","key":value,...}`
 *
 * Fields whose value is null or undefined are left out.
 */

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

const BARE_VALUE = /^[^\s"=\\\p{Cc}]+$/u;

function textValue(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  return BARE_VALUE.test(value) ? value : JSON.stringify(value);
}

/** One log line (without the line feed). */
export function formatLogLine(format: LogFormat, level: LogLevel, event: string, fields: LogFields, now: Date): string {
  const present = Object.entries(fields).filter((entry): entry is [string, string | number | boolean] => entry[1] !== null && entry[1] !== undefined);
  if (format === 'json') return JSON.stringify({ time: now.toISOString(), level, event, ...Object.fromEntries(present) });
  return [level, event, ...present.map(([key, value]) => `${key}=${textValue(value)}`)].join(' ');
}

export type Logger = (level: LogLevel, event: string, fields?: LogFields) => void;

/** A logger writing each line through `write` (stdout in the daemon). */
export function createLogger(format: LogFormat, write: (line: string) => void, now: () => Date = () => new Date()): Logger {
  return (level, event, fields = {}) => {
    try {
      write(formatLogLine(format, level, event, fields, now()));
    } catch {
      // a closed stdout must not stop the daemon
    }
  };
}
