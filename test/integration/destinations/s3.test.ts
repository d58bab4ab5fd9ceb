/**
 * The S3 destination against a real S3 wire-protocol server (s3rver on loopback, see
 * test/support/s3-server.ts): the destination contract, then the faults — a server that dies
 * mid-upload, a connection cut, a stalled connection, wrong or missing credentials, a missing
 * bucket, a server whose disk fills up (s3rver on an 8 MiB tmpfs) — and the AWS credential chain.
 */
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openS3Destination } from '../../../src/main/core/destinations/s3';
import type { Destination } from '../../../src/main/core/destinations/destination';
import { s3DestinationSchema, type DestinationInput } from '../../../src/shared/destination';
import { AppError } from '../../../src/shared/errors';
import { bytes, destinationContract, failingStream } from '../../support/destination-contract';
import { startCountingProxy, type CountingProxy } from '../../support/counting-proxy';
import { startS3Server, type S3TestServer } from '../../support/s3-server';

const BUCKET = 'lifeboat';
const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** `data` as a stream of 64 KiB pieces. */
function chunked(data: Buffer): Readable {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += 65536) pieces.push(data.subarray(at, at + 65536));
  return Readable.from(pieces);
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Rejects with what `promise` rejected with, and how long it took. */
async function failure(promise: Promise<unknown>): Promise<{ error: AppError; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return { error: error as AppError, ms: Date.now() - started };
  }
  throw new Error('expected a rejection');
}

let server: S3TestServer;
let proxy: CountingProxy;
let prefixes = 0;

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
  proxy = await startCountingProxy({ port: server.port });
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
});

type S3Input = Extract<DestinationInput, { kind: 's3' }>;

function config(over: Partial<S3Input> = {}) {
  prefixes += 1;
  return s3DestinationSchema.parse({
    id: 'offsite',
    kind: 's3',
    endpoint: server.endpoint,
    bucket: BUCKET,
    prefix: `run-${prefixes}/backups`,
    forcePathStyle: true,
    credentials: 'keychain',
    accessKeyId: server.accessKeyId,
    ...over,
  });
}

function open(over: Partial<S3Input> = {}, secret: string | null = server.secretAccessKey, timeoutMs = 2000): Promise<Destination> {
  return openS3Destination(config(over), { secret, timeoutMs });
}

describe('S3 destination (s3rver)', () => {
  destinationContract(() => open());

  it('aborts the multipart upload when the source fails or the write is cancelled: no object, no upload left', async () => {
    const dest = await open();
    try {
      const data = bytes(20 * 1024 * 1024, 5);
      await expect(dest.write('a/broken.lifeboat', failingStream(data, 17 * 1024 * 1024))).rejects.toBeInstanceOf(Error);
      const controller = new AbortController();
      const cancelled = dest.write('a/cancelled.lifeboat', chunked(data), {
        signal: controller.signal,
        onProgress: (sent) => sent > 9 * 1024 * 1024 && controller.abort(new Error('user cancelled')),
      });
      await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(await dest.list()).toEqual([]);
      expect(await server.pendingUploads(BUCKET)).toEqual([]);
    } finally {
      await dest.close();
    }
  });

  it('checks the size and SHA-256 it was told before completing, and reports the SHA-256 of what it sent', async () => {
    const dest = await open();
    try {
      const data = bytes(9 * 1024 * 1024, 11);
      await expect(dest.write('short.lifeboat', Readable.from([data]), { size: data.length + 1 })).rejects.toMatchObject({ code: 'DEST_FAILED' });
      await expect(dest.write('wrong.lifeboat', Readable.from([data]), { sha256: sha256(Buffer.from('other')) })).rejects.toMatchObject({
        code: 'DEST_FAILED',
      });
      expect(await dest.list()).toEqual([]);
      expect(await server.pendingUploads(BUCKET)).toEqual([]);
      const sent: number[] = [];
      const result = await dest.write('right.lifeboat', Readable.from([data]), { size: data.length, sha256: sha256(data), onProgress: (n) => sent.push(n) });
      expect(result).toEqual({ size: data.length, sha256: sha256(data) });
      expect(sent.at(-1)).toBe(data.length);
      expect(dest.urlOf('right.lifeboat')).toBe(`s3://${BUCKET}/run-${prefixes}/backups/right.lifeboat`);
    } finally {
      await dest.close();
    }
  });

  it('reads a range without fetching the rest of the object (bytes counted on the wire)', async () => {
    const dest = await open({ endpoint: proxy.url });
    try {
      const data = bytes(12 * 1024 * 1024, 13);
      await dest.write('big.lifeboat', Readable.from([data]));
      proxy.resetCounts();
      expect((await dest.read('big.lifeboat', 6_000_000, 4096)).equals(data.subarray(6_000_000, 6_004_096))).toBe(true);
      expect(proxy.bytesToClient).toBeGreaterThan(4096);
      expect(proxy.bytesToClient).toBeLessThan(16_384);
      proxy.resetCounts();
      expect((await collect(dest.readStream('big.lifeboat', 100, 200))).equals(data.subarray(100, 200))).toBe(true);
      expect(proxy.bytesToClient).toBeLessThan(8192);
      await expect(collect(dest.readStream('none.lifeboat'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await dest.close();
    }
  });

  it('survives a connection cut mid-upload (the SDK retries the part) and stores the whole object', async () => {
    const dest = await open({ endpoint: proxy.url });
    try {
      const data = bytes(20 * 1024 * 1024, 17);
      let cut = false;
      const result = await dest.write('cut.lifeboat', chunked(data), {
        onProgress: (sent) => {
          if (!cut && sent > 10 * 1024 * 1024) {
            cut = true;
            proxy.cut();
          }
        },
      });
      expect(cut).toBe(true);
      expect(result.sha256).toBe(sha256(data));
      expect(sha256(await collect(dest.readStream('cut.lifeboat')))).toBe(sha256(data));
    } finally {
      await dest.close();
    }
  });

  it('fails a write whose server dies mid-upload with DEST_UNREACHABLE, and nothing is visible after the restart', async () => {
    const dest = await open();
    try {
      const data = bytes(26 * 1024 * 1024, 19);
      let stopped: Promise<void> | null = null;
      // past 3 parts read, one part was uploaded (3 are in flight at most, the 4th is read only
      // when one is done): the multipart upload exists on the server
      const { error } = await failure(
        dest.write('died.lifeboat', chunked(data), {
          onProgress: (sent) => {
            if (!stopped && sent > 25 * 1024 * 1024) stopped = server.stop();
          },
        }),
      );
      await stopped;
      expect(error.code).toBe('DEST_UNREACHABLE');
      expect(error.message).toContain(`s3://${BUCKET}/run-${prefixes}/backups/died.lifeboat`);
      // the abort could not reach the dead server either: the message says what remains and what removes it
      expect(error.message).toContain('AbortIncompleteMultipartUpload');
      await server.start();
      expect(await dest.stat('died.lifeboat')).toBeNull();
      expect(await dest.list()).toEqual([]);
      // its parts are still there as an unfinished upload, invisible as an object (as on S3)
      expect((await server.pendingUploads(BUCKET)).map((u) => u.key)).toEqual([`run-${prefixes}/backups/died.lifeboat`]);
    } finally {
      if (!server.running) await server.start();
      await dest.close();
    }
  });

  it('refuses wrong credentials with DEST_AUTH_FAILED, without the secret in the message', async () => {
    const wrongSecret = 'wrong-Secret-Key-7f3a9c';
    const bad = await open({}, wrongSecret);
    try {
      const list = await failure(bad.list());
      expect(list.error.code).toBe('DEST_AUTH_FAILED');
      expect(list.error.message).toContain('SignatureDoesNotMatch');
      const write = await failure(bad.write('x.lifeboat', Readable.from([Buffer.from('data')])));
      expect(write.error.code).toBe('DEST_AUTH_FAILED');
      for (const message of [list.error.message, write.error.message, JSON.stringify(write.error.toTransferable())]) {
        expect(message).not.toContain(wrongSecret);
      }
    } finally {
      await bad.close();
    }
    const unknownKey = await open({ accessKeyId: 'NOSUCHKEY' });
    try {
      await expect(unknownKey.stat('x.lifeboat')).rejects.toMatchObject({ code: 'DEST_AUTH_FAILED' });
    } finally {
      await unknownKey.close();
    }
    const noSecret = await failure(open({}, null));
    expect(noSecret.error.code).toBe('DEST_AUTH_FAILED');
    expect(noSecret.error.message).toMatch(/enter the secret key/);
  });

  it('reports a missing bucket as DEST_MISSING', async () => {
    const dest = await open({ bucket: 'no-such-bucket' });
    try {
      await expect(dest.write('x.lifeboat', Readable.from([Buffer.from('data')]))).rejects.toMatchObject({ code: 'DEST_MISSING' });
      await expect(dest.list()).rejects.toMatchObject({ code: 'DEST_MISSING' });
      await expect(dest.stat('x.lifeboat')).rejects.toMatchObject({ code: 'DEST_MISSING' });
      const { error } = await failure(dest.read('x.lifeboat', 0, 10));
      expect(error.code).toBe('DEST_MISSING');
      expect(error.message).toContain('no-such-bucket');
    } finally {
      await dest.close();
    }
  });

  it('fails a stalled connection with DEST_UNREACHABLE after the timeout instead of hanging', async () => {
    const timeoutMs = 2000;
    const dest = await open({ endpoint: proxy.url }, server.secretAccessKey, timeoutMs);
    try {
      proxy.stall();
      const { error, ms } = await failure(dest.list());
      expect(error.code).toBe('DEST_UNREACHABLE');
      expect(error.message).toMatch(/no answer within 2 s/);
      // each of the SDK's 3 attempts waits out the timeout
      expect(ms).toBeGreaterThanOrEqual(timeoutMs);
      expect(ms).toBeLessThan(3 * timeoutMs + 5000);
    } finally {
      proxy.resume();
      await dest.close();
    }
  });

  it('fails an upload that stalls midway with DEST_UNREACHABLE', async () => {
    const timeoutMs = 500;
    const dest = await open({ endpoint: proxy.url }, server.secretAccessKey, timeoutMs);
    try {
      const data = bytes(26 * 1024 * 1024, 23);
      let stalled = false;
      const { error, ms } = await failure(
        dest.write('stalled.lifeboat', chunked(data), {
          onProgress: (sent) => {
            if (!stalled && sent > 25 * 1024 * 1024) {
              stalled = true;
              proxy.stall();
            }
          },
        }),
      );
      expect(error.code).toBe('DEST_UNREACHABLE');
      expect(error.message).toMatch(/no answer within 0.5 s/);
      // the parts in flight (3 attempts each), then the abort (3 attempts): about 4 s, no hang
      expect(ms).toBeLessThan(15_000);
      expect(error.message).toContain('AbortIncompleteMultipartUpload');
      proxy.resume();
      expect(await dest.stat('stalled.lifeboat')).toBeNull();
      expect(await dest.list()).toEqual([]);
    } finally {
      proxy.resume();
      await dest.close();
    }
  });

  it('fails with DEST_FULL when the server runs out of space, leaving no object and no upload', async () => {
    const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-s3full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
    let full: S3TestServer | null = null;
    try {
      full = await startS3Server({ directory: mount, buckets: [BUCKET] });
      const dest = await openS3Destination(config({ endpoint: full.endpoint }), { secret: full.secretAccessKey, timeoutMs: 2000 });
      try {
        await dest.write('small.lifeboat', Readable.from([Buffer.from('fits')]));
        const data = bytes(20 * 1024 * 1024, 29);
        const { error } = await failure(dest.write('big.lifeboat', Readable.from([data])));
        expect(error.code).toBe('DEST_FULL');
        expect(error.message).toContain('big.lifeboat');
        expect((await dest.list()).map((o) => o.key)).toEqual(['small.lifeboat']);
        expect(await full.pendingUploads(BUCKET)).toEqual([]);
        // a single PUT that does not fit either
        await expect(dest.write('medium.lifeboat', Readable.from([bytes(8 * 1024 * 1024, 31)]))).rejects.toMatchObject({ code: 'DEST_FULL' });
        expect(await dest.stat('medium.lifeboat')).toBeNull();
      } finally {
        await dest.close();
      }
    } finally {
      await full?.close();
      execFileSync('umount', [mount]);
      fs.rmSync(mount, { recursive: true, force: true });
    }
  });

  it("uses the AWS chain's credentials and endpoint from the environment ('aws-chain')", async () => {
    const names = [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_ENDPOINT_URL',
      'AWS_REGION',
      'AWS_EC2_METADATA_DISABLED',
      'AWS_PROFILE',
      'AWS_SHARED_CREDENTIALS_FILE',
      'AWS_CONFIG_FILE',
    ] as const;
    const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
    try {
      process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
      process.env.AWS_ENDPOINT_URL = server.endpoint;
      process.env.AWS_REGION = 'us-east-1';
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
      delete process.env.AWS_PROFILE;
      // no endpoint and no keys in the config: both come from the environment
      const dest = await open({ credentials: 'aws-chain', endpoint: undefined, accessKeyId: undefined }, null);
      try {
        await dest.write('chain.lifeboat', Readable.from([Buffer.from('from the chain')]));
        expect((await dest.read('chain.lifeboat', 0, 100)).toString()).toBe('from the chain');
      } finally {
        await dest.close();
      }
      process.env.AWS_SECRET_ACCESS_KEY = 'not-the-secret-4411';
      const wrong = await open({ credentials: 'aws-chain', endpoint: undefined, accessKeyId: undefined }, null);
      try {
        const { error } = await failure(wrong.list());
        expect(error.code).toBe('DEST_AUTH_FAILED');
        expect(error.message).toContain('AWS_ACCESS_KEY_ID');
        expect(error.message).not.toContain('not-the-secret-4411');
      } finally {
        await wrong.close();
      }
      // a named profile of a credentials file (the config's profile), with no keys in the environment
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-aws-'));
      try {
        fs.writeFileSync(path.join(home, 'credentials'), `[backup]\naws_access_key_id = ${server.accessKeyId}\naws_secret_access_key = ${server.secretAccessKey}\n`);
        fs.writeFileSync(path.join(home, 'config'), '[profile backup]\nregion = us-east-1\n');
        process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(home, 'credentials');
        process.env.AWS_CONFIG_FILE = path.join(home, 'config');
        delete process.env.AWS_ACCESS_KEY_ID;
        delete process.env.AWS_SECRET_ACCESS_KEY;
        const profiled = await open({ credentials: 'aws-chain', profile: 'backup', endpoint: undefined, accessKeyId: undefined }, null);
        try {
          await profiled.write('profile.lifeboat', Readable.from([Buffer.from('from the profile')]));
          expect((await profiled.read('profile.lifeboat', 5, 100)).toString()).toBe('the profile');
        } finally {
          await profiled.close();
        }
      } finally {
        fs.rmSync(home, { recursive: true, force: true });
      }
    } finally {
      for (const name of names) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });
});
