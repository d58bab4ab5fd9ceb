/**
 * The folder side of a backup with real files: the method each file is stored with, multi-block
 * entries, zstd (written with Debian's zstd tool where Node 20 has no encoder, read with the
 * Node 20 decoder), the folder index (format 3) and an incremental that does not read what did
 * not change.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { runBackup, type BackupSpec } from '../../../src/main/core/backup/run-backup';
import { openBaseBackup, walkOrder } from '../../../src/main/core/backup/base-index';
import { BackupReader, readManifest } from '../../../src/main/core/archive/reader';
import { METHOD_ZSTD } from '../../../src/main/core/archive/zip-writer';
import type { BlockCodec } from '../../../src/main/core/archive/codecs';
import { dosDateTime } from '../../../src/main/core/archive/zip-writer';
import { walkFolder } from '../../../src/main/core/folders/walk';
import { verifyBackupFile } from '../../../src/main/core/verify/verify-backup';
import { makeBackupLocator } from '../../../src/main/core/restore/locate';
import { restoreFiles } from '../../../src/main/core/restore/restore-files';
import { filesTargetSchema } from '../../../src/shared/restore';
import type { ManifestFolderSource } from '../../../src/shared/manifest';
import { makeTempDir } from '../../support/temp-core';

const PASS = 'pipeline passphrase';
const FAST = { chunkSize: 256 * 1024, kdf: { name: 'argon2id', m: 64, t: 1, p: 1 } } as const;
const MiB = 1024 * 1024;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = makeTempDir();
  dirs.push(dir);
  return dir;
}

/** Text that compresses well, `bytes` long, different per seed. */
function text(bytes: number, seed: string): Buffer {
  const line = Buffer.from(`${seed}: the quick brown fox jumps over the lazy dog 0123456789\n`);
  return Buffer.alloc(bytes, line);
}

function spec(root: string, out: string, over: Partial<BackupSpec> = {}): BackupSpec {
  return {
    backupId: `b-${crypto.randomUUID()}`,
    plan: null,
    type: 'full',
    base: null,
    destination: out,
    fileStem: `t-${crypto.randomUUID()}`,
    compressionLevel: 3,
    passphrase: PASS,
    databases: [],
    folders: [{ id: 'f1', path: root, excludes: [] }] as BackupSpec['folders'],
    appVersion: 'test',
    retries: { count: 0, backoffSeconds: 1 },
    containerOptions: FAST,
    ...over,
  };
}

const job = () => ({ jobId: 'j', signal: new AbortController().signal, progress: () => undefined, setTempPath: () => undefined });

async function entryBytes(file: string, name: string): Promise<Buffer> {
  const reader = await BackupReader.open(file, PASS);
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await reader.openEntry(name)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } finally {
    await reader.close();
  }
}

/** A zstd codec made of Debian's zstd tool: Node 20's zlib cannot write zstd, Electron's can. */
const zstdTool: BlockCodec = {
  method: METHOD_ZSTD,
  compress: (block) => Promise.resolve(execFileSync('zstd', ['-q', '-c', '-3'], { input: block, maxBuffer: 64 * MiB })),
};

describe('the folder pipeline', () => {
  it('stores each file with the method that pays, records it, and reads every one back byte for byte', async () => {
    const root = tempDir();
    const out = tempDir();
    const files: Record<string, Buffer> = {
      'notes.txt': text(200_000, 'notes'),
      // over 1 MiB: compressed in independent blocks that read back as one stream
      'big/log-archive.txt': text(3 * MiB + 12_345, 'big'),
      'random.bin': crypto.randomBytes(2 * MiB + 7),
      // compressible content, but the name says compressed: stored without a trial
      'photo.jpg': text(50_000, 'photo'),
      'tiny.txt': Buffer.from('ten bytes!'),
      'empty': Buffer.alloc(0),
    };
    for (const [rel, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), content);
    }
    const result = await runBackup(spec(root, out), job());
    expect(result.status, result.displayMessage ?? undefined).toBe('success');
    expect(result.bytesIn).toBe(Object.values(files).reduce((n, b) => n + b.length, 0));

    const manifest = await readManifest(result.filePath!, PASS);
    expect(manifest.format).toBe(3);
    const folder = manifest.sources[0] as ManifestFolderSource;
    expect(folder.index).toEqual({ entry: 'folders/f1.index', records: 7 });
    const method = (rel: string) => manifest.entries.find((e) => e.path === rel)!.method;
    expect(method('notes.txt')).toBe('deflate');
    expect(method('big/log-archive.txt')).toBe('deflate');
    expect(method('random.bin')).toBe('stored');
    expect(method('photo.jpg')).toBe('stored');
    expect(method('tiny.txt')).toBe('stored');
    expect(method('empty')).toBe('stored');
    expect(folder.nodes!.map((n) => [n.type, n.path])).toEqual([['dir', 'big']]);
    for (const [rel, content] of Object.entries(files)) {
      const entry = manifest.entries.find((e) => e.path === rel)!;
      expect(entry.sha256).toBe(crypto.createHash('sha256').update(content).digest('hex'));
      expect((await entryBytes(result.filePath!, entry.name)).equals(content), rel).toBe(true);
    }
    // compressible data shrank: the file is far smaller than the bytes backed up
    expect(result.sizeBytes).toBeLessThan(result.bytesIn! / 2);
    const report = await verifyBackupFile(result.filePath!, PASS);
    expect(report.status, report.reasons.join('; ')).toBe('passed');
  });

  it('writes zstd entries (one frame per block) that Node 20 reads and verifies', async () => {
    const root = tempDir();
    const out = tempDir();
    const small = text(100_000, 'small');
    const large = text(2 * MiB + 100, 'large');
    fs.writeFileSync(path.join(root, 'small.txt'), small);
    fs.writeFileSync(path.join(root, 'large.txt'), large);
    const result = await runBackup(spec(root, out, { containerOptions: { ...FAST, codec: zstdTool } }), job());
    expect(result.status, result.displayMessage ?? undefined).toBe('success');
    const manifest = await readManifest(result.filePath!, PASS);
    for (const [rel, content] of [['small.txt', small], ['large.txt', large]] as const) {
      const entry = manifest.entries.find((e) => e.path === rel)!;
      expect(entry.method).toBe('zstd');
      expect((await entryBytes(result.filePath!, entry.name)).equals(content)).toBe(true);
    }
    // the index and the manifest itself are zstd too
    const reader = await BackupReader.open(result.filePath!, PASS);
    try {
      expect(reader.entries.get('folders/f1.index')!.compressionMethod).toBe(METHOD_ZSTD);
      expect(reader.entries.get(manifest.entries.find((e) => e.path === 'large.txt')!.name)!.compressionMethod).toBe(METHOD_ZSTD);
    } finally {
      await reader.close();
    }
    const report = await verifyBackupFile(result.filePath!, PASS);
    expect(report.status, report.reasons.join('; ')).toBe('passed');
  });

  it('a tree of zstd files restores byte for byte where the runtime cannot decompress zstd in the stager (decoded on the main thread)', async () => {
    const root = tempDir();
    const out = tempDir();
    const files = Array.from({ length: 40 }, (_, i) => [`d${i % 3}/f${i}.txt`, text(500 + i * 37, `f${i}`)] as const);
    for (const [rel, content] of files) {
      fs.mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), content);
    }
    const result = await runBackup(spec(root, out, { containerOptions: { ...FAST, codec: zstdTool } }), job());
    expect(result.status, result.displayMessage ?? undefined).toBe('success');
    const target = tempDir();
    await restoreFiles(
      { filePath: result.filePath!, passphrase: PASS, target: filesTargetSchema.parse({ folder: target }), locate: makeBackupLocator(result.filePath!, () => null) },
      job(),
    );
    for (const [rel, content] of files) expect(fs.readFileSync(path.join(target, rel)).equals(content), rel).toBe(true);
  });

  it('concatenated deflate blocks are one raw deflate stream that any inflater reads', async () => {
    const { deflateCodec } = await import('../../../src/main/core/archive/codecs');
    const codec = deflateCodec(6);
    const blocks = [text(MiB, 'a'), crypto.randomBytes(MiB), text(1000, 'c')];
    const parts = await Promise.all(blocks.map((b, i) => codec.compress(b, i === blocks.length - 1)));
    expect(zlib.inflateRawSync(Buffer.concat(parts)).equals(Buffer.concat(blocks))).toBe(true);
    // a file whose size is a whole number of blocks ends with an empty final block
    const whole = [await codec.compress(text(MiB, 'd'), false), await codec.compress(Buffer.alloc(0), true)];
    expect(zlib.inflateRawSync(Buffer.concat(whole)).equals(text(MiB, 'd'))).toBe(true);
  });

  it('an incremental keeps a file of the same size and mtime without reading it, and stores what changed', async () => {
    const root = tempDir();
    const out = tempDir();
    fs.mkdirSync(path.join(root, 'sub'));
    fs.writeFileSync(path.join(root, 'same.txt'), 'original content');
    // a whole second: utimes can set it again exactly (it cannot set nanoseconds)
    fs.utimesSync(path.join(root, 'same.txt'), 1_700_000_000, 1_700_000_000);
    fs.writeFileSync(path.join(root, 'grown.txt'), 'short');
    fs.writeFileSync(path.join(root, 'sub', 'gone.txt'), 'deleted later');
    fs.writeFileSync(path.join(root, 'sub', 'kept.bin'), crypto.randomBytes(5000));
    const full = await runBackup(spec(root, out), job());
    expect(full.status).toBe('success');

    // same size and mtime, other bytes: only reading it could tell, and an incremental must not read it
    const same = path.join(root, 'same.txt');
    fs.writeFileSync(same, 'ORIGINAL CONTENT');
    fs.utimesSync(same, 1_700_000_000, 1_700_000_000);
    fs.writeFileSync(path.join(root, 'grown.txt'), 'a longer content now');
    fs.rmSync(path.join(root, 'sub', 'gone.txt'));
    fs.writeFileSync(path.join(root, 'sub', 'added.txt'), 'new');

    const base = await openBaseBackup(full.filePath!, PASS);
    const inc = await runBackup(spec(root, out, { type: 'incremental', base }), job());
    expect(inc.status, inc.displayMessage ?? undefined).toBe('success');
    const manifest = await readManifest(inc.filePath!, PASS);
    expect(manifest.type).toBe('incremental');
    expect(manifest.baseBackupId).toBe(full.manifest!.backupId);
    const folder = manifest.sources[0] as ManifestFolderSource;
    expect(manifest.entries.filter((e) => e.kind === 'file').map((e) => e.path).sort()).toEqual(['grown.txt', 'sub/added.txt']);
    expect(folder.unchanged.map((u) => [u.path, u.storedIn])).toEqual([
      ['same.txt', full.manifest!.backupId],
      ['sub/kept.bin', full.manifest!.backupId],
    ]);
    expect(inc.sources?.[0]?.message).toContain('2 unchanged files kept in the base backup');
  });

  it('records the tree it found (files stored or unchanged, hard links once); the next incremental takes its totals from it instead of walking twice', async () => {
    const root = tempDir();
    const out = tempDir();
    fs.writeFileSync(path.join(root, 'a.txt'), 'aaaa');
    fs.writeFileSync(path.join(root, 'b.bin'), crypto.randomBytes(3000));
    fs.linkSync(path.join(root, 'b.bin'), path.join(root, 'b-link.bin'));
    fs.mkdirSync(path.join(root, 'sub'));
    fs.writeFileSync(path.join(root, 'sub', 'c.txt'), 'c'.repeat(500));
    const full = await runBackup(spec(root, out), job());
    expect(full.status).toBe('success');
    const tree = (m: { sources: unknown[] }) => (m.sources[0] as ManifestFolderSource).tree;
    expect(tree(await readManifest(full.filePath!, PASS))).toEqual({ files: 3, bytes: 4 + 3000 + 500 });

    fs.writeFileSync(path.join(root, 'sub', 'd.txt'), 'new file');
    const totals: { bytesTotal?: number; filesTotal?: number }[] = [];
    const watched = { ...job(), progress: (p: { bytesTotal?: number; filesTotal?: number }) => void totals.push(p) };
    const base = await openBaseBackup(full.filePath!, PASS);
    expect(base.trees.get('f1')).toMatchObject({ files: 3, bytes: 3504 });
    const inc = await runBackup(spec(root, out, { type: 'incremental', base }), watched);
    expect(inc.status).toBe('success');
    // the base's tree (3 files, 3504 bytes), not a walk of today's (4 files): no second walk
    expect(Math.max(...totals.map((t) => t.bytesTotal ?? 0))).toBe(3504);
    expect(Math.max(...totals.map((t) => t.filesTotal ?? 0))).toBe(3);
    // the incremental records today's tree: the unchanged files and the new one
    expect(tree(await readManifest(inc.filePath!, PASS))).toEqual({ files: 4, bytes: 3504 + 8 });

    // other excludes: not the same tree, so it is walked
    const totals2: number[] = [];
    const base2 = await openBaseBackup(inc.filePath!, PASS);
    const other = spec(root, out, { type: 'incremental', base: base2, folders: [{ id: 'f1', path: root, excludes: ['sub'] }] as BackupSpec['folders'] });
    await runBackup(other, { ...job(), progress: (p: { bytesTotal?: number }) => void totals2.push(p.bytesTotal ?? 0) });
    expect(Math.max(...totals2)).toBe(3004);
  });

  it('walkOrder is the order the walk yields, whatever the names', async () => {
    const root = tempDir();
    for (const rel of ['a/b/c', 'a-b/x', 'a.b/y', 'a/z', 'b', 'a0', 'A/q', 'a/b-c/d', 'a/b/c2/e']) {
      fs.mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), rel);
    }
    const walked: Buffer[] = [];
    for await (const item of walkFolder(root, [])) walked.push(item.raw);
    const sorted = [...walked].sort(walkOrder);
    expect(sorted.map(String)).toEqual(walked.map(String));
    expect(walked.length).toBe(9 + 7);
  });

  it('dates before 1980 are stored as 1980-01-01 (the earliest a zip date can say)', () => {
    expect(dosDateTime(new Date(1970, 0, 1))).toEqual(dosDateTime(new Date(1980, 0, 1)));
    const d = dosDateTime(new Date(2026, 11, 1, 20, 38, 15));
    expect(d.date).toBe(((2026 - 1980) << 9) | (12 << 5) | 1);
    expect(d.time).toBe((20 << 11) | (38 << 5) | 7);
  });
});
