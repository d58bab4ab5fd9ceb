import { describe, expect, it } from 'vitest';
import {
  ALERT_LIMITS,
  consecutiveFailuresAlert,
  durationAnomalyAlert,
  lowDiskAlert,
  median,
  overduePlans,
  runAlerts,
  scheduleIntervalMs,
  sizeAnomalyAlert,
  type BackupRun,
  type OverdueCandidate,
} from '../../../src/main/core/notify/alerts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const plan = { id: 'p1', name: 'Nightly' };

let seq = 0;
/** A finished run; `ago` hours before a fixed instant, so that lists read newest first. */
function run(over: Partial<BackupRun> & { ago?: number } = {}): BackupRun {
  const { ago = seq, ...rest } = over;
  seq++;
  return {
    jobId: `job-${seq}`,
    status: 'success',
    backupType: 'full',
    startedAt: new Date(Date.UTC(2026, 0, 31) - ago * HOUR).toISOString(),
    durationMs: 120_000,
    sizeBytes: 1_000_000,
    ...rest,
  };
}

/** `n` successful runs with the given size and duration, newest first. */
function usual(n: number, sizeBytes = 1_000_000, durationMs = 120_000, backupType: BackupRun['backupType'] = 'full'): BackupRun[] {
  return Array.from({ length: n }, (_, i) => run({ sizeBytes, durationMs, backupType, ago: 10 + i }));
}

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('consecutive failures', () => {
  it('does not fire for a single failure', () => {
    expect(consecutiveFailuresAlert(plan, [run({ status: 'failed' }), run()])).toBeNull();
  });

  it('fires at two failed runs in a row, naming the count and the plan', () => {
    const newest = run({ status: 'failed', ago: 0 });
    const alert = consecutiveFailuresAlert(plan, [newest, run({ status: 'failed', ago: 1 }), run({ ago: 2 })]);
    expect(alert).toMatchObject({ kind: 'consecutive-failures', planId: 'p1', jobId: newest.jobId });
    expect(alert!.message).toContain('"Nightly" has failed 2 runs in a row');
  });

  it('counts partial and interrupted runs as failures and skips cancelled ones', () => {
    const runs = [run({ status: 'partial' }), run({ status: 'cancelled' }), run({ status: 'interrupted' }), run({ status: 'failed' })];
    expect(consecutiveFailuresAlert(plan, runs)!.message).toContain('failed 3 runs in a row');
  });

  it('does not fire when a success breaks the streak or the newest run succeeded', () => {
    expect(consecutiveFailuresAlert(plan, [run({ status: 'failed' }), run(), run({ status: 'failed' })])).toBeNull();
    expect(consecutiveFailuresAlert(plan, [run(), run({ status: 'failed' }), run({ status: 'failed' })])).toBeNull();
  });

  it('takes the threshold as a parameter', () => {
    const twice = [run({ status: 'failed' }), run({ status: 'failed' })];
    expect(consecutiveFailuresAlert(plan, twice, 3)).toBeNull();
    expect(consecutiveFailuresAlert(plan, [...twice, run({ status: 'failed' })], 3)).not.toBeNull();
  });
});

describe('backup size far from usual', () => {
  it('does not fire at exactly 2x or 0.5x the median of the last 10 successful backups', () => {
    expect(sizeAnomalyAlert(plan, run({ sizeBytes: 2_000_000, ago: 0 }), usual(10))).toBeNull();
    expect(sizeAnomalyAlert(plan, run({ sizeBytes: 500_000, ago: 0 }), usual(10))).toBeNull();
  });

  it('fires just above 2x and just below 0.5x', () => {
    const big = sizeAnomalyAlert(plan, run({ sizeBytes: 2_000_001, ago: 0 }), usual(10));
    expect(big).toMatchObject({ kind: 'size-anomaly', planId: 'p1' });
    expect(big!.message).toContain('2.0x its usual size (median 1.0 MB over the last 10 full backups)');
    const small = sizeAnomalyAlert(plan, run({ sizeBytes: 499_999, ago: 0 }), usual(10));
    expect(small!.message).toContain('only 50 % of its usual size');
    expect(small!.message).toContain('no source went missing');
  });

  it('uses only the newest 10 successful runs, of the same backup type, without the current one', () => {
    const current = run({ sizeBytes: 3_000_000, ago: 0 });
    const history = [
      current,
      run({ status: 'failed', sizeBytes: null, ago: 1 }),
      ...usual(10, 1_000_000),
      ...usual(20, 10_000_000), // older, and much bigger: outside the window
      ...usual(5, 3_000_000, 120_000, 'incremental'),
    ];
    expect(sizeAnomalyAlert(plan, current, history)).not.toBeNull();
    // an incremental is compared with incrementals only
    const incremental = run({ sizeBytes: 3_000_000, backupType: 'incremental', ago: 0 });
    expect(sizeAnomalyAlert(plan, incremental, history)).toBeNull();
  });

  it('stays quiet with fewer than 3 successful runs to compare with, and for runs that did not succeed', () => {
    expect(sizeAnomalyAlert(plan, run({ sizeBytes: 9e9, ago: 0 }), usual(ALERT_LIMITS.minBaselineRuns - 1))).toBeNull();
    expect(sizeAnomalyAlert(plan, run({ sizeBytes: 9e9, ago: 0 }), usual(ALERT_LIMITS.minBaselineRuns))).not.toBeNull();
    expect(sizeAnomalyAlert(plan, run({ status: 'partial', sizeBytes: 9e9, ago: 0 }), usual(10))).toBeNull();
  });
});

describe('run much longer than usual', () => {
  it('does not fire at exactly 3x the median duration', () => {
    expect(durationAnomalyAlert(plan, run({ durationMs: 360_000, ago: 0 }), usual(10, 1e6, 120_000))).toBeNull();
  });

  it('fires above 3x the median duration', () => {
    const alert = durationAnomalyAlert(plan, run({ durationMs: 360_001, ago: 0 }), usual(10, 1e6, 120_000));
    expect(alert).toMatchObject({ kind: 'duration-anomaly', planId: 'p1' });
    expect(alert!.message).toContain('took 6 min');
    expect(alert!.message).toContain('its usual 2 min');
  });

  it('needs the run to be at least 60 s longer than usual too', () => {
    // median 10 s: 69.999 s is 7x, but not a minute more
    expect(durationAnomalyAlert(plan, run({ durationMs: 69_999, ago: 0 }), usual(10, 1e6, 10_000))).toBeNull();
    expect(durationAnomalyAlert(plan, run({ durationMs: 70_000, ago: 0 }), usual(10, 1e6, 10_000))).not.toBeNull();
  });
});

describe('low disk space at the destination', () => {
  it('does not fire at exactly 10% and 1 GB free', () => {
    expect(lowDiskAlert(plan, '/backups', { freeBytes: 10e9, totalBytes: 100e9 })).toBeNull();
    expect(lowDiskAlert(plan, '/backups', { freeBytes: 1e9, totalBytes: 5e9 })).toBeNull();
  });

  it('fires below 10% free', () => {
    const alert = lowDiskAlert(plan, '/backups', { freeBytes: 9.99e9, totalBytes: 100e9 }, 'job-9');
    expect(alert).toMatchObject({ kind: 'low-disk', planId: 'p1', jobId: 'job-9' });
    expect(alert!.message).toContain('Only 10.0 GB (9%) is free at the destination of "Nightly" (/backups)');
  });

  it('fires below 1 GB free even on a disk that is mostly empty', () => {
    expect(lowDiskAlert(plan, '/backups', { freeBytes: 999_999_999, totalBytes: 2e9 })).not.toBeNull();
  });
});

describe('schedule intervals', () => {
  it('estimates each kind', () => {
    expect(scheduleIntervalMs({ kind: 'manual' })).toBeNull();
    expect(scheduleIntervalMs({ kind: 'daily', time: '02:00' })).toBe(DAY);
    expect(scheduleIntervalMs({ kind: 'weekly', time: '03:00', days: [0] })).toBe(7 * DAY);
    // Mon, Wed, Fri: the longest gap is Fri -> Mon
    expect(scheduleIntervalMs({ kind: 'weekly', time: '03:00', days: [5, 1, 3] })).toBe(3 * DAY);
    expect(scheduleIntervalMs({ kind: 'monthly', time: '03:00', day: 1 })).toBe(31 * DAY);
    expect(scheduleIntervalMs({ kind: 'hourly', everyHours: 6 })).toBe(6 * HOUR);
    expect(scheduleIntervalMs({ kind: 'cron', expression: '0 */4 * * *' })).toBe(DAY);
  });
});

describe('overdue plans', () => {
  const now = new Date('2026-03-10T12:00:00Z');
  const created = new Date(now.getTime() - 30 * DAY).toISOString();
  const daily: OverdueCandidate = { id: 'd', name: 'Daily', enabled: true, schedule: { kind: 'daily', time: '02:00' }, createdAt: created };

  it('does not flag a plan whose last success is within 2x its interval', () => {
    const last = new Map([['d', new Date(now.getTime() - 2 * DAY)]]);
    expect(overduePlans([daily], last, now)).toEqual([]);
  });

  it('flags it just past 2x its interval', () => {
    const lastSuccess = new Date(now.getTime() - 2 * DAY - 1);
    const [overdue] = overduePlans([daily], new Map([['d', lastSuccess]]), now);
    expect(overdue).toMatchObject({ planId: 'd', planName: 'Daily', lastSuccessAt: lastSuccess.toISOString(), windowMs: 2 * DAY });
    expect(overdue.message).toContain('"Daily" has not backed up successfully for 2 d');
  });

  it('counts from creation for a plan that never succeeded', () => {
    const young = { ...daily, createdAt: new Date(now.getTime() - 47 * HOUR).toISOString() };
    expect(overduePlans([young], new Map(), now)).toEqual([]);
    const [overdue] = overduePlans([daily], new Map(), now);
    expect(overdue.lastSuccessAt).toBeNull();
    expect(overdue.message).toContain('has never backed up successfully');
  });

  it('ignores disabled and manual plans', () => {
    const plans: OverdueCandidate[] = [
      { ...daily, id: 'off', enabled: false },
      { ...daily, id: 'manual', schedule: { kind: 'manual' } },
    ];
    expect(overduePlans(plans, new Map(), now)).toEqual([]);
  });

  it('uses the interval the scheduler passes instead of the estimate', () => {
    const hourly: OverdueCandidate = { ...daily, id: 'h', schedule: { kind: 'hourly', everyHours: 6 } };
    const last = new Map([['h', new Date(now.getTime() - 13 * HOUR)]]);
    expect(overduePlans([hourly], last, now)).toHaveLength(1);
    expect(overduePlans([hourly], last, now, { intervalMs: () => 7 * HOUR })).toEqual([]);
  });
});

describe('runAlerts', () => {
  it('combines the alerts of one finished run', () => {
    const current = run({ status: 'success', sizeBytes: 5e6, durationMs: 900_000, ago: 0 });
    const kinds = runAlerts(plan, current, [current, ...usual(10)]).map((a) => a.kind);
    expect(kinds).toEqual(['size-anomaly', 'duration-anomaly']);
    const failed = run({ status: 'failed', sizeBytes: null, ago: 0 });
    expect(runAlerts(plan, failed, [failed, run({ status: 'failed', ago: 1 }), ...usual(10)]).map((a) => a.kind)).toEqual([
      'consecutive-failures',
    ]);
  });
});
