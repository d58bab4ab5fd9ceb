/**
 * GrowingFileReader (tasks/follow-file.ts): reading a file while another writer appends to it,
 * as a plan's copies read the backup file being written. Real files, a real LocalDestination.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDestination } from '../../../src/main/core/destinations/local';
import { GrowingFileReader } from '../../../src/main/core/tasks/follow-file';
import { AppError } from '../../../src/shared/errors';
import { makeTempDir } from '../../support/temp-core';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function workDir(): string {
  const dir = makeTempDir('lifeboat-follow-');
  dirs.push(dir);
  return dir;
}

function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Appends `pieces` random chunks of `bytes` to `file` (created after `delayMs`), a few ms apart, as the backup writer does; returns all bytes written. */
async function appendSlowly(file: string, pieces: number, bytes: number, delayMs = 30): Promise<Buffer> {
  await sleep(delayMs);
  const fh = await fs.promises.open(file, 'wx', 0o600);
  const written: Buffer[] = [];
  try {
    for (let i = 0; i < pieces; i++) {
      const chunk = crypto.randomBytes(bytes + (i % 3) * 777);
      await fh.write(chunk);
      written.push(chunk);
      await sleep(3);
    }
  } finally {
    await fh.close();
  }
  return Buffer.concat(written);
}

async function collect(reader: GrowingFileReader): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of reader.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('GrowingFileReader', () => {
  it('reads a file another writer is still appending to, from before it exists, and ends at finish() with identical bytes', async () => {
    const dir = workDir();
    const part = path.join(dir, 'backup.lifeboat.part');
    const reader = new GrowingFileReader(part);
    const read = collect(reader);
    const written = await appendSlowly(part, 40, 64 * 1024 + 13);
    // the reader has been following: the whole file is read before the writer says it is done
    for (let i = 0; i < 500 && reader.bytesRead < written.length; i++) await sleep(10);
    expect(reader.bytesRead).toBe(written.length);
    // and it waits at the end for more, not ending the stream
    await sleep(60);
    expect(reader.stream.readableEnded).toBe(false);
    // the writer renames the file into place; the open descriptor goes on reading it
    const final = path.join(dir, 'backup.lifeboat');
    fs.renameSync(part, final);
    reader.finish({ size: written.length, sha256: sha256(written), finalPath: final });
    const bytes = await read;
    expect(bytes.length).toBe(written.length);
    expect(bytes.equals(written)).toBe(true);
  });

  it('opens the final path when the file was renamed before the reader could open it', async () => {
    const dir = workDir();
    const part = path.join(dir, 'small.lifeboat.part');
    const final = path.join(dir, 'small.lifeboat');
    const data = crypto.randomBytes(5000);
    fs.writeFileSync(final, data);
    const reader = new GrowingFileReader(part, { openPollMs: 5 });
    const read = collect(reader);
    await sleep(30);
    expect(reader.bytesRead).toBe(0);
    reader.finish({ size: data.length, sha256: sha256(data), finalPath: final });
    expect((await read).equals(data)).toBe(true);
  });

  it('ends in an error, not the end of the stream, when the bytes read differ from what the writer says it wrote', async () => {
    const dir = workDir();
    const file = path.join(dir, 'x.part');
    const data = crypto.randomBytes(300_000);
    fs.writeFileSync(file, data);
    const wrongHash = new GrowingFileReader(file);
    wrongHash.finish({ size: data.length, sha256: sha256(Buffer.from('something else')) });
    await expect(collect(wrongHash)).rejects.toMatchObject({ code: 'FILE_CORRUPT' });
    const tooLong = new GrowingFileReader(file);
    tooLong.finish({ size: data.length + 10 });
    await expect(collect(tooLong)).rejects.toMatchObject({ code: 'FILE_CORRUPT' });
  });

  it('holds no more than its high-water mark when the consumer is slow: the file is the buffer', async () => {
    const dir = workDir();
    const file = path.join(dir, 'big.part');
    const data = crypto.randomBytes(24 * 1024 * 1024);
    fs.writeFileSync(file, data);
    const reader = new GrowingFileReader(file);
    reader.finish({ size: data.length, sha256: sha256(data) });
    const iterator = reader.stream[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as Buffer;
    await sleep(200);
    // one chunk handed over, at most a high-water mark (1 MiB) plus the chunk in flight buffered
    expect(reader.bytesRead).toBeLessThanOrEqual(3 * 1024 * 1024);
    const rest: Buffer[] = [first];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(next.value as Buffer);
    expect(sha256(Buffer.concat(rest))).toBe(sha256(data));
  });

  it('fail() mid-way makes the destination write reject, and the destination shows nothing', async () => {
    const dir = workDir();
    const part = path.join(dir, 'primary', 'run.lifeboat.part');
    fs.mkdirSync(path.dirname(part));
    const dest = new LocalDestination(path.join(dir, 'copies'));
    fs.mkdirSync(dest.url);
    const reader = new GrowingFileReader(part);
    let sent = 0;
    const upload = dest.write('plan/run.lifeboat', reader.stream, { onProgress: (n) => (sent = n) });
    const writing = appendSlowly(part, 200, 32 * 1024, 0);
    // the upload is under way while the file grows
    for (let i = 0; i < 200 && sent < 256 * 1024; i++) await sleep(10);
    expect(sent).toBeGreaterThanOrEqual(256 * 1024);
    reader.fail(new AppError('DEST_FAILED', { detail: 'the backup failed, so it was not copied' }));
    await expect(upload).rejects.toThrow();
    await writing;
    expect(await dest.list()).toEqual([]);
    expect(fs.readdirSync(path.join(dest.url, 'plan'))).toEqual([]);
    expect(reader.stream.destroyed).toBe(true);
  });

  it('fail() before the file exists ends the stream with the error and stops looking for the file', async () => {
    const dir = workDir();
    const reader = new GrowingFileReader(path.join(dir, 'never.part'));
    const read = collect(reader);
    await sleep(50);
    reader.fail(new AppError('CANCELLED'));
    await expect(read).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
