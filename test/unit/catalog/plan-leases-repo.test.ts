/**
 * The plan run lease (one run per plan across processes): taking a free lease, refusing a live
 * holder, taking over a stale one (dead pid on this host, old heartbeat on any host, a release
 * this very process never made), heartbeats and release only by the holder, and two catalog
 * connections (two processes) asking for the same plan.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogDb } from '../../../src/main/core/catalog/catalog';
import { isLeaseStale, LEASE_STALE_MS, PlanLeasesRepo } from '../../../src/main/core/catalog/plan-leases-repo';
import { makeTempDir } from '../../support/temp-core';

const dirs: string[] = [];
const dbs: CatalogDb[] = [];
afterEach(() => {
  dbs.splice(0).forEach((db) => db.close());
  dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

function open(dir?: string): { repo: PlanLeasesRepo; dir: string } {
  const at = dir ?? makeTempDir('lifeboat-leases-');
  if (!dir) dirs.push(at);
  const db = openCatalog(at);
  dbs.push(db);
  return { repo: new PlanLeasesRepo(db), dir: at };
}

const T0 = new Date('2026-03-01T10:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const alive = (pids: number[]) => (pid: number) => pids.includes(pid);
const holder = (jobId: string, pid: number, host = 'host-a') => ({ planId: 'nightly', jobId, pid, host });

describe('PlanLeasesRepo', () => {
  it('takes a free lease and records the holder with its heartbeat', () => {
    const { repo } = open();
    expect(repo.take(holder('job-1', 100), { now: T0, isAlive: alive([100]) })).toEqual({ taken: true });
    expect(repo.get('nightly')).toEqual({ planId: 'nightly', jobId: 'job-1', pid: 100, host: 'host-a', heartbeatAt: T0.toISOString() });
    // another plan is another lease
    expect(repo.take({ ...holder('job-2', 200), planId: 'weekly' }, { now: T0, isAlive: alive([100, 200]) })).toEqual({ taken: true });
  });

  it('refuses a live holder: a live process of this host, or a fresh heartbeat from another host', () => {
    const { repo } = open();
    repo.take(holder('job-1', 100), { now: T0, isAlive: alive([100]) });
    const refused = repo.take(holder('job-2', 200), { now: later(60_000), isAlive: alive([100, 200]) });
    expect(refused).toEqual({ taken: false, holder: expect.objectContaining({ jobId: 'job-1', pid: 100, host: 'host-a' }) });

    // seen from another host, pid 100 means nothing there: only the heartbeat counts
    const fromB = repo.take(holder('job-3', 100, 'host-b'), { now: later(LEASE_STALE_MS - 1), isAlive: alive([]) });
    expect(fromB.taken).toBe(false);
    expect(repo.get('nightly')!.jobId).toBe('job-1');
  });

  it('takes over a stale lease: a dead pid on this host, an old heartbeat on any host, or its own pid', () => {
    const { repo } = open();
    repo.take(holder('job-1', 100), { now: T0, isAlive: alive([100]) });
    // pid 100 died (kill -9): taken over at once, heartbeat fresh or not
    expect(repo.take(holder('job-2', 200), { now: later(1000), isAlive: alive([200]) })).toEqual({ taken: true });
    expect(repo.get('nightly')).toMatchObject({ jobId: 'job-2', pid: 200, heartbeatAt: later(1000).toISOString() });

    // a holder on another host whose heartbeat stopped more than LEASE_STALE_MS ago
    repo.release('nightly', 'job-2');
    expect(repo.take(holder('job-3', 300, 'host-b'), { now: later(2000), isAlive: alive([]) })).toEqual({ taken: true });
    expect(repo.take(holder('job-4', 200), { now: later(2000 + LEASE_STALE_MS - 1), isAlive: alive([200]) }).taken).toBe(false);
    expect(repo.take(holder('job-4', 200), { now: later(2000 + LEASE_STALE_MS + 1), isAlive: alive([200]) })).toEqual({ taken: true });

    // a live pid of this host with an old heartbeat: a hung holder, or the pid handed to another program
    expect(repo.take(holder('job-5', 500), { now: later(10 * LEASE_STALE_MS), isAlive: alive([200, 500]) })).toEqual({ taken: true });

    // this process's own pid: it knows it runs no job of the plan (a release that never happened)
    expect(repo.take(holder('job-6', 500), { now: later(10 * LEASE_STALE_MS + 1), isAlive: alive([500]) })).toEqual({ taken: true });
    expect(repo.get('nightly')!.jobId).toBe('job-6');
  });

  it('heartbeats and releases only for the job that holds the lease', () => {
    const { repo } = open();
    repo.take(holder('job-1', 100), { now: T0, isAlive: alive([100]) });
    expect(repo.heartbeat('nightly', 'job-1', later(10_000))).toBe(true);
    expect(repo.get('nightly')!.heartbeatAt).toBe(later(10_000).toISOString());
    // the heartbeat keeps it live on another host past the first window
    expect(repo.take(holder('job-x', 9, 'host-b'), { now: later(LEASE_STALE_MS + 5000), isAlive: alive([]) }).taken).toBe(false);

    // someone else's job neither refreshes nor releases it
    expect(repo.heartbeat('nightly', 'job-2', later(20_000))).toBe(false);
    expect(repo.release('nightly', 'job-2')).toBe(false);
    expect(repo.get('nightly')!.heartbeatAt).toBe(later(10_000).toISOString());

    // taken over (the holder was thought dead): its heartbeat says it lost the lease
    repo.take(holder('job-2', 200), { now: later(30_000), isAlive: alive([200]) });
    expect(repo.heartbeat('nightly', 'job-1', later(30_000))).toBe(false);
    expect(repo.release('nightly', 'job-1')).toBe(false);
    expect(repo.get('nightly')!.jobId).toBe('job-2');

    expect(repo.release('nightly', 'job-2')).toBe(true);
    expect(repo.get('nightly')).toBeUndefined();
    expect(repo.take(holder('job-3', 300), { now: later(40_000), isAlive: alive([200, 300]) })).toEqual({ taken: true });
  });

  it('is one lease for two catalog connections (as two processes have): the second is refused', () => {
    const first = open();
    const second = open(first.dir);
    const check = { now: T0, isAlive: alive([100, 200]) };
    const results = [first.repo.take(holder('job-1', 100), check), second.repo.take(holder('job-2', 200), check)];
    expect(results.filter((r) => r.taken)).toHaveLength(1);
    expect(results[1]).toEqual({ taken: false, holder: expect.objectContaining({ jobId: 'job-1' }) });
    expect(second.repo.get('nightly')!.jobId).toBe('job-1');
  });

  it('isLeaseStale: the rule on its own', () => {
    const lease = { planId: 'p', jobId: 'j', pid: 100, host: 'host-a', heartbeatAt: T0.toISOString() };
    const taker = { pid: 200, host: 'host-a' };
    expect(isLeaseStale(lease, taker, { now: later(1000), isAlive: alive([100]) })).toBe(false);
    expect(isLeaseStale(lease, taker, { now: later(1000), isAlive: alive([]) })).toBe(true);
    expect(isLeaseStale(lease, { pid: 200, host: 'host-b' }, { now: later(1000), isAlive: alive([]) })).toBe(false);
    expect(isLeaseStale(lease, { pid: 200, host: 'host-b' }, { now: later(31_000), isAlive: alive([]), staleAfterMs: 30_000 })).toBe(true);
    expect(isLeaseStale(lease, { pid: 100, host: 'host-a' }, { now: later(1000), isAlive: alive([100]) })).toBe(true);
  });
});
