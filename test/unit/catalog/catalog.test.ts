import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openCatalog, migrate } from '../../../src/main/core/catalog/catalog';
import { MIGRATIONS } from '../../../src/main/core/catalog/migrations';
import { JobsRepo } from '../../../src/main/core/catalog/jobs-repo';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('catalog', () => {
  it('opens in WAL mode with every migration applied, and reopening applies none twice', () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const db = openCatalog(dir);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['plans', 'jobs', 'job_sources', 'verifications', 'restores', 'audit_log']));
    db.close();
    const again = openCatalog(dir);
    expect(migrate(again)).toBe(MIGRATIONS.length);
    again.close();
    expect(fs.existsSync(path.join(dir, 'catalog.sqlite'))).toBe(true);
  });

  it('refuses a catalog written by a newer schema', () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const db = openCatalog(dir);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(db)).toThrow(/newer Lifeboat/);
    db.close();
  });

  it('pages, filters and searches jobs newest first', () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const jobs = new JobsRepo(openCatalog(dir));
    for (let i = 0; i < 30; i++) {
      jobs.create({
        id: `job-${i}`,
        kind: 'backup',
        planId: i % 2 ? 'odd' : 'even',
        planName: i % 2 ? 'Odd plan' : 'Even 100% plan',
        trigger: 'manual',
        startedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        status: i % 3 === 0 ? 'failed' : 'success',
      });
    }
    const first = jobs.list({}, 1, 10);
    expect(first.total).toBe(30);
    expect(first.items.map((j) => j.id).slice(0, 2)).toEqual(['job-29', 'job-28']);
    expect(jobs.list({}, 3, 10).items.at(-1)?.id).toBe('job-0');
    expect(jobs.list({ planId: 'odd' }, 1, 100).total).toBe(15);
    expect(jobs.list({ status: 'failed' }, 1, 100).total).toBe(10);
    // % is searched literally, not as a wildcard
    expect(jobs.list({ search: '100%' }, 1, 100).total).toBe(15);
    expect(jobs.list({ search: '%' }, 1, 100).total).toBe(15);
    expect(jobs.list({ from: new Date(Date.UTC(2026, 0, 1, 0, 25)).toISOString() }, 1, 100).total).toBe(5);
  });

  it('records whether a backup was written encrypted: true, false, or null when not known', () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const db = openCatalog(dir);
    const jobs = new JobsRepo(db);
    const base = { kind: 'backup' as const, planId: null, planName: 'p', trigger: 'manual' as const, startedAt: new Date().toISOString() };
    for (const id of ['enc', 'plain', 'old']) jobs.create({ id, ...base });
    const done = { status: 'success' as const, finishedAt: new Date().toISOString(), durationMs: 1 };
    expect(jobs.finish('enc', { ...done, encrypted: true }).encrypted).toBe(true);
    expect(jobs.finish('plain', { ...done, encrypted: false }).encrypted).toBe(false);
    expect(jobs.finish('old', done).encrypted).toBeNull();
    // a later finish without the flag (a verify folding in) keeps what was recorded
    expect(jobs.finish('plain', done).encrypted).toBe(false);
    db.close();
  });

  it('marks jobs left running by a crash as interrupted at start and removes their temp files', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const temp = path.join(dir, 'half-written.lifeboat.tmp');
    fs.writeFileSync(temp, 'partial');
    const db = openCatalog(dir);
    const jobs = new JobsRepo(db);
    jobs.create({ id: 'crashed', kind: 'backup', planId: null, planName: 'p', trigger: 'scheduled', startedAt: new Date().toISOString() });
    jobs.markRunning('crashed', temp);
    db.close();

    const core = makeTestCore({ dataDir: dir });
    const job = core.jobs.get('crashed')!;
    expect(job.status).toBe('interrupted');
    expect(job.displayMessage).toMatch(/Interrupted/);
    expect(fs.existsSync(temp)).toBe(false);
    expect(core.audit.list(1, 10).items[0].action).toBe('jobs.mark-interrupted');
    await core.close();
  });

  it('leaves alone a job another live process is running (the app, while the CLI starts)', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const liveTemp = path.join(dir, 'live.lifeboat.part');
      fs.writeFileSync(liveTemp, 'being written');
      const db = openCatalog(dir);
      const jobs = new JobsRepo(db);
      jobs.create({ id: 'live', kind: 'backup', planId: null, planName: 'p', trigger: 'manual', startedAt: new Date().toISOString(), ownerPid: other.pid });
      jobs.markRunning('live', liveTemp);
      // a pid no process has: what a crashed process leaves behind
      jobs.create({ id: 'dead', kind: 'backup', planId: null, planName: 'p', trigger: 'manual', startedAt: new Date().toISOString(), ownerPid: 2 ** 22 + 12345 });
      jobs.markRunning('dead', null);
      db.close();

      const core = makeTestCore({ dataDir: dir });
      expect(core.jobs.get('live')!.status).toBe('running');
      expect(fs.existsSync(liveTemp)).toBe(true);
      expect(core.jobs.get('dead')!.status).toBe('interrupted');
      await core.close();
    } finally {
      other.kill();
    }
  });
});
