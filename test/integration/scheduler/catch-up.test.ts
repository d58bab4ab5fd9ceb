/**
 * Catch-up with a real core on a real catalog and a hand-set clock: a slot missed while the app
 * was closed runs once as 'catch-up', never twice, never for a slot older than the plan, never
 * while paused. The fake "today" lies decades ahead, so node-schedule (real time) never fires
 * during these tests: every run here comes from catch-up.
 */
import fs from 'node:fs';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import type { LifeboatCore } from '../../../src/main/core/lifeboat';
import { TestClock } from '../../support/test-clock';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import {
  auditOf,
  folderPlanInput,
  makeFolders,
  planJobs,
  savePlan,
  scheduleState,
  setLastSlot,
  settleJobs,
} from './scheduler-helpers';

const BERLIN = 'Europe/Berlin';
const berlin = (day: number, hour: number, minute = 0) =>
  DateTime.fromObject({ year: 2090, month: 6, day, hour, minute }, { zone: BERLIN }).toJSDate();
// "today" is 2090-06-15 in Berlin
const TODAY_10 = berlin(15, 10);
const DAILY_2 = { kind: 'daily', time: '02:00' } as const;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(clock: TestClock, dataDir?: string): LifeboatCore {
  const core = makeTestCore(dataDir ? { clock, dataDir } : { clock });
  cleanups.push(() => core.cleanup());
  return core;
}

describe('catch-up', () => {
  it('runs a slot missed while the app was closed exactly once, and a restart does not run it again', async () => {
    const folders = makeFolders();
    cleanups.push(() => folders.remove());
    const dataDir = makeTempDir();
    const clock = new TestClock(berlin(14, 9)); // the plan is created yesterday at 09:00
    const first = makeTestCore({ clock, dataDir });
    const plan = await savePlan(first, folderPlanInput({ folders, schedule: DAILY_2, timezone: BERLIN }));
    // the last slot the app handled was before yesterday 02:00; then it was closed until today
    setLastSlot(first, plan.id, berlin(13, 2));
    clock.set(TODAY_10);

    first.scheduler.start();

    const jobs = planJobs(first, plan.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0].trigger).toBe('catch-up');
    await settleJobs(first);
    expect(first.jobs.get(jobs[0].id)?.status).toBe('success');
    expect(scheduleState(first, plan.id)?.lastSlotAt).toBe(berlin(15, 2).toISOString());
    expect(auditOf(first, 'schedule.catch-up', plan.id)).toHaveLength(1);
    // the next slot is armed regardless: tomorrow 02:00
    expect(first.scheduler.status().nextRuns).toEqual([{ planId: plan.id, planName: plan.name, at: berlin(16, 2).toISOString() }]);
    expect(scheduleState(first, plan.id)?.nextRunAt).toBe(berlin(16, 2).toISOString());
    // a second catch-up (the OS resumes) in the same session runs nothing either
    expect(first.scheduler.catchUp()).toBe(0);
    await first.close();

    // the app starts again the same morning on the same data dir
    clock.set(berlin(15, 11));
    const second = setup(clock, dataDir);
    second.scheduler.start();
    expect(planJobs(second, plan.id)).toHaveLength(1);
    expect(second.scheduler.status().state).toBe('running');
    expect(auditOf(second, 'schedule.catch-up', plan.id)).toHaveLength(1);
  });

  it('several missed slots give one run, for the latest slot', async () => {
    const folders = makeFolders();
    cleanups.push(() => folders.remove());
    const clock = new TestClock(berlin(10, 9));
    const core = setup(clock);
    const plan = await savePlan(core, folderPlanInput({ folders, schedule: DAILY_2, timezone: BERLIN }));
    setLastSlot(core, plan.id, berlin(11, 2)); // then closed for four nights
    clock.set(TODAY_10);

    core.scheduler.start();

    const jobs = planJobs(core, plan.id);
    expect(jobs.map((j) => j.trigger)).toEqual(['catch-up']);
    expect(scheduleState(core, plan.id)?.lastSlotAt).toBe(berlin(15, 2).toISOString());
    await settleJobs(core);
  });

  it('never catches up a slot older than the plan, and marks it handled', async () => {
    const folders = makeFolders();
    cleanups.push(() => folders.remove());
    const clock = new TestClock(berlin(15, 3)); // created today at 03:00, after today's 02:00 slot
    const core = setup(clock);
    const plan = await savePlan(core, folderPlanInput({ folders, schedule: DAILY_2, timezone: BERLIN }));
    clock.set(TODAY_10);

    core.scheduler.start();

    expect(planJobs(core, plan.id)).toHaveLength(0);
    expect(scheduleState(core, plan.id)?.lastSlotAt).toBe(berlin(15, 2).toISOString());
  });

  it('while paused, a missed slot is recorded as handled and not run later', async () => {
    const folders = makeFolders();
    cleanups.push(() => folders.remove());
    const clock = new TestClock(berlin(14, 9));
    const core = setup(clock);
    const plan = await savePlan(core, folderPlanInput({ folders, schedule: DAILY_2, timezone: BERLIN }));
    clock.set(TODAY_10);
    core.setPaused(true);

    core.scheduler.start();

    expect(core.scheduler.status().state).toBe('paused');
    expect(planJobs(core, plan.id)).toHaveLength(0);
    const skipped = auditOf(core, 'schedule.skip-paused', plan.id);
    expect(skipped).toHaveLength(1);
    expect(JSON.parse(skipped[0].details!)).toEqual({ slot: berlin(15, 2).toISOString(), trigger: 'catch-up' });
    expect(scheduleState(core, plan.id)?.lastSlotAt).toBe(berlin(15, 2).toISOString());

    core.setPaused(false);
    expect(core.scheduler.catchUp()).toBe(0);
    expect(planJobs(core, plan.id)).toHaveLength(0);
    expect(core.scheduler.status()).toEqual({
      state: 'running',
      nextRuns: [{ planId: plan.id, planName: plan.name, at: berlin(16, 2).toISOString() }],
    });
  });

  it('a plan busy with another job is skipped, not run twice', async () => {
    const folders = makeFolders();
    cleanups.push(() => folders.remove());
    const clock = new TestClock(berlin(14, 9));
    const core = setup(clock);
    const plan = await savePlan(core, folderPlanInput({ folders, schedule: DAILY_2, timezone: BERLIN }));
    clock.set(TODAY_10);
    let release!: () => void;
    const blocker = core.runner.start(
      { kind: 'backup', planId: plan.id, planName: plan.name, trigger: 'manual' },
      () => new Promise((resolve) => (release = () => resolve({ status: 'success' }))),
    );

    core.scheduler.start();

    expect(planJobs(core, plan.id).map((j) => j.id)).toEqual([blocker.id]);
    expect(auditOf(core, 'schedule.skip-busy', plan.id)).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve)); // let the blocker start
    release();
    await settleJobs(core);
    expect(core.scheduler.catchUp()).toBe(0); // the slot was handled: freeing the plan does not replay it
    expect(planJobs(core, plan.id)).toHaveLength(1);
  });

  it('a plan enabled again does not catch up the slots it had while disabled', async () => {
    const folders = makeFolders();
    cleanups.push(() => folders.remove());
    const dataDir = makeTempDir();
    const clock = new TestClock(berlin(10, 9));
    const core = makeTestCore({ clock, dataDir });
    const input = folderPlanInput({ folders, schedule: DAILY_2, timezone: BERLIN, enabled: false });
    const plan = await savePlan(core, input);
    clock.set(TODAY_10);
    core.scheduler.start();
    expect(planJobs(core, plan.id)).toHaveLength(0); // disabled: no catch-up

    await savePlan(core, { ...input, id: plan.id, enabled: true });
    expect(core.scheduler.status().nextRuns[0].at).toBe(berlin(16, 2).toISOString());
    await core.close();

    const again = setup(clock, dataDir);
    again.scheduler.start();
    expect(planJobs(again, plan.id)).toHaveLength(0);
    expect(fs.readdirSync(folders.destination)).toEqual([]);
  });
});
