import { describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { Spool } from '../../../src/main/core/archive/spool';
import { METHOD_STORE, ZipWriter, type EntryStart, type ZipSink } from '../../../src/main/core/archive/zip-writer';
import { tempDirsPerTest } from '../../support/temp-core';

const tempDir = tempDirsPerTest('lb-zipw-');

/** Every entry of a plain zip in `bytes`, name -> content (yauzl checks the central directory and CRCs). */
async function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(bytes, { lazyEntries: true, validateEntrySizes: true }, (error, z) => (error ? reject(error) : resolve(z))),
  );
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const parts: Buffer[] = [];
        stream.on('data', (p: Buffer) => parts.push(p));
        stream.on('end', () => {
          out.set(entry.fileName, Buffer.concat(parts));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return out;
}

describe('ZipWriter', () => {
  it('fills a gather buffer again only when the sink says it let go of it; what a sink keeps is never written over', async () => {
    const dir = tempDir();
    const central = await Spool.create(dir);
    const kept: { held: Buffer; copy: Buffer }[] = [];
    const copies: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    let small = 0;
    // a sink that keeps every other gathered write as it is (false) and copies the rest (true: let go)
    const sink: ZipSink = {
      write: async (data) => {
        copies.push(Buffer.from(data));
        buffers.add(data.buffer);
        await new Promise((resolve) => setImmediate(resolve));
        if (data.length > 256 * 1024 || small++ % 2 === 0) return true;
        kept.push({ held: data, copy: Buffer.from(data) });
        return false;
      },
    };
    const zip = new ZipWriter(sink, central);
    const files = new Map<string, Buffer>();
    // small entries (the gather buffer, with and without waiting) and large ones (passed straight through)
    for (let i = 0; i < 6000; i++) {
      const data = i % 500 === 7 ? crypto.randomBytes(300_000) : crypto.randomBytes((i * 7919) % 1500);
      const name = `f/${i}`;
      files.set(name, data);
      const start: EntryStart = { name, method: METHOD_STORE, mode: 0o644, date: new Date(2026, 0, 1) };
      const end = { crc32: zlib.crc32(data), size: data.length };
      if (i % 3 === 0 || !zip.tryEntry(start, data, end)) await zip.entry(start, data, end);
    }
    await zip.finish();
    await central.close();
    // what the sink kept is as it was handed over
    expect(kept.length).toBeGreaterThan(5);
    for (const { held, copy } of kept) expect(held.equals(copy)).toBe(true);
    // the buffers let go of were used again: far fewer than the writes
    expect(copies.length).toBeGreaterThan(20);
    expect(buffers.size).toBeLessThan(copies.length * 0.75);
    const read = await unzip(Buffer.concat(copies));
    expect(read.size).toBe(files.size);
    for (const [name, data] of files) expect(read.get(name)?.equals(data)).toBe(true);
  });
});
