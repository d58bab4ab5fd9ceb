/**
 * Backups that cannot succeed, through the real engine: each ends with the right status and
 * error code, a message that names the fix, no secret in what the user sees, and no stray file
 * (neither `.part` nor `.lifeboat`) at the destination.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../../src/main/core/archive/reader';
import { runBackup } from '../../../src/main/core/backup/run-backup';
import { ERROR_MESSAGES } from '../../../src/shared/errors';
import type { JobDetail } from '../../../src/shared/job';
import {
  FAST_CONTAINER,
  PASSPHRASE,
  listTree,
  mountTmpfs,
  pgDumpPids,
  planInput,
  runPlan,
  savePlan,
  unmount,
} from '../../support/backup-fixtures';
import { freePort, startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

let cluster: PgCluster;
let work: string;
let core: ReturnType<typeof makeTestCore>;
const mounts: string[] = [];

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('small');
  await cluster.psql('CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 500) g;', 'small');
  // about 20 MB once dumped at level 1: more than the 17 MB tmpfs below holds
  await cluster.createDatabase('bulky');
  await cluster.psql(
    "CREATE TABLE filler AS SELECT g AS id, md5(g::text) || md5(g::text || 'x') AS payload FROM generate_series(1, 500000) g;",
    'bulky',
  );
  work = makeTempDir('lifeboat-errors-');
  core = makeTestCore({ containerOptions: FAST_CONTAINER });
});

afterAll(async () => {
  await core?.cleanup();
  for (const dir of mounts) await unmount(dir);
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** A fresh, empty destination folder for one test. */
function freshDir(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function expectNoSecret(job: JobDetail, secret: string): void {
  const seen = [job.displayMessage, job.stderrTail, ...job.sources.map((s) => s.message)].join('\n');
  expect(seen.includes(secret), 'a secret reached what the user sees').toBe(false);
}

describe('backups that fail', () => {
  it('retries an unreachable server with back-off, then fails with PG_UNREACHABLE', async () => {
    const destination = freshDir('unreachable');
    const source = { ...cluster.source('small'), port: await freePort() };
    const plan = await savePlan(
      core,
      planInput({
        name: 'Unreachable',
        destination,
        databases: [source],
        options: { destination, retries: { count: 1, backoffSeconds: 1 } },
      }),
      { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    const job = await runPlan(core, plan);
    expect(job.status).toBe('failed');
    expect(job.errorCode).toBe('PG_UNREACHABLE');
    expect(job.displayMessage).toContain('Check that it is running');
    expect(job.displayMessage).toContain(String(source.port));
    // one retry after a 1 s back-off
    expect(job.durationMs).toBeGreaterThanOrEqual(1000);
    expect(job.sources).toEqual([expect.objectContaining({ kind: 'database', status: 'failed', errorCode: 'PG_UNREACHABLE' })]);
    expect(job.filePath).toBeNull();
    expect(listTree(destination)).toEqual([]);
  });

  it('fails a wrong password at once with PG_AUTH_FAILED, no retry, and never shows the password', async () => {
    const destination = freshDir('wrong-password');
    const wrong = `wrong-${crypto.randomBytes(8).toString('hex')}`;
    const source = cluster.source('small');
    const plan = await savePlan(
      core,
      planInput({
        name: 'Wrong password',
        destination,
        databases: [source],
        // retries are for transient failures only: a wrong password is configuration
        options: { destination, retries: { count: 2, backoffSeconds: 1 } },
      }),
      { dbPasswords: { [source.id]: wrong }, passphrase: PASSPHRASE },
    );
    const job = await runPlan(core, plan);
    expect(job.status).toBe('failed');
    expect(job.errorCode).toBe('PG_AUTH_FAILED');
    expect(job.displayMessage).toContain('Enter the right password');
    expect(job.durationMs).toBeLessThan(1000);
    expect(job.sources[0]).toMatchObject({ status: 'failed', errorCode: 'PG_AUTH_FAILED' });
    expectNoSecret(job, wrong);
    expect(listTree(destination)).toEqual([]);
  });

  it('fails with PG_DUMP_MISSING when no pg_dump can be found', async () => {
    const destination = freshDir('no-pg-dump');
    const emptyBin = freshDir('empty-bin');
    const source = cluster.source('small');
    const job = core.runner.start({ kind: 'backup', planId: null, planName: 'No pg_dump', trigger: 'manual' }, (ctx) =>
      runBackup(
        {
          backupId: ctx.jobId,
          plan: null,
          type: 'full',
          base: null,
          destination,
          fileStem: 'no-pg-dump',
          compressionLevel: 1,
          passphrase: PASSPHRASE,
          databases: [{ source, password: cluster.password }],
          folders: [],
          appVersion: core.appVersion,
          retries: { count: 0, backoffSeconds: 1 },
          // nothing on PATH, no LIFEBOAT_PG_BIN, no install folders searched
          env: { PATH: emptyBin },
          pgToolDirs: [],
          containerOptions: FAST_CONTAINER,
        },
        ctx,
      ),
    );
    await core.runner.wait(job.id);
    const done = core.jobs.detail(job.id)!;
    expect(done.status).toBe('failed');
    expect(done.errorCode).toBe('PG_DUMP_MISSING');
    expect(done.displayMessage).toContain('Install the PostgreSQL client tools');
    expect(done.displayMessage).toContain('LIFEBOAT_PG_BIN');
    expect(listTree(destination)).toEqual([]);
  });

  it('fails with DEST_NOT_WRITABLE when the destination lies below a regular file', async () => {
    const base = freshDir('below-a-file');
    fs.writeFileSync(path.join(base, 'not-a-folder'), 'just a file');
    const destination = path.join(base, 'not-a-folder', 'backups');
    const source = cluster.source('small');
    const plan = await savePlan(
      core,
      planInput({ name: 'Unwritable', destination, databases: [source] }),
      { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    const job = await runPlan(core, plan);
    expect(job.status).toBe('failed');
    expect(job.errorCode).toBe('DEST_NOT_WRITABLE');
    expect(job.displayMessage).toContain('Choose another folder');
    expect(job.displayMessage).toContain(destination);
    expect(listTree(base)).toEqual(['not-a-folder']);
    expect(fs.readFileSync(path.join(base, 'not-a-folder'), 'utf8')).toBe('just a file');
  });

  describe('a full destination', () => {
    let skipReason: string | null = null;
    let tiny: string;
    let small: string;
    beforeAll(async () => {
      tiny = path.join(work, 'tmpfs-2m');
      small = path.join(work, 'tmpfs-17m');
      skipReason = await mountTmpfs(tiny, '2m');
      if (!skipReason) mounts.push(tiny);
      if (!skipReason) skipReason = await mountTmpfs(small, '17m');
      if (!skipReason) mounts.push(small);
      if (skipReason) console.warn(`skipping the full-disk tests: ${skipReason}`);
    });

    it('is refused before writing when the free space is clearly too small (DEST_NO_SPACE)', async (ctx) => {
      if (skipReason) ctx.skip(skipReason);
      const folder = freshDir('four-megabytes');
      fs.writeFileSync(path.join(folder, 'random.bin'), crypto.randomBytes(4 * 1024 * 1024));
      const plan = await savePlan(
        core,
        planInput({ name: 'Tiny disk', destination: tiny, folders: [{ id: 'f', path: folder }] }),
        { dbPasswords: {}, passphrase: PASSPHRASE },
      );
      const job = await runPlan(core, plan);
      expect(job.status).toBe('failed');
      expect(job.errorCode).toBe('DEST_NO_SPACE');
      expect(job.displayMessage).toContain('Free some space');
      expect(listTree(tiny)).toEqual([]);
    });

    it('fails with DEST_NO_SPACE when the disk fills during the dump, leaving no partial file and no pg_dump', async (ctx) => {
      if (skipReason) ctx.skip(skipReason);
      const source = cluster.source('bulky');
      const plan = await savePlan(
        core,
        planInput({ name: 'Disk fills up', destination: small, databases: [source] }),
        { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
      );
      const job = await runPlan(core, plan);
      expect(job.status).toBe('failed');
      expect(job.errorCode).toBe('DEST_NO_SPACE');
      expect(job.displayMessage).toContain(ERROR_MESSAGES.DEST_NO_SPACE);
      expect(listTree(small)).toEqual([]);
      // the space is free again
      expect(fs.statfsSync(small).bfree * fs.statfsSync(small).bsize).toBeGreaterThan(16 * 1024 * 1024);
      // pg_dump was stopped, not left blocked on a pipe nobody reads: gone before the job ended
      expect(pgDumpPids(cluster.port)).toEqual([]);
    });
  });

  it('backs up the sources that work and reports partial when one database is missing', async () => {
    const destination = freshDir('partial');
    const good = cluster.source('small');
    const missing = { ...cluster.source('no_such_db'), id: 'missing' };
    const plan = await savePlan(
      core,
      planInput({
        name: 'Partial',
        destination,
        databases: [good, missing],
        options: { destination, verifyAfter: true },
      }),
      { dbPasswords: { [good.id]: cluster.password, [missing.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    const job = await runPlan(core, plan);
    expect(job.status).toBe('partial');
    expect(job.errorCode).toBe('PG_DATABASE_MISSING');
    expect(job.displayMessage).toContain('1 of 2 sources failed');
    const bySource = Object.fromEntries(job.sources.map((s) => [s.label.split('@')[0], s]));
    expect(bySource.no_such_db).toMatchObject({ status: 'failed', errorCode: 'PG_DATABASE_MISSING' });
    expect(bySource.no_such_db!.message).toContain('Check the database name');
    expect(bySource.small).toMatchObject({ status: 'success', errorCode: null, files: 1 });
    expect(listTree(destination)).toEqual([path.basename(job.filePath!)]);

    const manifest = await readManifest(job.filePath!, PASSPHRASE);
    const dbs = manifest.sources.filter((s) => s.kind === 'database');
    expect(dbs.map((s) => [s.id, s.status])).toEqual([
      [good.id, 'success'],
      [missing.id, 'failed'],
    ]);
    // the good database's dump and its role definitions; nothing of the missing one
    expect(manifest.entries.map((e) => [e.kind, e.sourceId])).toEqual([
      ['database-dump', good.id],
      ['database-roles', good.id],
    ]);
    expect(manifest.sources.find((s) => s.id === good.id)).toMatchObject({ tables: [{ name: 't', rows: 500 }] });
    // the verification passes the file but says a source is missing from it
    expect(core.verifications.latestStatus(job.id)).toBe('warnings');
  });
});
