/**
 * A plan's copies upload WHILE the backup is written (tasks/follow-upload.ts): real files, a
 * real S3 wire-protocol server (s3rver) behind a counting proxy that shows when bytes reach it
 * and can stall the wire. The copy lands checked and verified with the backup's SHA-256, and its
 * first bytes reached the server before the backup finished its file; a backup that fails
 * mid-way (its disk fills up), one cancelled mid-backup and one cancelled mid-upload leave
 * nothing at the destination (no object, no multipart upload left open).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination } from '../../../src/main/core/destinations/open';
import { CopiesRepo } from '../../../src/main/core/catalog/copies-repo';
import type { DestinationInput, S3DestinationConfig } from '../../../src/shared/destination';
import type { JobPhase } from '../../../src/shared/job';
import type { Plan } from '../../../src/shared/plan';
import { FAST_CONTAINER, PASSPHRASE, mountTmpfs, planInput, savePlan, unmount, waitFor } from '../../support/backup-fixtures';
import { startCountingProxy, type CountingProxy } from '../../support/counting-proxy';
import { startS3Server, type S3TestServer } from '../../support/s3-server';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

const BUCKET = 'followed';
const MiB = 1024 * 1024;

let s3: S3TestServer;
let proxy: CountingProxy;
let work: string;
let source: string;
let core: ReturnType<typeof makeTestCore>;

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET] });
  proxy = await startCountingProxy({ port: s3.port });
  work = makeTempDir('lifeboat-follow-copies-');
  // 64 MiB that does not compress: the backup takes long enough for the upload to be seen under way
  source = path.join(work, 'data');
  fs.mkdirSync(source);
  for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(source, `part-${i}.bin`), crypto.randomBytes(8 * MiB));
  core = makeTestCore({ containerOptions: FAST_CONTAINER, notifications: { watchOverdue: false } });
}, 120_000);

afterAll(async () => {
  await core?.cleanup();
  await proxy?.close();
  await s3?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function s3Copy(prefix: string, readBack: boolean): DestinationInput {
  return { id: 's3', kind: 's3', endpoint: proxy.url, region: s3.region, bucket: BUCKET, prefix, forcePathStyle: true, credentials: 'keychain', accessKeyId: s3.accessKeyId, readBack };
}

async function plan(name: string, prefix: string, options: { readBack?: boolean; destination?: string } = {}): Promise<Plan> {
  const destination = options.destination ?? path.join(work, `${prefix}-primary`);
  const input = planInput({ name, destination, folders: [{ id: 'data', path: source }], options: { destination, copies: [s3Copy(prefix, options.readBack ?? false)] } });
  return savePlan(core, input, { dbPasswords: {}, passphrase: PASSPHRASE, destSecrets: { s3: s3.secretAccessKey } });
}

/** The S3 destination of `prefix`, opened as the plan opens it (through the proxy). */
async function bucketAt(prefix: string) {
  const config = { ...s3Copy(prefix, false), hasSecret: true } as S3DestinationConfig;
  return openDestination(config, { secret: s3.secretAccessKey });
}

/** Starts the plan's run and follows its phases: `onPhase` sees each new phase as the job pushes it. */
function startRun(saved: Plan, onPhase: (phase: JobPhase) => void = () => undefined): { jobId: string; phases: JobPhase[]; stop: () => void } {
  const phases: JobPhase[] = [];
  let jobId = '';
  const stop = core.events.on('jobs/updated', (row) => {
    if (row.id !== jobId && jobId !== '') return;
    const phase = row.progress?.phase;
    if (phase && phases.at(-1) !== phase) {
      phases.push(phase);
      onPhase(phase);
    }
  });
  jobId = core.startPlanBackup(saved, 'manual').id;
  return { jobId, phases, stop };
}

async function nothingAt(prefix: string): Promise<void> {
  const dest = await bucketAt(prefix);
  try {
    expect(await dest.list()).toEqual([]);
  } finally {
    await dest.close();
  }
  expect(await s3.pendingUploads(BUCKET)).toEqual([]);
}

describe('copies that follow the backup file as it is written', () => {
  it('uploads an S3 copy while the backup runs and records it verified with the SHA-256 of the backup', async () => {
    const saved = await plan('Followed', 'followed', { readBack: true });
    proxy.resetCounts();
    let sentWhenFinalizing = -1;
    const run = startRun(saved, (phase) => {
      // the backup has read every source and is closing its file: the copy is well under way already
      if (phase === 'finalize') sentWhenFinalizing = proxy.bytesToServer;
    });
    await core.runner.wait(run.jobId);
    run.stop();
    const job = core.jobs.detail(run.jobId)!;
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect(run.phases).toContain('files');
    expect(run.phases.indexOf('finalize')).toBeGreaterThan(run.phases.indexOf('files'));
    expect(sentWhenFinalizing).toBeGreaterThan(8 * MiB);

    const size = fs.statSync(job.filePath!).size;
    expect(size).toBeGreaterThan(64 * MiB);
    const [copy] = new CopiesRepo(core.catalog).forBackup(job.id);
    expect(copy).toMatchObject({ status: 'verified', sha256: job.checksum, sizeBytes: size, error: null, key: `followed/${path.basename(job.filePath!)}` });
    expect(copy!.verifiedAt).not.toBeNull();
    expect(job.displayMessage).toContain(`Copied to s3://${BUCKET}/followed.`);
    // the object is the file, byte for byte
    const dest = await bucketAt('followed');
    try {
      const hash = crypto.createHash('sha256');
      for await (const chunk of dest.readStream(copy!.key)) hash.update(chunk as Buffer);
      expect(hash.digest('hex')).toBe(crypto.createHash('sha256').update(fs.readFileSync(job.filePath!)).digest('hex'));
    } finally {
      await dest.close();
    }
    expect(await s3.pendingUploads(BUCKET)).toEqual([]);
  });

  it('leaves nothing at the destination when the backup fails mid-way (its disk fills up)', async () => {
    const small = path.join(work, 'small-disk');
    expect(await mountTmpfs(small, '50m')).toBeNull();
    try {
      const saved = await plan('Disk fills', 'disk-fills', { destination: small });
      proxy.resetCounts();
      const run = startRun(saved);
      await core.runner.wait(run.jobId);
      run.stop();
      const job = core.jobs.detail(run.jobId)!;
      expect(job.status, job.displayMessage ?? '').toBe('failed');
      expect(job.errorCode).toBe('DEST_NO_SPACE');
      // the copy was being uploaded when the backup failed, and was aborted
      expect(proxy.bytesToServer).toBeGreaterThan(0);
      await nothingAt('disk-fills');
      expect(new CopiesRepo(core.catalog).forBackup(job.id)).toEqual([]);
      expect(fs.readdirSync(small).filter((n) => n.endsWith('.lifeboat') || n.endsWith('.part'))).toEqual([]);
    } finally {
      await unmount(small);
    }
  });

  it('leaves nothing at the destination when the run is cancelled mid-backup', async () => {
    const saved = await plan('Cancel backup', 'cancel-backup');
    proxy.resetCounts();
    const run = startRun(saved);
    // the upload is under way (bytes reached the server) while the backup still reads its files
    await waitFor(() => proxy.bytesToServer > 0, 60_000, 'the copy to start uploading', 5);
    const phaseAtCancel = run.phases.at(-1);
    expect(core.runner.cancel(run.jobId, 'user')).toBe(true);
    await core.runner.wait(run.jobId);
    run.stop();
    expect(phaseAtCancel).toBe('files');
    const job = core.jobs.detail(run.jobId)!;
    expect(job.status).toBe('cancelled');
    expect(job.filePath).toBeNull();
    await nothingAt('cancel-backup');
    expect(new CopiesRepo(core.catalog).forBackup(job.id)).toEqual([]);
    expect(fs.readdirSync(path.join(work, 'cancel-backup-primary'))).toEqual([]);
  });

  it('cancels the job and leaves nothing at the destination when cancelled mid-upload, after the backup', async () => {
    const saved = await plan('Cancel upload', 'cancel-upload');
    proxy.resetCounts();
    const run = startRun(saved);
    // the wire stalls once the upload is under way: the backup goes on (the file is the buffer) and the upload waits
    await waitFor(() => proxy.bytesToServer > 0, 60_000, 'the copy to start uploading', 5);
    proxy.stall();
    try {
      await waitFor(() => run.phases.includes('copies'), 60_000, "the run's copies phase");
      const job = core.jobs.get(run.jobId)!;
      expect(job.progress).toMatchObject({ phase: 'copies' });
      expect(job.progress!.bytesTotal).toBeGreaterThan(64 * MiB);
      expect(job.progress!.bytesDone).toBeLessThan(job.progress!.bytesTotal!);
      expect(core.runner.cancel(run.jobId, 'user')).toBe(true);
    } finally {
      proxy.resume();
    }
    await core.runner.wait(run.jobId);
    run.stop();
    const job = core.jobs.detail(run.jobId)!;
    expect(job.status).toBe('cancelled');
    await nothingAt('cancel-upload');
    expect(new CopiesRepo(core.catalog).forBackup(job.id)).toEqual([]);
    // a cancelled run keeps nothing: the primary goes too
    expect(fs.readdirSync(path.join(work, 'cancel-upload-primary'))).toEqual([]);
  });
});
