/**
 * The scheduler on real time: node-schedule fires the Date that computeNextRun chose, a paused
 * scheduler fires nothing, a busy plan is skipped instead of queued, and a disabled or deleted
 * plan is disarmed. Plans are folder-only with encryption off; schedules are 6-field cron
 * expressions (with seconds) in UTC, so a slot is a couple of seconds away.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import schedule from 'node-schedule';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import type { LifeboatCore } from '../../../src/main/core/lifeboat';
import { makeTestCore } from '../../support/temp-core';
import {
  auditOf,
  cronInSeconds,
  folderPlanInput,
  makeFolders,
  planJobs,
  savePlan,
  scheduleState,
  settleJobs,
  waitFor,
} from './scheduler-helpers';

const EVERY_SECOND = { kind: 'cron', expression: '* * * * * *' } as const;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(): { core: LifeboatCore; folders: ReturnType<typeof makeFolders> } {
  const folders = makeFolders();
  const core = makeTestCore();
  cleanups.push(() => folders.remove());
  cleanups.push(() => core.cleanup());
  return { core, folders };
}

const armedNames = (core: LifeboatCore, planId: string) =>
  Object.keys(schedule.scheduledJobs).filter((name) => name.startsWith(core.scheduler.jobNamePrefix(planId)));

describe('scheduler on real time', () => {
  it('node-schedule fires the computed slot and a scheduled job runs', async () => {
    const { core, folders } = setup();
    const { expression, at } = cronInSeconds(2);
    const plan = await savePlan(core, folderPlanInput({ folders, schedule: { kind: 'cron', expression }, timezone: 'UTC' }));

    core.scheduler.start();
    expect(core.scheduler.status()).toEqual({ state: 'running', nextRuns: [{ planId: plan.id, planName: plan.name, at: at.toISOString() }] });
    expect(armedNames(core, plan.id)).toHaveLength(1);
    expect(planJobs(core, plan.id)).toHaveLength(0); // the slot a minute ago predates the plan

    const job = await waitFor(() => planJobs(core, plan.id)[0], 'the scheduled job');
    expect(job.trigger).toBe('scheduled');
    // Node timers may fire a millisecond or two early by the wall clock; the slot is still `at`
    expect(Date.parse(job.startedAt)).toBeGreaterThanOrEqual(at.getTime() - 50);
    expect(Date.parse(job.startedAt)).toBeLessThan(at.getTime() + 2000);
    const state = scheduleState(core, plan.id)!;
    expect(state.lastSlotAt).toBe(at.toISOString());
    // re-armed for the same second of the next minute
    expect(state.nextRunAt).toBe(new Date(at.getTime() + 60_000).toISOString());
    expect(core.scheduler.status().nextRuns[0].at).toBe(state.nextRunAt);
    expect(armedNames(core, plan.id)).toHaveLength(1);
    await settleJobs(core);
    expect(core.jobs.get(job.id)?.status).toBe('success');
  });

  it('paused: every slot is skipped and recorded, status is paused; resuming fires again', async () => {
    const { core, folders } = setup();
    const plan = await savePlan(core, folderPlanInput({ folders, schedule: EVERY_SECOND, timezone: 'UTC' }));
    await dispatch(core.handlers, 'app/set-paused', { paused: true });

    core.scheduler.start();
    const status = await dispatch(core.handlers, 'scheduler/status', undefined);
    expect(status.ok && status.value.state).toBe('paused');
    const timerSkips = () => auditOf(core, 'schedule.skip-paused', plan.id).filter((e) => JSON.parse(e.details!).trigger === 'scheduled');
    await waitFor(() => timerSkips().length >= 2, 'two skipped slots');
    expect(planJobs(core, plan.id)).toHaveLength(0);

    await dispatch(core.handlers, 'app/set-paused', { paused: false });
    expect(core.scheduler.status().state).toBe('running');
    const job = await waitFor(() => planJobs(core, plan.id)[0], 'a job after resuming');
    core.scheduler.stop();
    // slots skipped while paused are not replayed as catch-up
    expect(job.trigger).toBe('scheduled');
    expect(planJobs(core, plan.id).every((j) => j.trigger === 'scheduled')).toBe(true);
    await settleJobs(core);
  });

  it('a busy plan is skipped, not queued behind itself, and runs again once free', async () => {
    const { core, folders } = setup();
    const plan = await savePlan(core, folderPlanInput({ folders, schedule: EVERY_SECOND, timezone: 'UTC' }));
    let release!: () => void;
    const blocker = core.runner.start(
      { kind: 'backup', planId: plan.id, planName: plan.name, trigger: 'manual' },
      () => new Promise((resolve) => (release = () => resolve({ status: 'success' }))),
    );

    core.scheduler.start();
    const timerSkips = () => auditOf(core, 'schedule.skip-busy', plan.id).filter((e) => JSON.parse(e.details!).trigger === 'scheduled');
    await waitFor(() => timerSkips().length >= 2, 'two busy skips');
    expect(planJobs(core, plan.id).map((j) => j.id)).toEqual([blocker.id]);
    expect(core.runner.activeJobIds()).toEqual([blocker.id]);

    release();
    await core.runner.wait(blocker.id);
    const next = await waitFor(() => planJobs(core, plan.id).find((j) => j.id !== blocker.id), 'a run once free');
    core.scheduler.stop();
    expect(next.trigger).toBe('scheduled');
    await settleJobs(core);
  });

  it('disabling a plan disarms it; enabling arms it again; deleting disarms it', async () => {
    const { core, folders } = setup();
    const { expression } = cronInSeconds(3);
    const input = folderPlanInput({ folders, schedule: { kind: 'cron', expression }, timezone: 'UTC' });
    const plan = await savePlan(core, input);
    core.scheduler.start();
    expect(armedNames(core, plan.id)).toHaveLength(1);

    await savePlan(core, { ...input, id: plan.id, enabled: false });
    expect(armedNames(core, plan.id)).toHaveLength(0);
    expect(core.scheduler.status().nextRuns).toEqual([{ planId: plan.id, planName: plan.name, at: null }]);
    expect(scheduleState(core, plan.id)?.nextRunAt).toBeNull();
    await sleep(4500); // past the slot it had
    expect(planJobs(core, plan.id)).toHaveLength(0);
    expect(auditOf(core, 'schedule.skip-paused', plan.id)).toHaveLength(0);
    expect(auditOf(core, 'schedule.skip-busy', plan.id)).toHaveLength(0);

    await savePlan(core, { ...input, id: plan.id, schedule: { kind: 'daily', time: '02:00' }, enabled: true });
    expect(armedNames(core, plan.id)).toHaveLength(1);
    expect(core.scheduler.status().nextRuns[0].at).not.toBeNull();

    const deleted = await dispatch(core.handlers, 'plans/delete', { id: plan.id });
    expect(deleted.ok).toBe(true);
    expect(armedNames(core, plan.id)).toHaveLength(0);
    expect(core.scheduler.status().nextRuns).toEqual([]);
  });

  it('stop() cancels every timer and reports stopped; reinitialize arms again', async () => {
    const { core, folders } = setup();
    const plan = await savePlan(core, folderPlanInput({ folders, schedule: { kind: 'daily', time: '02:00' }, timezone: 'UTC' }));
    core.scheduler.start();
    expect(armedNames(core, plan.id)).toHaveLength(1);

    core.scheduler.stop();
    expect(armedNames(core, plan.id)).toHaveLength(0);
    expect(core.scheduler.status()).toEqual({ state: 'stopped', nextRuns: [{ planId: plan.id, planName: plan.name, at: null }] });

    const reply = await dispatch(core.handlers, 'scheduler/reinitialize', undefined);
    expect(reply.ok).toBe(true);
    expect(reply.ok && reply.value.state).toBe('running');
    expect(reply.ok && reply.value.nextRuns[0].at).toMatch(/T02:00:00\.000Z$/);
    expect(armedNames(core, plan.id)).toHaveLength(1);
    expect(auditOf(core, 'scheduler.reinitialize')).toHaveLength(1);
  });
});
