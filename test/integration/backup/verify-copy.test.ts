/**
 * Verifying one copy of a backup where it lies (issue #15, point 4: "is my S3 copy still good?"):
 * verify/run with `copy` reads that copy's URL with ranged reads through the plan's destination
 * (its settings and keychain secret), checks it against the catalog's SHA-256, records the
 * verification against the copy's URL and updates the copy's row; the primary's own status is
 * left alone; a copy that failed is uploaded again by the plan's next run. Real servers: files on
 * disk, s3rver (with a secret of its own, so that a leak would show) and a local folder copy.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination } from '../../../src/main/core/destinations/open';
import { primaryProblem, readableLocation } from '../../../src/main/core/destinations/copy-locations';
import { destinationSchema, type DestinationInput } from '../../../src/shared/destination';
import type { InvokeChannel, InvokeRequest, InvokeResponses } from '../../../src/shared/ipc-contract';
import type { JobDetail } from '../../../src/shared/job';
import type { Plan } from '../../../src/shared/plan';
import { FAST_CONTAINER, PASSPHRASE, catalogFiles, planInput, runPlan, savePlan, sha256 } from '../../support/backup-fixtures';
import { startS3Server, type S3TestServer } from '../../support/s3-server';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { TestClock } from '../../support/test-clock';
import { appError, headerBytes, invoke as invokeOn } from '../restore/support';

const BUCKET = 'verify-copies';
const ACCESS_KEY_ID = 'VERIFYCOPYKEY';
const SECRET = 'verify-copy-secret-Kp41wZ-never-shown';
const HOUR = 3_600_000;

let s3: S3TestServer;
let work: string;
let clock: TestClock;
let core: ReturnType<typeof makeTestCore>;

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET], keys: [{ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET }] });
  work = makeTempDir('lifeboat-verify-copy-');
  clock = new TestClock(new Date('2026-04-01T02:00:00Z'));
  core = makeTestCore({ containerOptions: FAST_CONTAINER, clock, notifications: { watchOverdue: false } });
}, 60_000);

afterAll(async () => {
  await core?.cleanup();
  await s3?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const invoke = <K extends InvokeChannel>(channel: K, request: InvokeRequest<K>): Promise<InvokeResponses[K]> => invokeOn(core, channel, request);

const s3Copy: DestinationInput = {
  id: 'bucket',
  kind: 's3',
  label: 'Offsite bucket',
  endpoint: '',
  region: 'us-east-1',
  bucket: BUCKET,
  prefix: 'lifeboat',
  forcePathStyle: true,
  credentials: 'keychain',
  accessKeyId: ACCESS_KEY_ID,
  // not read back after the upload: the copy starts 'uploaded', so a verify is what makes it 'verified'
  readBack: false,
};

async function verifyNow(request: InvokeRequest<'verify/run'>): Promise<JobDetail> {
  const { jobId } = await invoke('verify/run', request);
  await core.runner.wait(jobId);
  return core.jobs.detail(jobId)!;
}

/** Writes `bytes` over the S3 object `key` through the destination itself (a damaged or replaced copy). */
async function overwriteS3Object(key: string, bytes: Buffer): Promise<void> {
  const dest = await openDestination(destinationSchema.parse({ ...s3Copy, endpoint: s3.endpoint }), { secret: SECRET });
  try {
    await dest.write(key, Readable.from([bytes]));
  } finally {
    await dest.close();
  }
}

describe('verify one copy of a backup', () => {
  let plan: Plan;
  let backup: JobDetail;
  let s3Url: string;

  it('verifies the S3 copy where it lies: passed, the row verified now', async () => {
    const source = path.join(work, 'src');
    fs.mkdirSync(source, { recursive: true });
    // incompressible, several chunks: damage far past the header lands in one
    fs.writeFileSync(path.join(source, 'photos.bin'), crypto.randomBytes(3 * 1024 * 1024));
    fs.writeFileSync(path.join(source, 'notes.txt'), 'the notes\n'.repeat(500));
    const destination = path.join(work, 'primary');
    plan = await savePlan(
      core,
      planInput({
        name: 'Copy check',
        destination,
        folders: [{ id: 'docs', path: source }],
        options: { destination, copies: [{ ...s3Copy, endpoint: s3.endpoint }, { id: 'usb', kind: 'local', path: path.join(work, 'usb'), readBack: true }] },
      }),
      { dbPasswords: {}, passphrase: PASSPHRASE, destSecrets: { bucket: SECRET } },
    );
    backup = await runPlan(core, plan);
    expect(backup.status, backup.displayMessage ?? '').toBe('success');
    const before = await invoke('backups/copies', { id: backup.id });
    expect(before.map((c) => [c.destinationId, c.status])).toEqual([
      ['bucket', 'uploaded'],
      ['usb', 'verified'],
    ]);
    const s3Row = before[0]!;
    s3Url = s3Row.url;
    expect(s3Url).toBe(`s3://${BUCKET}/lifeboat/copy-check/${path.basename(backup.filePath!)}`);
    expect(s3Row.verifiedAt).toBeNull();
    const usbBefore = before[1]!;

    // the primary's own verification, to see that the copy's never touches it
    const primaryCheck = await verifyNow({ jobId: backup.id });
    expect(primaryCheck.status, primaryCheck.displayMessage ?? '').toBe('success');
    expect(primaryCheck.filePath).toBe(backup.filePath);

    clock.advance(HOUR);
    const job = await verifyNow({ jobId: backup.id, copy: 'bucket' });
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect(job.kind).toBe('verify');
    expect(job.displayMessage).toMatch(new RegExp(`^Verified the copy at ${s3Url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: \\d+ checks passed\\.$`));
    expect(job.filePath).toBe(s3Url);
    expect(job.checksum).toBe(backup.checksum);

    const after = await invoke('backups/copies', { id: backup.id });
    expect(after[0]).toMatchObject({ destinationId: 'bucket', status: 'verified', verifiedAt: clock.now().toISOString(), error: null, attempts: 1 });
    // the other copy is not touched
    expect(after[1]).toEqual(usbBefore);
    // recorded against the copy's URL, the primary's own check still the newest of its file
    const { items } = await invoke('verify/list', { page: 1, pageSize: 50, backupJobId: backup.id });
    expect(items.map((v) => [v.filePath, v.status])).toEqual([
      [s3Url, 'passed'],
      [backup.filePath, 'passed'],
    ]);
  }, 120_000);

  it('fails a damaged S3 copy: the row failed with the reason, the primary untouched and still read; the next run uploads it again', async () => {
    // the copy's key is relative to the destination's root (the bucket and its prefix)
    const key = (await invoke('backups/copies', { id: backup.id }))[0]!.key;
    expect(key).toBe(`copy-check/${path.basename(backup.filePath!)}`);
    const primary = fs.readFileSync(backup.filePath!);
    const damaged = Buffer.from(primary);
    const at = headerBytes(backup.filePath!) + Math.floor((primary.length - headerBytes(backup.filePath!)) / 2);
    for (let i = 0; i < 16; i++) damaged[at + i] = damaged[at + i]! ^ 0x5a;
    await overwriteS3Object(key, damaged);
    clock.advance(HOUR);
    const job = await verifyNow({ jobId: backup.id, copy: 'bucket' });
    expect(job.status).toBe('failed');
    expect(job.errorCode).toBeTruthy();
    expect(job.displayMessage).toContain(`Verification of the copy at ${s3Url} failed: `);
    expect(job.checksum).toBe(sha256(damaged));

    const [row, usb] = await invoke('backups/copies', { id: backup.id });
    expect(row).toMatchObject({ destinationId: 'bucket', status: 'failed', verifiedAt: null });
    expect(row!.error).toMatch(/^Verification failed: \S/);
    expect(usb).toMatchObject({ destinationId: 'usb', status: 'verified' });

    // the primary: its newest verification is still the passed one, it is still where a restore reads
    const { items } = await invoke('verify/list', { page: 1, pageSize: 50, backupJobId: backup.id });
    expect(items[0]).toMatchObject({ filePath: s3Url, status: 'failed' });
    expect(items.find((v) => v.filePath === backup.filePath)).toMatchObject({ status: 'passed' });
    expect(primaryProblem(core.catalog, backup)).toBeNull();
    expect(readableLocation(core.catalog, backup)).toEqual({ location: backup.filePath, copy: null });
    // what retention and lifeboat verify --all read as the backup's status: the primary's, not the copy's
    expect(core.verifications.latestStatus(backup.id)).toBe('passed');
    const again = await verifyNow({ jobId: backup.id });
    expect(again.status, again.displayMessage ?? '').toBe('success');
    expect(again.filePath).toBe(backup.filePath);
    expect(again.displayMessage).not.toContain('the copy at');

    // the secret is nowhere: the catalog's files, the jobs
    for (const { name, bytes } of catalogFiles(core.dataDir)) expect(bytes.includes(Buffer.from(SECRET)), name).toBe(false);
    expect(JSON.stringify(core.jobs.detail(job.id))).not.toContain(SECRET);

    // the plan's next run uploads the failed copy again; verified where it lies, it passes
    clock.advance(HOUR);
    const next = await runPlan(core, plan);
    expect(next.status, next.displayMessage ?? '').toBe('success');
    expect((await invoke('backups/copies', { id: backup.id }))[0]).toMatchObject({ status: 'uploaded', error: null, attempts: 2 });
    const healed = await verifyNow({ jobId: backup.id, copy: 'bucket' });
    expect(healed.status, healed.displayMessage ?? '').toBe('success');
    expect((await invoke('backups/copies', { id: backup.id }))[0]).toMatchObject({ status: 'verified', verifiedAt: clock.now().toISOString() });
  }, 120_000);

  it('leaves the row alone when the destination cannot be reached', async () => {
    const before = (await invoke('backups/copies', { id: backup.id }))[0]!;
    await s3.stop();
    try {
      const job = await verifyNow({ jobId: backup.id, copy: 'bucket' });
      expect(job.status).toBe('failed');
      expect(job.errorCode).toBe('DEST_UNREACHABLE');
      expect(job.displayMessage).toContain(`Could not verify the copy at ${s3Url} (its status is unchanged)`);
    } finally {
      await s3.start();
    }
    expect((await invoke('backups/copies', { id: backup.id }))[0]).toEqual(before);
  }, 120_000);

  it('refuses an unknown destination (NOT_FOUND) and a deleted copy (VALIDATION)', async () => {
    expect((await appError(invoke('verify/run', { jobId: backup.id, copy: 'nowhere' }))).code).toBe('NOT_FOUND');
    expect((await appError(invoke('verify/run', { jobId: 'no-such-backup', copy: 'bucket' }))).code).toBe('NOT_FOUND');
    // `copy` goes with a backup id only
    expect((await appError(invoke('verify/run', { filePath: backup.filePath!, copy: 'bucket' } as never))).code).toBe('VALIDATION');

    await invoke('backups/delete', { id: backup.id, withDependents: false });
    const copies = await invoke('backups/copies', { id: backup.id });
    expect(copies.map((c) => c.status)).toEqual(['deleted', 'deleted']);
    const refused = await appError(invoke('verify/run', { jobId: backup.id, copy: 'bucket' }));
    expect(refused.code).toBe('VALIDATION');
    expect(refused.message).toContain(`the copy at ${s3Url} was deleted with its backup`);
  }, 120_000);
});
