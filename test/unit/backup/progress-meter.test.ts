import { describe, expect, it } from 'vitest';
import type { JobProgress } from '../../../src/shared/job';
import { ETA_MIN_MS, ProgressMeter } from '../../../src/main/core/backup/progress';

/** A meter on a fake clock, with every report it made. */
function meter() {
  let now = 1_000_000;
  const reports: Partial<JobProgress>[] = [];
  const m = new ProgressMeter({ progress: (p) => reports.push(p) }, () => now);
  return {
    m,
    reports,
    last: () => reports.at(-1)!,
    /** advances the clock by `ms`, streaming `bytesPerSecond` in 100 ms steps */
    stream(ms: number, bytesPerSecond: number) {
      for (let t = 0; t < ms; t += 100) {
        now += 100;
        m.bytes(bytesPerSecond / 10);
      }
    },
  };
}

describe('ProgressMeter ETA', () => {
  it('gives no ETA in the first seconds of the dump, however fast they are', () => {
    const { m, last, stream } = meter();
    m.addTotals(100_000_000, 0);
    m.phase('dump', 'shop');
    stream(ETA_MIN_MS - 500, 10_000_000);
    expect(last().bytesDone).toBeGreaterThan(40_000_000);
    expect(last().etaSeconds).toBeNull();
    stream(1000, 10_000_000);
    expect(last().etaSeconds).not.toBeNull();
  });

  it('gives no ETA before 2 % of the bytes were streamed, however long it takes', () => {
    const { m, last, stream } = meter();
    m.addTotals(1_000_000_000, 0);
    m.phase('dump', 'shop');
    // 1 MB/s: 2 % (20 MB) takes 20 s
    stream(15_000, 1_000_000);
    expect(last().etaSeconds).toBeNull();
    stream(6000, 1_000_000);
    // about 979 MB left at 1 MB/s
    expect(last().etaSeconds).toBeGreaterThan(900);
    expect(last().etaSeconds).toBeLessThan(1050);
  });

  it('does not start with a wild ETA after a slow first second', () => {
    const { m, reports, stream } = meter();
    m.addTotals(600_000_000, 0);
    m.phase('dump', 'shop');
    // pg_dump warms up: 10 KB in the first second (16 h at that rate), then 20 MB/s
    stream(1000, 10_000);
    stream(9000, 20_000_000);
    const etas = reports.map((r) => r.etaSeconds).filter((e): e is number => e !== null && e !== undefined);
    expect(etas.length).toBeGreaterThan(0);
    // 600 MB at 20 MB/s is 30 s from the start; nothing shown may be far off it
    expect(Math.max(...etas)).toBeLessThan(60);
  });

  it('smooths the ETA: a burst moves it gradually, a steady rate counts it down', () => {
    const { m, last, stream } = meter();
    m.addTotals(1_000_000_000, 0);
    m.phase('files', '/srv');
    stream(10_000, 5_000_000);
    const steady = last().etaSeconds!;
    // about 950 MB left at 5 MB/s
    expect(steady).toBeGreaterThan(170);
    expect(steady).toBeLessThan(210);
    stream(2000, 5_000_000);
    expect(last().etaSeconds!).toBeLessThan(steady);
    expect(last().etaSeconds!).toBeGreaterThan(steady - 4);
    // ten times faster for one second: the raw estimate falls to a fraction, the shown one less
    const before = last().etaSeconds!;
    stream(1000, 50_000_000);
    const raw = (1_000_000_000 - last().bytesDone!) / last().rate!;
    expect(last().etaSeconds!).toBeLessThan(before);
    expect(last().etaSeconds!).toBeGreaterThan(raw + 20);
  });

  it('has no ETA outside the streaming phases, and none again at once when it returns to them', () => {
    const { m, last, stream } = meter();
    m.phase('preflight');
    expect(last().etaSeconds).toBeNull();
    m.addTotals(100_000_000, 0);
    m.phase('dump', 'shop');
    stream(6000, 1_000_000);
    expect(last().etaSeconds).not.toBeNull();
    // a folder after the database: the same byte total, so the ETA carries on
    m.phase('files', '/srv');
    stream(100, 1_000_000);
    expect(last().etaSeconds).not.toBeNull();
    m.phase('finalize');
    expect(last().etaSeconds).toBeNull();
    expect(last().percent).toBe(90);
  });
});
