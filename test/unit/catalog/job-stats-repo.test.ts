import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCatalog, type CatalogDb } from '../../../src/main/core/catalog/catalog';
import { JobsRepo } from '../../../src/main/core/catalog/jobs-repo';
import { JobStatsRepo, lastLocalDays } from '../../../src/main/core/catalog/job-stats-repo';
import { VerificationsRepo, type VerificationStatus } from '../../../src/main/core/catalog/verifications-repo';
import { createStatsHandlers } from '../../../src/main/core/handlers/stats';
import { AppError } from '../../../src/shared/errors';
import { jobsStatsRequest } from '../../../src/shared/ipc-contract';
import type { JobKind, JobStatus } from '../../../src/shared/job';
import { TestClock } from '../../support/test-clock';

const DAY_MS = 86_400_000;

let dir: string;
let db: CatalogDb;
let jobs: JobsRepo;
let verifications: VerificationsRepo;
let repo: JobStatsRepo;
let seq = 0;

beforeEach(() => {
  // a bare catalog in a temp dir: these figures need no core around it
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-stats-'));
  db = openCatalog(dir);
  jobs = new JobsRepo(db);
  verifications = new VerificationsRepo(db);
  repo = new JobStatsRepo(db);
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface SeedJob {
  startedAt: string;
  kind?: JobKind;
  status?: JobStatus;
  planId?: string | null;
  sizeBytes?: number | null;
  durationMs?: number;
  filePath?: string | null;
}

/** A job as the runner leaves it: created running, then finished unless it is still pending or running. */
function seed(job: SeedJob): string {
  const id = `job-${++seq}`;
  const status = job.status ?? 'success';
  const planId = job.planId === undefined ? 'plan-a' : job.planId;
  jobs.create({ id, kind: job.kind ?? 'backup', planId, planName: planId, trigger: 'scheduled', startedAt: job.startedAt, status: 'running' });
  if (status === 'running' || status === 'pending') return id;
  const durationMs = job.durationMs ?? 60_000;
  jobs.finish(id, {
    status,
    finishedAt: new Date(Date.parse(job.startedAt) + durationMs).toISOString(),
    durationMs,
    sizeBytes: job.sizeBytes === undefined ? 1000 : job.sizeBytes,
    filePath: job.filePath === undefined ? `/backups/${id}.lifeboat` : job.filePath,
    cancelledBy: status === 'cancelled' ? 'user' : null,
  });
  return id;
}

function verification(backupJobId: string, createdAt: string, drill = true, status: VerificationStatus = 'passed'): void {
  verifications.record({
    id: `verification-${++seq}`,
    jobId: null,
    backupJobId,
    filePath: `/backups/${backupJobId}.lifeboat`,
    status,
    drill,
    reasons: [],
    createdAt,
  });
}

const at = (ms: number) => new Date(ms).toISOString();

describe('successRate', () => {
  const now = new Date('2026-06-15T12:00:00.000Z');
  const from = at(now.getTime() - 30 * DAY_MS);

  it('counts success, failed, partial and interrupted backups in the window; a cancel is no failure', () => {
    const recent = at(now.getTime() - DAY_MS);
    for (const status of ['success', 'success', 'success', 'failed', 'partial', 'interrupted'] as const) seed({ startedAt: recent, status });
    seed({ startedAt: recent, status: 'cancelled' });
    seed({ startedAt: recent, status: 'running' });
    seed({ startedAt: recent, status: 'pending' });
    // other kinds of job are not backups
    seed({ startedAt: recent, kind: 'drill', status: 'failed' });
    seed({ startedAt: recent, kind: 'verify', status: 'failed' });
    seed({ startedAt: recent, kind: 'restore', status: 'success' });

    expect(repo.successRate(from)).toEqual({ rate: 3 / 6, succeeded: 3, counted: 6 });
    expect(repo.stats({ now, timeZone: 'UTC', days: 30 }).successRate).toEqual({ rate: 0.5, succeeded: 3, counted: 6 });
  });

  it('is the last days × 24 hours: a backup exactly at the start counts, one a millisecond earlier does not', () => {
    seed({ startedAt: from, status: 'failed' });
    seed({ startedAt: at(Date.parse(from) - 1), status: 'success' });
    seed({ startedAt: at(now.getTime() - 1000) });
    expect(repo.stats({ now, timeZone: 'Europe/Berlin', days: 30 }).successRate).toEqual({ rate: 0.5, succeeded: 1, counted: 2 });
    // a shorter window leaves the old failure out
    expect(repo.stats({ now, timeZone: 'Europe/Berlin', days: 7 }).successRate).toEqual({ rate: 1, succeeded: 1, counted: 1 });
  });

  it('is null when nothing finished in the window, also when only cancels did', () => {
    expect(repo.successRate(from)).toEqual({ rate: null, succeeded: 0, counted: 0 });
    seed({ startedAt: at(now.getTime() - DAY_MS), status: 'cancelled' });
    expect(repo.successRate(from)).toEqual({ rate: null, succeeded: 0, counted: 0 });
  });
});

describe('storageUsed', () => {
  it('sums the successful and partial backups whose file is still on disk, of any age', () => {
    seed({ startedAt: '2020-01-01T02:00:00.000Z', sizeBytes: 4000 }); // old, but still kept
    seed({ startedAt: '2026-06-14T02:00:00.000Z', sizeBytes: 1500 });
    seed({ startedAt: '2026-06-13T02:00:00.000Z', status: 'partial', sizeBytes: 500 });
    // a size the catalog does not know adds a backup, no bytes
    seed({ startedAt: '2026-06-12T02:00:00.000Z', sizeBytes: null });
    // retention removed the file: the path is cleared
    const pruned = seed({ startedAt: '2026-06-11T02:00:00.000Z', sizeBytes: 9000 });
    jobs.markPruned(pruned, 'Removed by retention');
    seed({ startedAt: '2026-06-10T02:00:00.000Z', sizeBytes: 9000, filePath: null });
    // failed or cancelled runs leave no file worth counting, whatever their row says
    seed({ startedAt: '2026-06-09T02:00:00.000Z', status: 'failed', sizeBytes: 9000 });
    seed({ startedAt: '2026-06-09T03:00:00.000Z', status: 'cancelled', sizeBytes: 9000 });
    seed({ startedAt: '2026-06-09T04:00:00.000Z', status: 'running' });
    // only backups are kept files
    seed({ startedAt: '2026-06-08T02:00:00.000Z', kind: 'restore', sizeBytes: 9000 });

    expect(repo.storageUsed()).toEqual({ bytes: 6000, backups: 4 });
  });

  it('is zero of zero on an empty catalog', () => {
    expect(repo.storageUsed()).toEqual({ bytes: 0, backups: 0 });
  });
});

describe('lastProvenByPlan', () => {
  it('takes the newest passed drill of each plan, whatever the order of the backups and drills', () => {
    const a1 = seed({ startedAt: '2026-11-28T02:00:00.000Z', planId: 'a' });
    const a2 = seed({ startedAt: '2026-11-29T02:00:00.000Z', planId: 'a' });
    seed({ startedAt: '2026-11-30T02:00:00.000Z', planId: 'a' }); // never drilled
    // the newer backup was proven earlier than the older one was
    verification(a2, '2026-11-29T02:10:00.000Z');
    verification(a1, '2026-11-30T02:10:00.000Z');
    verification(a1, '2026-11-28T02:10:00.000Z');
    const b = seed({ startedAt: '2026-11-28T02:00:00.000Z', planId: 'b', status: 'partial' });
    verification(b, '2026-11-28T02:10:00.000Z');

    expect(repo.lastProvenByPlan()).toEqual({ a: '2026-11-30T02:10:00.000Z', b: '2026-11-28T02:10:00.000Z' });
  });

  it('counts only passed drills of successful or partial backups of a plan', () => {
    // a failed drill, or a verification that is no drill, proves nothing
    verification(seed({ startedAt: '2026-11-28T02:00:00.000Z', planId: 'c' }), '2026-11-28T02:10:00.000Z', true, 'failed');
    verification(seed({ startedAt: '2026-11-28T03:00:00.000Z', planId: 'c' }), '2026-11-28T03:10:00.000Z', false, 'passed');
    // a drill job or a plan-less backup proves no plan
    verification(seed({ startedAt: '2026-11-30T05:00:00.000Z', planId: 'd', kind: 'drill' }), '2026-11-30T05:00:00.000Z');
    verification(seed({ startedAt: '2026-11-30T05:00:00.000Z', planId: null }), '2026-11-30T05:00:00.000Z');
    // a run that failed after its drill is not a kept backup
    verification(seed({ startedAt: '2026-11-30T06:00:00.000Z', planId: 'e', status: 'failed' }), '2026-11-30T06:10:00.000Z');

    expect(repo.lastProvenByPlan()).toEqual({});
  });

  it('leaves out plans never proven', () => {
    seed({ startedAt: '2026-11-28T02:00:00.000Z', planId: 'a' });
    expect(repo.lastProvenByPlan()).toEqual({});
  });

  it('keeps the proof of a backup whose file retention removed since', () => {
    const old = seed({ startedAt: '2026-11-01T02:00:00.000Z', planId: 'a' });
    verification(old, '2026-11-01T02:10:00.000Z');
    jobs.markPruned(old, 'Removed by retention');
    expect(repo.lastProvenByPlan()).toEqual({ a: '2026-11-01T02:10:00.000Z' });
  });
});

describe('lastLocalDays', () => {
  it('cuts the spring-forward day of Europe/Berlin (last Sunday of March) 23 hours long', () => {
    const days = lastLocalDays(new Date('2026-03-30T10:00:00.000Z'), 'Europe/Berlin', 3);
    expect(days).toEqual([
      { day: '2026-03-28', start: '2026-03-27T23:00:00.000Z', end: '2026-03-28T23:00:00.000Z' },
      { day: '2026-03-29', start: '2026-03-28T23:00:00.000Z', end: '2026-03-29T22:00:00.000Z' },
      { day: '2026-03-30', start: '2026-03-29T22:00:00.000Z', end: '2026-03-30T22:00:00.000Z' },
    ]);
  });

  it('cuts the fall-back day of Europe/Berlin (last Sunday of October) 25 hours long', () => {
    const [sunday] = lastLocalDays(new Date('2026-10-26T10:00:00.000Z'), 'Europe/Berlin', 2);
    expect(sunday).toEqual({ day: '2026-10-25', start: '2026-10-24T22:00:00.000Z', end: '2026-10-25T23:00:00.000Z' });
  });

  it('starts a day whose midnight does not exist at its first instant (America/Sao_Paulo, 2018-11-04 01:00)', () => {
    const [before, gapDay] = lastLocalDays(new Date('2018-11-04T12:00:00.000Z'), 'America/Sao_Paulo', 2);
    expect(before).toEqual({ day: '2018-11-03', start: '2018-11-03T03:00:00.000Z', end: '2018-11-04T03:00:00.000Z' });
    // 00:00 to 01:00 -03 does not exist: the day starts at 01:00 -02 and is 23 hours long
    expect(gapDay).toEqual({ day: '2018-11-04', start: '2018-11-04T03:00:00.000Z', end: '2018-11-05T02:00:00.000Z' });
  });

  it('has today last, the day of now in the zone rather than in UTC', () => {
    // 23:30 UTC on the 14th is already the 15th in Tokyo and still the 14th in New York
    const now = new Date('2026-06-14T23:30:00.000Z');
    expect(lastLocalDays(now, 'Asia/Tokyo', 30).at(-1)?.day).toBe('2026-06-15');
    expect(lastLocalDays(now, 'America/New_York', 30).at(-1)?.day).toBe('2026-06-14');
    expect(lastLocalDays(now, 'America/New_York', 30)[0].day).toBe('2026-05-16');
  });

  it('refuses a zone that is not an IANA name as VALIDATION, naming the fix', () => {
    expect(() => lastLocalDays(new Date(), 'Mars/Olympus_Mons', 30)).toThrowError(
      expect.objectContaining({ code: 'VALIDATION', message: expect.stringContaining('IANA name') }),
    );
  });
});

describe('daily', () => {
  // Monday after the spring-forward Sunday 2026-03-29 in Berlin: midnight is 23:00Z before it, 22:00Z after
  const now = new Date('2026-03-30T10:00:00.000Z');

  it('averages the successful backups per local day across a DST change, empty days included as nulls', () => {
    seed({ startedAt: '2026-03-26T22:59:59.999Z', sizeBytes: 7000 }); // 23:59:59.999 CET on the 26th: before the window
    seed({ startedAt: '2026-03-27T23:00:00.000Z', sizeBytes: 1000, durationMs: 10_000 }); // 00:00 CET on the 28th
    seed({ startedAt: '2026-03-28T22:59:59.999Z', sizeBytes: 3000, durationMs: 30_000 }); // 23:59:59.999 CET on the 28th
    seed({ startedAt: '2026-03-28T23:00:00.000Z', sizeBytes: 5000, durationMs: 50_000 }); // 00:00 CET on the 29th
    seed({ startedAt: '2026-03-29T21:59:59.999Z', sizeBytes: null, durationMs: 70_000 }); // 23:59:59.999 CEST on the 29th
    // 00:30 CEST on the 30th: 24 hours from the 29th's midnight would still call it the 29th
    seed({ startedAt: '2026-03-29T22:30:00.000Z', sizeBytes: 2000, durationMs: 20_000 });
    // not successful backups: not in the series
    seed({ startedAt: '2026-03-30T08:00:00.000Z', status: 'failed', sizeBytes: 9000 });
    seed({ startedAt: '2026-03-30T08:00:00.000Z', status: 'partial', sizeBytes: 9000 });
    seed({ startedAt: '2026-03-30T08:00:00.000Z', status: 'cancelled', sizeBytes: 9000 });
    seed({ startedAt: '2026-03-30T08:00:00.000Z', kind: 'restore', sizeBytes: 9000 });
    seed({ startedAt: '2026-03-30T22:00:00.000Z', sizeBytes: 9000 }); // tomorrow, Berlin time

    const { daily } = repo.stats({ now, timeZone: 'Europe/Berlin', days: 4 });
    expect(daily).toEqual([
      { day: '2026-03-27', runs: 0, avgSizeBytes: null, avgDurationMs: null },
      { day: '2026-03-28', runs: 2, avgSizeBytes: 2000, avgDurationMs: 20_000 },
      // the unknown size is left out of the average size only
      { day: '2026-03-29', runs: 2, avgSizeBytes: 5000, avgDurationMs: 60_000 },
      { day: '2026-03-30', runs: 1, avgSizeBytes: 2000, avgDurationMs: 20_000 },
    ]);
  });

  it('has one point per day of the window, oldest first, on an empty catalog too', () => {
    const { daily } = repo.stats({ now, timeZone: 'Europe/Berlin', days: 30 });
    expect(daily).toHaveLength(30);
    expect(daily[0].day).toBe('2026-03-01');
    expect(daily.at(-1)?.day).toBe('2026-03-30');
    expect(new Set(daily.map((p) => p.day)).size).toBe(30);
    expect(daily.every((p) => p.runs === 0 && p.avgSizeBytes === null && p.avgDurationMs === null)).toBe(true);
  });

  it('cuts the same backups into the days of the zone asked for', () => {
    seed({ startedAt: '2026-03-29T22:30:00.000Z' });
    const dayOf = (timeZone: string) => repo.stats({ now, timeZone, days: 2 }).daily.find((p) => p.runs)?.day;
    expect(dayOf('Europe/Berlin')).toBe('2026-03-30');
    expect(dayOf('UTC')).toBe('2026-03-29');
    expect(dayOf('America/New_York')).toBe('2026-03-29');
  });
});

describe('jobs/stats handler', () => {
  it('counts as of the core clock, in the zone of the request', async () => {
    const clock = new TestClock(new Date('2026-03-30T10:00:00.000Z'));
    const handlers = createStatsHandlers({ catalog: db, clock });
    const a = seed({ startedAt: '2026-03-29T22:30:00.000Z', sizeBytes: 2000, durationMs: 20_000 });
    seed({ startedAt: '2026-03-29T20:00:00.000Z', status: 'cancelled' });
    verification(a, '2026-03-29T22:40:00.000Z');

    const stats = await handlers['jobs/stats'](jobsStatsRequest.parse({ timeZone: 'Europe/Berlin' }));
    expect(stats.successRate).toEqual({ rate: 1, succeeded: 1, counted: 1 });
    expect(stats.storageUsed).toEqual({ bytes: 2000, backups: 1 });
    expect(stats.lastProvenByPlan).toEqual({ 'plan-a': '2026-03-29T22:40:00.000Z' });
    expect(stats.daily).toHaveLength(30); // the default window
    expect(stats.daily.at(-1)).toEqual({ day: '2026-03-30', runs: 1, avgSizeBytes: 2000, avgDurationMs: 20_000 });

    clock.advance(31 * DAY_MS);
    const later = await handlers['jobs/stats']({ timeZone: 'Europe/Berlin', days: 30 });
    expect(later.successRate).toEqual({ rate: null, succeeded: 0, counted: 0 });
    expect(later.daily.every((p) => p.runs === 0)).toBe(true);
    expect(later.storageUsed).toEqual({ bytes: 2000, backups: 1 });
  });

  it('refuses an unknown time zone as a VALIDATION AppError', () => {
    const handlers = createStatsHandlers({ catalog: db, clock: new TestClock(new Date()) });
    const stats = () => handlers['jobs/stats']({ timeZone: 'Europe/Atlantis', days: 30 });
    expect(stats).toThrowError(AppError);
    expect(stats).toThrowError(expect.objectContaining({ code: 'VALIDATION', message: expect.stringContaining('"Europe/Atlantis"') }));
  });

  it('takes a zone and a day count of 1 to a year; the days default to 30', () => {
    expect(jobsStatsRequest.parse({ timeZone: 'UTC' })).toEqual({ timeZone: 'UTC', days: 30 });
    expect(jobsStatsRequest.safeParse({ timeZone: 'UTC', days: 0 }).success).toBe(false);
    expect(jobsStatsRequest.safeParse({ timeZone: 'UTC', days: 367 }).success).toBe(false);
    expect(jobsStatsRequest.safeParse({ timeZone: '', days: 30 }).success).toBe(false);
    expect(jobsStatsRequest.safeParse({ days: 30 }).success).toBe(false);
  });
});
