/**
 * The scheduler lease (one scheduler per catalog): taking a free lease, refusing a live holder,
 * taking over a stale one (dead pid on this host, old heartbeat on any host, this very process
 * under another holder id), heartbeats and release only by the holder, re-taking one's own lease,
 * and two catalog connections (two processes) asking at once.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogDb } from '../../../src/main/core/catalog/catalog';
import {
  isSchedulerLeaseStale,
  SCHEDULER_LEASE_STALE_MS,
  SchedulerLeaseRepo,
  type SchedulerLeaseTaker,
} from '../../../src/main/core/catalog/scheduler-lease-repo';
import { makeTempDir } from '../../support/temp-core';

const dirs: string[] = [];
const dbs: CatalogDb[] = [];
afterEach(() => {
  dbs.splice(0).forEach((db) => db.close());
  dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

function open(dir?: string): { repo: SchedulerLeaseRepo; dir: string } {
  const at = dir ?? makeTempDir('lifeboat-sched-lease-');
  if (!dir) dirs.push(at);
  const db = openCatalog(at);
  dbs.push(db);
  return { repo: new SchedulerLeaseRepo(db), dir: at };
}

const T0 = new Date('2026-03-01T10:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const alive = (pids: number[]) => (pid: number) => pids.includes(pid);
const taker = (holderId: string, pid: number, host = 'host-a', role: 'app' | 'service' = 'service'): SchedulerLeaseTaker => ({ holderId, pid, host, role, paused: false });

describe('SchedulerLeaseRepo', () => {
  it('takes a free lease and records the holder, its role and heartbeat', () => {
    const { repo } = open();
    expect(repo.get()).toBeUndefined();
    expect(repo.take(taker('h1', 100), { now: T0, isAlive: alive([100]) })).toEqual({ taken: true, previous: null });
    expect(repo.get()).toEqual({
      holderId: 'h1',
      pid: 100,
      host: 'host-a',
      role: 'service',
      acquiredAt: T0.toISOString(),
      heartbeatAt: T0.toISOString(),
      paused: false,
    });
  });

  it('refuses a live holder: a live process of this host, or a fresh heartbeat from another host', () => {
    const { repo } = open();
    repo.take(taker('h1', 100), { now: T0, isAlive: alive([100]) });
    const refused = repo.take(taker('h2', 200, 'host-a', 'app'), { now: later(30_000), isAlive: alive([100, 200]) });
    expect(refused).toEqual({ taken: false, holder: expect.objectContaining({ holderId: 'h1', pid: 100, role: 'service' }) });
    // from another host pid 100 means nothing: only the heartbeat counts
    expect(repo.take(taker('h3', 100, 'host-b'), { now: later(SCHEDULER_LEASE_STALE_MS - 1), isAlive: alive([]) }).taken).toBe(false);
    expect(repo.get()!.holderId).toBe('h1');
  });

  it('takes over a stale lease and names the previous holder: a dead pid, an old heartbeat, its own pid under another id', () => {
    const { repo } = open();
    repo.take(taker('h1', 100), { now: T0, isAlive: alive([100]) });
    // pid 100 died (kill -9): taken over at once
    const dead = repo.take(taker('h2', 200, 'host-a', 'app'), { now: later(1000), isAlive: alive([200]) });
    expect(dead).toEqual({ taken: true, previous: expect.objectContaining({ holderId: 'h1', pid: 100 }) });
    expect(repo.get()).toMatchObject({ holderId: 'h2', pid: 200, role: 'app', acquiredAt: later(1000).toISOString() });

    // a holder on another host that stopped heart-beating
    const fromB = repo.take(taker('h3', 300, 'host-b'), { now: later(1000 + SCHEDULER_LEASE_STALE_MS + 1), isAlive: alive([]) });
    expect(fromB).toMatchObject({ taken: true, previous: { holderId: 'h2' } });

    // the staleness is the caller's to choose (the daemon's LIFEBOAT_LEASE_STALE_MS)
    const quick = repo.take(taker('h4', 400, 'host-c'), { now: later(1000 + SCHEDULER_LEASE_STALE_MS + 3002), isAlive: alive([]), staleAfterMs: 3000 });
    expect(quick.taken).toBe(true);

    // a row naming this very process under another holder id: a release that never happened
    const own = repo.take(taker('h5', 400, 'host-c'), { now: later(1000 + SCHEDULER_LEASE_STALE_MS + 3003), isAlive: alive([400]) });
    expect(own).toMatchObject({ taken: true, previous: { holderId: 'h4' } });
  });

  it('lets the holder take its own lease again (keeping when it was acquired), and heart-beat it with its pause state', () => {
    const { repo } = open();
    repo.take(taker('h1', 100), { now: T0, isAlive: alive([100]) });
    expect(repo.take({ ...taker('h1', 100), paused: true }, { now: later(5000), isAlive: alive([100]) })).toEqual({ taken: true, previous: null });
    expect(repo.get()).toMatchObject({ acquiredAt: T0.toISOString(), heartbeatAt: later(5000).toISOString(), paused: true });
    expect(repo.heartbeat('h1', later(9000), false)).toBe(true);
    expect(repo.get()).toMatchObject({ heartbeatAt: later(9000).toISOString(), paused: false });
  });

  it('heartbeat and release only work for the holder: one taken over learns it from its heartbeat', () => {
    const { repo } = open();
    repo.take(taker('h1', 100), { now: T0, isAlive: alive([100]) });
    repo.take(taker('h2', 200), { now: later(1000), isAlive: alive([200]) });
    expect(repo.heartbeat('h1', later(2000), false)).toBe(false);
    expect(repo.release('h1')).toBe(false);
    expect(repo.get()!.holderId).toBe('h2');
    expect(repo.release('h2')).toBe(true);
    expect(repo.get()).toBeUndefined();
    // released: the next taker finds it free, with nobody to take over
    expect(repo.take(taker('h3', 300), { now: later(3000), isAlive: alive([300]) })).toEqual({ taken: true, previous: null });
  });

  it('liveHolder is the holder unless it is stale', () => {
    const { repo } = open();
    const viewer = { holderId: 'v', pid: -1, host: 'host-a' };
    expect(repo.liveHolder(viewer, { now: T0, isAlive: alive([]) })).toBeUndefined();
    repo.take(taker('h1', 100), { now: T0, isAlive: alive([100]) });
    expect(repo.liveHolder(viewer, { now: later(1000), isAlive: alive([100]) })).toMatchObject({ holderId: 'h1' });
    expect(repo.liveHolder(viewer, { now: later(1000), isAlive: alive([]) })).toBeUndefined();
    expect(repo.liveHolder(viewer, { now: later(SCHEDULER_LEASE_STALE_MS + 1), isAlive: alive([100]) })).toBeUndefined();
  });

  it('two connections (two processes) asking at once: exactly one wins', () => {
    const a = open();
    const b = open(a.dir);
    const check = { now: T0, isAlive: alive([100, 200]) };
    const results = [a.repo.take(taker('h1', 100), check), b.repo.take(taker('h2', 200, 'host-a', 'app'), check)];
    expect(results.filter((r) => r.taken)).toHaveLength(1);
    expect(a.repo.get()!.holderId).toBe('h1');
    expect(b.repo.get()!.holderId).toBe('h1');
  });

  it('isSchedulerLeaseStale: the taker\'s own holder id is never stale', () => {
    const lease = { holderId: 'h1', pid: 100, host: 'host-a', role: 'service' as const, acquiredAt: T0.toISOString(), heartbeatAt: T0.toISOString(), paused: false };
    expect(isSchedulerLeaseStale(lease, { holderId: 'h1', pid: 100, host: 'host-a' }, { now: later(10 * SCHEDULER_LEASE_STALE_MS), isAlive: alive([]) })).toBe(false);
    expect(isSchedulerLeaseStale(lease, { holderId: 'h2', pid: 100, host: 'host-a' }, { now: T0, isAlive: alive([100]) })).toBe(true);
    expect(isSchedulerLeaseStale(lease, { holderId: 'h2', pid: 200, host: 'host-a' }, { now: T0, isAlive: alive([100]) })).toBe(false);
  });
});
