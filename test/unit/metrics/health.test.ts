/**
 * The health rule behind /healthz and `lifeboat status`: an enabled scheduled plan that is overdue
 * or failed twice in a row makes the catalog unhealthy; one failure, a cancel, a manual or a
 * disabled plan does not.
 */
import { describe, expect, it } from 'vitest';
import { assessHealth, FAILURES_IN_A_ROW_UNHEALTHY, type HealthPlan } from '../../../src/main/core/metrics/health';
import type { BackupRun } from '../../../src/main/core/notify/alerts';
import type { JobStatus } from '../../../src/shared/job';

const NOW = new Date('2026-03-10T12:00:00.000Z');
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

const plan = (overrides: Partial<HealthPlan> = {}): HealthPlan => ({
  id: 'p1',
  name: 'Nightly',
  enabled: true,
  schedule: { kind: 'daily', time: '02:00' },
  createdAt: ago(30 * 24 * HOUR).toISOString(),
  ...overrides,
});

let seq = 0;
/** Runs newest first, one hour apart, ending an hour ago. */
const runs = (...statuses: JobStatus[]): BackupRun[] =>
  statuses.map((status, i) => ({
    jobId: `j${++seq}`,
    status,
    backupType: 'full',
    startedAt: ago((i + 1) * HOUR).toISOString(),
    durationMs: 1000,
    sizeBytes: 100,
  }));

function health(plans: HealthPlan[], history: Record<string, BackupRun[]>, lastSuccess: Record<string, Date> = {}) {
  return assessHealth({
    plans,
    runsByPlan: new Map(Object.entries(history)),
    lastSuccessByPlan: new Map(Object.entries(lastSuccess)),
    now: NOW,
  });
}

describe('assessHealth', () => {
  it('is ok when every scheduled plan succeeded recently', () => {
    expect(health([plan()], { p1: runs('success') }, { p1: ago(HOUR) })).toEqual({ ok: true, reasons: [] });
  });

  it('one failure is not unhealthy; two in a row are (the threshold of the consecutive-failures alert)', () => {
    expect(FAILURES_IN_A_ROW_UNHEALTHY).toBe(2);
    expect(health([plan()], { p1: runs('failed', 'success') }, { p1: ago(2 * HOUR) }).ok).toBe(true);
    const twice = health([plan()], { p1: runs('failed', 'partial', 'success') }, { p1: ago(3 * HOUR) });
    expect(twice.ok).toBe(false);
    expect(twice.reasons).toEqual([
      { planId: 'p1', planName: 'Nightly', kind: 'failing', message: `"Nightly" has failed 2 runs in a row (the last at ${ago(HOUR).toISOString()}). See its history for why.` },
    ]);
  });

  it('interrupted runs count as failures; a cancel neither extends nor breaks a streak', () => {
    expect(health([plan()], { p1: runs('interrupted', 'cancelled', 'failed') }, { p1: ago(HOUR) }).reasons.map((r) => r.kind)).toEqual(['failing']);
    expect(health([plan()], { p1: runs('cancelled', 'failed', 'success') }, { p1: ago(3 * HOUR) }).ok).toBe(true);
  });

  it('an overdue plan is unhealthy: no success within twice its interval (or since it was created)', () => {
    const daily = plan();
    const stale = health([daily], { p1: runs('success') }, { p1: ago(49 * HOUR) });
    expect(stale.ok).toBe(false);
    expect(stale.reasons).toEqual([expect.objectContaining({ planId: 'p1', kind: 'overdue', message: expect.stringContaining('has not backed up successfully') })]);
    expect(health([daily], {}, { p1: ago(47 * HOUR) }).ok).toBe(true);
    // never succeeded: counted from its creation
    expect(health([plan({ createdAt: ago(HOUR).toISOString() })], {}, {}).ok).toBe(true);
    expect(health([plan({ createdAt: ago(72 * HOUR).toISOString() })], {}, {}).reasons[0]).toMatchObject({ kind: 'overdue', message: expect.stringContaining('has never backed up successfully') });
  });

  it('a plan both overdue and failing gives both reasons; plans are listed by name', () => {
    const a = plan({ id: 'a', name: 'Alpha' });
    const b = plan({ id: 'b', name: 'Beta' });
    const result = health([b, a], { a: runs('failed', 'failed'), b: runs('failed', 'failed') }, { a: ago(72 * HOUR) });
    expect(result.reasons.map((r) => [r.planName, r.kind])).toEqual([
      ['Alpha', 'failing'],
      ['Alpha', 'overdue'],
      ['Beta', 'failing'],
      ['Beta', 'overdue'],
    ]);
  });

  it('manual and disabled plans never make it unhealthy', () => {
    const manual = plan({ id: 'm', name: 'Manual', schedule: { kind: 'manual' } });
    const disabled = plan({ id: 'd', name: 'Off', enabled: false });
    expect(health([manual, disabled], { m: runs('failed', 'failed', 'failed'), d: runs('failed', 'failed') }, {}).ok).toBe(true);
  });
});
