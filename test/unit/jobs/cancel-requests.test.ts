/**
 * Cancels across processes through the catalog: a request is recorded only for a pending or
 * running job whose owner process is alive, and the watcher of the process running it cancels it
 * as the user's (one poll; only its own active jobs are looked at).
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CancelRequestsRepo } from '../../../src/main/core/catalog/cancel-requests-repo';
import { openCatalog, type CatalogDb } from '../../../src/main/core/catalog/catalog';
import { JobsRepo } from '../../../src/main/core/catalog/jobs-repo';
import { CancelRequestWatcher, requestCancelElsewhere } from '../../../src/main/core/jobs/cancel-requests';
import { JobRunner } from '../../../src/main/core/jobs/job-runner';
import { EventBus, systemClock } from '../../../src/main/core/ports';
import { AppError } from '../../../src/shared/errors';
import { makeTempDir } from '../../support/temp-core';

const dirs: string[] = [];
const dbs: CatalogDb[] = [];
afterEach(() => {
  dbs.splice(0).forEach((db) => db.close());
  dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

function catalog() {
  const dir = makeTempDir('lifeboat-cancel-req-');
  dirs.push(dir);
  const db = openCatalog(dir);
  dbs.push(db);
  return { db, jobs: new JobsRepo(db), requests: new CancelRequestsRepo(db) };
}

const NOW = new Date('2026-03-10T12:00:00.000Z');

describe('requestCancelElsewhere', () => {
  it('records a request for a pending or running job of a live process, once', () => {
    const { jobs, requests, db } = catalog();
    jobs.create({ id: 'run', kind: 'backup', planId: null, planName: null, trigger: 'scheduled', startedAt: NOW.toISOString(), ownerPid: 4242 });
    jobs.markRunning('run', null);
    expect(requestCancelElsewhere(requests, 'run', NOW, (pid) => pid === 4242)).toEqual({ requested: true, ownerPid: 4242 });
    // asked again later: the first request's time stays
    expect(requestCancelElsewhere(requests, 'run', new Date(NOW.getTime() + 5000), () => true).requested).toBe(true);
    expect(db.prepare('SELECT cancel_requested AS at FROM jobs WHERE id = ?').get('run')).toEqual({ at: NOW.toISOString() });
  });

  it('records nothing for an unknown or finished job, or one whose owner is gone', () => {
    const { jobs, requests, db } = catalog();
    expect(requestCancelElsewhere(requests, 'nope', NOW, () => true)).toEqual({ requested: false, ownerPid: null });
    jobs.create({ id: 'done', kind: 'backup', planId: null, planName: null, trigger: 'manual', startedAt: NOW.toISOString(), ownerPid: 4242 });
    jobs.finish('done', { status: 'success', finishedAt: NOW.toISOString(), durationMs: 1 });
    expect(requestCancelElsewhere(requests, 'done', NOW, () => true).requested).toBe(false);
    jobs.create({ id: 'orphan', kind: 'backup', planId: null, planName: null, trigger: 'manual', startedAt: NOW.toISOString(), ownerPid: 999_999 });
    expect(requestCancelElsewhere(requests, 'orphan', NOW, () => false)).toEqual({ requested: false, ownerPid: 999_999 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE cancel_requested IS NOT NULL').get()).toEqual({ n: 0 });
  });
});

describe('CancelRequestWatcher', () => {
  it('cancels, as the user, the active jobs of its runner that another process asked to cancel', async () => {
    const { jobs, requests } = catalog();
    const runner = new JobRunner({ jobs, events: new EventBus(), clock: systemClock, maxConcurrent: 2 });
    const work = (ctx: { signal: AbortSignal }) =>
      new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(new AppError('CANCELLED'))));
    const asked = runner.start({ kind: 'backup', planId: null, planName: 'asked', trigger: 'scheduled' }, work);
    const other = runner.start({ kind: 'backup', planId: null, planName: 'other', trigger: 'scheduled' }, work);
    const watcher = new CancelRequestWatcher({ runner, requests });
    expect(watcher.poll()).toEqual([]);

    requests.request(asked.id, NOW);
    expect(watcher.poll()).toEqual([asked.id]);
    const final = await runner.wait(asked.id);
    expect(final).toMatchObject({ status: 'cancelled', cancelledBy: 'user', displayMessage: 'Cancelled by the user. Nothing was written.' });
    expect(runner.activeJobIds()).toEqual([other.id]);

    runner.cancel(other.id, 'system');
    await runner.wait(other.id);
    // nothing active: the catalog is not even asked
    expect(watcher.poll()).toEqual([]);
  });
});
