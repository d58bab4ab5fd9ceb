/**
 * Chains, deletion, the storage cap and partial backups, end to end with real files and a real
 * PostgreSQL cluster: an incremental plan that starts a new chain every 5 runs and keeps 2 chains,
 * run 20 times under a fake clock; deleting a base from History (the handler map); a 50 MB cap;
 * partial backups in the lists, verified and restored.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../../src/main/core/archive/reader';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import type { InvokeChannel, InvokeRequest, InvokeResponses } from '../../../src/shared/ipc-contract';
import { AppError, type ErrorCode } from '../../../src/shared/errors';
import type { JobDetail } from '../../../src/shared/job';
import type { Plan, PlanInput, Retention } from '../../../src/shared/plan';
import { FAST_CONTAINER, PASSPHRASE, listTree, planInput, runPlan, savePlan } from '../../support/backup-fixtures';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { TestClock } from '../../support/test-clock';
import { snapshotTree } from '../restore/support';

const DB = 'chain_shop';
const HOUR = 3_600_000;
const MB = 1_000_000;
const KEEP_NOTHING: Retention = { days: null, maxCount: null, keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepChains: 0, capBytes: null };

let cluster: PgCluster;
let work: string;
let clock: TestClock;
let core: ReturnType<typeof makeTestCore>;

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase(DB);
  await cluster.psql('CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 500) g;', DB);
  work = makeTempDir('lifeboat-chains-');
  clock = new TestClock(new Date('2026-03-01T02:00:00Z'));
  core = makeTestCore({ containerOptions: FAST_CONTAINER, clock });
});

afterAll(async () => {
  await core?.cleanup();
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function invoke<K extends InvokeChannel>(channel: K, request: InvokeRequest<K>): Promise<InvokeResponses[K]> {
  const reply = await dispatch(core.handlers, channel, request);
  if (!reply.ok) {
    const error = new AppError(reply.error.code);
    error.message = reply.error.message;
    throw error;
  }
  return reply.value;
}

async function refusal(promise: Promise<unknown>): Promise<{ code: ErrorCode; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

function folderPlan(name: string, root: string, overrides: Omit<Partial<PlanInput>, 'options'> & { options?: Partial<PlanInput['options']> } = {}): PlanInput {
  const destination = path.join(work, `${name}-out`);
  const { options, ...rest } = overrides;
  return planInput({
    name,
    destination,
    folders: [{ id: 'docs', path: root }],
    retention: KEEP_NOTHING,
    ...rest,
    options: { destination, ...options },
  });
}

/** Runs the plan an hour after the previous run; fails the test unless it succeeded. */
async function runAnHourLater(plan: Plan): Promise<JobDetail> {
  clock.advance(HOUR);
  const job = await runPlan(core, plan);
  expect(job.status, `${job.errorCode}: ${job.displayMessage}`).toBe('success');
  return job;
}

describe('an incremental plan with "a full every 5 runs, keep 2 chains"', () => {
  it('after 20 runs keeps exactly the last two chains on disk, and the newest incremental restores the source tree', async () => {
    const root = path.join(work, 'chain-src');
    fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(root, 'stable.txt'), 'never changes\n');
    const plan = await savePlan(
      core,
      folderPlan('Chained', root, {
        type: 'incremental',
        databases: [cluster.source(DB)],
        retention: { ...KEEP_NOTHING, keepChains: 2 },
        options: { fullEveryRuns: 5, verifyAfter: true },
      }),
      { dbPasswords: { [cluster.source(DB).id]: cluster.password }, passphrase: PASSPHRASE },
    );

    const runs: JobDetail[] = [];
    for (let i = 1; i <= 20; i++) {
      fs.writeFileSync(path.join(root, 'sub', `run-${i}.txt`), `written before run ${i}\n`);
      fs.writeFileSync(path.join(root, 'changing.txt'), `version ${i}\n`);
      if (i === 13) fs.rmSync(path.join(root, 'sub', 'run-2.txt'));
      runs.push(await runAnHourLater(plan));
    }

    // runs 1, 6, 11, 16 start a chain; the others build on the run before
    const types = runs.map((r) => core.jobs.backupTypeOf(r.id));
    expect(types.map((t, i) => (t === 'full' ? i + 1 : null)).filter(Boolean)).toEqual([1, 6, 11, 16]);
    expect(runs[5]!.displayMessage).toContain('A new chain starts: the chain holds 5 backups (a full every 5 runs).');
    for (let i = 1; i < 20; i++) if (types[i] === 'incremental') expect(core.jobs.baseOf(runs[i]!.id)).toBe(runs[i - 1]!.id);

    // exactly the last two chains (runs 11-20) are on disk; the others are marked removed
    const destination = plan.options.destination;
    expect(listTree(destination).sort()).toEqual(runs.slice(10).map((r) => path.basename(r.filePath!)).sort());
    for (const r of runs.slice(0, 10)) {
      const row = core.jobs.get(r.id)!;
      expect(row.filePath).toBeNull();
      expect(row.displayMessage).toMatch(/^Removed by retention: /);
    }

    // the newest incremental restores the tree as it is now
    const newest = runs[19]!;
    const manifest = await readManifest(newest.filePath!, PASSPHRASE);
    expect(manifest.type).toBe('incremental');
    const target = path.join(work, 'chain-restored');
    const { jobId } = await invoke('restore/start', { backupJobId: newest.id, files: { folder: target } });
    await core.runner.wait(jobId);
    const restore = core.jobs.detail(jobId)!;
    expect(restore.status, restore.displayMessage ?? '').toBe('success');
    const strip = (tree: ReturnType<typeof snapshotTree>) => Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, v.sha256]));
    expect(strip(snapshotTree(target))).toEqual(strip(snapshotTree(root)));
    expect(Object.keys(snapshotTree(target))).not.toContain('sub/run-2.txt');

    // "Next run: full" starts a chain on the next run, and is then cleared
    expect(await invoke('plans/next-backup', { id: plan.id })).toMatchObject({
      type: 'full',
      fullRequested: false,
      reason: 'the chain holds 5 backups (a full every 5 runs)',
    });
    const run21 = await runAnHourLater(plan);
    expect(await invoke('plans/next-backup', { id: plan.id })).toMatchObject({ type: 'incremental', chain: { rootId: run21.id, length: 1 } });
    expect(await invoke('plans/set-next-full', { id: plan.id, full: true })).toMatchObject({ type: 'full', fullRequested: true, reason: 'a full backup was asked for' });
    const asked = await runAnHourLater(plan);
    expect(core.jobs.backupTypeOf(asked.id)).toBe('full');
    expect(await invoke('plans/next-backup', { id: plan.id })).toMatchObject({ type: 'incremental', fullRequested: false, chain: { rootId: asked.id, length: 1 } });
    // and one run with { full: true } (lifeboat run --full) does the same without a request
    const forced = core.startPlanBackup(plan, 'manual', 'cli', { full: true });
    clock.advance(HOUR);
    await core.runner.wait(forced.id);
    expect(core.jobs.backupTypeOf(forced.id)).toBe('full');
    const audit = core.audit.list(1, 200).items.map((a) => a.action);
    expect(audit).toContain('plan.request-full');
  });
});

describe('deleting a backup from History', () => {
  it('refuses a base with dependents unless they go too, then removes all of them', async () => {
    const root = path.join(work, 'delete-src');
    fs.mkdirSync(root, { recursive: true });
    const plan = await savePlan(core, folderPlan('Deletable', root, { type: 'incremental', options: { fullEveryRuns: null } }), { passphrase: PASSPHRASE });
    const runs: JobDetail[] = [];
    for (let i = 0; i < 3; i++) {
      fs.writeFileSync(path.join(root, `f${i}.txt`), `file ${i}`);
      runs.push(await runAnHourLater(plan));
    }
    const [full, i1, i2] = runs as [JobDetail, JobDetail, JobDetail];

    const preview = await invoke('backups/preview-delete', { id: full.id });
    expect(preview.backup.id).toBe(full.id);
    expect(preview.dependents.map((d) => d.id)).toEqual([i2.id, i1.id]);

    const refused = await refusal(invoke('backups/delete', { id: full.id }));
    expect(refused.code).toBe('BACKUP_HAS_DEPENDENTS');
    expect(refused.message).toContain('--with-dependents');
    expect(refused.message).toContain(i1.filePath!);
    for (const r of runs) expect(fs.existsSync(r.filePath!)).toBe(true);

    // the newest link has no dependents: it goes on its own
    expect((await invoke('backups/preview-delete', { id: i2.id })).dependents).toEqual([]);

    const { deleted } = await invoke('backups/delete', { id: full.id, withDependents: true });
    expect(deleted.map((d) => d.id)).toEqual([i2.id, i1.id, full.id]);
    for (const r of runs) {
      expect(fs.existsSync(r.filePath!)).toBe(false);
      expect(core.jobs.get(r.id)!.filePath).toBeNull();
    }
    expect(listTree(plan.options.destination)).toEqual([]);
    const deletions = core.audit.list(1, 200).items.filter((a) => a.action === 'backup.delete');
    expect(deletions.map((a) => a.target).sort()).toEqual(runs.map((r) => r.id).sort());

    // the next run has nothing to build on: it starts a chain
    expect((await invoke('plans/next-backup', { id: plan.id })).type).toBe('full');
  });

  it('says what is wrong with a bad request, naming the fix', async () => {
    expect((await refusal(invoke('backups/delete', { id: 'no-such-backup' }))).code).toBe('NOT_FOUND');
    // the file is already gone (deleted above, or by retention): nothing to delete
    const gone = core.jobs.all({ kind: 'backup' }).find((j) => j.filePath === null)!;
    const missing = await refusal(invoke('backups/delete', { id: gone.id }));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain('has no file any more');
    expect((await refusal(invoke('plans/set-next-full', { id: 'no-such-plan', full: true }))).code).toBe('NOT_FOUND');
    // the contract refuses what is not a request at all
    const reply = await dispatch(core.handlers, 'backups/delete', { id: '', withDependents: 'yes' } as never);
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.code).toBe('VALIDATION');
  });
});

describe('a plan with a 50 MB storage cap', () => {
  it('prunes the oldest backups to stay under the cap, and alerts when a single backup exceeds it', async () => {
    const root = path.join(work, 'cap-src');
    fs.mkdirSync(root, { recursive: true });
    const plan = await savePlan(
      core,
      folderPlan('Capped', root, { retention: { ...KEEP_NOTHING, capBytes: 50 * MB }, options: { compressionLevel: 0 } }),
      { passphrase: PASSPHRASE },
    );
    const runs: JobDetail[] = [];
    for (let i = 0; i < 4; i++) {
      // 20 MB that does not compress, different each run
      fs.writeFileSync(path.join(root, 'data.bin'), crypto.randomBytes(20 * MB));
      runs.push(await runAnHourLater(plan));
      const onDisk = core.jobs.backupsOfPlan(plan.id);
      const used = onDisk.reduce((sum, b) => sum + b.sizeBytes!, 0);
      expect(used).toBeLessThanOrEqual(50 * MB);
      expect(listTree(plan.options.destination)).toHaveLength(onDisk.length);
    }
    expect(core.jobs.backupsOfPlan(plan.id).map((b) => b.id)).toEqual([runs[3]!.id, runs[2]!.id]);
    expect(core.jobs.get(runs[0]!.id)!.displayMessage).toBe('Removed by retention: over the storage cap of 50MB.');
    await core.notifications.idle();
    expect(core.notifications.alerts.list(1, 50).items.filter((a) => a.kind === 'storage-cap')).toEqual([]);

    // one backup bigger than the cap: the older ones go, the newest stays, and an alert says so
    fs.writeFileSync(path.join(root, 'data.bin'), crypto.randomBytes(60 * MB));
    const big = await runAnHourLater(plan);
    expect(core.jobs.backupsOfPlan(plan.id).map((b) => b.id)).toEqual([big.id]);
    expect(big.displayMessage).toContain('Over the storage cap');
    await core.notifications.idle();
    const alerts = core.notifications.alerts.list(1, 50).items.filter((a) => a.kind === 'storage-cap');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ planId: plan.id, jobId: big.id });
    expect(alerts[0]!.message).toContain('storage cap of 50 MB');
  });

  it('refuses a cap below 1 MB, naming the fix', async () => {
    const root = path.join(work, 'cap-src');
    const reply = await dispatch(core.handlers, 'plans/save', {
      plan: folderPlan('Tiny cap', root, { retention: { ...KEEP_NOTHING, capBytes: 1000 } }),
      secrets: { passphrase: PASSPHRASE },
    });
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.code).toBe('VALIDATION');
      expect(reply.error.message).toContain('Use a cap of at least 1 MB');
    }
  });
});

describe('partial backups', () => {
  it('are listed with the sources that failed, and verify and restore like the others', async () => {
    const root = path.join(work, 'partial-src');
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, 'kept.txt'), 'this source works');
    const plan = await savePlan(
      core,
      folderPlan('Half there', root, { databases: [{ ...cluster.source('no_such_database'), id: 'missing-db' }] }),
      { dbPasswords: { 'missing-db': cluster.password }, passphrase: PASSPHRASE },
    );
    clock.advance(HOUR);
    const job = await runPlan(core, plan);
    expect(job.status).toBe('partial');
    expect(job.filePath).toBeTruthy();

    const listed = await invoke('jobs/list', { kind: 'backup', statuses: ['success', 'partial'], planId: plan.id });
    expect(listed.items.map((j) => j.id)).toEqual([job.id]);
    expect(listed.items[0]!.failedSources).toEqual([job.sources.find((s) => s.status === 'failed')!.label]);
    expect(listed.items[0]!.failedSources![0]).toContain('no_such_database');
    // a successful backup carries no failedSources field
    const success = (await invoke('jobs/list', { kind: 'backup', statuses: ['success'], page: 1, pageSize: 1 })).items[0]!;
    expect(success.failedSources).toBeUndefined();

    const { jobId: verifyId } = await invoke('verify/run', { jobId: job.id });
    await core.runner.wait(verifyId);
    expect(core.jobs.get(verifyId)!.status).toBe('success');

    const target = path.join(work, 'partial-restored');
    const { jobId } = await invoke('restore/start', { backupJobId: job.id, files: { folder: target } });
    await core.runner.wait(jobId);
    expect(core.jobs.get(jobId)!.status, core.jobs.get(jobId)!.displayMessage ?? '').toBe('success');
    expect(fs.readFileSync(path.join(target, 'kept.txt'), 'utf8')).toBe('this source works');
  });
});
