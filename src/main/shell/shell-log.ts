/**
 * The app's own log file, `<data folder>/logs/main.log`: what the shell did that a user or a
 * bug report may need (update checks, quit decisions, errors of the main process). Help > Open
 * Logs Folder and Settings open its folder. Job history stays in the catalog (`lifeboat logs`).
 */
import fs from 'node:fs';
import path from 'node:path';

export const LOG_FILE = 'main.log';
/** Past this size the log is renamed main.old.log (one generation kept) and a new one begun. */
export const MAX_LOG_BYTES = 2 * 1024 * 1024;

export type LogLevel = 'info' | 'warn' | 'error';

export interface ShellLog {
  readonly dir: string;
  write(level: LogLevel, message: string): void;
}

/** The logs folder of a data folder. */
export function logsDir(dataDir: string): string {
  return path.join(dataDir, 'logs');
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.stack ?? value.message;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** One line per entry, newlines inside a message indented so that entries stay apart. */
export function formatLogLine(at: Date, level: LogLevel, parts: readonly unknown[]): string {
  return `${at.toISOString()} ${level.toUpperCase().padEnd(5)} ${parts.map(describe).join(' ').replace(/\n/g, '\n    ')}\n`;
}

/**
 * A log that appends synchronously (few lines, and a line written just before a crash must
 * land). Never throws: a full or read-only disk must not take the app down with it.
 */
export function createShellLog(dir: string, now: () => Date = () => new Date()): ShellLog {
  const file = path.join(dir, LOG_FILE);
  return {
    dir,
    write(level, message) {
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
        if (size > MAX_LOG_BYTES) fs.renameSync(file, path.join(dir, 'main.old.log'));
        fs.appendFileSync(file, formatLogLine(now(), level, [message]), { mode: 0o600 });
      } catch {
        // nowhere left to report it
      }
    },
  };
}

/** Sends console.warn / console.error to the log as well as to the terminal. */
export function teeConsole(log: ShellLog): void {
  for (const level of ['warn', 'error'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      original(...args);
      log.write(level, args.map(describe).join(' '));
    };
  }
}
