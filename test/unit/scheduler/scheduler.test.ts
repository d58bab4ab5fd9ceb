/**
 * The Scheduler's decisions with a hand-driven timer and clock: which slot a timer handles, what
 * it arms next, and that a slot is never handled twice (overdue timer vs. catch-up on resume).
 * Plans, schedule state and the audit log are the real catalog; starting a backup is recorded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ScheduleStateRepo } from '../../../src/main/core/catalog/schedule-state-repo';
import type { LifeboatCore } from '../../../src/main/core/lifeboat';
import { Scheduler, type SlotTimer } from '../../../src/main/core/scheduler/scheduler';
import type { JobSummary, JobTrigger } from '../../../src/shared/job';
import { planInputSchema, type Plan, type PlanInput } from '../../../src/shared/plan';
import { TestClock } from '../../support/test-clock';
import { makeTestCore } from '../../support/temp-core';

const HOUR = 3_600_000;

/** A timer that only records what was armed; the test fires it. */
class ManualTimer implements SlotTimer {
  armed: { name: string; at: Date; fire: () => void; cancelled: boolean; fired: boolean }[] = [];
  arm(name: string, at: Date, fire: () => void): () => void {
    const entry = {
      name,
      at,
      cancelled: false,
      fired: false,
      fire: () => {
        entry.fired = true;
        fire();
      },
    };
    this.armed.push(entry);
    return () => void (entry.cancelled = true);
  }
  /** armed, neither fired nor cancelled */
  live() {
    return this.armed.filter((a) => !a.cancelled && !a.fired);
  }
}

const cores: LifeboatCore[] = [];
afterEach(async () => {
  for (const core of cores.splice(0)) await (core as LifeboatCore & { cleanup(): Promise<void> }).cleanup();
});

function setup(start: string) {
  const clock = new TestClock(new Date(start));
  const core = makeTestCore({ clock });
  cores.push(core);
  const timer = new ManualTimer();
  const started: { planId: string; trigger: JobTrigger }[] = [];
  const busy = new Set<string>();
  const state = new ScheduleStateRepo(core.catalog);
  const scheduler = new Scheduler({
    plans: core.plans,
    runner: { isPlanActive: (id) => busy.has(id) },
    audit: core.audit,
    events: core.events,
    clock,
    state,
    isPaused: () => core.isPaused(),
    startPlanBackup: (plan: Plan, trigger: JobTrigger) => {
      started.push({ planId: plan.id, trigger });
      return { id: `job-${started.length}` } as JobSummary;
    },
    timer,
  });
  const addPlan = (id: string, input: Partial<PlanInput>) =>
    core.plans.upsert(
      id,
      planInputSchema.parse({
        name: id,
        folders: [{ id: 'f', path: '/data' }],
        options: { destination: '/backups', encrypt: false },
        timezone: 'UTC',
        ...input,
      }),
      clock.now().toISOString(),
    );
  return { clock, core, timer, started, busy, state, scheduler, addPlan };
}

describe('Scheduler', () => {
  it('arms one timer per scheduled plan, none for manual or disabled plans', () => {
    const t = setup('2026-05-01T10:00:00Z');
    t.addPlan('hourly', { schedule: { kind: 'hourly', everyHours: 6 } });
    t.addPlan('manual', { schedule: { kind: 'manual' } });
    t.addPlan('off', { schedule: { kind: 'daily', time: '02:00' }, enabled: false });
    t.scheduler.start();
    expect(t.timer.live().map((a) => [a.name.split(':')[2], a.at.toISOString()])).toEqual([['hourly', '2026-05-01T12:00:00.000Z']]);
    expect(t.scheduler.status().nextRuns.map((r) => [r.planId, r.at])).toEqual([
      ['hourly', '2026-05-01T12:00:00.000Z'],
      ['manual', null],
      ['off', null],
    ]);
  });

  it('a timer that fires a little early still handles its own slot and arms the next one', () => {
    const t = setup('2026-05-01T10:00:00Z');
    t.addPlan('p', { schedule: { kind: 'hourly', everyHours: 6 } });
    t.scheduler.start();
    const [first] = t.timer.live();
    t.clock.set(new Date(first.at.getTime() - 2)); // the wall clock reads 2 ms before the slot
    first.fire();
    expect(t.started).toEqual([{ planId: 'p', trigger: 'scheduled' }]);
    expect(t.state.get('p')?.lastSlotAt).toBe('2026-05-01T12:00:00.000Z');
    expect(t.timer.live().map((a) => a.at.toISOString())).toEqual(['2026-05-01T18:00:00.000Z']);
    expect(t.state.get('p')?.nextRunAt).toBe('2026-05-01T18:00:00.000Z');
  });

  it('after sleeping through slots, catch-up runs once and the overdue timer then runs nothing', () => {
    const t = setup('2026-05-01T10:00:00Z');
    t.addPlan('p', { schedule: { kind: 'hourly', everyHours: 6 } });
    t.scheduler.start();
    const [overdue] = t.timer.live();
    t.clock.advance(15 * HOUR); // asleep over the 12:00 and 18:00 slots; it is now 01:00
    expect(t.scheduler.catchUp()).toBe(1);
    expect(t.started).toEqual([{ planId: 'p', trigger: 'catch-up' }]);
    expect(t.state.get('p')?.lastSlotAt).toBe('2026-05-02T00:00:00.000Z');
    expect(overdue.cancelled).toBe(true);
    overdue.fire(); // its callback was already on its way when it was cancelled
    expect(t.started).toHaveLength(1);
    expect(t.timer.live().map((a) => a.at.toISOString())).toEqual(['2026-05-02T06:00:00.000Z']);
  });

  it('a plan disabled behind its back (another process) is not run when its timer fires', () => {
    const t = setup('2026-05-01T10:00:00Z');
    const plan = t.addPlan('p', { schedule: { kind: 'hourly', everyHours: 6 } });
    t.scheduler.start();
    const [timer] = t.timer.live();
    t.core.plans.upsert('p', { ...plan, enabled: false }, t.clock.now().toISOString());
    t.clock.set(timer.at);
    timer.fire();
    expect(t.started).toEqual([]);
    expect(t.timer.live()).toEqual([]);
    expect(t.scheduler.status().nextRuns).toEqual([{ planId: 'p', planName: 'p', at: null }]);
  });

  it('a schedule that cannot be computed is audited and left unarmed; the other plans still run', () => {
    const t = setup('2026-05-01T10:00:00Z');
    // written straight into the catalog: plans/save would not let a bad zone through the renderer
    t.addPlan('bad', { schedule: { kind: 'daily', time: '02:00' }, timezone: 'Not/AZone' });
    t.addPlan('good', { schedule: { kind: 'daily', time: '02:00' } });
    expect(() => t.scheduler.start()).not.toThrow();
    expect(t.timer.live().map((a) => a.name.split(':')[2])).toEqual(['good']);
    const errors = t.core.audit.list(1, 50).items.filter((e) => e.action === 'schedule.error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].target).toBe('bad');
    expect(errors[0].details).toMatch(/unknown time zone/);
  });

  it('a changed schedule re-baselines catch-up: slots of the old schedule are not missed ones', () => {
    const t = setup('2026-05-01T10:00:00Z');
    const plan = t.addPlan('p', { schedule: { kind: 'daily', time: '02:00' } });
    t.clock.set(new Date('2026-05-10T15:00:00Z')); // the plan is old; the app runs today
    t.scheduler.start(); // catches up today's 02:00
    expect(t.started).toEqual([{ planId: 'p', trigger: 'catch-up' }]);
    // at 15:00 the admin moves the run to 12:00, which is already past today
    t.core.plans.upsert('p', { ...plan, schedule: { kind: 'daily', time: '12:00' } }, t.clock.now().toISOString());
    t.core.events.emit('plans/changed', { planId: 'p' });
    expect(t.state.get('p')?.lastSlotAt).toBe('2026-05-10T12:00:00.000Z');
    expect(t.scheduler.catchUp()).toBe(0);
    expect(t.timer.live().map((a) => a.at.toISOString())).toEqual(['2026-05-11T12:00:00.000Z']);
  });
});
