/**
 * A plan's copies at other destinations, end to end with real files, a real PostgreSQL cluster
 * and a real S3 wire-protocol server (s3rver): two local copies uploaded and checked; a copy that
 * fails (a file where its folder should be) makes the run partial and is retried once fixed;
 * retention and a delete by hand take the copies with their backup; restore and verify read the
 * nearest healthy copy when the primary is gone; an S3 copy with a wrong secret fails without the
 * secret anywhere, raises the off-site alert past the schedule's period, and lands once fixed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestinationInput } from '../../../src/shared/destination';
import type { InvokeChannel, InvokeRequest, InvokeResponses } from '../../../src/shared/ipc-contract';
import type { PlanInput } from '../../../src/shared/plan';
import { FAST_CONTAINER, PASSPHRASE, catalogFiles, planInput, runPlan, savePlan, sha256 } from '../../support/backup-fixtures';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { startS3Server, type S3TestServer } from '../../support/s3-server';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { TestClock } from '../../support/test-clock';
import { invoke as invokeOn } from '../restore/support';

const DB = 'copies_shop';
const BUCKET = 'offsite';
const HOUR = 3_600_000;

let cluster: PgCluster;
let s3: S3TestServer;
let work: string;
let clock: TestClock;
let core: ReturnType<typeof makeTestCore>;

beforeAll(async () => {
  [cluster, s3] = await Promise.all([startPgCluster(), startS3Server({ buckets: [BUCKET] })]);
  await cluster.createDatabase(DB);
  await cluster.psql('CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 300) g;', DB);
  work = makeTempDir('lifeboat-copies-');
  clock = new TestClock(new Date('2026-03-01T02:00:00Z'));
  core = makeTestCore({ containerOptions: FAST_CONTAINER, clock, notifications: { watchOverdue: false } });
}, 120_000);

afterAll(async () => {
  await core?.cleanup();
  await Promise.all([cluster?.stop(), s3?.close()]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Calls a channel of this file's core through dispatch (validated like IPC). */
const invoke = <K extends InvokeChannel>(channel: K, request: InvokeRequest<K>): Promise<InvokeResponses[K]> => invokeOn(core, channel, request);

function sourceTree(name: string): string {
  const root = path.join(work, `${name}-src`);
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'a.txt'), `alpha of ${name}\n`.repeat(200));
  fs.writeFileSync(path.join(root, 'sub', 'b.bin'), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256)));
  return root;
}

function plan(name: string, copies: DestinationInput[], overrides: Partial<PlanInput> = {}): PlanInput {
  const destination = path.join(work, `${name}-primary`);
  return planInput({ name, destination, folders: [{ id: 'docs', path: sourceTree(name) }], ...overrides, options: { destination, copies } });
}

function local(id: string, dir: string): DestinationInput {
  return { id, kind: 'local', path: dir, readBack: true };
}

describe("a plan's copies", () => {
  it('uploads each backup to two local copies, both verified with the SHA-256 of the primary', async () => {
    const a = path.join(work, 'copy-a');
    const b = path.join(work, 'copy-b');
    const saved = await savePlan(
      core,
      plan('Two copies', [local('a', a), local('b', b)], { databases: [cluster.source(DB)] }),
      { dbPasswords: { [cluster.source(DB).id]: cluster.password }, passphrase: PASSPHRASE },
    );
    const job = await runPlan(core, saved);
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect(job.displayMessage).toContain(`Copied to ${a}, ${b}.`);
    const copies = await invoke('backups/copies', { id: job.id });
    expect(copies.map((c) => [c.destinationId, c.status])).toEqual([
      ['a', 'verified'],
      ['b', 'verified'],
    ]);
    const primary = fs.readFileSync(job.filePath!);
    for (const copy of copies) {
      expect(copy.key).toBe(`two-copies/${path.basename(job.filePath!)}`);
      expect(copy.sha256).toBe(job.checksum);
      expect(copy.sha256).toBe(sha256(primary));
      expect(copy.sizeBytes).toBe(primary.length);
      expect(copy.verifiedAt).not.toBeNull();
      expect(fs.readFileSync(copy.url).equals(primary)).toBe(true);
    }
    // local copies only: nothing off-site
    const status = (await invoke('plans/offsite-status', undefined)).find((s) => s.planId === saved.id)!;
    expect(status).toMatchObject({ configured: false, state: 'not-configured', newestBackupId: job.id });
  });

  it('makes a run partial when a copy fails, keeps the primary, retries once fixed, and deletes copies with their backup', async () => {
    const good = path.join(work, 'good-copy');
    const blocked = path.join(work, 'blocked');
    fs.writeFileSync(blocked, 'a file where the copy folder should be');
    const broken = path.join(blocked, 'copies');
    let saved = await savePlan(core, plan('Flaky copy', [local('good', good), local('bad', broken)]), { dbPasswords: {}, passphrase: PASSPHRASE });

    const first = await runPlan(core, saved);
    expect(first.status, first.displayMessage ?? '').toBe('partial');
    expect(first.displayMessage).toContain(`The copy to ${broken} failed`);
    expect(first.displayMessage).toContain(`The backup is kept at ${first.filePath}`);
    expect(fs.existsSync(first.filePath!)).toBe(true);
    const failed = core.jobs.get(first.id)!;
    expect(failed.errorCode).toBe('DEST_FAILED');
    const rows = await invoke('backups/copies', { id: first.id });
    expect(rows.find((c) => c.destinationId === 'good')?.status).toBe('verified');
    expect(rows.find((c) => c.destinationId === 'bad')).toMatchObject({ status: 'failed', attempts: 1, sha256: null });
    expect(rows.find((c) => c.destinationId === 'bad')!.error).toBeTruthy();

    // fixed: the next run copies its own backup and uploads the failed one again
    fs.rmSync(blocked);
    clock.advance(HOUR);
    const second = await runPlan(core, saved);
    expect(second.status, second.displayMessage ?? '').toBe('success');
    expect(second.displayMessage).toContain('1 earlier copy uploaded again.');
    const retried = (await invoke('backups/copies', { id: first.id })).find((c) => c.destinationId === 'bad')!;
    expect(retried).toMatchObject({ status: 'verified', attempts: 2, error: null, sha256: first.checksum });
    expect(fs.readFileSync(retried.url).equals(fs.readFileSync(first.filePath!))).toBe(true);

    // retention keeps one backup: the two older ones go, with their copies at both destinations
    saved = await savePlan(core, { ...plan('Flaky copy', [local('good', good), local('bad', broken)]), id: saved.id, retention: { days: null, maxCount: 1 } }, { dbPasswords: {} });
    clock.advance(HOUR);
    const third = await runPlan(core, saved);
    expect(third.status, third.displayMessage ?? '').toBe('success');
    for (const old of [first, second]) {
      expect(core.jobs.get(old.id)!.filePath).toBeNull();
      const gone = await invoke('backups/copies', { id: old.id });
      expect(gone.map((c) => c.status)).toEqual(['deleted', 'deleted']);
      for (const copy of gone) expect(fs.existsSync(copy.url)).toBe(false);
    }
    const kept = await invoke('backups/copies', { id: third.id });
    expect(kept.map((c) => c.status)).toEqual(['verified', 'verified']);

    // the primary is lost: restore and verify read the nearest healthy copy
    fs.rmSync(third.filePath!);
    const target = path.join(work, 'restored-from-copy');
    const { jobId } = await invoke('restore/start', { backupJobId: third.id, files: { folder: target } });
    const restore = await core.runner.wait(jobId);
    expect(restore.status, restore.displayMessage ?? '').toBe('success');
    expect(restore.displayMessage).toContain(`Read from the copy at ${kept[0]!.url}`);
    expect(fs.readFileSync(path.join(target, 'a.txt'), 'utf8')).toBe(fs.readFileSync(path.join(work, 'Flaky copy-src', 'a.txt'), 'utf8'));
    const verify = await core.runner.wait((await invoke('verify/run', { jobId: third.id })).jobId);
    expect(verify.status, verify.displayMessage ?? '').toBe('success');
    expect(verify.displayMessage).toContain(`the copy at ${kept[0]!.url}`);

    // deleting the backup by hand takes its copies too
    await invoke('backups/delete', { id: third.id, withDependents: false });
    const deleted = await invoke('backups/copies', { id: third.id });
    expect(deleted.map((c) => c.status)).toEqual(['deleted', 'deleted']);
    for (const copy of deleted) expect(fs.existsSync(copy.url)).toBe(false);
  });

  it('keeps a destination secret out of the catalog and messages, alerts past the period, and clears once an S3 copy lands', async () => {
    const wrong = 'wrong-secret-Zq9vX2-not-the-key';
    const s3Copy: DestinationInput = {
      id: 's3',
      kind: 's3',
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: BUCKET,
      prefix: 'lifeboat',
      forcePathStyle: true,
      credentials: 'keychain',
      accessKeyId: s3.accessKeyId,
      readBack: true,
    };
    const input = plan('Offsite nightly', [s3Copy], { schedule: { kind: 'daily', time: '02:00' } });
    const saved = await savePlan(core, input, { dbPasswords: {}, passphrase: PASSPHRASE, destSecrets: { s3: wrong } });
    expect(saved.options.copies[0]).toMatchObject({ hasSecret: true });
    expect((await invoke('plans/offsite-status', undefined)).find((s) => s.planId === saved.id)).toMatchObject({ configured: true, state: 'no-backup' });

    const first = await runPlan(core, saved);
    expect(first.status, first.displayMessage ?? '').toBe('partial');
    expect(first.errorCode).toBe('DEST_AUTH_FAILED');
    expect(first.displayMessage).toContain(`The copy to s3://${BUCKET}/lifeboat failed`);
    const [row] = await invoke('backups/copies', { id: first.id });
    expect(row).toMatchObject({ status: 'failed', kind: 's3' });
    // the secret is nowhere: the catalog's files (copies, jobs, audit, plan JSON), the job's message
    for (const { name, bytes } of catalogFiles(core.dataDir)) expect(bytes.includes(Buffer.from(wrong)), name).toBe(false);
    expect(JSON.stringify(core.jobs.detail(first.id))).not.toContain(wrong);
    expect(JSON.stringify(core.plans.get(saved.id))).not.toContain(wrong);

    let status = (await invoke('plans/offsite-status', undefined)).find((s) => s.planId === saved.id)!;
    expect(status).toMatchObject({ state: 'failed', newestBackupId: first.id });
    expect(status.unprotectedSince).toBe(status.newestBackupAt);
    expect(await core.notifications.checkOffsite(new Date(clock.now().getTime() + 23 * HOUR))).toEqual([]);
    clock.advance(25 * HOUR);
    const [alert] = await core.notifications.checkOffsite();
    expect(alert).toMatchObject({ kind: 'offsite', planId: saved.id, jobId: first.id });
    expect(alert!.message).toContain(`s3://${BUCKET}/lifeboat`);
    expect(alert!.message).not.toContain(wrong);
    // raised once per period
    expect(await core.notifications.checkOffsite()).toEqual([]);

    // the right secret: the next run copies its backup and the failed one, and the plan is protected again
    await savePlan(core, { ...input, id: saved.id }, { dbPasswords: {}, destSecrets: { s3: s3.secretAccessKey } });
    const second = await runPlan(core, core.plans.get(saved.id)!);
    expect(second.status, second.displayMessage ?? '').toBe('success');
    const [landed] = await invoke('backups/copies', { id: second.id });
    expect(landed).toMatchObject({ status: 'verified', sha256: second.checksum, url: `s3://${BUCKET}/lifeboat/offsite-nightly/${path.basename(second.filePath!)}` });
    expect((await invoke('backups/copies', { id: first.id }))[0]).toMatchObject({ status: 'verified', sha256: first.checksum });
    status = (await invoke('plans/offsite-status', undefined)).find((s) => s.planId === saved.id)!;
    expect(status).toMatchObject({ state: 'verified', unprotectedSince: null, newestBackupId: second.id });
    clock.advance(48 * HOUR);
    expect(await core.notifications.checkOffsite()).toEqual([]);

    // the primary is lost: restore reads the S3 copy through the plan's destination and keychain secret
    fs.rmSync(second.filePath!);
    const target = path.join(work, 'restored-from-s3');
    const restore = await core.runner.wait((await invoke('restore/start', { backupJobId: second.id, files: { folder: target } })).jobId);
    expect(restore.status, restore.displayMessage ?? '').toBe('success');
    expect(restore.displayMessage).toContain(`Read from the copy at ${landed!.url}`);
    expect(fs.readFileSync(path.join(target, 'a.txt'), 'utf8')).toBe(fs.readFileSync(path.join(work, 'Offsite nightly-src', 'a.txt'), 'utf8'));

    // deleting the plan's destination takes its secret with it
    await savePlan(core, { ...input, id: saved.id, options: { ...input.options, copies: [] } }, { dbPasswords: {} });
    expect(await core.secrets.get(`dest:${saved.id}:s3`)).toBeNull();
  });
});
