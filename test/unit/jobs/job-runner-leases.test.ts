/**
 * The JobRunner's part in the hardening: a plan's lease in the catalog (refused while another
 * live process holds it, taken over from a dead one, refreshed while the job runs, released at
 * its end), the temp databases a job records, and what the interrupted message says per kind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openCatalog, type CatalogDb } from '../../../src/main/core/catalog/catalog';
import { JobsRepo } from '../../../src/main/core/catalog/jobs-repo';
import { PlanLeasesRepo } from '../../../src/main/core/catalog/plan-leases-repo';
import { JobRunner, type JobContext, type JobOutcome } from '../../../src/main/core/jobs/job-runner';
import { EventBus } from '../../../src/main/core/ports';
import { AppError } from '../../../src/shared/errors';
import { TestClock } from '../../support/test-clock';

/** above Linux's highest possible pid_max (2^22), so no process has it */
const DEAD_PID = 2 ** 22 + 777;

interface Harness {
  dir: string;
  db: CatalogDb;
  jobs: JobsRepo;
  leases: PlanLeasesRepo;
  runner: JobRunner;
}

const harnesses: Harness[] = [];

function setup(): Harness {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-runner-leases-'));
  const db = openCatalog(dir);
  const jobs = new JobsRepo(db);
  const leases = new PlanLeasesRepo(db);
  const runner = new JobRunner({ jobs, events: new EventBus(), clock: new TestClock(new Date('2026-03-01T10:00:00.000Z')), maxConcurrent: 2, leases });
  const harness = { dir, db, jobs, leases, runner };
  harnesses.push(harness);
  return harness;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const h of harnesses.splice(0)) {
    await h.runner.cancelAll('system');
    h.db.close();
    fs.rmSync(h.dir, { recursive: true, force: true });
  }
});

/** Work the test finishes by hand; it stops when its signal aborts. */
function controlled(): { run: (ctx: JobContext) => Promise<JobOutcome>; called: Promise<JobContext>; finish: (error?: unknown) => void } {
  let called!: (ctx: JobContext) => void;
  let settle!: (error?: unknown) => void;
  const calledPromise = new Promise<JobContext>((resolve) => (called = resolve));
  const run = (ctx: JobContext) =>
    new Promise<JobOutcome>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve({ status: 'success' }));
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      called(ctx);
    });
  return { run, called: calledPromise, finish: (error) => settle(error) };
}

const nightly = { kind: 'backup' as const, planId: 'plan-1', planName: 'Nightly', trigger: 'manual' as const };

describe('JobRunner plan leases', () => {
  it('refuses PLAN_BUSY, naming pid and host, while another live process holds the lease; creates no job', () => {
    const { runner, jobs, leases } = setup();
    leases.take({ planId: 'plan-1', jobId: 'elsewhere', pid: process.ppid, host: os.hostname() }, { now: new Date(), isAlive: () => true });
    const error = (() => {
      try {
        runner.start(nightly, controlled().run);
      } catch (e) {
        return e;
      }
    })() as AppError;
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('PLAN_BUSY');
    expect(error.detail).toBe(`"Nightly" is already running (pid ${process.ppid} on host ${os.hostname()})`);
    expect(jobs.all({})).toEqual([]);
    expect(leases.get('plan-1')!.jobId).toBe('elsewhere');
    // jobs without a plan take no lease
    expect(() => runner.start({ ...nightly, planId: null }, async () => ({ status: 'success' }))).not.toThrow();
  });

  it("takes over a dead process's lease, refreshes it while the job runs, and releases it at the end", async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(new Date('2026-03-01T10:00:00.000Z'));
    const { runner, leases } = setup();
    leases.take({ planId: 'plan-1', jobId: 'crashed', pid: DEAD_PID, host: os.hostname() }, { now: new Date(), isAlive: () => true });

    const work = controlled();
    const id = runner.start(nightly, work.run).id;
    expect(leases.get('plan-1')).toEqual({ planId: 'plan-1', jobId: id, pid: process.pid, host: os.hostname(), heartbeatAt: '2026-03-01T10:00:00.000Z' });
    await work.called;
    vi.advanceTimersByTime(10_000);
    expect(leases.get('plan-1')!.heartbeatAt).toBe('2026-03-01T10:00:10.000Z');
    vi.advanceTimersByTime(10_000);
    expect(leases.get('plan-1')!.heartbeatAt).toBe('2026-03-01T10:00:20.000Z');

    work.finish();
    await runner.wait(id);
    expect(leases.get('plan-1')).toBeUndefined();
    vi.advanceTimersByTime(30_000);
    expect(leases.get('plan-1')).toBeUndefined();
  });

  it('releases the lease of a failed, a cancelled and a queued-then-cancelled job', async () => {
    const { runner, leases } = setup();
    const failing = controlled();
    const failedId = runner.start(nightly, failing.run).id;
    await failing.called;
    failing.finish(new AppError('PG_UNREACHABLE'));
    expect((await runner.wait(failedId)).status).toBe('failed');
    expect(leases.get('plan-1')).toBeUndefined();

    const cancelled = controlled();
    const cancelledId = runner.start(nightly, cancelled.run).id;
    await cancelled.called;
    runner.cancel(cancelledId, 'user');
    expect((await runner.wait(cancelledId)).status).toBe('cancelled');
    expect(leases.get('plan-1')).toBeUndefined();

    // the two slots taken by other plans: this one waits as pending, holding its lease
    const busy = [controlled(), controlled()];
    busy.forEach((w, i) => runner.start({ ...nightly, planId: `other-${i}` }, w.run));
    const queuedId = runner.start(nightly, controlled().run).id;
    expect(leases.get('plan-1')!.jobId).toBe(queuedId);
    runner.cancel(queuedId, 'user');
    expect((await runner.wait(queuedId)).status).toBe('cancelled');
    expect(leases.get('plan-1')).toBeUndefined();
  });
});

describe('JobRunner temp databases and interrupted messages', () => {
  it("records the job's temp databases through its context; they outlive the job until forgotten", async () => {
    const { runner, jobs } = setup();
    const work = controlled();
    const { id } = runner.start({ kind: 'restore', planId: null, planName: 'shop.lifeboat', trigger: 'manual' }, work.run);
    const ctx = await work.called;
    const db = { host: '127.0.0.1', port: 5432, user: 'admin', sslMode: 'disable' as const, database: 'shop_copy' };
    ctx.recordTempDatabase(db);
    expect(jobs.tempDatabasesOf(id)).toEqual([db]);
    work.finish(new AppError('PG_UNREACHABLE'));
    await runner.wait(id);
    // the drop failed with the server: the next start's recovery still knows the database
    expect(jobs.tempDatabasesOf(id)).toEqual([db]);
    ctx.forgetTempDatabase(db);
    expect(jobs.tempDatabasesOf(id)).toEqual([]);
  });

  it('says what kind of job was interrupted, and mentions a partial file only when there was one', () => {
    const { runner, jobs, dir } = setup();
    const temp = path.join(dir, 'nightly.lifeboat.part');
    fs.writeFileSync(temp, 'partial');
    const row = (id: string, kind: 'backup' | 'restore' | 'drill' | 'verify') =>
      jobs.create({ id, kind, planId: null, planName: id, trigger: 'manual', startedAt: '2026-03-01T09:00:00.000Z', ownerPid: DEAD_PID });
    row('backup', 'backup');
    jobs.markRunning('backup', temp);
    for (const kind of ['restore', 'drill', 'verify'] as const) {
      row(kind, kind);
      jobs.markRunning(kind, null);
    }
    expect(runner.recoverInterrupted()).toBe(4);
    expect(jobs.get('backup')!.displayMessage).toBe('Interrupted: Lifeboat stopped while this backup was running. Its partial file was removed.');
    expect(fs.existsSync(temp)).toBe(false);
    expect(jobs.get('restore')!.displayMessage).toBe('Interrupted: Lifeboat stopped while this restore was running.');
    expect(jobs.get('drill')!.displayMessage).toBe('Interrupted: Lifeboat stopped while this restore drill was running.');
    expect(jobs.get('verify')!.displayMessage).toBe('Interrupted: Lifeboat stopped while this verification was running.');
  });
});
