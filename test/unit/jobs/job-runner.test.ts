/**
 * The JobRunner against a real SQLite catalog: the concurrency cap, one run per plan, cancelling
 * queued and running jobs, throttled progress, failures and crash recovery. Every work function
 * is driven by the test through deferred promises, so nothing here waits on the clock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCatalog, type CatalogDb } from '../../../src/main/core/catalog/catalog';
import { JobsRepo } from '../../../src/main/core/catalog/jobs-repo';
import {
  JobFailure,
  JobRunner,
  type JobContext,
  type JobOutcome,
  type JobSpec,
} from '../../../src/main/core/jobs/job-runner';
import { EventBus } from '../../../src/main/core/ports';
import { AppError, ERROR_MESSAGES } from '../../../src/shared/errors';
import type { JobSourceResult, JobStatus, JobSummary } from '../../../src/shared/job';
import { TestClock } from '../../support/test-clock';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A job's work that the test drives: `called` resolves with its context once the runner starts
 * it, and it finishes only when the test says so. Like real work it stops when its signal aborts,
 * unless told to ignore the signal (a step that finishes anyway).
 */
class ControlledWork {
  ctx: JobContext | null = null;
  private readonly calls = deferred<JobContext>();
  private readonly outcome = deferred<JobOutcome>();
  readonly called = this.calls.promise;

  constructor(private readonly options: { ignoreAbort?: boolean } = {}) {}

  get wasCalled(): boolean {
    return this.ctx !== null;
  }

  readonly run = (ctx: JobContext): Promise<JobOutcome> => {
    this.ctx = ctx;
    if (!this.options.ignoreAbort) {
      ctx.signal.addEventListener('abort', () => this.outcome.reject(ctx.signal.reason), { once: true });
    }
    this.calls.resolve(ctx);
    return this.outcome.promise;
  };

  succeed(outcome: Partial<JobOutcome> = {}): void {
    this.outcome.resolve({ status: 'success', ...outcome });
  }

  fail(error: unknown): void {
    this.outcome.reject(error);
  }
}

/**
 * Lets already-settled promise chains run to their end. Used only before asserting that something
 * did NOT happen (a queued job's work was not called); whatever should happen is awaited directly.
 */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const spec = (planId: string | null): JobSpec => ({
  kind: 'backup',
  planId,
  planName: planId ?? 'Ad-hoc backup',
  trigger: 'manual',
});

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

interface Harness {
  dir: string;
  db: CatalogDb;
  jobs: JobsRepo;
  clock: TestClock;
  runner: JobRunner;
  /** every 'jobs/updated' payload, in order */
  updates: JobSummary[];
  statusOf(id: string): JobStatus | undefined;
  runningCount(): number;
}

const harnesses: Harness[] = [];

function setup(maxConcurrent = 2): Harness {
  // not test/support/temp-core: that builds a whole core, and the runner needs only its catalog
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-runner-'));
  const db = openCatalog(dir);
  const jobs = new JobsRepo(db);
  const events = new EventBus();
  const updates: JobSummary[] = [];
  events.on('jobs/updated', (job) => updates.push(job));
  const clock = new TestClock(new Date('2026-03-01T10:00:00.000Z'));
  const runner = new JobRunner({ jobs, events, clock, maxConcurrent });
  const harness: Harness = {
    dir,
    db,
    jobs,
    clock,
    runner,
    updates,
    statusOf: (id) => jobs.get(id)?.status,
    runningCount: () => jobs.list({ status: 'running' }, 1, 100).total,
  };
  harnesses.push(harness);
  return harness;
}

afterEach(async () => {
  vi.restoreAllMocks();
  for (const h of harnesses.splice(0)) {
    // every ControlledWork left open honours its signal, so this settles
    await h.runner.cancelAll('system');
    h.db.close();
    fs.rmSync(h.dir, { recursive: true, force: true });
  }
});

describe('JobRunner concurrency', () => {
  it('runs at most maxConcurrent jobs and starts the next queued one when a slot frees', async () => {
    const { runner, statusOf, runningCount } = setup(2);
    const works = [0, 1, 2, 3].map(() => new ControlledWork());
    const created = works.map((w, i) => runner.start(spec(`plan-${i}`), w.run));
    const ids = created.map((job) => job.id);
    expect(created.map((job) => job.status)).toEqual(['pending', 'pending', 'pending', 'pending']);

    await Promise.all([works[0].called, works[1].called]);
    await settle();
    expect(works.map((w) => w.wasCalled)).toEqual([true, true, false, false]);
    expect(ids.map(statusOf)).toEqual(['running', 'running', 'pending', 'pending']);
    expect(runningCount()).toBe(2);

    works[0].succeed();
    await works[2].called;
    await settle();
    expect(works[3].wasCalled).toBe(false);
    expect(ids.map(statusOf)).toEqual(['success', 'running', 'running', 'pending']);
    expect(runningCount()).toBe(2);

    works[1].succeed();
    await works[3].called;
    works[2].succeed();
    works[3].succeed();
    const finals = await Promise.all(ids.map((id) => runner.wait(id)));
    expect(finals.map((job) => job.status)).toEqual(['success', 'success', 'success', 'success']);
    expect(ids.map(statusOf)).toEqual(['success', 'success', 'success', 'success']);
    expect(runner.activeJobIds()).toEqual([]);
  });
});

describe('JobRunner one run per plan', () => {
  it('refuses a second job of a plan that is pending or running with PLAN_BUSY, and accepts it once the first has finished', async () => {
    const { runner, jobs, statusOf } = setup(1);
    const blocker = new ControlledWork();
    runner.start(spec(null), blocker.run);
    await blocker.called;

    const first = new ControlledWork();
    const firstId = runner.start(spec('nightly'), first.run).id;
    expect(statusOf(firstId)).toBe('pending');
    expect(runner.isPlanActive('nightly')).toBe(true);

    const whilePending = thrownBy(() => runner.start(spec('nightly'), new ControlledWork().run));
    expect(whilePending).toBeInstanceOf(AppError);
    expect((whilePending as AppError).code).toBe('PLAN_BUSY');

    // other plans and plan-less jobs are not held back by it (nor plan-less jobs by each other)
    const otherPlan = new ControlledWork();
    const adHoc = new ControlledWork();
    expect(() => runner.start(spec('weekly'), otherPlan.run)).not.toThrow();
    expect(() => runner.start(spec(null), adHoc.run)).not.toThrow();

    blocker.succeed();
    await first.called;
    expect(statusOf(firstId)).toBe('running');
    const whileRunning = thrownBy(() => runner.start(spec('nightly'), new ControlledWork().run));
    expect(whileRunning).toBeInstanceOf(AppError);
    expect((whileRunning as AppError).code).toBe('PLAN_BUSY');
    // a refused start leaves no job row behind
    expect(jobs.list({ planId: 'nightly' }, 1, 10).total).toBe(1);

    first.succeed();
    expect((await runner.wait(firstId)).status).toBe('success');
    expect(runner.isPlanActive('nightly')).toBe(false);
    const again = runner.start(spec('nightly'), new ControlledWork().run);
    expect(again.status).toBe('pending');
    expect(jobs.list({ planId: 'nightly' }, 1, 10).total).toBe(2);
  });
});

describe('JobRunner cancellation', () => {
  it('cancels a queued job without calling its work and without freeing a slot it never held', async () => {
    const { runner, statusOf, runningCount } = setup(2);
    const works = [0, 1, 2, 3].map(() => new ControlledWork());
    const ids = works.map((w, i) => runner.start(spec(`plan-${i}`), w.run).id);
    await Promise.all([works[0].called, works[1].called]);

    expect(runner.cancel(ids[2], 'user')).toBe(true);
    const cancelled = await runner.wait(ids[2]);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelledBy: 'user', errorCode: 'CANCELLED' });
    expect(cancelled.displayMessage).toMatch(/Cancelled by the user/);
    expect(runner.isPlanActive('plan-2')).toBe(false);
    expect(runner.cancel(ids[2], 'user')).toBe(false);

    await settle();
    expect(works[2].wasCalled).toBe(false);
    // the running jobs keep running, and the other queued job still waits for a real free slot
    expect(works[0].ctx!.signal.aborted).toBe(false);
    expect(works[1].ctx!.signal.aborted).toBe(false);
    expect(works[3].wasCalled).toBe(false);
    expect(ids.map(statusOf)).toEqual(['running', 'running', 'cancelled', 'pending']);

    works[0].succeed();
    await works[3].called;
    const late = new ControlledWork();
    const lateId = runner.start(spec('plan-late'), late.run).id;
    await settle();
    expect(late.wasCalled).toBe(false);
    expect(statusOf(lateId)).toBe('pending');
    expect(runningCount()).toBe(2);
    expect(works[2].wasCalled).toBe(false);
  });

  it('cancels a running job: aborts its signal, removes its temp file and records it cancelled by the user', async () => {
    const { runner, jobs, dir } = setup(2);
    const work = new ControlledWork();
    const id = runner.start(spec('nightly'), work.run).id;
    const ctx = await work.called;
    const temp = path.join(dir, 'nightly.lifeboat.part');
    fs.writeFileSync(temp, 'half a backup');
    ctx.setTempPath(temp);
    expect(jobs.unfinished()).toEqual([{ id, tempPath: temp, ownerPid: process.pid }]);

    expect(runner.cancel(id, 'user')).toBe(true);
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBeInstanceOf(AppError);
    expect((ctx.signal.reason as AppError).code).toBe('CANCELLED');

    const final = await runner.wait(id);
    expect(final).toMatchObject({ status: 'cancelled', cancelledBy: 'user', errorCode: 'CANCELLED' });
    expect(final.displayMessage).toMatch(/Cancelled by the user/);
    expect(fs.existsSync(temp)).toBe(false);
    expect(jobs.get(id)!.status).toBe('cancelled');
    expect(jobs.unfinished()).toEqual([]);
  });

  it('records a cancelled job as cancelled even when its work finishes successfully after the abort', async () => {
    const { runner, dir } = setup(2);
    const work = new ControlledWork({ ignoreAbort: true });
    const id = runner.start(spec('nightly'), work.run).id;
    const ctx = await work.called;
    const temp = path.join(dir, 'nightly.lifeboat.part');
    fs.writeFileSync(temp, 'complete, but too late');
    ctx.setTempPath(temp);

    runner.cancel(id, 'user');
    work.succeed({ filePath: path.join(dir, 'nightly.lifeboat'), sizeBytes: 100 });
    const final = await runner.wait(id);
    expect(final).toMatchObject({ status: 'cancelled', cancelledBy: 'user', filePath: null, sizeBytes: null });
    expect(fs.existsSync(temp)).toBe(false);
  });

  it('cancelAll(system) cancels running and queued jobs, waits for them, and says the app was closing', async () => {
    const { runner, statusOf } = setup(1);
    const running = new ControlledWork();
    const queued = new ControlledWork();
    const runningId = runner.start(spec('nightly'), running.run).id;
    const queuedId = runner.start(spec('weekly'), queued.run).id;
    await running.called;

    await runner.cancelAll('system');
    expect(runner.activeJobIds()).toEqual([]);
    expect(queued.wasCalled).toBe(false);
    for (const id of [runningId, queuedId]) {
      const job = await runner.wait(id);
      expect(statusOf(id)).toBe('cancelled');
      expect(job.cancelledBy).toBe('system');
      expect(job.displayMessage).toMatch(/Lifeboat was closing/);
    }
  });
});

describe('JobRunner progress', () => {
  it('saves and pushes progress at most once a second, and at once on each phase change', async () => {
    // the runner throttles on Date.now; the test moves it by hand instead of waiting
    let now = Date.UTC(2026, 2, 1, 10);
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const { runner, jobs, updates } = setup(2);
    const work = new ControlledWork();
    const id = runner.start(spec('nightly'), work.run).id;
    const ctx = await work.called;
    const updatesOf = () => updates.filter((u) => u.id === id);
    // created (pending), then marked running with empty progress
    expect(updatesOf().map((u) => u.status)).toEqual(['pending', 'running']);
    expect(updatesOf()[1].progress).toMatchObject({ phase: 'queued', percent: 0 });

    // within the second of the last push: nothing is saved or pushed
    for (let i = 1; i <= 50; i++) ctx.progress({ percent: i / 2, bytesDone: i * 100 });
    expect(updatesOf()).toHaveLength(2);
    expect(jobs.get(id)!.progress).toMatchObject({ percent: 0, bytesDone: 0 });

    // a second later, a burst of 50 calls gives one update: the first of the burst
    now += 1000;
    for (let i = 51; i <= 100; i++) ctx.progress({ percent: i / 2 });
    expect(updatesOf()).toHaveLength(3);
    expect(updatesOf()[2].progress).toMatchObject({ phase: 'queued', percent: 25.5, bytesDone: 5000 });
    expect(jobs.get(id)!.progress).toMatchObject({ percent: 25.5 });

    // still within that second: each new phase is pushed at once; the same phase again is not a change
    ctx.progress({ phase: 'dump', percent: 60 });
    ctx.progress({ phase: 'dump', percent: 61 });
    ctx.progress({ phase: 'finalize', percent: 90 });
    expect(updatesOf()).toHaveLength(5);
    expect(updatesOf().slice(3).map((u) => [u.progress?.phase, u.progress?.percent])).toEqual([
      ['dump', 60],
      ['finalize', 90],
    ]);
    expect(jobs.get(id)!.progress).toMatchObject({ phase: 'finalize', percent: 90 });

    work.succeed();
    await runner.wait(id);
    expect(updatesOf()).toHaveLength(6);
    expect(updatesOf().at(-1)!.status).toBe('success');
  });
});

describe('JobRunner failures', () => {
  it('records a thrown AppError as failed with its code and message, removes the temp file and frees the slot', async () => {
    const { runner, dir, statusOf } = setup(1);
    const work = new ControlledWork();
    const next = new ControlledWork();
    const id = runner.start(spec('nightly'), work.run).id;
    const nextId = runner.start(spec('weekly'), next.run).id;
    const ctx = await work.called;
    const temp = path.join(dir, 'nightly.lifeboat.part');
    fs.writeFileSync(temp, 'partial');
    ctx.setTempPath(temp);

    work.fail(new AppError('PG_UNREACHABLE', { detail: 'db.example.org:5432' }));
    const final = await runner.wait(id);
    expect(final).toMatchObject({ status: 'failed', errorCode: 'PG_UNREACHABLE', cancelledBy: null });
    expect(final.displayMessage).toContain(ERROR_MESSAGES.PG_UNREACHABLE);
    expect(final.displayMessage).toContain('db.example.org:5432');
    expect(fs.existsSync(temp)).toBe(false);

    await next.called;
    expect(statusOf(nextId)).toBe('running');
  });

  it('records an unexpected error as failed with code INTERNAL', async () => {
    const { runner } = setup(1);
    const work = new ControlledWork();
    const id = runner.start(spec(null), work.run).id;
    await work.called;
    work.fail(new TypeError('boom'));
    const final = await runner.wait(id);
    expect(final).toMatchObject({ status: 'failed', errorCode: 'INTERNAL' });
    expect(final.displayMessage).toContain('boom');
  });

  it('records the per-source results and stderr tail a JobFailure carries', async () => {
    const { runner, jobs } = setup(1);
    const sources: JobSourceResult[] = [
      { kind: 'database', label: 'shop', status: 'failed', bytes: 0, files: 0, errorCode: 'PG_DUMP_FAILED', message: 'pg_dump exited with 1' },
      { kind: 'folder', label: '/srv/www', status: 'success', bytes: 1234, files: 3, errorCode: null, message: null },
    ];
    const work = new ControlledWork();
    const id = runner.start(spec('nightly'), work.run).id;
    await work.called;
    work.fail(new JobFailure(new AppError('PG_DUMP_FAILED'), sources, 'pg_dump: error: permission denied for table orders'));

    const final = await runner.wait(id);
    expect(final).toMatchObject({ status: 'failed', errorCode: 'PG_DUMP_FAILED' });
    const detail = jobs.detail(id)!;
    expect(detail.sources).toEqual(sources);
    expect(detail.stderrTail).toBe('pg_dump: error: permission denied for table orders');
  });

  it('records the sources of a successful outcome too', async () => {
    const { runner, jobs } = setup(1);
    const source: JobSourceResult = { kind: 'folder', label: '/srv/www', status: 'success', bytes: 10, files: 1, errorCode: null, message: null };
    const work = new ControlledWork();
    const id = runner.start(spec('nightly'), work.run).id;
    await work.called;
    work.succeed({ status: 'partial', sources: [source], displayMessage: 'One source was skipped' });
    expect(await runner.wait(id)).toMatchObject({ status: 'partial', displayMessage: 'One source was skipped' });
    expect(jobs.detail(id)!.sources).toEqual([source]);
  });
});

describe('JobRunner.recoverInterrupted', () => {
  it('marks jobs a dead process left running or pending as interrupted and removes their temp files; leaves live ones alone', async () => {
    const { runner, jobs, dir, clock } = setup(2);
    // above Linux's highest possible pid_max (2^22), so no process has it
    const deadPid = 2 ** 22 + 12345;
    expect(() => process.kill(deadPid, 0)).toThrow();
    expect(() => process.kill(process.ppid, 0)).not.toThrow();

    const deadTemp = path.join(dir, 'crashed.lifeboat.part');
    const liveTemp = path.join(dir, 'other-process.lifeboat.part');
    fs.writeFileSync(deadTemp, 'partial');
    fs.writeFileSync(liveTemp, 'being written');
    const row = (id: string, ownerPid: number) => ({
      id,
      kind: 'backup' as const,
      planId: id,
      planName: id,
      trigger: 'scheduled' as const,
      startedAt: clock.now().toISOString(),
      ownerPid,
    });
    jobs.create(row('crashed-running', deadPid));
    jobs.markRunning('crashed-running', deadTemp);
    jobs.create(row('crashed-pending', deadPid));
    jobs.create(row('other-process', process.ppid));
    jobs.markRunning('other-process', liveTemp);
    // a job this runner is running itself is not a leftover either
    const own = new ControlledWork();
    const ownId = runner.start(spec('own'), own.run).id;
    await own.called;

    clock.advance(60_000);
    expect(runner.recoverInterrupted()).toBe(2);

    for (const id of ['crashed-running', 'crashed-pending']) {
      const job = jobs.get(id)!;
      expect(job).toMatchObject({ status: 'interrupted', finishedAt: clock.now().toISOString(), durationMs: 60_000 });
      expect(job.displayMessage).toMatch(/^Interrupted/);
    }
    expect(fs.existsSync(deadTemp)).toBe(false);

    expect(jobs.get('other-process')!.status).toBe('running');
    expect(fs.existsSync(liveTemp)).toBe(true);
    expect(jobs.get(ownId)!.status).toBe('running');
    expect(own.ctx!.signal.aborted).toBe(false);
    expect(jobs.unfinished().map((j) => j.id).sort()).toEqual([ownId, 'other-process'].sort());
  });

  it("removes a crashed file restore's staging folder with what it holds, and never recurses into anything else", () => {
    const { runner, jobs, dir, clock } = setup(2);
    const deadPid = 2 ** 22 + 12346;
    const staging = path.join(dir, 'target', '.lifeboat-restore-0badc0de');
    fs.mkdirSync(staging, { recursive: true });
    fs.writeFileSync(path.join(staging, 'f0'), 'staged');
    fs.writeFileSync(path.join(dir, 'target', 'keep.txt'), 'mine');
    const other = path.join(dir, 'not-ours');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'x'), 'x');
    for (const [id, temp] of [['restore', staging], ['odd', other]] as const) {
      jobs.create({ id, kind: 'restore', planId: null, planName: id, trigger: 'manual', startedAt: clock.now().toISOString(), ownerPid: deadPid });
      jobs.markRunning(id, temp);
    }
    expect(runner.recoverInterrupted()).toBe(2);
    // the staging folder went; a temp path that is a folder of any other name is never emptied
    expect(fs.existsSync(staging)).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'target', 'keep.txt'), 'utf8')).toBe('mine');
    expect(fs.readFileSync(path.join(other, 'x'), 'utf8')).toBe('x');
  });
});
