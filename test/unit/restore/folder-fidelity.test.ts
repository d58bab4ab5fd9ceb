/**
 * The pure parts of folder fidelity: names as bytes (display text, Windows mapping), the rule on
 * which paths a restore refuses, both manifest formats read into one shape, what a restore run by
 * root or by another user keeps of setuid/setgid/sticky, and the time argument that gets
 * microseconds (before 1970 too) through Node's utimes.
 */
import { describe, expect, it } from 'vitest';
import { baseIndexOf } from '../../../src/main/core/backup/base-index';
import { decodeRaw, displayPath, windowsName } from '../../../src/main/core/folders/raw-path';
import { restoredMode, restoredOwner, utimesArg, type Restorer } from '../../../src/main/core/restore/file-metadata';
import { folderItems, streamFolderItems, type FolderFileRef } from '../../../src/main/core/restore/folder-items';
import { rawUnsafeReason, UnrestorableCheck, unrestorableItems } from '../../../src/main/core/restore/safe-paths';
import type { BackupManifest, FolderIndexRecord, ManifestFolderSource } from '../../../src/shared/manifest';

const b = (text: string) => Buffer.from(text, 'utf8');

describe('names as bytes', () => {
  it('shows valid UTF-8 as itself, other bytes as \\xHH and a backslash doubled, so that no two names look alike', () => {
    expect(displayPath(b('a/ünï 文件 🚀.txt'))).toBe('a/ünï 文件 🚀.txt');
    expect(displayPath(b('new\nline\tand\x7f'))).toBe('new\nline\tand\x7f');
    expect(displayPath(Buffer.from([0x61, 0xff, 0x62]))).toBe('a\\xffb');
    expect(displayPath(b('a\\xffb'))).toBe('a\\\\xffb');
    // a truncated sequence, an overlong form, a UTF-16 surrogate: not UTF-8
    expect(displayPath(Buffer.from([0x63, 0xc3, 0x28]))).toBe('c\\xc3(');
    expect(displayPath(Buffer.from([0xc0, 0xaf]))).toBe('\\xc0\\xaf');
    expect(displayPath(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80');
    expect(decodeRaw(b('bad\xff').toString('base64'))).toEqual(b('bad\xff'));
    expect(decodeRaw('not base64!')).toBeNull();
  });

  it('maps what Windows refuses into U+F000.. as Cygwin does, and says when it did', () => {
    expect(windowsName(b('plain name.txt'))).toEqual({ name: 'plain name.txt', mapped: false });
    expect(windowsName(b('a:b*c?.txt'))).toEqual({ name: 'a\uf03ab\uf02ac\uf03f.txt', mapped: true });
    expect(windowsName(b('back\\slash"<>|'))).toEqual({ name: 'back\uf05cslash\uf022\uf03c\uf03e\uf07c', mapped: true });
    expect(windowsName(b('new\nline\t'))).toEqual({ name: 'new\uf00aline\uf009', mapped: true });
    expect(windowsName(b('trailing. .'))).toEqual({ name: 'trailing\uf02e\uf020\uf02e', mapped: true });
    expect(windowsName(Buffer.from([0x62, 0xff]))).toEqual({ name: 'b\uf0ff', mapped: true });
    expect(windowsName(b('CON'))).toEqual({ name: 'CO\uf04e', mapped: true });
    expect(windowsName(b('nul.txt'))).toEqual({ name: 'nu\uf06c.txt', mapped: true });
    expect(windowsName(b('console.txt')).mapped).toBe(false);
    expect(windowsName(b('ünï')).mapped).toBe(false);
  });
});

describe('which paths a restore refuses', () => {
  it('format 2: any POSIX name but NUL, "", ".", ".." and names over 255 bytes', () => {
    for (const fine of ['back\\slash', 'C:drive', 'a/b c/new\nline', '..dots', '-dash', `${'n'.repeat(255)}`]) expect(rawUnsafeReason(b(fine)), fine).toBeNull();
    expect(rawUnsafeReason(Buffer.from([0x61, 0xff]))).toBeNull();
    for (const bad of ['', '../x', 'a/../b', '/etc/passwd', 'a//b', './a', 'a/.', 'a\0b', 'n'.repeat(256)]) expect(rawUnsafeReason(b(bad)), bad).not.toBeNull();
  });

  const ref = (over: Partial<FolderFileRef>): FolderFileRef => ({
    sourceId: 'f1',
    type: 'file',
    path: 'x',
    raw: b('x'),
    size: 0,
    mtimeMs: 0,
    mtimeNs: 0n,
    mode: 0o644,
    uid: 0,
    gid: 0,
    sha256: '',
    storedIn: 'b1',
    entry: null,
    sparse: false,
    linkTarget: null,
    linkTo: null,
    format: 2,
    problem: null,
    ...over,
  });

  it('refuses an item below a link of the backup, an item recorded twice, a link with an empty target; format 1 keeps its rules', () => {
    const items = [
      ref({ type: 'symlink', path: 'up', raw: b('up'), linkTarget: b('/etc') }),
      ref({ path: 'up/passwd', raw: b('up/passwd') }),
      ref({ path: 'twice', raw: b('twice') }),
      ref({ type: 'fifo', path: 'twice', raw: b('twice') }),
      ref({ type: 'symlink', path: 'empty-link', raw: b('empty-link'), linkTarget: Buffer.alloc(0) }),
      ref({ type: 'symlink', path: 'anywhere', raw: b('anywhere'), linkTarget: b('../../../../outside') }),
      ref({ type: 'dir', path: 'd', raw: b('d') }),
      ref({ path: 'd/ok', raw: b('d/ok') }),
      ref({ format: 1, path: 'old\\name', raw: b('old\\name') }),
      ref({ format: 1, path: 'old-link', raw: b('old-link'), mode: 0o120777 }),
    ];
    const problems = unrestorableItems(items).map((p) => `${p.path}: ${p.reason}`);
    expect(problems).toEqual([
      'twice: recorded twice in the backup',
      'empty-link: a symbolic link with an empty target or a NUL in it',
      'old\\name: backslash (a Windows separator)',
      'old-link: not a regular file (a link or a special file)',
      'up/passwd: below "up", which the backup records as a symbolic link; a restore never writes through one',
    ]);
  });

  it('names the nearest item above that is not a folder, for every item below it (deep and shallow, in any order)', () => {
    const items = [
      ref({ path: 'x/y/z/deep', raw: b('x/y/z/deep') }),
      ref({ type: 'dir', path: 'x', raw: b('x') }),
      ref({ type: 'symlink', path: 'x/y', raw: b('x/y'), linkTarget: b('/tmp') }),
      ref({ path: 'x/y/z/deeper', raw: b('x/y/z/deeper') }),
      ref({ path: 'x/y/top', raw: b('x/y/top') }),
      ref({ path: 'file', raw: b('file') }),
      ref({ path: 'file/a/b', raw: b('file/a/b') }),
      ref({ path: 'x/fine', raw: b('x/fine') }),
    ];
    expect(unrestorableItems(items).map((p) => `${p.path}: ${p.reason}`)).toEqual([
      'x/y/z/deep: below "x/y", which the backup records as a symbolic link; a restore never writes through one',
      'x/y/z/deeper: below "x/y", which the backup records as a symbolic link; a restore never writes through one',
      'x/y/top: below "x/y", which the backup records as a symbolic link; a restore never writes through one',
      'file/a/b: below "file", which the backup records as a file; a restore never writes through one',
    ]);
  });

  it('tells 200k different paths apart (no path read as recorded twice) and still finds the one that is', () => {
    const check = new UnrestorableCheck();
    for (let i = 0; i < 200_000; i++) check.add(ref({ path: `d${i % 300}/f${i}`, raw: b(`d${i % 300}/f${i}`) }));
    check.add(ref({ path: 'd7/f7', raw: b('d7/f7') }));
    expect(check.problems()).toEqual([{ path: 'd7/f7', reason: 'recorded twice in the backup' }]);
  });

  it('a streamed index whose link comes after the items below it: looked at again, every item below it named, in index order', async () => {
    const source = { kind: 'folder', id: 'f1', label: '/d', status: 'success', error: null, root: '/d', excludes: [], entryPrefix: 'folders/f1/', files: 2, bytes: 2, index: { entry: 'i', records: 4 } } as unknown as ManifestFolderSource;
    const manifest = { format: 3, backupId: 'b1', createdAt: '2026-01-01T00:00:00Z', entries: [], sources: [source] } as unknown as BackupManifest;
    const file = (p: string): FolderIndexRecord => ({ file: { name: `folders/f1/${p}`, kind: 'file', sourceId: 'f1', size: 1, sha256: 'a'.repeat(64), mode: 0o644, mtimeMs: 1, rawPath: b(p).toString('base64') } });
    const records: FolderIndexRecord[] = [
      file('x/y/below'),
      file('x/y/z/deeper'),
      { node: { type: 'symlink', path: 'x/y', rawPath: b('x/y').toString('base64'), target: b('/etc').toString('base64'), mode: 0o777, mtimeMs: 1 } },
      file('x/y/after'),
    ] as FolderIndexRecord[];
    let reads = 0;
    const check = new UnrestorableCheck();
    await streamFolderItems(manifest, source, async function* () {
      reads++;
      yield records.slice(0, 2);
      yield records.slice(2);
    }, check, () => false);
    expect(reads).toBe(2);
    expect(check.problems().map((p) => p.path)).toEqual(['x/y/below', 'x/y/z/deeper', 'x/y/after']);
    expect(check.problems()[0]!.reason).toBe('below "x/y", which the backup records as a symbolic link; a restore never writes through one');
  });

  it('reads format 1 and format 2 folders into one shape; a hard link takes its first file\'s content', async () => {
    const folder = (over: Partial<ManifestFolderSource>): ManifestFolderSource => ({
      kind: 'folder', id: 'f1', label: '/d', status: 'success', error: null, root: '/d', excludes: [], entryPrefix: 'folders/f1/', files: 1, bytes: 3, unchanged: [], ...over,
    });
    const base = { backupId: 'b2', app: { name: 'Lifeboat' as const, version: 't' }, createdAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', plan: null, type: 'full' as const, baseBackupId: null, encrypted: true, compressionLevel: 1, host: 'h' };
    const v1: BackupManifest = { ...base, format: 1, sources: [folder({})], entries: [{ name: 'folders/f1/a/b.txt', kind: 'file', sourceId: 'f1', size: 3, sha256: 'a'.repeat(64), mode: 0o600, mtimeMs: 1500 }] };
    const [old] = folderItems(v1, v1.sources[0] as ManifestFolderSource);
    expect(old).toMatchObject({ path: 'a/b.txt', raw: b('a/b.txt'), mtimeNs: 1_500_000_000n, entry: 'folders/f1/a/b.txt', format: 1, uid: null });

    const raw = Buffer.from([0x78, 0xff]);
    const v2: BackupManifest = {
      ...base,
      format: 2,
      sources: [
        folder({
          nodes: [
            { type: 'hardlink', path: 'y', rawPath: b('y').toString('base64'), mode: 0o644, mtimeMs: 0, mtimeNs: '0', uid: 0, gid: 0, linkTo: raw.toString('base64') },
            { type: 'hardlink', path: 'z', rawPath: b('z').toString('base64'), mode: 0o644, mtimeMs: 0, mtimeNs: '0', uid: 0, gid: 0, linkTo: b('nothing').toString('base64') },
            { type: 'dir', path: 'bad', rawPath: '@@', mode: 0o755, mtimeMs: 0, mtimeNs: '0', uid: 0, gid: 0 },
          ],
        }),
      ],
      entries: [
        { name: 'folders/f1/0', kind: 'file', sourceId: 'f1', size: 3, sha256: 'c'.repeat(64), mode: 0o4755, mtimeMs: -1, mtimeNs: '-500', uid: 7, gid: 8, path: 'x\\xff', rawPath: raw.toString('base64') },
      ],
    };
    const items = folderItems(v2, v2.sources[0] as ManifestFolderSource);
    expect(items[0]).toMatchObject({ type: 'file', path: 'x\\xff', raw, mtimeNs: -500n, uid: 7, entry: 'folders/f1/0' });
    expect(items.find((i) => i.path === 'y')).toMatchObject({ type: 'hardlink', sha256: 'c'.repeat(64), size: 3, mode: 0o4755, entry: 'folders/f1/0', problem: null });
    expect(items.find((i) => i.path === 'z')!.problem).toMatch(/hard link to a file the backup does not hold/);
    expect(items.find((i) => i.type === 'dir')!.problem).toMatch(/not base64/);

    // an incremental finds a base's files by the bytes of their paths, whichever format the base has
    const fromV1 = baseIndexOf(v1).get('f1')!;
    expect(await fromV1.lookup(b('a/b.txt'))).toMatchObject({ path: 'a/b.txt', size: 3, mtimeMs: 1500, storedIn: 'b2' });
    const fromV2 = baseIndexOf(v2).get('f1')!;
    expect(await fromV2.lookup(raw)).toMatchObject({ rawPath: raw.toString('base64'), mtimeNs: '-500', uid: 7, storedIn: 'b2' });
  });
});

describe('setuid, setgid, sticky and owners', () => {
  const root: Restorer = { isRoot: true, uid: 0, gids: [0], platform: 'linux' };
  const alice: Restorer = { isRoot: false, uid: 1000, gids: [1000, 27], platform: 'linux' };
  const file = (mode: number, uid = 1000, gid = 1000, format = 2) => ({ mode, type: 'file' as const, uid, gid, format });

  it('root restores them all, after giving the item its owner back', () => {
    expect(restoredMode(file(0o6755, 1234, 5678), root)).toEqual({ mode: 0o6755, dropped: null });
    expect(restoredMode({ ...file(0o1777), type: 'dir' }, root)).toEqual({ mode: 0o1777, dropped: null });
    expect(restoredOwner(file(0o644, 1234, 5678), root)).toEqual({ uid: 1234, gid: 5678 });
  });

  it('another user: the files a restore creates are theirs, so setuid/setgid of someone else are dropped and said', () => {
    expect(restoredMode(file(0o4755, 1234, 1234), alice)).toEqual({ mode: 0o755, dropped: 'setuid' });
    expect(restoredMode(file(0o6755, 1234, 1000), alice)).toEqual({ mode: 0o755, dropped: 'setuid, setgid' });
    expect(restoredOwner(file(0o644, 1234, 5678), alice)).toBeNull();
  });

  it('the file\'s own owner keeps setuid, and setgid for a group of theirs; sticky stays on folders', () => {
    expect(restoredMode(file(0o4755), alice)).toEqual({ mode: 0o4755, dropped: null });
    expect(restoredMode(file(0o2755, 1000, 27), alice)).toEqual({ mode: 0o2755, dropped: null });
    expect(restoredMode(file(0o2755, 1000, 5678), alice)).toEqual({ mode: 0o755, dropped: 'setgid' });
    expect(restoredMode({ ...file(0o1777, 1234), type: 'dir' }, alice)).toEqual({ mode: 0o1777, dropped: null });
    expect(restoredMode(file(0o1644), { ...alice, platform: 'darwin' })).toEqual({ mode: 0o644, dropped: 'sticky' });
  });

  it('format 1 recorded no owner: its special bits are never restored, even by root', () => {
    expect(restoredMode(file(0o4755, 0, 0, 1), root)).toEqual({ mode: 0o755, dropped: 'setuid' });
  });
});

describe('mtimes through utimes', () => {
  /** What libuv (uv__fs_to_timespec) makes of the float seconds Node gives it. */
  function libuvTimespec(seconds: number): bigint {
    let sec = Math.trunc(seconds);
    let nsec = Math.trunc((seconds - sec) * 1e9);
    nsec -= nsec % 1000;
    if (nsec < 0) {
      nsec += 1e9;
      sec -= 1;
    }
    return BigInt(sec) * 1_000_000_000n + BigInt(nsec);
  }
  const floorUs = (ns: bigint) => {
    const q = ns / 1000n;
    return (q * 1000n > ns ? q - 1n : q) * 1000n;
  };

  it('gets every time from 1901 to 2038 through to the microsecond, before 1970 too', () => {
    expect(utimesArg(1_700_000_000_123_456_789n)).toBe('1700000000.123456500');
    expect(utimesArg(-1_000_000_500n)).toBe('-1.000001500');
    expect(utimesArg(0n)).toBe('0.000000500');
    const samples = [0n, 1n, -1n, 999n, -999n, 1_000n, -1_000n, 1_795_565_594_339_000_000n, -2_000_000_000_999_999_999n, 2_147_483_647_999_999_999n];
    let seed = 12345;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const seconds = BigInt((seed % 4_000_000_000) - 2_000_000_000);
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      samples.push(seconds * 1_000_000_000n + BigInt(seed % 1_000_000_000));
    }
    for (const ns of samples) expect(libuvTimespec(+utimesArg(ns)), ns.toString()).toBe(floorUs(ns));
  });
});
