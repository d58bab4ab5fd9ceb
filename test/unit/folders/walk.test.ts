/**
 * walkFolder against the file system itself, over a tree whose folders grow and shrink from one
 * to the next (the lister's buffers are handed back and filled again, folder after folder).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SmallFilePool } from '../../../src/main/core/archive/small-file-pool';
import { METHOD_STORE } from '../../../src/main/core/archive/zip-writer';
import { walkFolder } from '../../../src/main/core/folders/walk';
import { tempDirsPerTest } from '../../support/temp-core';

const tempDir = tempDirsPerTest('lb-walk-');

/** Every item below `root` by plain readdir + lstat, in the walk's order: a folder's names in byte order, then each subfolder's. */
type Seen = { raw: string; size: number; ino: string; target: string | null; mtimeNs: string; mtimeMs: number; mode: number };

function reference(root: Buffer, rel: Buffer = Buffer.alloc(0)): Seen[] {
  const abs = rel.length ? Buffer.concat([root, Buffer.from('/'), rel]) : root;
  const names = fs.readdirSync(abs, { encoding: 'buffer' }).sort(Buffer.compare);
  const out: Seen[] = [];
  const subdirs: Buffer[] = [];
  for (const name of names) {
    const childRel = rel.length ? Buffer.concat([rel, Buffer.from('/'), name]) : Buffer.from(name);
    const full = Buffer.concat([root, Buffer.from('/'), childRel]);
    const st = fs.lstatSync(full, { bigint: true });
    const target = st.isSymbolicLink() ? fs.readlinkSync(full, { encoding: 'buffer' }).toString('hex') : null;
    // whole milliseconds rounded down, also before 1970
    const ms = Math.floor(Number(st.mtimeNs / 1000n) / 1000);
    out.push({ raw: childRel.toString('hex'), size: st.isFile() ? Number(st.size) : 0, ino: `${st.dev}:${st.ino}`, target, mtimeNs: String(st.mtimeNs), mtimeMs: ms, mode: Number(st.mode) & 0o7777 });
    if (st.isDirectory()) subdirs.push(childRel);
  }
  for (const sub of subdirs) out.push(...reference(root, sub));
  return out;
}

describe('walkFolder', () => {
  it('yields exactly what readdir and lstat see, folder after folder of other sizes, with names of any bytes', async () => {
    const root = tempDir();
    // folder sizes that go up and down, so that a handed-back buffer is sometimes too small, sometimes larger
    const sizes = [3, 300, 0, 700, 20, 1, 400, 0, 1100, 5];
    sizes.forEach((count, d) => {
      const dir = path.join(root, `d${d}`);
      fs.mkdirSync(dir);
      for (let i = 0; i < count; i++) {
        const long = i % 97 === 0 ? 'n'.repeat(200) : '';
        fs.writeFileSync(path.join(dir, `f${i}${long}`), 'x'.repeat(i % 13));
      }
    });
    // names that are not UTF-8, and a link in a folder of its own
    const odd = Buffer.concat([Buffer.from(path.join(root, 'd1')), Buffer.from('/'), Buffer.from([0x66, 0xff, 0xfe, 0x0a])]);
    fs.writeFileSync(odd, 'odd');
    fs.mkdirSync(path.join(root, 'd3', 'inner'));
    fs.symlinkSync('../d0/f1', path.join(root, 'd3', 'inner', 'link'));
    // mtimes with nanoseconds, before 1970 too (GNU touch: Node's utimes keeps microseconds)
    execFileSync('touch', ['-d', '1969-07-20 20:17:40.123456789 UTC', path.join(root, 'd0', 'f2')]);
    execFileSync('touch', ['-d', '2026-12-02 11:04:08.999999999 UTC', path.join(root, 'd0', 'f1')]);
    fs.chmodSync(path.join(root, 'd0', 'f1'), 0o4751);

    const walked: Seen[] = [];
    for await (const item of walkFolder(root, [])) {
      walked.push({
        raw: item.raw.toString('hex'),
        size: item.size,
        ino: item.inode,
        target: item.linkTarget?.toString('hex') ?? null,
        mtimeNs: String(item.mtimeNs),
        mtimeMs: item.mtimeMs,
        mode: item.mode,
      });
    }
    const f2 = walked.find((w) => w.raw === Buffer.from('d0/f2').toString('hex'))!;
    expect(f2.mtimeNs).toBe('-14182939876543211');
    expect(f2.mtimeMs).toBe(-14182939877);
    const expected = reference(Buffer.from(root));
    expect(walked.length).toBe(sizes.reduce((a, b) => a + b, 0) + sizes.length + 3);
    const firstDiff = walked.findIndex((w, i) => JSON.stringify(w) !== JSON.stringify(expected[i]));
    expect(firstDiff === -1 ? null : { at: firstDiff, walked: walked[firstDiff], expected: expected[firstDiff] }).toBeNull();
  }, 30_000);

  it('lists on the thread of a small-file pool when given its lister (the pool keeps it once it read a file); a pool closed under the walk fails it', async () => {
    const root = tempDir();
    for (let d = 0; d < 6; d++) {
      fs.mkdirSync(path.join(root, `d${d}`));
      for (let i = 0; i < 50 * d; i++) fs.writeFileSync(path.join(root, `d${d}`, `f${i}`), `${d}/${i}`);
    }
    const pool = new SmallFilePool({ method: METHOD_STORE, level: 0, blockBytes: 1024 * 1024, worthIt: 0.92 });
    try {
      const lister = pool.lister();
      expect(pool.threads).toBe(1);
      const shared: string[] = [];
      for await (const item of walkFolder(root, [], { lister })) shared.push(`${item.raw.toString('hex')} ${item.size} ${item.inode}`);
      expect(shared).toEqual(reference(Buffer.from(root)).map((r) => `${r.raw} ${r.size} ${r.ino}`));
      // a pool that was given no file lets its worker go with the walk (a folder of large files only)
      await lister.close();
      expect(pool.threads).toBe(0);
      // one that was keeps it: the files go on being read after the walk
      const second = pool.lister();
      const read = async (rel: string) => {
        const { batch, index } = pool.read({ absPath: Buffer.from(path.join(root, rel)), compress: false });
        pool.flush(batch);
        await batch.ready;
        const result = batch.result(index);
        return result.error ?? result.grown ?? result.data.toString();
      };
      expect(await read('d5/f7')).toBe('5/7');
      await second.close();
      expect(pool.threads).toBe(1);
      expect(await read('d4/f9')).toBe('4/9');

      // the pool goes away under a walk (its subfolders not listed yet): the walk fails, it does not skip them or hang
      const walk = walkFolder(root, [], { lister: pool.lister() });
      expect((await walk.next()).value?.relPath).toBe('d0');
      await pool.close();
      const rest: string[] = [];
      await expect(
        (async () => {
          for await (const item of walk) rest.push(item.relPath);
        })(),
      ).rejects.toThrow('the folder lister stopped');
      expect(rest).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
    } finally {
      await pool.close();
    }
  });
});
