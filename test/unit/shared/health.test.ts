import { describe, expect, it } from 'vitest';
import { computeHealth, failureLabel, type HealthInput } from '../../../src/shared/health';
import { EMPTY_PROGRESS, type JobSummary } from '../../../src/shared/job';
import { jobSummary } from '../../support/job-summary';

const now = new Date(2025, 5, 5, 12, 0, 0); // a Thursday
/** A job row of plan p1 that started `startedAt` (default: now) and took a second. */
function job(patch: Partial<JobSummary>): JobSummary {
  const startedAt = patch.startedAt ?? now.toISOString();
  return jobSummary({
    planId: 'p1',
    planName: 'Shop DB nightly',
    startedAt,
    finishedAt: startedAt,
    durationMs: 1000,
    compressionRatio: null,
    checksum: null,
    filePath: null,
    progress: EMPTY_PROGRESS,
    ...patch,
  });
}

const at = (day: number, hour = 2) => new Date(2025, 5, day, hour, 0).toISOString();

function input(patch: Partial<HealthInput>): HealthInput {
  return {
    plans: [
      { id: 'p1', name: 'Shop DB nightly', enabled: true },
      { id: 'p2', name: 'Files weekly', enabled: true },
    ],
    recentBackupsByPlan: { p1: [job({ startedAt: at(5) })], p2: [job({ planId: 'p2', planName: 'Files weekly', startedAt: at(5) })] },
    recentChecks: [],
    active: [],
    backupsOnDisk: 4,
    scheduler: 'running',
    now,
    ...patch,
  };
}

describe('computeHealth', () => {
  it('is OK when every plan last succeeded', () => {
    const health = computeHealth(input({}));
    expect(health).toEqual({ level: 'ok', headline: 'All backups OK', issues: [] });
  });

  it('names the failing plan and since when, with Open job and Edit plan', () => {
    const failedWed = job({ status: 'failed', startedAt: at(4) });
    const failedTue = job({ status: 'failed', startedAt: at(3) });
    const health = computeHealth(
      input({ recentBackupsByPlan: { p1: [job({ status: 'failed', startedAt: at(5) }), failedWed, failedTue, job({ startedAt: at(2) })] } }),
    );
    expect(health.level).toBe('error');
    expect(health.headline).toBe('1 plan failing since Tuesday: Shop DB nightly');
    expect(health.issues[0]!.actions).toEqual([
      { kind: 'open-job', jobId: expect.any(String) },
      { kind: 'edit-plan', planId: 'p1' },
    ]);
  });

  it('a cancelled run neither raises nor clears a failure', () => {
    const health = computeHealth(
      input({ recentBackupsByPlan: { p1: [job({ status: 'cancelled', startedAt: at(5) }), job({ status: 'failed', startedAt: at(4) })] } }),
    );
    expect(health.headline).toBe('1 plan failing since yesterday: Shop DB nightly');
  });

  it('a failed restore is not a failing plan, and is labelled as a restore', () => {
    const restore = job({ kind: 'restore', planId: null, status: 'failed', startedAt: at(5, 11), filePath: '/b/shop.lifeboat' });
    const health = computeHealth(input({ recentChecks: [restore] }));
    expect(health.level).toBe('warn');
    expect(health.headline).toMatch(/^A restore of Shop DB nightly failed /);
    expect(failureLabel(restore)).toBe('Restore failed');
    expect(failureLabel({ kind: 'drill', status: 'failed' })).toBe('Drill failed');
    expect(failureLabel({ kind: 'verify', status: 'failed' })).toBe('Verification failed');
    expect(failureLabel({ kind: 'backup', status: 'partial' })).toBe('Backup partly failed');
  });

  it('a failed drill is red until a later drill of the same file passes', () => {
    const failed = job({ kind: 'drill', planId: null, status: 'failed', startedAt: at(4), filePath: '/b/a.lifeboat' });
    expect(computeHealth(input({ recentChecks: [failed] })).headline).toBe('Drill failed: Shop DB nightly — the backup is not proven to restore');
    const passed = job({ kind: 'drill', planId: null, status: 'success', startedAt: at(5), filePath: '/b/a.lifeboat' });
    expect(computeHealth(input({ recentChecks: [passed, failed] })).level).toBe('ok');
  });

  it('says how long a stalled job has made no progress and what it waits on', () => {
    const stuck = job({
      status: 'running',
      finishedAt: null,
      stall: { since: new Date(now.getTime() - 12 * 60_000).toISOString(), waitingOn: 'a lock on table public.orders' },
    });
    const health = computeHealth(input({ active: [stuck] }));
    expect(health.level).toBe('warn');
    expect(health.headline).toBe('A backup has made no progress for 12 min: Shop DB nightly — waiting on a lock on table public.orders');
  });

  it('with no plans, nothing is backed up: pick a preset', () => {
    const health = computeHealth(input({ plans: [], recentBackupsByPlan: {}, backupsOnDisk: 0 }));
    expect(health.level).toBe('warn');
    expect(health.headline).toBe('Nothing is backed up yet — pick a preset to start');
    expect(health.issues[0]!.actions).toEqual([{ kind: 'pick-preset' }]);
  });

  it('errors come before warnings', () => {
    const health = computeHealth(
      input({ scheduler: 'paused', recentBackupsByPlan: { p1: [job({ status: 'failed', startedAt: at(5, 2) })], p2: [job({ planId: 'p2', status: 'failed', startedAt: at(5, 3) })] } }),
    );
    expect(health.issues.map((i) => i.level)).toEqual(['error', 'warn']);
    expect(health.headline).toMatch(/^2 plans failing: Shop DB nightly \(since .+\), Files weekly \(since .+\)$/);
  });
});
