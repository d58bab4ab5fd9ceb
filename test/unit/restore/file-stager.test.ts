import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTENT_MISMATCH, FileStager } from '../../../src/main/core/restore/file-stager';
import { makeTempDir } from '../../support/temp-core';

const dirs: string[] = [];
const stagers: FileStager[] = [];
afterEach(async () => {
  await Promise.all(stagers.splice(0).map((s) => s.close()));
  dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

function setUp(threads?: number): { dir: string; stager: FileStager } {
  const dir = makeTempDir('lifeboat-stager-');
  dirs.push(dir);
  const stager = new FileStager(threads);
  stagers.push(stager);
  return { dir, stager };
}

describe('FileStager (worker threads writing restored files)', () => {
  it('creates each file with its bytes, mode and mtime (to the microsecond), many at once', async () => {
    const { dir, stager } = setUp(2);
    const files = Array.from({ length: 300 }, (_, i) => ({
      path: path.join(dir, `f${i}`),
      data: Buffer.from(`file ${i}\n`.repeat(i)),
      mode: i % 2 ? 0o640 : 0o755,
      owner: null,
      time: `${1_600_000_000 + i}.123456000`,
      sync: i === 0,
    }));
    await Promise.all(files.map((f) => stager.write(f)));
    for (const [i, f] of files.entries()) {
      expect(fs.readFileSync(f.path).equals(f.data)).toBe(true);
      const stat = fs.statSync(f.path, { bigint: true });
      expect(Number(stat.mode & 0o7777n)).toBe(f.mode);
      expect(stat.mtimeNs).toBe(BigInt(1_600_000_000 + i) * 1_000_000_000n + 123_456_000n);
    }
  });

  it('never overwrites: a file already there fails with EEXIST and keeps its bytes; the others are written', async () => {
    const { dir, stager } = setUp(1);
    fs.writeFileSync(path.join(dir, 'taken'), 'mine\n');
    const base = { mode: 0o644, owner: null, time: '1700000000', sync: false };
    const results = await Promise.allSettled([
      stager.write({ ...base, path: path.join(dir, 'a'), data: Buffer.from('a') }),
      stager.write({ ...base, path: path.join(dir, 'taken'), data: Buffer.from('theirs') }),
      stager.write({ ...base, path: path.join(dir, 'b'), data: Buffer.from('b') }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as NodeJS.ErrnoException).code).toBe('EEXIST');
    expect(fs.readFileSync(path.join(dir, 'taken'), 'utf8')).toBe('mine\n');
    expect(fs.readFileSync(path.join(dir, 'b'), 'utf8')).toBe('b');
  });

  it('renames to a name that is not UTF-8 (raw bytes), and a missing source fails with ENOENT', async () => {
    const { dir, stager } = setUp();
    fs.writeFileSync(path.join(dir, 'staged'), 'x');
    const raw = Buffer.concat([Buffer.from(dir), Buffer.from('/bad\xff\xfe.txt', 'latin1')]);
    await stager.rename(path.join(dir, 'staged'), raw);
    expect(fs.readdirSync(dir, { encoding: 'buffer' }).map((n) => n.toString('hex'))).toEqual([Buffer.from('bad\xff\xfe.txt', 'latin1').toString('hex')]);
    const error = await stager.rename(path.join(dir, 'gone'), path.join(dir, 'x')).catch((e: NodeJS.ErrnoException) => e);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('once closed, refuses new work', async () => {
    const { dir, stager } = setUp(1);
    await stager.close();
    await expect(stager.write({ path: path.join(dir, 'late'), data: Buffer.from('x'), mode: 0o644, owner: null, time: '0', sync: false })).rejects.toThrow(/closed/);
    expect(fs.existsSync(path.join(dir, 'late'))).toBe(false);
  });

  it('decompresses and checks an entry before creating the file: a wrong SHA-256, size or stream is CONTENT_MISMATCH with no file made', async () => {
    const { dir, stager } = setUp(1);
    const content = Buffer.from('compressible text\n'.repeat(500));
    const sha256 = crypto.createHash('sha256').update(content).digest('hex');
    const deflated = zlib.deflateRawSync(content);
    const base = { mode: 0o644, owner: null, time: '1700000000', sync: false };
    await stager.write({ ...base, path: path.join(dir, 'good'), data: deflated, expect: { method: 8, size: content.length, sha256 } });
    expect(fs.readFileSync(path.join(dir, 'good')).equals(content)).toBe(true);
    await stager.write({ ...base, path: path.join(dir, 'stored'), data: content, expect: { method: 0, size: content.length, sha256 } });
    expect(fs.readFileSync(path.join(dir, 'stored')).equals(content)).toBe(true);
    const bad = [
      { name: 'other-hash', data: deflated, expect: { method: 8, size: content.length, sha256: 'f'.repeat(64) } },
      { name: 'longer', data: deflated, expect: { method: 8, size: content.length - 1, sha256 } },
      { name: 'not-deflate', data: crypto.randomBytes(200), expect: { method: 8, size: content.length, sha256 } },
    ];
    for (const b of bad) {
      const error = await stager.write({ ...base, path: path.join(dir, b.name), data: b.data, expect: b.expect }).catch((e: NodeJS.ErrnoException) => e);
      expect((error as NodeJS.ErrnoException).code, b.name).toBe(CONTENT_MISMATCH);
      expect(fs.existsSync(path.join(dir, b.name)), b.name).toBe(false);
    }
    expect(FileStager.decompresses(0) && FileStager.decompresses(8)).toBe(true);
    expect(FileStager.decompresses(12)).toBe(false);
  });
});
