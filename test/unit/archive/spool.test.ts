import { afterEach, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Spool } from '../../../src/main/core/archive/spool';
import { makeTempDir } from '../../support/temp-core';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** What readEach hands out, copied piece by piece (each piece is valid only during its call). */
async function readBack(spool: Spool, pieceBytes: number): Promise<{ pieces: Buffer[]; lasts: boolean[] }> {
  const pieces: Buffer[] = [];
  const lasts: boolean[] = [];
  await spool.readEach(pieceBytes, async (piece, last) => {
    pieces.push(Buffer.from(piece));
    lasts.push(last);
    await new Promise((resolve) => setImmediate(resolve));
  });
  return { pieces, lasts };
}

describe('Spool', () => {
  it('gives back every appended byte in order, in full pieces but the last, read into one buffer', async () => {
    const dir = makeTempDir('lb-spool-');
    dirs.push(dir);
    const spool = await Spool.create(dir);
    const data = crypto.randomBytes(5 * 64 * 1024 + 123);
    // appends of every size: small ones gathered, one larger than the gather buffer written straight out
    await spool.append(data.subarray(0, 10));
    await spool.append(data.subarray(10, 300_000));
    await spool.append(data.subarray(300_000));
    const { pieces, lasts } = await readBack(spool, 64 * 1024);
    expect(Buffer.concat(pieces).equals(data)).toBe(true);
    expect(pieces.map((p) => p.length)).toEqual([65536, 65536, 65536, 65536, 65536, 123]);
    expect(lasts).toEqual([false, false, false, false, false, true]);
    const seen = new Set<ArrayBufferLike>();
    await spool.readEach(64 * 1024, (piece) => void seen.add(piece.buffer));
    expect(seen.size).toBe(1);
    await spool.close();
  });

  it('an exact multiple of the piece size ends with a full last piece; an empty spool gives one empty last piece', async () => {
    const dir = makeTempDir('lb-spool-');
    dirs.push(dir);
    const exact = await Spool.create(dir);
    await exact.append(Buffer.alloc(2048, 7));
    const { pieces, lasts } = await readBack(exact, 1024);
    expect(pieces.map((p) => p.length)).toEqual([1024, 1024]);
    expect(lasts).toEqual([false, true]);
    const empty = await Spool.create(dir);
    const none = await readBack(empty, 1024);
    expect(none.pieces.map((p) => p.length)).toEqual([0]);
    expect(none.lasts).toEqual([true]);
    await exact.close();
    await empty.close();
    // unlinked as soon as it was open: nothing left behind
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('gives back every byte of many flushes, its two buffers taking turns (a flush waits for nothing it still needs)', async () => {
    const dir = makeTempDir('lb-spool-');
    dirs.push(dir);
    const spool = await Spool.create(dir);
    const expected: Buffer[] = [];
    // records as the zip writer's central directory goes (hasRoom/appendSync, else append), about 12 flushes
    for (let i = 0; i < 12_000; i++) {
      const record = crypto.randomBytes(100 + (i % 400));
      expected.push(record);
      if (spool.hasRoom(record.length)) spool.appendSync(record);
      else await spool.append(record);
    }
    const all = Buffer.concat(expected);
    expect(all.length).toBeGreaterThan(10 * 256 * 1024);
    const { pieces } = await readBack(spool, 100_000);
    expect(Buffer.concat(pieces).equals(all)).toBe(true);
    await spool.close();
  });
});
