import { describe, expect, it } from 'vitest';
import { computeTrayState, mergeLatestJobs, TOOLTIP_MAX } from '../../src/main/core/tray-state';
import { EMPTY_PROGRESS, type JobPhase, type JobSummary } from '../../src/shared/job';
import { jobSummary } from '../support/job-summary';

const job = jobSummary;

function running(percent: number, phase: JobPhase, overrides: Partial<JobSummary> = {}): JobSummary {
  return job({
    status: 'running',
    finishedAt: null,
    durationMs: null,
    progress: { ...EMPTY_PROGRESS, phase, percent },
    ...overrides,
  });
}

describe('computeTrayState', () => {
  it('is idle with no jobs at all', () => {
    expect(computeTrayState([], false)).toEqual({ icon: 'idle', tooltip: 'Lifeboat — all backups OK', progress: null });
  });

  it('is idle when the newest result of every plan succeeded', () => {
    const jobs = [
      job({ status: 'failed', finishedAt: '2025-01-01T02:05:00.000Z' }),
      job({ status: 'success', finishedAt: '2025-01-02T02:05:00.000Z' }),
      job({ planId: 'plan-b', planName: 'Weekly', status: 'success' }),
    ];
    expect(computeTrayState(jobs, false).icon).toBe('idle');
  });

  it('shows one running job with its plan name, phase and percent, and drives the taskbar', () => {
    const state = computeTrayState([running(42.4, 'dump'), job()], false);
    expect(state.icon).toBe('running');
    expect(state.tooltip).toBe('Lifeboat — Nightly: dump 42%');
    expect(state.progress).toBeCloseTo(0.424);
  });

  it('counts several jobs, leads with the one furthest from done and averages the progress', () => {
    const state = computeTrayState(
      [
        running(80, 'files', { planId: 'plan-a', planName: 'Nightly' }),
        running(20, 'dump', { planId: 'plan-b', planName: 'Weekly' }),
        job({ status: 'pending', planId: 'plan-c', planName: 'DB only', finishedAt: null }),
      ],
      false,
    );
    expect(state.icon).toBe('running');
    expect(state.tooltip).toBe('Lifeboat — Weekly: dump 20% (3 jobs)');
    expect(state.progress).toBeCloseTo(0.5);
  });

  it('clamps nonsense percentages into 0..1', () => {
    expect(computeTrayState([running(250, 'verify')], false).progress).toBe(1);
    expect(computeTrayState([running(-5, 'verify')], false).progress).toBe(0);
  });

  it('prefers running over paused and over failed', () => {
    const state = computeTrayState([running(10, 'preflight'), job({ status: 'failed', planId: 'plan-b' })], true);
    expect(state.icon).toBe('running');
  });

  it('shows queued jobs as running with an empty bar', () => {
    const state = computeTrayState([job({ status: 'pending', finishedAt: null })], false);
    expect(state).toEqual({ icon: 'running', tooltip: 'Lifeboat — Nightly: waiting to start', progress: 0 });
  });

  it('is paused when nothing runs, even if a plan failed', () => {
    const state = computeTrayState([job({ status: 'failed' })], true);
    expect(state).toEqual({ icon: 'paused', tooltip: 'Lifeboat — schedules paused', progress: null });
  });

  it.each(['failed', 'partial', 'interrupted'] as const)('is failed when the newest result of a plan is %s', (status) => {
    const jobs = [
      job({ status: 'success', finishedAt: '2025-01-01T02:05:00.000Z' }),
      job({ status, finishedAt: '2025-01-02T02:05:00.000Z' }),
    ];
    const state = computeTrayState(jobs, false);
    expect(state.icon).toBe('failed');
    expect(state.tooltip).toContain('Nightly');
    expect(state.progress).toBeNull();
  });

  it('names every plan that needs attention', () => {
    const state = computeTrayState(
      [job({ status: 'failed' }), job({ planId: 'plan-b', planName: 'Weekly', status: 'partial' })],
      false,
    );
    expect(state.icon).toBe('failed');
    expect(state.tooltip).toMatch(/2 plans need attention/);
    expect(state.tooltip).toContain('Nightly');
    expect(state.tooltip).toContain('Weekly');
  });

  it('ignores a later cancel: it neither clears nor raises a failure', () => {
    const failedThenCancelled = [
      job({ status: 'failed', finishedAt: '2025-01-01T02:05:00.000Z' }),
      job({ status: 'cancelled', cancelledBy: 'user', finishedAt: '2025-01-02T02:05:00.000Z' }),
    ];
    expect(computeTrayState(failedThenCancelled, false).icon).toBe('failed');
    expect(computeTrayState([job({ status: 'cancelled', cancelledBy: 'system' })], false).icon).toBe('idle');
  });

  it('keeps a failed backup visible after a passing verify of the same plan', () => {
    const jobs = [
      job({ status: 'failed', finishedAt: '2025-01-01T02:05:00.000Z' }),
      job({ kind: 'verify', status: 'success', finishedAt: '2025-01-02T02:05:00.000Z' }),
    ];
    expect(computeTrayState(jobs, false).icon).toBe('failed');
  });

  it('does not count jobs without a plan (a dropped file) as a plan failure', () => {
    expect(computeTrayState([job({ kind: 'verify', planId: null, planName: null, status: 'failed' })], false).icon).toBe('idle');
  });

  it('keeps tooltips within the length Windows shows', () => {
    const long = 'x'.repeat(300);
    const state = computeTrayState([running(5, 'dump', { planName: long })], false);
    expect(state.tooltip.length).toBe(TOOLTIP_MAX);
    expect(state.tooltip.endsWith('…')).toBe(true);
  });
});

describe('mergeLatestJobs', () => {
  it('replaces a job by id and drops superseded and cancelled results', () => {
    const old = job({ status: 'failed', finishedAt: '2025-01-01T02:05:00.000Z' });
    const active = running(10, 'dump', { id: 'run-1' });
    let set = mergeLatestJobs([old], active);
    expect(set.map((j) => j.id).sort()).toEqual([old.id, 'run-1'].sort());

    set = mergeLatestJobs(set, { ...active, status: 'success', finishedAt: '2025-01-02T02:05:00.000Z', progress: null });
    expect(set.map((j) => j.id)).toEqual(['run-1']);
    expect(computeTrayState(set, false).icon).toBe('idle');

    const cancelled = running(5, 'dump', { id: 'run-2' });
    set = mergeLatestJobs(set, cancelled);
    set = mergeLatestJobs(set, { ...cancelled, status: 'cancelled', finishedAt: '2025-01-03T02:05:00.000Z' });
    expect(set.map((j) => j.id)).toEqual(['run-1']);
  });
});
