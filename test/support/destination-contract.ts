/**
 * What every Destination must do, as one suite each implementation's test file runs against a
 * real server (local folder, s3rver, Azurite, sshd): write atomically, list, stat, ranged reads,
 * delete, and leave nothing visible when an upload fails or is aborted.
 */
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';
import type { Destination } from '../../src/main/core/destinations/destination';

/** `size` pseudo-random bytes, the same for the same seed. */
export function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let block = crypto.createHash('sha256').update(String(seed)).digest();
  for (let at = 0; at < size; at += block.length) {
    block.copy(out, at);
    block = crypto.createHash('sha256').update(block).digest();
  }
  return out;
}

/** A stream of `data` in 64 KiB pieces that fails with `error` after `failAfter` bytes. */
export function failingStream(data: Buffer, failAfter: number, error = new Error('the source broke')): Readable {
  let at = 0;
  return new Readable({
    read() {
      if (at >= failAfter) return this.destroy(error);
      const next = data.subarray(at, Math.min(failAfter, at + 65536));
      at += next.length;
      this.push(next);
    },
  });
}

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/**
 * Registers the contract's tests. `open` gives a Destination at an empty root (a fresh prefix per
 * call is fine); `bigSize` is the size of the object that crosses multipart/block boundaries.
 */
export function destinationContract(open: () => Promise<Destination>, options: { bigSize?: number } = {}): void {
  const bigSize = options.bigSize ?? 12 * 1024 * 1024 + 12345;

  it('writes an object, then stats, reads ranges of, streams, lists and deletes it', async () => {
    const dest = await open();
    try {
      const data = bytes(bigSize, 7);
      const result = await dest.write('plans/a/one.lifeboat', Readable.from([data]), { size: data.length });
      expect(result).toEqual({ size: data.length, sha256: sha256(data) });
      expect((await dest.stat('plans/a/one.lifeboat'))?.size).toBe(data.length);
      expect(await dest.stat('plans/a/none.lifeboat')).toBeNull();
      expect((await dest.read('plans/a/one.lifeboat', 0, 100)).equals(data.subarray(0, 100))).toBe(true);
      expect((await dest.read('plans/a/one.lifeboat', 5_000_000, 70_000)).equals(data.subarray(5_000_000, 5_070_000))).toBe(true);
      // a read past the end returns what there is
      expect((await dest.read('plans/a/one.lifeboat', data.length - 10, 100)).equals(data.subarray(data.length - 10))).toBe(true);
      expect((await collect(dest.readStream('plans/a/one.lifeboat'))).equals(data)).toBe(true);
      expect((await collect(dest.readStream('plans/a/one.lifeboat', 1000, 3000))).equals(data.subarray(1000, 3000))).toBe(true);
      await dest.write('plans/b/two.lifeboat', Readable.from([Buffer.from('two')]));
      expect((await dest.list()).map((o) => o.key)).toEqual(['plans/a/one.lifeboat', 'plans/b/two.lifeboat']);
      expect((await dest.list('plans/b/')).map((o) => [o.key, o.size])).toEqual([['plans/b/two.lifeboat', 3]]);
      expect(dest.urlOf('plans/b/two.lifeboat').endsWith('plans/b/two.lifeboat')).toBe(true);
      await dest.delete('plans/a/one.lifeboat');
      await dest.delete('plans/a/one.lifeboat'); // no error when gone
      expect(await dest.stat('plans/a/one.lifeboat')).toBeNull();
      await expect(dest.read('plans/a/one.lifeboat', 0, 10)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await dest.close();
    }
  });

  it('replaces an existing object only when the new upload completes', async () => {
    const dest = await open();
    try {
      await dest.write('x.lifeboat', Readable.from([Buffer.from('old contents')]));
      const data = bytes(bigSize, 9);
      await expect(dest.write('x.lifeboat', failingStream(data, Math.floor(bigSize * 0.7)))).rejects.toBeInstanceOf(Error);
      expect((await dest.read('x.lifeboat', 0, 100)).toString()).toBe('old contents');
      await dest.write('x.lifeboat', Readable.from([Buffer.from('new contents')]));
      expect((await dest.read('x.lifeboat', 0, 100)).toString()).toBe('new contents');
    } finally {
      await dest.close();
    }
  });

  it('leaves nothing visible when the source fails mid-upload or the upload is aborted', async () => {
    const dest = await open();
    try {
      const data = bytes(bigSize, 3);
      await expect(dest.write('broken.lifeboat', failingStream(data, Math.floor(bigSize / 2)))).rejects.toBeInstanceOf(Error);
      expect(await dest.stat('broken.lifeboat')).toBeNull();
      const controller = new AbortController();
      const write = dest.write('aborted.lifeboat', failingStream(data, data.length), {
        signal: controller.signal,
        onProgress: (sent) => sent > 1_000_000 && controller.abort(new Error('stop')),
      });
      await expect(write).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(await dest.stat('aborted.lifeboat')).toBeNull();
      expect(await dest.list()).toEqual([]);
    } finally {
      await dest.close();
    }
  });

  it('refuses a key that climbs out of its root', async () => {
    const dest = await open();
    try {
      await expect(dest.write('../escape', Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(AppError);
      await expect(dest.stat('/abs')).rejects.toMatchObject({ code: 'VALIDATION' });
    } finally {
      await dest.close();
    }
  });
}
