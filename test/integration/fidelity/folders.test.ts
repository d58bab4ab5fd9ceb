/**
 * Folder fidelity with real files: a folder holding every kind of name (backslash, newline, tab,
 * DEL, trailing space, leading dash, bytes that are not UTF-8, 255-byte names, NFC/NFD twins)
 * and every kind of item (symbolic links of every sort, an empty folder, a hard-link pair,
 * folders 0700 and 0555, setuid/setgid/sticky, another user's file, a 64 MiB sparse file,
 * mtimes before 1970 and with nanoseconds, a FIFO, a socket) is backed up, verified, restored
 * into a new folder and compared item by item: name bytes, type, mode, owner, mtime (to the
 * microsecond, what a restore gives back), link targets, hard-link identity, allocated blocks
 * and bytes. Also: --paths with a newline in the name, an incremental over the folder, a
 * format 1 backup, and a crafted backup that would write through one of its own links.
 * Runs as root (the tests' machine); what a non-root restore keeps is unit-tested
 * (test/unit/restore/folder-fidelity.test.ts).
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../../src/main/core/archive/reader';
import { ArchiveWriter } from '../../../src/main/core/archive/writer';
import { FolderIndexWriter } from '../../../src/main/core/backup/folder-index';
import { runCli } from '../../../src/main/cli/index';
import { previewBackup } from '../../../src/main/core/restore/preview';
import { makeBackupLocator } from '../../../src/main/core/restore/locate';
import { restoreFiles, type FilesRestoreSpec } from '../../../src/main/core/restore/restore-files';
import { verifyBackupFile } from '../../../src/main/core/verify/verify-backup';
import type { FolderIndexRecord, ManifestFolderSource } from '../../../src/shared/manifest';
import { filesTargetSchema, type FilesTargetInput } from '../../../src/shared/restore';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { FAST_CONTAINER, HELD_ITEMS_UNDER_TEST, PASSPHRASE, appError, backupNow, handMadeManifest, planInput, savePlan, sha256, testContext } from '../restore/support';

const b = (text: string) => Buffer.from(text, 'utf8');
const MiB = 1024 * 1024;

let work: string;
let source: string;
let core: ReturnType<typeof makeTestCore>;
let backupFile: string;
let backupJobId: string;
let socketServer: net.Server;

/** A path below `root` from raw segments. */
function at(root: string, ...segments: (string | Buffer)[]): Buffer {
  return Buffer.concat([b(root), ...segments.flatMap((s) => [b('/'), typeof s === 'string' ? b(s) : s])]);
}

function writeFile(abs: Buffer, content: string | Buffer, mode?: number): void {
  fs.writeFileSync(abs, content);
  if (mode !== undefined) fs.chmodSync(abs, mode);
}

/** Sets an mtime to the nanosecond (GNU touch; Node's utimes keeps microseconds only). */
function touchNs(abs: string, seconds: string): void {
  execFileSync('touch', ['-h', '-d', `@${seconds}`, abs]);
}

interface ItemInfo {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  /** mtime to the microsecond (what a restore gives back), as a decimal string */
  mtimeUs: string;
  size: number;
  sha256: string | null;
  link: string | null;
}

function floorDiv(a: bigint, d: bigint): bigint {
  const q = a / d;
  return q * d > a ? q - 1n : q;
}

/** Every item below `root` (not the root), by the hex of its relative path's bytes. */
function snapshotRaw(root: string): Map<string, ItemInfo> {
  const out = new Map<string, ItemInfo>();
  const walk = (rel: Buffer) => {
    const abs = rel.length ? Buffer.concat([b(root), b('/'), rel]) : b(root);
    for (const name of fs.readdirSync(abs, { encoding: 'buffer' })) {
      const childRel = rel.length ? Buffer.concat([rel, b('/'), name]) : name;
      const childAbs = Buffer.concat([abs, b('/'), name]);
      const st = fs.lstatSync(childAbs, { bigint: true });
      const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'other';
      out.set(childRel.toString('hex'), {
        type,
        mode: Number(st.mode & 0o7777n),
        uid: Number(st.uid),
        gid: Number(st.gid),
        mtimeUs: floorDiv(st.mtimeNs, 1000n).toString(),
        size: type === 'file' ? Number(st.size) : 0,
        sha256: type === 'file' ? sha256(fs.readFileSync(childAbs)) : null,
        link: type === 'symlink' ? fs.readlinkSync(childAbs, { encoding: 'buffer' }).toString('hex') : null,
      });
      if (type === 'dir') walk(childRel);
    }
  };
  walk(Buffer.alloc(0));
  return out;
}

const hexOf = (...segments: (string | Buffer)[]) => Buffer.concat(segments.flatMap((s, i) => [...(i ? [b('/')] : []), typeof s === 'string' ? b(s) : s])).toString('hex');

function spec(filePath: string, target: FilesTargetInput, overrides: Partial<FilesRestoreSpec> = {}): FilesRestoreSpec {
  return {
    filePath,
    passphrase: PASSPHRASE,
    target: filesTargetSchema.parse(target),
    locate: makeBackupLocator(filePath, (id) => core.jobs.get(id)?.filePath ?? null),
    heldItems: HELD_ITEMS_UNDER_TEST,
    ...overrides,
  };
}

// the odd names, as bytes
const NAMES = {
  backslash: b('back\\slash.txt'),
  newline: b('new\nline.txt'),
  tab: b('tab\there.txt'),
  del: b('del\x7f.txt'),
  trailingSpace: b('trailing space '),
  leadingDash: b('-leading-dash'),
  notUtf8: Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74]), // "bad\xff\xfe.txt"
  brokenSequence: Buffer.from([0x63, 0xc3, 0x28, 0x2e, 0x74, 0x78, 0x74]), // "c\xc3(.txt"
  long: b(`${'L'.repeat(251)}.txt`),
  longUnicode: b(`${'é'.repeat(125)}.txt`), // 254 bytes
  nfc: b('caf\u00e9.txt'),
  nfd: b('cafe\u0301.txt'),
  driveLike: b('C:drive'),
  dotted: b('..dots'),
};

beforeAll(async () => {
  work = makeTempDir('lifeboat-fidelity-');
  source = path.join(work, 'source');
  fs.mkdirSync(source);
  for (const [key, name] of Object.entries(NAMES)) writeFile(at(source, name), `content of ${key}\n`);
  writeFile(at(source, 'plain.txt'), 'plain\n', 0o640);
  // a folder whose name is not UTF-8, with a file in it
  fs.mkdirSync(at(source, Buffer.from([0x64, 0x69, 0x72, 0xe9])));
  writeFile(at(source, Buffer.from([0x64, 0x69, 0x72, 0xe9]), 'inner.txt'), 'inside a latin-1 named folder\n');

  // symbolic links: to a file, to a folder, dangling, absolute, pointing outside, with non-UTF-8 target bytes
  fs.mkdirSync(at(source, 'dir0700'));
  writeFile(at(source, 'dir0700', 'private.txt'), 'private\n', 0o600);
  fs.symlinkSync('plain.txt', at(source, 'link-to-file'));
  fs.symlinkSync('dir0700', at(source, 'link-to-dir'));
  fs.symlinkSync('no/such/target', at(source, 'dangling'));
  fs.symlinkSync('/etc/hostname', at(source, 'absolute'));
  fs.symlinkSync('../../outside-target/file.txt', at(source, 'outside'));
  fs.symlinkSync(NAMES.notUtf8, at(source, 'link-to-bad-name'));
  // an empty folder, a folder nested in it empty too
  fs.mkdirSync(at(source, 'empty', 'nested-empty'), { recursive: true });
  // hard links: one stored file, one link in another folder
  fs.mkdirSync(at(source, 'sub'));
  writeFile(at(source, 'hard-a.txt'), 'shared by two names\n');
  fs.linkSync(at(source, 'hard-a.txt'), at(source, 'sub', 'hard-b.txt'));
  // setuid, setgid, sticky; another user's file and folder
  writeFile(at(source, 'suid-bin'), '#!/bin/sh\n', 0o4755);
  writeFile(at(source, 'sgid-bin'), '#!/bin/sh\n', 0o2755);
  fs.mkdirSync(at(source, 'sticky-dir'));
  fs.chmodSync(at(source, 'sticky-dir'), 0o1777);
  fs.mkdirSync(at(source, 'sgid-dir'));
  fs.chmodSync(at(source, 'sgid-dir'), 0o2775);
  writeFile(at(source, 'owned-by-1234.txt'), 'not root\n');
  fs.chownSync(at(source, 'owned-by-1234.txt'), 1234, 5678);
  fs.chownSync(at(source, 'sgid-dir'), 1234, 5678);
  fs.chmodSync(at(source, 'sgid-dir'), 0o2775); // chown cleared it
  // a sparse file: 64 MiB, 1 MiB of data at 8 MiB
  const fd = fs.openSync(at(source, 'sparse.img'), 'w');
  fs.writeSync(fd, crypto.randomBytes(MiB), 0, MiB, 8 * MiB);
  fs.ftruncateSync(fd, 64 * MiB);
  fs.closeSync(fd);
  // a FIFO and a socket
  execFileSync('mkfifo', ['-m', '0620', path.join(source, 'pipe.fifo')]);
  socketServer = net.createServer();
  await new Promise<void>((resolve) => socketServer.listen(path.join(source, 'app.sock'), resolve));
  // mtimes: before 1970, with nanoseconds, on files, links and folders
  touchNs(path.join(source, 'plain.txt'), '-300000000.123456789');
  touchNs(path.join(source, 'hard-a.txt'), '1700000000.987654321');
  touchNs(path.join(source, 'link-to-file'), '-1.000000500');
  touchNs(path.join(source, 'pipe.fifo'), '1234567890.000001999');
  // folders last: adding to a folder changes its mtime
  touchNs(path.join(source, 'dir0700'), '-86400.5');
  touchNs(path.join(source, 'empty', 'nested-empty'), '1600000000.000000001');
  touchNs(path.join(source, 'empty'), '1500000000.25');
  fs.chmodSync(at(source, 'dir0700'), 0o700);
  fs.mkdirSync(at(source, 'dir0555'));
  writeFile(at(source, 'dir0555', 'locked.txt'), 'in a read-only folder\n');
  fs.chmodSync(at(source, 'dir0555'), 0o555);

  core = makeTestCore({ containerOptions: FAST_CONTAINER });
  const plan = await savePlan(core, planInput({ name: 'Edge', folders: [{ id: 'edge', path: source }], destination: path.join(work, 'backups') }), {
    passphrase: PASSPHRASE,
  });
  const job = await backupNow(core, plan);
  backupFile = job.filePath!;
  backupJobId = job.id;
}, 180_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (socketServer ? socketServer.close(() => resolve()) : resolve()));
  await core?.cleanup();
  if (work) {
    execFileSync('chmod', ['-R', 'u+rwx', work]);
    fs.rmSync(work, { recursive: true, force: true });
  }
});

describe('a folder with every kind of name and item', () => {
  it('is backed up whole: success, zip entries named by number, raw names and every type in the manifest', async () => {
    const job = core.jobs.detail(backupJobId)!;
    expect(job.status).toBe('success');
    const message = job.sources[0]!.message ?? '';
    expect(message).toContain('symbolic links');
    expect(message).toContain('1 hard link');
    expect(message).toContain('1 FIFO');
    expect(message).toContain('1 special file (sockets, devices) recorded, not restored');
    expect(message).not.toContain('skipped');

    const manifest = await readManifest(backupFile, PASSPHRASE);
    expect(manifest.format).toBe(3);
    const folder = manifest.sources[0] as ManifestFolderSource;
    // format 3: the folder's items are in its own index entry, read back into the usual shape
    expect(folder.index?.entry).toBe('folders/edge.index');
    expect(manifest.entries.filter((e) => e.kind === 'folder-index').map((e) => e.name)).toEqual(['folders/edge.index']);
    const files = manifest.entries.filter((e) => e.kind === 'file');
    expect(files.every((e) => /^folders\/edge\/\d+$/.test(e.name))).toBe(true);
    expect(folder.index!.records).toBe(files.length + folder.unchanged.length + folder.nodes!.length);
    expect(files.every((e) => e.method === 'stored' || e.method === 'deflate')).toBe(true);
    const raws = new Set(files.map((e) => Buffer.from(e.rawPath!, 'base64').toString('hex')));
    for (const name of Object.values(NAMES)) expect(raws.has(name.toString('hex')), name.toString('utf8')).toBe(true);
    expect(manifest.entries.find((e) => e.rawPath === NAMES.notUtf8.toString('base64'))!.path).toBe('bad\\xff\\xfe.txt');
    expect(manifest.entries.find((e) => e.rawPath === NAMES.backslash.toString('base64'))!.path).toBe('back\\\\slash.txt');
    expect(manifest.entries.find((e) => e.path === 'plain.txt')).toMatchObject({ mtimeNs: '-300000000123456789', mtimeMs: -300000000124, mode: 0o640 });
    expect(manifest.entries.find((e) => e.path === 'sparse.img')).toMatchObject({ sparse: true, size: 64 * MiB });
    expect(manifest.entries.find((e) => e.path === 'owned-by-1234.txt')).toMatchObject({ uid: 1234, gid: 5678 });
    const node = (p: string) => folder.nodes!.find((n) => n.path === p);
    expect(node('link-to-file')).toMatchObject({ type: 'symlink', target: b('plain.txt').toString('base64'), mtimeNs: '-1000000500' });
    expect(node('sub/hard-b.txt')).toMatchObject({ type: 'hardlink', linkTo: b('hard-a.txt').toString('base64') });
    expect(node('empty/nested-empty')).toMatchObject({ type: 'dir', mtimeNs: '1600000000000000001' });
    expect(node('pipe.fifo')).toMatchObject({ type: 'fifo', mode: 0o620 });
    expect(node('app.sock')).toMatchObject({ type: 'socket' });
    expect(node('sticky-dir')).toMatchObject({ type: 'dir', mode: 0o1777 });
    // the hard link's content is stored once
    expect(manifest.entries.filter((e) => e.path === 'hard-a.txt' || e.path === 'sub/hard-b.txt')).toHaveLength(1);
  });

  it('verifies on every layer', async () => {
    const report = await verifyBackupFile(backupFile, PASSPHRASE);
    expect(report.status, report.reasons.join('\n')).toBe('passed');
  });

  it('previews every item under its display path, folders empty or not', async () => {
    const preview = await previewBackup(backupFile, PASSPHRASE);
    const folder = preview.folders[0]!;
    const paths = folder.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['new\nline.txt', 'bad\\xff\\xfe.txt', 'c\\xc3(.txt', 'link-to-dir', 'pipe.fifo', 'app.sock']));
    expect(folder.files.find((f) => f.path === 'link-to-dir')!.type).toBe('symlink');
    expect(folder.dirs.find((d) => d.path === 'empty/nested-empty')).toEqual({ path: 'empty/nested-empty', files: 0, bytes: 0 });
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('restores into a new folder byte for byte: names, types, modes, owners, mtimes (µs), links, hard links, holes', async () => {
    const target = path.join(work, 'restored');
    const result = await restoreFiles(spec(backupFile, { folder: target }), testContext());
    const before = snapshotRaw(source);
    const after = snapshotRaw(target);
    const socket = hexOf('app.sock');
    expect(before.get(socket)?.type).toBe('socket');
    before.delete(socket);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [key, info] of before) expect(after.get(key), Buffer.from(key, 'hex').toString('utf8')).toEqual(info);

    // the details the comparison above covers, spelled out
    expect(after.get(hexOf('dir0555'))!.mode).toBe(0o555);
    expect(after.get(hexOf('dir0700'))!.mode).toBe(0o700);
    expect(after.get(hexOf('suid-bin'))!.mode).toBe(0o4755);
    expect(after.get(hexOf('sgid-dir'))).toMatchObject({ mode: 0o2775, uid: 1234, gid: 5678 });
    expect(after.get(hexOf('plain.txt'))!.mtimeUs).toBe('-300000000123457');
    expect(after.get(hexOf('link-to-file'))!.mtimeUs).toBe('-1000001');
    expect(after.get(hexOf('outside'))!.link).toBe(b('../../outside-target/file.txt').toString('hex'));
    expect(fs.existsSync(path.join(work, 'outside-target'))).toBe(false);
    const inoA = fs.statSync(at(target, 'hard-a.txt')).ino;
    expect(fs.statSync(at(target, 'sub', 'hard-b.txt')).ino).toBe(inoA);
    const sparseSource = fs.statSync(at(source, 'sparse.img'));
    const sparseRestored = fs.statSync(at(target, 'sparse.img'));
    expect(sparseSource.blocks * 512).toBeLessThan(4 * MiB);
    expect(sparseRestored.size).toBe(64 * MiB);
    expect(sparseRestored.blocks * 512).toBeLessThanOrEqual(sparseSource.blocks * 512 + 64 * 1024);

    expect(result.notes).toEqual([expect.stringMatching(/^1 special file recorded, not restored \(app\.sock\)/)]);
    expect(result.items.find((i) => i.path === 'app.sock')).toMatchObject({ action: 'skip', reason: expect.stringContaining('socket') });
    expect(fs.readdirSync(target).some((n) => n.startsWith('.lifeboat-restore-'))).toBe(false);
  });

  it('restores again over itself: everything is already there and identical, and keeps its metadata', async () => {
    const target = path.join(work, 'restored');
    // a changed mtime and mode on identical content are put back
    fs.utimesSync(at(target, 'plain.txt'), new Date(), new Date());
    fs.chmodSync(at(target, 'plain.txt'), 0o666);
    const result = await restoreFiles(spec(backupFile, { folder: target }), testContext());
    expect(result.counts.create).toBe(0);
    expect(result.counts.skip).toBe(1); // the socket
    const before = snapshotRaw(source);
    before.delete(hexOf('app.sock'));
    expect(snapshotRaw(target)).toEqual(before);
  });

  it('restores with --paths a file whose name holds a newline (and nothing else)', async () => {
    const target = path.join(work, 'one-file');
    const passFile = path.join(work, 'pass.txt');
    fs.writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), env: { ...process.env, LIFEBOAT_HOME: core.dataDir }, isTty: false };
    const code = await runCli(['restore', backupFile, '--to-folder', target, '--paths', 'new\nline.txt', '--passphrase-file', passFile], io);
    expect(code, err.join('\n')).toBe(0);
    expect(fs.readdirSync(target, { encoding: 'buffer' }).map((n) => n.toString('hex'))).toEqual([NAMES.newline.toString('hex')]);
    expect(fs.readFileSync(at(target, NAMES.newline), 'utf8')).toBe('content of newline\n');
    // a name that is not UTF-8 is selected by its display path
    const other = path.join(work, 'one-bad-name');
    const result = await restoreFiles(spec(backupFile, { folder: other, paths: ['bad\\xff\\xfe.txt', 'sub/hard-b.txt'] }), testContext());
    expect(result.counts.create).toBe(2);
    expect(fs.readFileSync(at(other, NAMES.notUtf8), 'utf8')).toBe('content of notUtf8\n');
    // the hard link whose first file was not selected comes back as a file with the shared content
    expect(fs.readFileSync(at(other, 'sub', 'hard-b.txt'), 'utf8')).toBe('shared by two names\n');
  });
});

describe('an incremental over the folder', () => {
  it('keeps every unchanged item in the base, stores what changed, and restores the same tree', async () => {
    const chainCore = makeTestCore({ containerOptions: FAST_CONTAINER });
    try {
      const plan = await savePlan(
        chainCore,
        planInput({ name: 'Edge chain', type: 'incremental', folders: [{ id: 'edge', path: source }], destination: path.join(work, 'chain') }),
        { passphrase: PASSPHRASE },
      );
      const full = await backupNow(chainCore, plan);
      writeFile(at(source, NAMES.notUtf8), 'changed content, same name bytes\n');
      writeFile(at(source, b('new\\file\twith\nall.txt')), 'added in the incremental\n');
      const inc = await backupNow(chainCore, plan);
      const manifest = await readManifest(inc.filePath!, PASSPHRASE);
      expect(manifest.type).toBe('incremental');
      expect(manifest.entries.filter((e) => e.kind === 'file').map((e) => e.path).sort()).toEqual(['bad\\xff\\xfe.txt', 'new\\\\file\twith\nall.txt']);
      const folder = manifest.sources[0] as ManifestFolderSource;
      expect(folder.unchanged.find((u) => u.rawPath === NAMES.brokenSequence.toString('base64'))).toMatchObject({ storedIn: full.id });
      expect(folder.nodes!.find((n) => n.path === 'sub/hard-b.txt')).toMatchObject({ type: 'hardlink' });

      const target = path.join(work, 'chain-restored');
      const result = await restoreFiles(
        { filePath: inc.filePath!, passphrase: PASSPHRASE, target: filesTargetSchema.parse({ folder: target }), locate: makeBackupLocator(inc.filePath!) },
        testContext(),
      );
      expect(result.counts.skip).toBe(1);
      const before = snapshotRaw(source);
      before.delete(hexOf('app.sock'));
      expect(snapshotRaw(target)).toEqual(before);
      expect(fs.statSync(at(target, 'sub', 'hard-b.txt')).ino).toBe(fs.statSync(at(target, 'hard-a.txt')).ino);
    } finally {
      await chainCore.cleanup();
    }
  });
});

describe('backups a restore must refuse or still read', () => {
  const manifestOf = (backupId: string, format: number, root: string) => handMadeManifest(backupId, root, { format });


  it('a format 1 backup (entries named by path, no raw names) still restores, verifies and previews as before', async () => {
    const backupId = crypto.randomUUID();
    const file = path.join(work, 'crafted', 'format-1.lifeboat');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const writer = await ArchiveWriter.create({ finalPath: file, backupId, appVersion: 'test', passphrase: PASSPHRASE, compressionLevel: 1, ...FAST_CONTAINER });
    const manifest = manifestOf(backupId, 1, path.join(work, 'old-root'));
    const files = { 'README.md': '# old\n', 'a/b/ünï.txt': 'unicode\n', 'bin/tool': '#!/bin/sh\n' };
    const mtimeMs = Date.UTC(2021, 4, 6, 7, 8, 9, 123);
    for (const [rel, content] of Object.entries(files)) {
      const added = await writer.addStream(`folders/f1/${rel}`, Readable.from([Buffer.from(content)]));
      manifest.entries.push({ name: `folders/f1/${rel}`, kind: 'file', sourceId: 'f1', ...added, mode: rel === 'bin/tool' ? 0o4755 : 0o644, mtimeMs });
    }
    (manifest.sources[0] as ManifestFolderSource).files = 3;
    await writer.finish(manifest);

    expect((await verifyBackupFile(file, PASSPHRASE)).status).toBe('passed');
    const preview = await previewBackup(file, PASSPHRASE);
    expect(preview.folders[0]!.files.map((f) => f.path)).toEqual(['README.md', 'a/b/ünï.txt', 'bin/tool']);
    const target = path.join(work, 'format-1-restored');
    const result = await restoreFiles(spec(file, { folder: target }), testContext());
    expect(result.counts.create).toBe(3);
    for (const [rel, content] of Object.entries(files)) {
      expect(fs.readFileSync(path.join(target, rel), 'utf8')).toBe(content);
      expect(fs.statSync(path.join(target, rel)).mtimeMs).toBe(mtimeMs);
    }
    // format 1 records no owner: setuid is left out, and the restore says so
    expect(fs.statSync(path.join(target, 'bin/tool')).mode & 0o7777).toBe(0o755);
    expect(result.items.find((i) => i.path === 'bin/tool')!.reason).toMatch(/setuid bit not restored/);
  });

  it('a format 2 backup whose last file is damaged leaves nothing of its folders, links or FIFOs in the target', async () => {
    const backupId = crypto.randomUUID();
    const file = path.join(work, 'crafted', 'last-bad-v2.lifeboat');
    const writer = await ArchiveWriter.create({ finalPath: file, backupId, appVersion: 'test', passphrase: PASSPHRASE, compressionLevel: 1, ...FAST_CONTAINER });
    const manifest = manifestOf(backupId, 2, path.join(work, 'old-root'));
    const meta = { mtimeMs: 0, mtimeNs: '0', uid: 0, gid: 0 };
    const good = await writer.addStream('folders/f1/0', Readable.from([Buffer.from('good\n')]));
    const bad = await writer.addStream('folders/f1/1', Readable.from([Buffer.from('bad\n')]));
    const raw = (p: string) => b(p).toString('base64');
    manifest.entries.push(
      { name: 'folders/f1/0', kind: 'file', sourceId: 'f1', ...good, mode: 0o644, path: 'ro/good.txt', rawPath: raw('ro/good.txt'), ...meta },
      { name: 'folders/f1/1', kind: 'file', sourceId: 'f1', ...bad, sha256: 'f'.repeat(64), mode: 0o644, path: 'z-bad.txt', rawPath: raw('z-bad.txt'), ...meta },
    );
    const folder = manifest.sources[0] as ManifestFolderSource;
    folder.files = 2;
    folder.nodes = [
      { type: 'dir', path: 'ro', rawPath: raw('ro'), mode: 0o555, ...meta },
      { type: 'dir', path: 'empty', rawPath: raw('empty'), mode: 0o700, ...meta },
      { type: 'symlink', path: 'ro/link', rawPath: raw('ro/link'), mode: 0o777, target: raw('good.txt'), ...meta },
      { type: 'hardlink', path: 'hard', rawPath: raw('hard'), mode: 0o644, linkTo: raw('ro/good.txt'), ...meta },
      { type: 'fifo', path: 'pipe', rawPath: raw('pipe'), mode: 0o600, ...meta },
    ];
    await writer.finish(manifest);
    const target = path.join(work, 'last-bad-v2-target');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'mine.txt'), 'mine\n');
    const error = await appError(restoreFiles(spec(file, { folder: target }), testContext()));
    expect(error.code).toBe('FILE_CORRUPT');
    expect(fs.readdirSync(target)).toEqual(['mine.txt']);
  });

  it('a crafted format 2 backup with a file below one of its own symbolic links: verify fails, restore refuses, nothing is written anywhere', async () => {
    const backupId = crypto.randomUUID();
    const file = path.join(work, 'crafted', 'through-link.lifeboat');
    const writer = await ArchiveWriter.create({ finalPath: file, backupId, appVersion: 'test', passphrase: PASSPHRASE, compressionLevel: 1, ...FAST_CONTAINER });
    const manifest = manifestOf(backupId, 2, path.join(work, 'old-root'));
    const escape = path.join(work, 'escape-dir');
    fs.mkdirSync(escape);
    const content = Buffer.from('pwned\n');
    const added = await writer.addStream('folders/f1/0', Readable.from([content]));
    const meta = { mtimeMs: 0, mtimeNs: '0', uid: 0, gid: 0 };
    manifest.entries.push({ name: 'folders/f1/0', kind: 'file', sourceId: 'f1', ...added, mode: 0o644, path: 'link/evil.txt', rawPath: b('link/evil.txt').toString('base64'), ...meta });
    const folder = manifest.sources[0] as ManifestFolderSource;
    folder.files = 1;
    folder.nodes = [{ type: 'symlink', path: 'link', rawPath: b('link').toString('base64'), mode: 0o777, target: b(escape).toString('base64'), ...meta }];
    await writer.finish(manifest);

    const report = await verifyBackupFile(file, PASSPHRASE);
    expect(report.errorCode).toBe('UNSAFE_PATH');
    expect(report.reasons.join('\n')).toMatch(/link\/evil\.txt.*below "link", which the backup records as a symbolic link/);
    const target = path.join(work, 'through-link-target');
    const error = await appError(restoreFiles(spec(file, { folder: target }), testContext()));
    expect(error.code).toBe('UNSAFE_PATH');
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readdirSync(escape)).toEqual([]);
  });

  const meta3 = { mtimeMs: 0, mtimeNs: '0', uid: 0, gid: 0 };
  const fileRecord = (n: number, rel: string): FolderIndexRecord => ({
    file: { name: `folders/f1/${n}`, kind: 'file', sourceId: 'f1', size: 0, sha256: '', mode: 0o644, path: rel, rawPath: b(rel).toString('base64'), ...meta3 },
  });

  /**
   * A format 3 backup of `records` (its folder index, as a run writes it), with `content` stored
   * for each file record; `edit` changes a record after its entry is stored, `extra` records are
   * only in the index.
   */
  async function indexedBackup(
    name: string,
    records: FolderIndexRecord[],
    content: Buffer,
    after: { edit?: (record: FolderIndexRecord) => FolderIndexRecord; extra?: FolderIndexRecord[]; records?: number } = {},
  ): Promise<string> {
    const backupId = crypto.randomUUID();
    const file = path.join(work, 'crafted', `${name}.lifeboat`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const writer = await ArchiveWriter.create({ finalPath: file, backupId, appVersion: 'test', passphrase: PASSPHRASE, compressionLevel: 1, ...FAST_CONTAINER });
    const manifest = manifestOf(backupId, 3, path.join(work, 'old-root'));
    const index = await FolderIndexWriter.create(path.join(work, 'crafted'), writer.codec);
    const listed: FolderIndexRecord[] = [];
    for (const record of records) {
      if ('file' in record) Object.assign(record.file, await writer.addStream(record.file.name, Readable.from([content])));
      listed.push(after.edit ? after.edit(record) : record);
    }
    listed.push(...(after.extra ?? []));
    for (const record of listed) await index.add(record);
    const added = await index.writeInto(writer, 'folders/f1.index');
    await index.close();
    const folder = manifest.sources[0] as ManifestFolderSource;
    folder.files = listed.filter((r) => 'file' in r).length;
    folder.index = { entry: added.name, records: after.records ?? listed.length };
    manifest.entries.push({ name: added.name, kind: 'folder-index', sourceId: 'f1', size: added.size, sha256: added.sha256 });
    await writer.finish(manifest);
    return file;
  }

  it('a crafted format 3 backup (items in its folder index) with a file below a link and a hard link to nothing: verify names both, restore refuses, nothing is written', async () => {
    const meta = meta3;
    const escape = path.join(work, 'escape-dir-3');
    fs.mkdirSync(escape);
    const file = await indexedBackup(
      'indexed-through-link',
      [
        fileRecord(0, 'fine.txt'),
        { node: { type: 'symlink', path: 'link', rawPath: b('link').toString('base64'), mode: 0o777, target: b(escape).toString('base64'), ...meta } },
        { node: { type: 'hardlink', path: 'orphan', rawPath: b('orphan').toString('base64'), mode: 0o644, linkTo: b('gone.txt').toString('base64'), ...meta } },
        { node: { type: 'hardlink', path: 'twin', rawPath: b('twin').toString('base64'), mode: 0o644, linkTo: b('fine.txt').toString('base64'), ...meta } },
        fileRecord(1, 'link/evil.txt'),
      ],
      Buffer.from('pwned\n'),
    );
    const report = await verifyBackupFile(file, PASSPHRASE);
    expect(report.status).toBe('failed');
    expect(report.errorCode).toBe('UNSAFE_PATH');
    expect(report.reasons).toEqual([
      `${path.join(work, 'old-root')}: "orphan" cannot be restored: a hard link to a file the backup does not hold.`,
      `${path.join(work, 'old-root')}: "link/evil.txt" cannot be restored: below "link", which the backup records as a symbolic link; a restore never writes through one.`,
    ]);
    // every entry was still checked against its record, the file count against the manifest's
    expect(report.checks).toEqual(expect.arrayContaining(['3 entries match their SHA-256', 'manifest consistent']));
    const target = path.join(work, 'indexed-through-link-target');
    const error = await appError(restoreFiles(spec(file, { folder: target }), testContext()));
    expect(error.code).toBe('UNSAFE_PATH');
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readdirSync(escape)).toEqual([]);
  });

  it('a format 3 backup whose index lists a file the archive lacks, or a file with another hash, fails verify naming the entries', async () => {
    const ghost: FolderIndexRecord = {
      file: { name: 'folders/f1/9', kind: 'file', sourceId: 'f1', size: 2, sha256: 'e'.repeat(64), mode: 0o644, path: 'ghost.txt', rawPath: b('ghost.txt').toString('base64'), ...meta3 },
    };
    const file = await indexedBackup('indexed-bad-entries', [fileRecord(0, 'a.txt'), fileRecord(1, 'b.txt')], Buffer.from('a\n'), {
      edit: (r) => ('file' in r && r.file.path === 'a.txt' ? { file: { ...r.file, sha256: 'f'.repeat(64) } } : r),
      extra: [ghost],
    });
    const report = await verifyBackupFile(file, PASSPHRASE);
    expect(report.status).toBe('failed');
    expect(report.errorCode).toBe('FILE_CORRUPT');
    expect(report.reasons).toEqual([
      'Entry folders/f1/0 does not match its size and SHA-256 in the manifest.',
      'Entry folders/f1/9 is in the manifest but not in the archive.',
    ]);
    // an index that does not hold what its manifest entry says (a record dropped, here) fails too
    const short = await indexedBackup('indexed-short', [fileRecord(0, 'a.txt')], Buffer.from('a\n'), { records: 2 });
    const shortReport = await verifyBackupFile(short, PASSPHRASE);
    expect(shortReport.errorCode).toBe('FILE_CORRUPT');
    expect(shortReport.reasons).toHaveLength(1);
    expect(shortReport.reasons[0]).toContain(`(the index of ${path.join(work, 'old-root')} does not match its manifest entry)`);
  });
});
