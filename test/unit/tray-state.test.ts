import { describe, expect, it } from 'vitest';
import { computeTrayState, MAX_KEPT_RESULTS, mergeLatestJobs, STATUS_LINE_MAX, TOOLTIP_MAX } from '../../src/main/core/tray-state';
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
    expect(computeTrayState([], false)).toEqual({
      icon: 'idle',
      tooltip: 'Lifeboat — all backups OK',
      statusLine: 'All backups OK',
      taskbar: { mode: 'none', progress: 0 },
      lastFailureJobId: null,
      activeJobs: [],
    });
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
    expect(state.statusLine).toBe('Nightly: dump 42%');
    expect(state.taskbar.mode).toBe('normal');
    expect(state.taskbar.progress).toBeCloseTo(0.424);
  });

  it('leads with a stalled job and says what it waits on', () => {
    const stuck = running(5, 'dump', {
      id: 'stuck',
      planName: 'Shop DB',
      stall: { since: '2025-01-01T02:00:00.000Z', waitingOn: 'a lock on table public.orders, held by process 42' },
    });
    const state = computeTrayState([running(10, 'files', { id: 'other', planId: 'plan-b', planName: 'Weekly' }), stuck], false);
    expect(state.statusLine).toBe('Shop DB: stalled, waiting on a lock on table public.orders, held by process 42 (2 jobs)');
    const unknown = computeTrayState([running(5, 'dump', { stall: { since: '2025-01-01T02:00:00.000Z', waitingOn: null } })], false);
    expect(unknown.statusLine).toBe('Nightly: stalled at dump 5%');
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
    expect(state.taskbar.progress).toBeCloseTo(0.5);
    // Cancel offers every job, the one furthest from done first, queued ones last
    expect(state.activeJobs.map((j) => [j.label, j.status])).toEqual([
      ['Backup of Weekly', 'running'],
      ['Backup of Nightly', 'running'],
      ['Backup of DB only', 'pending'],
    ]);
  });

  it('clamps nonsense percentages into 0..1', () => {
    expect(computeTrayState([running(250, 'verify')], false).taskbar.progress).toBe(1);
    expect(computeTrayState([running(-5, 'verify')], false).taskbar.progress).toBe(0);
  });

  it('prefers running over paused and over failed', () => {
    const state = computeTrayState([running(10, 'preflight'), job({ status: 'failed', planId: 'plan-b' })], true);
    expect(state.icon).toBe('running');
  });

  it('shows queued jobs as running with an indeterminate bar', () => {
    const queued = job({ status: 'pending', finishedAt: null });
    const state = computeTrayState([queued], false);
    expect(state.icon).toBe('running');
    expect(state.tooltip).toBe('Lifeboat — Nightly: waiting to start');
    expect(state.taskbar).toEqual({ mode: 'indeterminate', progress: 0 });
    expect(state.activeJobs).toEqual([{ id: queued.id, label: 'Backup of Nightly', status: 'pending' }]);
  });

  it('is paused when nothing runs, and still names a failure', () => {
    const failed = job({ status: 'failed' });
    expect(computeTrayState([job()], true)).toMatchObject({ icon: 'paused', tooltip: 'Lifeboat — schedules paused', taskbar: { mode: 'none' } });
    const state = computeTrayState([failed], true);
    expect(state.icon).toBe('paused');
    expect(state.statusLine).toBe('Schedules paused · last backup of Nightly failed');
    expect(state.lastFailureJobId).toBe(failed.id);
  });

  it.each(['failed', 'partial', 'interrupted'] as const)('is failed when the newest result of a plan is %s', (status) => {
    const jobs = [
      job({ status: 'success', finishedAt: '2025-01-01T02:05:00.000Z' }),
      job({ status, finishedAt: '2025-01-02T02:05:00.000Z' }),
    ];
    const state = computeTrayState(jobs, false);
    expect(state.icon).toBe('failed');
    expect(state.tooltip).toContain('Nightly');
    expect(state.taskbar).toEqual({ mode: 'error', progress: 1 });
    expect(state.lastFailureJobId).toBe(jobs[1]!.id);
  });

  it('names every plan that needs attention', () => {
    const state = computeTrayState(
      [job({ status: 'failed' }), job({ planId: 'plan-b', planName: 'Weekly', status: 'partial' })],
      false,
    );
    expect(state.icon).toBe('failed');
    expect(state.tooltip).toMatch(/2 need attention/);
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

  // verification, drill and restore jobs carry no plan id: they stand for the file they read
  it.each([
    ['verify', 'Lifeboat — last verification of Nightly failed'],
    ['drill', 'Lifeboat — last restore drill of Nightly failed'],
    ['restore', 'Lifeboat — last restore of Nightly failed'],
  ] as const)('turns red on a failed %s, which carries no plan id', (kind, tooltip) => {
    const failed = job({ kind, planId: null, status: 'failed', filePath: '/backups/a.lifeboat' });
    const state = computeTrayState([job(), failed], false);
    expect(state.icon).toBe('failed');
    expect(state.tooltip).toBe(tooltip);
    expect(state.statusLine).toBe(tooltip.replace('Lifeboat — l', 'L'));
    expect(state.lastFailureJobId).toBe(failed.id);
  });

  it('clears a failed verification once the same file verifies, but not for another file', () => {
    const failed = job({ kind: 'verify', planId: null, status: 'failed', filePath: '/backups/a.lifeboat', finishedAt: '2025-01-01T03:00:00.000Z' });
    const passedSame = job({ kind: 'verify', planId: null, status: 'success', filePath: '/backups/a.lifeboat', finishedAt: '2025-01-02T03:00:00.000Z' });
    const passedOther = job({ kind: 'verify', planId: null, status: 'success', filePath: '/backups/b.lifeboat', finishedAt: '2025-01-02T03:00:00.000Z' });
    expect(computeTrayState([failed, passedSame], false).icon).toBe('idle');
    expect(computeTrayState([failed, passedOther], false).icon).toBe('failed');
  });

  it('a failed drill of a dropped file (no plan name either) is named by its kind', () => {
    const state = computeTrayState([job({ kind: 'drill', planId: null, planName: null, filePath: null, status: 'failed' })], false);
    expect(state.icon).toBe('failed');
    expect(state.tooltip).toBe('Lifeboat — last restore drill of drill job failed');
  });

  it('offers the newest failure while something else runs', () => {
    const older = job({ status: 'failed', finishedAt: '2025-01-01T02:05:00.000Z' });
    const newer = job({ kind: 'drill', planId: null, status: 'failed', filePath: '/b/x.lifeboat', finishedAt: '2025-01-03T02:05:00.000Z' });
    const state = computeTrayState([older, newer, running(30, 'dump', { planId: 'plan-b', planName: 'Weekly' })], false);
    expect(state.icon).toBe('running');
    expect(state.lastFailureJobId).toBe(newer.id);
  });

  it('keeps tooltips within the length Windows shows', () => {
    const long = 'x'.repeat(300);
    const state = computeTrayState([running(5, 'dump', { planName: long })], false);
    expect(state.tooltip.length).toBe(TOOLTIP_MAX);
    expect(state.tooltip.endsWith('…')).toBe(true);
    expect(state.statusLine.length).toBe(STATUS_LINE_MAX);
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

  it('stays bounded as files are verified, without dropping a failure', () => {
    const failed = job({ kind: 'verify', planId: null, status: 'failed', filePath: '/b/bad.lifeboat', finishedAt: '2024-01-01T00:00:00.000Z' });
    let set = mergeLatestJobs([], failed);
    for (let i = 0; i < MAX_KEPT_RESULTS + 50; i++) {
      const at = new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString();
      set = mergeLatestJobs(set, job({ kind: 'verify', planId: null, filePath: `/b/${i}.lifeboat`, finishedAt: at }));
    }
    expect(set.length).toBe(MAX_KEPT_RESULTS + 1);
    expect(set.some((j) => j.id === failed.id)).toBe(true);
    expect(computeTrayState(set, false).lastFailureJobId).toBe(failed.id);
  });
});
