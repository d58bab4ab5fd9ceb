/**
 * A job's progress on stderr, as `--progress` asks: `tty` redraws one line on a terminal, `lines`
 * prints plain lines a log keeps (journald, cron mail, CI), `none` nothing; `auto` is tty when
 * stderr is a terminal and lines otherwise.
 */
import type { JobProgress } from '../../shared/job';
import { formatBytes, formatDuration } from './format';

export const PROGRESS_MODES = ['auto', 'tty', 'lines', 'none'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** `lines`: at most one line this often, and one at each phase change. */
export const LINE_INTERVAL_MS = 5000;
/** `tty`: the line is redrawn at most this often. */
const TTY_INTERVAL_MS = 1000;
const TTY_WIDTH = 70;

/**
 * What to show: `--progress` when given; without it none under --json (its stdout is for a
 * program, and so, usually, is the rest), else auto.
 */
export function resolveProgressMode(given: ProgressMode | undefined, json: boolean, stderrIsTty: boolean): Exclude<ProgressMode, 'auto'> {
  const mode = given ?? (json ? 'none' : 'auto');
  if (mode === 'auto') return stderrIsTty ? 'tty' : 'lines';
  return mode;
}

/** "dump 42% 1.2 GB of 2.9 GB, 35.0 MB/s, ETA 48 s"; no bytes while there are none to count ("preflight 0%"). */
export function formatProgress(p: JobProgress): string {
  const bytes = p.bytesTotal
    ? ` ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`
    : p.bytesDone > 0
      ? ` ${formatBytes(p.bytesDone)}`
      : '';
  const rate = p.rate > 0 ? `, ${formatBytes(p.rate)}/s` : '';
  const eta = p.etaSeconds !== null ? `, ETA ${formatDuration(p.etaSeconds * 1000)}` : '';
  return `${p.phase} ${p.percent.toFixed(0)}%${bytes}${rate}${eta}`;
}

/** A line for a log: the progress, then what it is working on (no control characters from a file name). */
export function formatProgressLine(p: JobProgress): string {
  const item = p.currentItem ? ` — ${p.currentItem.replace(/[\u0000-\u001f\u007f]/g, '?')}` : '';
  return `progress: ${formatProgress(p)}${item}`;
}

export interface ProgressPrinter {
  update(progress: JobProgress): void;
  /** The job ended: clears a tty line, drops a line not printed yet. */
  end(): void;
}

/** Prints a job's progress updates to `err` in `mode`; `now` is the clock in ms (tests pass a fake one). */
export function createProgressPrinter(
  mode: Exclude<ProgressMode, 'auto'>,
  err: (text: string) => void,
  now: () => number = Date.now,
): ProgressPrinter {
  if (mode === 'none') return { update() {}, end() {} };
  if (mode === 'tty') {
    let last = -Infinity;
    let drawn = false;
    return {
      update(p) {
        const t = now();
        if (t - last < TTY_INTERVAL_MS) return;
        last = t;
        drawn = true;
        err(`\r${formatProgress(p)}`.padEnd(TTY_WIDTH));
      },
      end() {
        if (drawn) err('\r'.padEnd(TTY_WIDTH + 1) + '\r');
      },
    };
  }
  // lines: the state at most LINE_INTERVAL_MS old is always printed, even when updates stop
  // arriving (a long table, a slow server), by a timer for the newest one held back
  let lastAt = -Infinity;
  let lastPhase: string | null = null;
  let held: JobProgress | null = null;
  let timer: NodeJS.Timeout | null = null;
  const print = (p: JobProgress) => {
    lastAt = now();
    lastPhase = p.phase;
    held = null;
    err(formatProgressLine(p));
  };
  return {
    update(p) {
      if (p.phase !== lastPhase || now() - lastAt >= LINE_INTERVAL_MS) {
        if (timer) clearTimeout(timer);
        timer = null;
        print(p);
        return;
      }
      held = p;
      if (!timer) {
        timer = setTimeout(() => {
          timer = null;
          if (held) print(held);
        }, lastAt + LINE_INTERVAL_MS - now());
        timer.unref();
      }
    },
    end() {
      if (timer) clearTimeout(timer);
      timer = null;
      held = null;
    },
  };
}
