/**
 * The number of jobs that may run at once (a setting, 1-8, default 2): three jobs under a cap of
 * 1 run one after another; raising the cap starts waiting jobs at once; the setting is what a
 * core reads (settings/set, the catalog), clamped to its range.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogDb } from '../../../src/main/core/catalog/catalog';
import { JobsRepo } from '../../../src/main/core/catalog/jobs-repo';
import { SettingsRepo } from '../../../src/main/core/catalog/settings-repo';
import { clampConcurrentJobs, MAX_CONCURRENT_JOBS_KEY, readMaxConcurrentJobs } from '../../../src/main/core/jobs/concurrency-setting';
import { JobRunner } from '../../../src/main/core/jobs/job-runner';
import { EventBus, systemClock } from '../../../src/main/core/ports';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

const dirs: string[] = [];
const dbs: CatalogDb[] = [];
afterEach(() => {
  dbs.splice(0).forEach((db) => db.close());
  dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

function setup(cap: number | (() => number)) {
  const dir = makeTempDir('lifeboat-cap-');
  dirs.push(dir);
  const db = openCatalog(dir);
  dbs.push(db);
  const runner = new JobRunner({ jobs: new JobsRepo(db), events: new EventBus(), clock: systemClock, maxConcurrent: cap });
  return { db, runner };
}

/** A job that records when it starts and ends, and finishes when `release` is called. */
function gatedJobs(runner: JobRunner, count: number) {
  const log: string[] = [];
  let running = 0;
  let peak = 0;
  const releases: (() => void)[] = [];
  const ids = Array.from({ length: count }, (_, i) =>
    runner.start({ kind: 'backup', planId: null, planName: `job ${i}`, trigger: 'manual' }, async () => {
      running++;
      peak = Math.max(peak, running);
      log.push(`start ${i}`);
      await new Promise<void>((resolve) => releases.push(resolve));
      log.push(`end ${i}`);
      running--;
      return { status: 'success' };
    }).id,
  );
  return { ids, log, releases, peak: () => peak, running: () => running };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('JobRunner cap', () => {
  it('runs three jobs one at a time under a cap of 1', async () => {
    const { runner } = setup(1);
    const jobs = gatedJobs(runner, 3);
    for (let i = 0; i < 3; i++) {
      await tick();
      expect(jobs.running()).toBe(1);
      jobs.releases.shift()!();
    }
    await Promise.all(jobs.ids.map((id) => runner.wait(id)));
    expect(jobs.peak()).toBe(1);
    expect(jobs.log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('runs two at once by default, and starts the waiting job as soon as the cap is raised', async () => {
    let cap = 2;
    const { runner } = setup(() => cap);
    const jobs = gatedJobs(runner, 3);
    await tick();
    expect(jobs.running()).toBe(2);
    cap = 3;
    runner.capacityChanged();
    await tick();
    expect(jobs.running()).toBe(3);
    jobs.releases.splice(0).forEach((r) => r());
    await Promise.all(jobs.ids.map((id) => runner.wait(id)));
    expect(jobs.peak()).toBe(3);
  });

  it('keeps the cap within 1-8 whatever the setting holds', () => {
    expect(clampConcurrentJobs(0)).toBe(1);
    expect(clampConcurrentJobs(99)).toBe(8);
    expect(clampConcurrentJobs('3')).toBe(2);
    expect(clampConcurrentJobs(Number.NaN)).toBe(2);
    const { db } = setup(1);
    const settings = new SettingsRepo(db, () => new Date());
    expect(readMaxConcurrentJobs(settings)).toBe(2);
    settings.set(MAX_CONCURRENT_JOBS_KEY, 12);
    expect(readMaxConcurrentJobs(settings)).toBe(8);
  });
});

describe('settings: maxConcurrentJobs', () => {
  it('is 2 by default, changes through settings/set, and the core runner honours it; 0 and 9 are refused naming the range', async () => {
    const core = makeTestCore();
    try {
      expect((await core.handlers['settings/get'](undefined)).maxConcurrentJobs).toBe(2);
      expect(core.runner.maxConcurrent()).toBe(2);
      const set = await dispatch(core.handlers, 'settings/set', { maxConcurrentJobs: 1 });
      expect(set).toMatchObject({ ok: true, value: { maxConcurrentJobs: 1 } });
      expect(core.runner.maxConcurrent()).toBe(1);
      for (const bad of [0, 9, 2.5]) {
        const reply = await dispatch(core.handlers, 'settings/set', { maxConcurrentJobs: bad });
        expect(reply.ok).toBe(false);
        if (!reply.ok) {
          expect(reply.error.code).toBe('VALIDATION');
          expect(reply.error.message).toMatch(/at least 1 job|at most 8 jobs|whole number/);
        }
      }
    } finally {
      await core.cleanup();
    }
  });
});
