/**
 * The keeper of the scheduler lease, two "processes" (two keepers with their own pid, one catalog
 * file, two connections) on fake timers: the first runs the schedules, the second waits and shows
 * who runs them; a clean stop hands over at the next retry, a dead holder is taken over (its jobs
 * recovered), a silent one after the staleness, and a holder taken over learns it at its next
 * heartbeat, stops its scheduler and waits again. The pause switch travels in the lease.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditRepo } from '../../../src/main/core/catalog/audit-repo';
import { openCatalog, type CatalogDb } from '../../../src/main/core/catalog/catalog';
import { PlansRepo } from '../../../src/main/core/catalog/plans-repo';
import { ScheduleStateRepo } from '../../../src/main/core/catalog/schedule-state-repo';
import { SchedulerLeaseRepo, type SchedulerRole } from '../../../src/main/core/catalog/scheduler-lease-repo';
import { EventBus } from '../../../src/main/core/ports';
import { SchedulerLease, type SchedulerLeaseEvent } from '../../../src/main/core/scheduler/scheduler-lease';
import { planInputSchema } from '../../../src/shared/plan';
import { makeTempDir } from '../../support/temp-core';

const TIMINGS = { heartbeatMs: 1000, staleAfterMs: 5000, retryMs: 2000 };
const T0 = new Date('2026-03-01T10:00:00.000Z');

let dir: string;
const dbs: CatalogDb[] = [];
const keepers: SchedulerLease[] = [];
/** pids the fake "isAlive" reports alive */
let alive: Set<number>;

beforeEach(() => {
  vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  dir = makeTempDir('lifeboat-keeper-');
  alive = new Set();
});

afterEach(() => {
  keepers.splice(0).forEach((k) => k.stop());
  dbs.splice(0).forEach((db) => db.close());
  fs.rmSync(dir, { recursive: true, force: true });
  vi.useRealTimers();
});

function fakeScheduler() {
  let started = false;
  return {
    start: vi.fn(() => void (started = true)),
    stop: vi.fn(() => void (started = false)),
    reinitialize: vi.fn(() => ({ state: 'running' as const, nextRuns: [] })),
    status: vi.fn(() => ({ state: started ? ('running' as const) : ('stopped' as const), nextRuns: [] })),
    isStarted: () => started,
  };
}

/** One process on the catalog: its keeper, its scheduler, its pause switch, what it was told. */
function processOn(pid: number, role: SchedulerRole = 'service', host = 'host-a') {
  const db = openCatalog(dir);
  dbs.push(db);
  alive.add(pid);
  const events = new EventBus();
  let paused = false;
  const scheduler = fakeScheduler();
  const told: SchedulerLeaseEvent[] = [];
  const onTakeover = vi.fn();
  const audit = new AuditRepo(db, () => new Date());
  const repo = new SchedulerLeaseRepo(db);
  const keeper = new SchedulerLease({
    repo,
    scheduler,
    plans: new PlansRepo(db),
    state: new ScheduleStateRepo(db),
    audit,
    events,
    isPaused: () => paused,
    role,
    timings: TIMINGS,
    onTakeover,
    pid,
    host,
    isAlive: (p) => alive.has(p),
  });
  keeper.onEvent((e) => told.push(e));
  keepers.push(keeper);
  return {
    keeper,
    scheduler,
    told,
    onTakeover,
    audit,
    db,
    repo,
    setPaused(on: boolean) {
      paused = on;
      events.emit('app/paused-changed', { paused: on });
    },
  };
}

describe('SchedulerLease', () => {
  it('the first process runs the schedules; the second waits, fires nothing, and shows who runs them', () => {
    const app = processOn(100, 'app');
    const service = processOn(200, 'service');
    app.keeper.start();
    expect(app.keeper.holds()).toBe(true);
    expect(app.scheduler.start).toHaveBeenCalledTimes(1);
    expect(app.told).toEqual([{ kind: 'taken', holder: expect.objectContaining({ pid: 100, role: 'app' }), takenOverFrom: null }]);
    expect(app.keeper.status().runBy).toEqual({ kind: 'this', pid: 100, host: 'host-a', role: 'app' });

    service.keeper.start();
    expect(service.keeper.holds()).toBe(false);
    expect(service.scheduler.start).not.toHaveBeenCalled();
    expect(service.told).toEqual([{ kind: 'waiting', holder: expect.objectContaining({ pid: 100, role: 'app' }) }]);

    // the next runs the holder armed (schedule_state) are what the other shows
    const plan = new PlansRepo(service.db).upsert(
      'p1',
      planInputSchema.parse({ name: 'Nightly', folders: [{ id: 'f', path: '/data' }], schedule: { kind: 'daily', time: '02:00' }, options: { destination: '/backups' } }),
      T0.toISOString(),
    );
    new ScheduleStateRepo(app.db).setNextRun(plan.id, '2026-03-02T02:00:00.000Z');
    expect(service.keeper.status()).toEqual({
      state: 'running',
      nextRuns: [{ planId: 'p1', planName: 'Nightly', at: '2026-03-02T02:00:00.000Z' }],
      runBy: { kind: 'other', pid: 100, host: 'host-a', role: 'app' },
    });

    // still waiting after several retries, said once
    vi.advanceTimersByTime(3 * TIMINGS.retryMs);
    expect(service.scheduler.start).not.toHaveBeenCalled();
    expect(service.told).toHaveLength(1);
  });

  it('a clean stop gives the lease back; the waiting process takes it at its next retry', () => {
    const app = processOn(100, 'app');
    const service = processOn(200);
    app.keeper.start();
    service.keeper.start();
    app.keeper.stop();
    expect(app.scheduler.stop).toHaveBeenCalled();
    expect(app.told.at(-1)).toMatchObject({ kind: 'released', holder: { pid: 100 } });
    vi.advanceTimersByTime(TIMINGS.retryMs);
    expect(service.keeper.holds()).toBe(true);
    expect(service.scheduler.start).toHaveBeenCalledTimes(1);
    expect(service.told.at(-1)).toMatchObject({ kind: 'taken', takenOverFrom: null });
    expect(service.onTakeover).not.toHaveBeenCalled();
  });

  it('a dead holder is taken over at the next retry, its jobs recovered and the takeover audited', () => {
    const app = processOn(100, 'app');
    const service = processOn(200);
    app.keeper.start();
    service.keeper.start();
    alive.delete(100); // kill -9: no release
    vi.advanceTimersByTime(TIMINGS.retryMs);
    expect(service.keeper.holds()).toBe(true);
    expect(service.told.at(-1)).toMatchObject({ kind: 'taken', holder: { pid: 200 }, takenOverFrom: { pid: 100, role: 'app' } });
    expect(service.onTakeover).toHaveBeenCalledWith(expect.objectContaining({ pid: 100 }));
    expect(service.audit.list(1, 10).items[0]).toMatchObject({ actor: 'scheduler', action: 'scheduler.lease-takeover' });
  });

  it('a silent holder (hung, or on another host) is taken over after the staleness; it stops firing at its next heartbeat and waits again', () => {
    const app = processOn(100, 'app', 'laptop');
    const service = processOn(200, 'service', 'server');
    app.keeper.start();
    service.keeper.start();
    // heart-beating: never stale, however long
    vi.advanceTimersByTime(4 * TIMINGS.staleAfterMs);
    expect(service.keeper.holds()).toBe(false);

    // the app hangs: its heartbeats stop reaching the catalog
    const hung = vi.spyOn(app.repo, 'heartbeat').mockReturnValue(true);
    vi.advanceTimersByTime(TIMINGS.staleAfterMs - TIMINGS.heartbeatMs);
    expect(service.keeper.holds()).toBe(false);
    vi.advanceTimersByTime(TIMINGS.retryMs + TIMINGS.heartbeatMs);
    expect(service.keeper.holds()).toBe(true);
    hung.mockRestore();
    expect(service.scheduler.start).toHaveBeenCalledTimes(1);

    // the app's next heartbeat finds the lease taken over: its scheduler stops, it waits
    vi.advanceTimersByTime(TIMINGS.heartbeatMs);
    expect(app.keeper.holds()).toBe(false);
    expect(app.scheduler.stop).toHaveBeenCalled();
    expect(app.told.slice(-2)).toEqual([
      { kind: 'lost', holder: expect.objectContaining({ pid: 200 }) },
      { kind: 'waiting', holder: expect.objectContaining({ pid: 200 }) },
    ]);
    expect(app.audit.list(1, 10).items.map((e) => e.action)).toContain('scheduler.lease-lost');
    expect(app.keeper.status().runBy).toMatchObject({ kind: 'other', pid: 200, role: 'service' });
  });

  it('the holder\'s pause switch travels in the lease: the other process shows it paused', () => {
    const app = processOn(100, 'app');
    const service = processOn(200);
    app.keeper.start();
    service.keeper.start();
    app.setPaused(true);
    expect(service.keeper.status().state).toBe('paused');
    app.setPaused(false);
    expect(service.keeper.status().state).toBe('running');
  });

  it('reinitialize re-arms the holder, takes the lease at once when the holder is gone, and starts a process that never started', () => {
    const app = processOn(100, 'app');
    const service = processOn(200);
    app.keeper.start();
    service.keeper.start();
    app.keeper.reinitialize();
    expect(app.scheduler.reinitialize).toHaveBeenCalledTimes(1);
    // the waiting one asks again now, not at its next retry
    expect(service.keeper.reinitialize().runBy).toMatchObject({ kind: 'other', pid: 100 });
    app.keeper.stop();
    expect(service.keeper.reinitialize().runBy).toMatchObject({ kind: 'this', pid: 200 });
    expect(service.scheduler.start).toHaveBeenCalledTimes(1);

    // a third process that never started its schedules: nobody holds the lease after a stop
    service.keeper.stop();
    const third = processOn(300, 'app');
    expect(third.keeper.status().runBy).toBeNull();
    expect(third.keeper.reinitialize().runBy).toMatchObject({ kind: 'this', pid: 300 });
    expect(third.scheduler.reinitialize).toHaveBeenCalledTimes(1);
  });
});
