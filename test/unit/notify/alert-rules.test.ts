/**
 * A plan's alert rules: each rule fires or stays quiet as configured, is off when turned off,
 * and the defaults are today's limits; invalid rules are refused naming the fix.
 */
import { describe, expect, it } from 'vitest';
import { durationAnomalyAlert, lowDiskAlert, overduePlans, runAlerts, sizeAnomalyAlert, type BackupRun, type OverdueCandidate } from '../../../src/main/core/notify/alerts';
import { alertRulesSchema, DEFAULT_ALERT_RULES, type AlertRulesInput } from '../../../src/shared/alert-rules';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const plan = { id: 'p1', name: 'Nightly' };
let seq = 0;

function run(over: Partial<BackupRun> = {}): BackupRun {
  seq++;
  return { jobId: `job-${seq}`, status: 'success', backupType: 'full', startedAt: new Date(Date.UTC(2026, 0, 31) - seq * HOUR).toISOString(), durationMs: 120_000, sizeBytes: 1_000_000, ...over };
}
const usual = (n: number) => Array.from({ length: n }, () => run());
const rules = (input: AlertRulesInput) => alertRulesSchema.parse(input);
const kinds = (drafts: { kind: string }[]) => drafts.map((d) => d.kind);

describe('defaults', () => {
  it("are today's limits, every rule on", () => {
    expect(DEFAULT_ALERT_RULES).toEqual({
      consecutiveFailures: { enabled: true, count: 2 },
      sizeChange: { enabled: true, factor: 2 },
      duration: { enabled: true, factor: 3, minutes: null },
      lowDisk: { enabled: true, percent: 10, bytes: 1_000_000_000 },
      overdue: { enabled: true, graceMinutes: null },
    });
  });
});

describe('consecutive failures', () => {
  const failures = (n: number) => Array.from({ length: n }, () => run({ status: 'failed' }));
  it('fires at the configured count, not before', () => {
    const three = failures(3);
    expect(kinds(runAlerts(plan, three[0]!, three, rules({ consecutiveFailures: { count: 3 } })))).toEqual(['consecutive-failures']);
    const two = failures(2);
    expect(kinds(runAlerts(plan, two[0]!, two, rules({ consecutiveFailures: { count: 3 } })))).toEqual([]);
    expect(kinds(runAlerts(plan, two[0]!, two))).toEqual(['consecutive-failures']);
  });
  it('never fires when off', () => {
    const many = failures(10);
    expect(runAlerts(plan, many[0]!, many, rules({ consecutiveFailures: { enabled: false } }))).toEqual([]);
  });
});

describe('size change', () => {
  it('fires beyond the factor both ways, stays quiet within it, and not at all when off', () => {
    const history = usual(5);
    const big = run({ sizeBytes: 2_500_000 });
    const small = run({ sizeBytes: 300_000 });
    expect(sizeAnomalyAlert(plan, big, history, 2)?.kind).toBe('size-anomaly');
    expect(sizeAnomalyAlert(plan, small, history, 2)?.kind).toBe('size-anomaly');
    expect(sizeAnomalyAlert(plan, big, history, 3)).toBeNull();
    expect(sizeAnomalyAlert(plan, small, history, 4)).toBeNull();
    expect(kinds(runAlerts(plan, big, [big, ...history], rules({ sizeChange: { factor: 1.5 } })))).toEqual(['size-anomaly']);
    expect(runAlerts(plan, big, [big, ...history], rules({ sizeChange: { enabled: false } }))).toEqual([]);
  });
});

describe('duration', () => {
  it('fires beyond the factor (at least a minute longer), or beyond the minutes whatever is usual', () => {
    const history = usual(5);
    const slow = run({ durationMs: 120_000 * 4 });
    expect(durationAnomalyAlert(plan, slow, history)?.kind).toBe('duration-anomaly');
    expect(durationAnomalyAlert(plan, slow, history, { factor: 5, minutes: null })).toBeNull();
    // no history at all: only the minutes rule can say anything
    const long = run({ durationMs: 31 * 60_000 });
    expect(durationAnomalyAlert(plan, long, [], { factor: 3, minutes: null })).toBeNull();
    expect(durationAnomalyAlert(plan, long, [], { factor: null, minutes: 30 })?.message).toContain('longer than the 30 min');
    expect(durationAnomalyAlert(plan, run({ durationMs: 29 * 60_000 }), [], { factor: null, minutes: 30 })).toBeNull();
    expect(runAlerts(plan, slow, [slow, ...history], rules({ duration: { enabled: false } }))).toEqual([]);
  });
});

describe('low disk', () => {
  const total = 100_000_000_000;
  it('fires below the percentage or below the size, each when set', () => {
    expect(lowDiskAlert(plan, '/b', { freeBytes: 9_000_000_000, totalBytes: total })?.kind).toBe('low-disk');
    expect(lowDiskAlert(plan, '/b', { freeBytes: 9_000_000_000, totalBytes: total }, null, { percent: 5, bytes: null })).toBeNull();
    expect(lowDiskAlert(plan, '/b', { freeBytes: 20_000_000_000, totalBytes: total }, null, { percent: null, bytes: 50_000_000_000 })?.kind).toBe('low-disk');
    expect(lowDiskAlert(plan, '/b', { freeBytes: 20_000_000_000, totalBytes: total }, null, { percent: 10, bytes: 1_000_000_000 })).toBeNull();
  });
});

describe('overdue', () => {
  const now = new Date('2026-02-01T12:00:00Z');
  const candidate = (alerts?: AlertRulesInput): OverdueCandidate => ({
    id: 'p1',
    name: 'Nightly',
    enabled: true,
    schedule: { kind: 'daily', time: '02:00' },
    createdAt: '2026-01-01T00:00:00Z',
    ...(alerts ? { alerts: rules(alerts) } : {}),
  });
  const last = (hoursAgo: number) => new Map([['p1', new Date(now.getTime() - hoursAgo * HOUR)]]);
  it('by default after twice the interval; with grace minutes after one interval plus them; never when off', () => {
    expect(overduePlans([candidate()], last(30), now)).toEqual([]);
    expect(overduePlans([candidate()], last(49), now)).toHaveLength(1);
    const graced = candidate({ overdue: { graceMinutes: 120 } });
    expect(overduePlans([graced], last(25), now)).toEqual([]);
    expect(overduePlans([graced], last(27), now)[0]).toMatchObject({ windowMs: DAY + 2 * HOUR });
    expect(overduePlans([candidate({ overdue: { enabled: false } })], last(24 * 30), now)).toEqual([]);
  });
});

describe('validation', () => {
  it('refuses a duration or low-disk rule that is on with no limit, naming the fix', () => {
    const duration = alertRulesSchema.safeParse({ duration: { factor: null, minutes: null } });
    expect(duration.success).toBe(false);
    expect(duration.error?.issues[0]?.message).toContain('Give a factor or a number of minutes');
    const disk = alertRulesSchema.safeParse({ lowDisk: { percent: null, bytes: null } });
    expect(disk.error?.issues[0]?.message).toContain('or turn it off');
    expect(alertRulesSchema.safeParse({ lowDisk: { enabled: false, percent: null, bytes: null } }).success).toBe(true);
    expect(alertRulesSchema.safeParse({ sizeChange: { factor: 1 } }).error?.issues[0]?.message).toContain('at least 1.1');
  });
});
