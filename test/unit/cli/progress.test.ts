import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EMPTY_PROGRESS, type JobProgress } from '../../../src/shared/job';
import { createProgressPrinter, formatProgressLine, LINE_INTERVAL_MS, resolveProgressMode } from '../../../src/main/cli/progress';

const progress = (patch: Partial<JobProgress>): JobProgress => ({ ...EMPTY_PROGRESS, phase: 'dump', ...patch });

describe('resolveProgressMode', () => {
  it('auto is a redrawn line on a terminal and plain lines otherwise; --json means none unless --progress is given', () => {
    expect(resolveProgressMode(undefined, false, true)).toBe('tty');
    expect(resolveProgressMode(undefined, false, false)).toBe('lines');
    expect(resolveProgressMode('auto', false, false)).toBe('lines');
    expect(resolveProgressMode(undefined, true, true)).toBe('none');
    expect(resolveProgressMode(undefined, true, false)).toBe('none');
    expect(resolveProgressMode('lines', true, true)).toBe('lines');
    expect(resolveProgressMode('auto', true, true)).toBe('tty');
    expect(resolveProgressMode('none', false, true)).toBe('none');
    expect(resolveProgressMode('tty', false, false)).toBe('tty');
  });
});

describe('formatProgressLine', () => {
  it('names the phase, percent, bytes, rate and ETA, then the item, with no control characters', () => {
    const line = formatProgressLine(
      progress({ percent: 42.4, bytesDone: 1_200_000_000, bytesTotal: 2_900_000_000, rate: 35_000_000, etaSeconds: 48, currentItem: 'shop' }),
    );
    expect(line).toBe('progress: dump 42% 1.2 GB of 2.9 GB, 35 MB/s, ETA 48 s — shop');
    expect(formatProgressLine(progress({ phase: 'preflight' }))).toBe('progress: preflight 0%');
    expect(formatProgressLine(progress({ phase: 'files', bytesDone: 5000, currentItem: 'a\nb\rc' }))).toBe('progress: files 0% 5.0 KB — a?b?c');
  });
});

describe('createProgressPrinter', () => {
  let now = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    now = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const advance = (ms: number) => {
    now += ms;
    vi.advanceTimersByTime(ms);
  };

  it('lines: one line at each phase change and at most one every 5 s, the newest held back printed by then', () => {
    const lines: string[] = [];
    const printer = createProgressPrinter('lines', (text) => lines.push(text), () => now);
    printer.update(progress({ phase: 'preflight' }));
    advance(1000);
    printer.update(progress({ phase: 'dump', percent: 5, bytesDone: 1000 }));
    for (let i = 1; i <= 3; i++) {
      advance(1000);
      printer.update(progress({ phase: 'dump', percent: 5 + i, bytesDone: 1000 * (i + 1) }));
    }
    expect(lines).toEqual(['progress: preflight 0%', 'progress: dump 5% 1.0 KB']);
    // no more updates (a slow table): the newest one still shows 5 s after the last line
    advance(LINE_INTERVAL_MS - 3000 - 1);
    expect(lines).toHaveLength(2);
    advance(1);
    expect(lines.at(-1)).toBe('progress: dump 8% 4.0 KB');
    advance(LINE_INTERVAL_MS);
    printer.update(progress({ phase: 'dump', percent: 9, bytesDone: 5000 }));
    expect(lines.at(-1)).toBe('progress: dump 9% 5.0 KB');
    printer.update(progress({ phase: 'finalize', percent: 90, bytesDone: 5000 }));
    expect(lines.at(-1)).toBe('progress: finalize 90% 5.0 KB');
    // one held back when the job ends is dropped: the result follows
    advance(100);
    printer.update(progress({ phase: 'finalize', percent: 91, bytesDone: 5000 }));
    printer.end();
    advance(LINE_INTERVAL_MS * 2);
    expect(lines).toHaveLength(5);
    expect(lines.every((line) => !line.includes('\r'))).toBe(true);
  });

  it('tty: redraws one line at most once a second and clears it at the end', () => {
    const out: string[] = [];
    const printer = createProgressPrinter('tty', (text) => out.push(text), () => now);
    printer.update(progress({ percent: 10, bytesDone: 1000 }));
    advance(500);
    printer.update(progress({ percent: 11, bytesDone: 2000 }));
    advance(600);
    printer.update(progress({ percent: 12, bytesDone: 3000 }));
    printer.end();
    expect(out.map((s) => s.trimEnd())).toEqual(['\rdump 10% 1.0 KB', '\rdump 12% 3.0 KB', '']);
    expect(out[2]).toMatch(/^\r +\r$/);
  });

  it('none: prints nothing', () => {
    const out: string[] = [];
    const printer = createProgressPrinter('none', (text) => out.push(text), () => now);
    printer.update(progress({ phase: 'preflight' }));
    printer.update(progress({ phase: 'dump' }));
    printer.end();
    expect(out).toEqual([]);
  });
});
