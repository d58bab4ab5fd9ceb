/**
 * A plan run whose backup fails its checks AFTER its copies were uploaded (issue #15: copies
 * upload while the backup is written, so they are at the destinations before the verification
 * and the drill end): the copies are deleted again and recorded failed with the reason, the
 * primary file is kept for inspection, and the run fails.
 *
 * Real failures, with real servers (a PostgreSQL cluster, s3rver, a local folder):
 * - verification: the primary file is damaged on disk while verify is under way. Verify reads
 *   the file in one pass and waits at the end of each dump for `pg_restore --list`; the
 *   pg_restore it finds (LIFEBOAT_PG_BIN) is the real one behind a gate that holds `--list` until
 *   the test has seen both copies land and flipped one byte far past where the pass is, so the
 *   pass then reads the damage (a chunk that no longer authenticates);
 * - the restore drill: the plan's database user may not CREATE DATABASE, so the drill fails
 *   after a clean verification.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination } from '../../../src/main/core/destinations/open';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import { destinationSchema, type DestinationInput } from '../../../src/shared/destination';
import type { JobDetail } from '../../../src/shared/job';
import type { Plan } from '../../../src/shared/plan';
import { FAST_CONTAINER, PASSPHRASE, planInput, savePlan, waitFor } from '../../support/backup-fixtures';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { startS3Server, type S3TestServer } from '../../support/s3-server';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

const DB = 'rejected_shop';
const BUCKET = 'rejected';
const DRILL_USER = 'no_createdb';
const DRILL_USER_PASSWORD = 'no-createdb-password-31';

let cluster: PgCluster;
let s3: S3TestServer;
let work: string;
let gate: string;
let core: ReturnType<typeof makeTestCore>;
let previousPgBin: string | undefined;

/**
 * A LIFEBOAT_PG_BIN folder: pg_dump is the real one; pg_restore too, but `--list` first says it
 * started (gate/started) and waits for gate/go (at most 60 s).
 */
function gatedTools(dir: string, realBinDir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'pg_dump'), `#!/bin/sh\nexec '${path.join(realBinDir, 'pg_dump')}' "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(
    path.join(dir, 'pg_restore'),
    [
      '#!/bin/sh',
      'case " $* " in',
      `  *" --list "*) touch '${path.join(gate, 'started')}'; n=0; while [ ! -e '${path.join(gate, 'go')}' ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n+1)); done ;;`,
      'esac',
      `exec '${path.join(realBinDir, 'pg_restore')}' "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
}

function resetGate(): void {
  fs.rmSync(gate, { recursive: true, force: true });
  fs.mkdirSync(gate, { recursive: true });
}

beforeAll(async () => {
  [cluster, s3] = await Promise.all([startPgCluster(), startS3Server({ buckets: [BUCKET] })]);
  await cluster.createDatabase(DB);
  await cluster.psql(
    `CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 2000) g;
     CREATE ROLE ${DRILL_USER} LOGIN NOCREATEDB PASSWORD '${DRILL_USER_PASSWORD}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${DRILL_USER};`,
    DB,
  );
  work = makeTempDir('lifeboat-rejected-copies-');
  gate = path.join(work, 'gate');
  gatedTools(path.join(work, 'pgbin'), cluster.binDir);
  // the core finds its PostgreSQL tools in this process's environment
  previousPgBin = process.env.LIFEBOAT_PG_BIN;
  process.env.LIFEBOAT_PG_BIN = path.join(work, 'pgbin');
  // after the dump: 12 MB that do not compress, so the damage can be put far past where verify's pass waits
  fs.mkdirSync(path.join(work, 'files'));
  fs.writeFileSync(path.join(work, 'files', 'photos.bin'), crypto.randomBytes(12 * 1024 * 1024));
  core = makeTestCore({ containerOptions: FAST_CONTAINER, notifications: { watchOverdue: false } });
}, 120_000);

afterAll(async () => {
  if (previousPgBin === undefined) delete process.env.LIFEBOAT_PG_BIN;
  else process.env.LIFEBOAT_PG_BIN = previousPgBin;
  await core?.cleanup();
  await Promise.all([cluster?.stop(), s3?.close()]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function s3Copy(id: string, prefix: string): DestinationInput {
  return { id, kind: 's3', bucket: BUCKET, prefix, endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: 'keychain', accessKeyId: s3.accessKeyId };
}

/** The keys below `prefix` in the bucket (the test's own connection). */
async function s3Keys(prefix: string): Promise<string[]> {
  const dest = await openDestination(destinationSchema.parse(s3Copy('check', '')), { secret: s3.secretAccessKey });
  try {
    return (await dest.list(prefix)).map((o) => o.key);
  } finally {
    await dest.close();
  }
}

/** Every file below `dir` (relative), `.part` files included. */
function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((name) => fs.statSync(path.join(dir, name)).isFile());
}

async function savePlanWithCopies(name: string, user: string, password: string, options: { verifyAfter: boolean; drillAfter: boolean }): Promise<Plan> {
  const destination = path.join(work, `${name}-primary`);
  const source = { ...cluster.source(DB), id: 'shop', user };
  return savePlan(
    core,
    planInput({
      name,
      destination,
      databases: [source],
      folders: [{ id: 'files', path: path.join(work, 'files') }],
      options: { destination, verifyAfter: options.verifyAfter, drillAfter: options.drillAfter, copies: [{ id: 'usb', kind: 'local', path: path.join(work, `${name}-usb`) }, s3Copy('bucket', name)] },
    }),
    { dbPasswords: { shop: password }, passphrase: PASSPHRASE, destSecrets: { bucket: s3.secretAccessKey } },
  );
}

/**
 * Starts the plan's run, waits until verify's `pg_restore --list` is held and both copies are at
 * their destinations, runs `meanwhile`, lets verify go on and waits for the run's end.
 */
async function runHeldAtVerify(plan: Plan, meanwhile: (primaryFile: string) => void): Promise<{ job: JobDetail; usbFile: string; s3Key: string }> {
  resetGate();
  // a failed run keeps its file: this run's is the new one
  const before = new Set(fs.existsSync(plan.options.destination) ? fs.readdirSync(plan.options.destination) : []);
  const started = core.startPlanBackup(plan, 'manual');
  await waitFor(() => fs.existsSync(path.join(gate, 'started')), 60_000, "verify's pg_restore --list");
  const primaryFile = await waitFor(() => {
    const name = fs.readdirSync(plan.options.destination).find((n) => n.endsWith('.lifeboat') && !before.has(n));
    return name && path.join(plan.options.destination, name);
  }, 10_000, 'the primary file');
  const name = path.basename(primaryFile);
  // both copies land while verify is held: they upload while the backup is written
  const usbFile = await waitFor(() => filesBelow(path.join(work, `${plan.name}-usb`)).find((f) => path.basename(f) === name), 30_000, 'the folder copy');
  const s3Key = await waitFor(async () => (await s3Keys(`${plan.name}/`)).find((k) => k.endsWith(`/${name}`)), 30_000, 'the S3 copy');
  meanwhile(primaryFile);
  fs.writeFileSync(path.join(gate, 'go'), '');
  await core.runner.wait(started.id);
  return { job: core.jobs.detail(started.id)!, usbFile, s3Key };
}

async function copiesOf(backupId: string) {
  const reply = await dispatch(core.handlers, 'backups/copies', { id: backupId });
  if (!reply.ok) throw new Error(reply.error.message);
  return reply.value;
}

describe('copies of a backup that fails its checks after they were uploaded', () => {
  it('are deleted again and recorded failed when the backup fails its verification; the primary is kept', async () => {
    const plan = await savePlanWithCopies('damaged', cluster.user, cluster.password, { verifyAfter: true, drillAfter: false });
    let damagedAt = -1;
    const { job, usbFile, s3Key } = await runHeldAtVerify(plan, (primaryFile) => {
      // one byte, 80 % into the file: inside the 12 MB of photos.bin, far past the end of the dump
      const size = fs.statSync(primaryFile).size;
      damagedAt = Math.floor(size * 0.8);
      const fd = fs.openSync(primaryFile, 'r+');
      try {
        const byte = Buffer.alloc(1);
        fs.readSync(fd, byte, 0, 1, damagedAt);
        byte[0] = byte[0]! ^ 0xff;
        fs.writeSync(fd, byte, 0, 1, damagedAt);
      } finally {
        fs.closeSync(fd);
      }
    });
    expect(damagedAt).toBeGreaterThan(8 * 1024 * 1024);
    expect(job.status, job.displayMessage ?? '').toBe('failed');
    expect(job.displayMessage).toMatch(/^The backup was written but failed verification: /);
    expect(job.errorCode).not.toBeNull();

    // nothing is left at either destination, though both copies had landed
    expect(usbFile).toBeTruthy();
    expect(s3Key).toBeTruthy();
    expect(filesBelow(path.join(work, 'damaged-usb'))).toEqual([]);
    expect(await s3Keys('damaged/')).toEqual([]);
    expect(await s3.pendingUploads(BUCKET)).toEqual([]);
    // the primary stays for inspection
    expect(fs.existsSync(job.filePath!)).toBe(true);

    const copies = await copiesOf(job.id);
    expect(copies.map((c) => [c.destinationId, c.status]).sort()).toEqual([
      ['bucket', 'failed'],
      ['usb', 'failed'],
    ]);
    for (const copy of copies) expect(copy.error).toBe('the backup failed its verification; it was not kept at the destination');
  });

  it('are deleted again and recorded failed when the backup fails its restore drill (the user may not create a database)', async () => {
    const plan = await savePlanWithCopies('undrilled', DRILL_USER, DRILL_USER_PASSWORD, { verifyAfter: true, drillAfter: true });
    const { job, usbFile, s3Key } = await runHeldAtVerify(plan, () => undefined);
    expect(job.status, job.displayMessage ?? '').toBe('failed');
    expect(job.displayMessage).toMatch(/^The backup was written but its restore drill failed: /);
    expect(job.displayMessage).toMatch(/permission denied to create database|CREATEDB/i);

    expect(usbFile).toBeTruthy();
    expect(s3Key).toBeTruthy();
    expect(filesBelow(path.join(work, 'undrilled-usb'))).toEqual([]);
    expect(await s3Keys('undrilled/')).toEqual([]);
    expect(fs.existsSync(job.filePath!)).toBe(true);

    const copies = await copiesOf(job.id);
    expect(copies.map((c) => [c.destinationId, c.status]).sort()).toEqual([
      ['bucket', 'failed'],
      ['usb', 'failed'],
    ]);
    for (const copy of copies) expect(copy.error).toBe('the backup failed its restore drill; it was not kept at the destination');

    // the same plan once its user may create databases (and own what it restores): the copies are kept (the checks above can fail)
    await cluster.psql(`ALTER ROLE ${DRILL_USER} SUPERUSER;`);
    const ok = await runHeldAtVerify(plan, () => undefined);
    expect(ok.job.status, ok.job.displayMessage ?? '').toBe('success');
    expect(filesBelow(path.join(work, 'undrilled-usb')).map((f) => path.basename(f))).toEqual([path.basename(ok.job.filePath!)]);
    expect((await s3Keys('undrilled/')).length).toBe(1);
    expect((await copiesOf(ok.job.id)).map((c) => c.status).sort()).toEqual(['uploaded', 'uploaded']);
  });
});
