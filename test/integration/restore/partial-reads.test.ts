/**
 * A restore of a few files reads only the chunks that hold them (with the header, the zip's
 * directory, the manifest and the final chunk), and still proves what it restores: damage in a
 * chunk a restored file uses is FILE_CORRUPT with the target unchanged, while damage in a chunk
 * it does not use no longer stops it (verify still fails that file); a file the catalog knows is
 * identified by the backup id its header names (encrypted) or its whole-file SHA-256
 * (unencrypted); a combined restore can have the contents checked before anything is written;
 * and a whole tree staged several files at once is still all or nothing.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupReader } from '../../../src/main/core/archive/reader';
import { prepareFileRestore, restoreFiles, writePreparedFiles } from '../../../src/main/core/restore/restore-files';
import { verifyBackupFile } from '../../../src/main/core/verify/verify-backup';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { FAST_CONTAINER, PASSPHRASE, appError, backupNow, craftBackup, filesSpec, headerBytes, planInput, savePlan, sha256, snapshotTree, testContext, truncatedCopy, writeAt } from './support';

let work: string;
let source: string;
let core: ReturnType<typeof makeTestCore>;
let backupFile: string;
let backupJobId: string;
/** the chunk (payload index) the damage goes into: inside big.bin's data, shared with no other file */
let damagedChunk: number;
let damagedFile: string;

const TAG = 16;



/** The payload chunks [first, last] an entry's local header and data lie in (from the zip's directory). */
async function chunksOf(file: string, name: string): Promise<{ first: number; last: number; chunkSize: number }> {
  const reader = await BackupReader.open(file, PASSPHRASE);
  try {
    const entry = reader.entries.get(name)!;
    const { chunkSize } = reader.container.header;
    const start = entry.relativeOffsetOfLocalHeader;
    // local header (30 bytes) + name + extra field: at most a few hundred bytes more than the directory's
    const end = start + 30 + entry.fileName.length + 512 + entry.compressedSize;
    return { first: Math.floor(start / chunkSize), last: Math.floor(end / chunkSize), chunkSize };
  } finally {
    await reader.close();
  }
}

/** A copy of `file` with one bit flipped in the middle of sealed chunk `index`. */
function copyWithChunkDamaged(file: string, out: string, index: number, chunkSize: number): void {
  const data = fs.readFileSync(file);
  const at = headerBytes(file) + index * (chunkSize + TAG) + Math.floor(chunkSize / 2);
  data[at] = data[at]! ^ 0x10;
  fs.writeFileSync(out, data);
}

/** The names of the entries of the files below folder `f1`, as the engine names them. */
async function entryNameOf(file: string, rel: string): Promise<string> {
  const reader = await BackupReader.open(file, PASSPHRASE);
  try {
    const manifest = await reader.readManifest();
    const entry = manifest.entries.find((e) => e.kind === 'file' && (e.path === rel || e.name.endsWith(`/${rel}`)));
    expect(entry, rel).toBeDefined();
    return entry!.name;
  } finally {
    await reader.close();
  }
}


beforeAll(async () => {
  work = makeTempDir('lifeboat-partial-reads-');
  source = path.join(work, 'source');
  writeAt(source, 'a-small.txt', 'a small file\n');
  // random, so it is stored about as large: it fills several 64 KiB chunks of its own
  writeAt(source, 'big.bin', crypto.randomBytes(400_000));
  for (let i = 0; i < 40; i++) writeAt(source, `many/f${String(i).padStart(3, '0')}.txt`, `file ${i}\n`.repeat(50 + i));
  core = makeTestCore({ containerOptions: FAST_CONTAINER });
  const plan = await savePlan(core, planInput({ name: 'Partial', folders: [{ id: 'f1', path: source }], destination: path.join(work, 'backups') }), { passphrase: PASSPHRASE });
  const job = await backupNow(core, plan);
  backupFile = job.filePath!;
  backupJobId = job.id;

  const big = await chunksOf(backupFile, await entryNameOf(backupFile, 'big.bin'));
  const small = await chunksOf(backupFile, await entryNameOf(backupFile, 'a-small.txt'));
  // a chunk strictly inside big.bin's data: no other entry starts or ends in it
  damagedChunk = big.first + 2;
  expect(damagedChunk).toBeLessThan(big.last);
  expect(damagedChunk < small.first || damagedChunk > small.last).toBe(true);
  damagedFile = path.join(work, 'damaged.lifeboat');
  copyWithChunkDamaged(backupFile, damagedFile, damagedChunk, big.chunkSize);
});

afterAll(async () => {
  await core?.cleanup();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('a restore of a few files reads only what it needs', () => {
  it('the intact backup restores the whole tree byte for byte, modes and mtimes included (files staged several at once)', async () => {
    const target = path.join(work, 'whole');
    const result = await restoreFiles(filesSpec(backupFile, { folder: target }), testContext());
    expect(result.counts.create).toBe(42);
    expect(snapshotTree(target)).toEqual(snapshotTree(source));
    expect(fs.readdirSync(target).sort()).toEqual(['a-small.txt', 'big.bin', 'many']);
  });

  it('damage in a chunk no restored file uses: the chosen file is restored intact (verify still fails the backup)', async () => {
    expect((await verifyBackupFile(damagedFile, PASSPHRASE)).errorCode).toBe('FILE_CORRUPT');
    const target = path.join(work, 'other-chunk');
    const result = await restoreFiles(filesSpec(damagedFile, { folder: target, paths: ['a-small.txt', 'many'] }), testContext());
    expect(result.counts.create).toBe(41);
    const tree = snapshotTree(target);
    const expected = snapshotTree(source);
    delete expected['big.bin'];
    expect(tree).toEqual(expected);
  });

  it('damage in a chunk a restored file uses: FILE_CORRUPT, and the target is as it was', async () => {
    for (const [i, paths] of [['big.bin'], undefined].entries()) {
      const target = path.join(work, `same-chunk-${i}`);
      writeAt(target, 'big.bin', 'local version\n');
      writeAt(target, 'many/f000.txt', 'local too\n');
      const before = snapshotTree(target);
      const error = await appError(restoreFiles(filesSpec(damagedFile, { folder: target, conflict: 'overwrite', ...(paths ? { paths } : {}) }), testContext()));
      expect(error.code).toBe('FILE_CORRUPT');
      expect(error.message).toContain(`chunk ${damagedChunk}`);
      expect(snapshotTree(target)).toEqual(before);
      expect(fs.readdirSync(target).sort()).toEqual(['big.bin', 'many']);
    }
  });

  it('checkContentsFirst (a combined restore) finds that damage while preparing; without it, preparing reads no file content', async () => {
    const target = path.join(work, 'contents-first');
    const early = await appError(prepareFileRestore(filesSpec(damagedFile, { folder: target, paths: ['big.bin'] }, { checkContentsFirst: true }), testContext()));
    expect(early.code).toBe('FILE_CORRUPT');
    expect(fs.existsSync(target)).toBe(false);

    const prepared = await prepareFileRestore(filesSpec(damagedFile, { folder: target, paths: ['big.bin'] }), testContext());
    try {
      const late = await appError(writePreparedFiles(prepared, testContext()));
      expect(late.code).toBe('FILE_CORRUPT');
    } finally {
      await prepared.close();
    }
    // the folder made for the restore is removed again with its staging folder
    expect(fs.existsSync(target)).toBe(false);
  });

  it('a one-file restore still refuses a truncated file and a wrong passphrase, with nothing written', async () => {
    const cases = [
      { make: (out: string) => truncatedCopy(backupFile, out, 0.97), passphrase: PASSPHRASE, code: 'FILE_TRUNCATED' },
      { make: (out: string) => fs.writeFileSync(out, fs.readFileSync(backupFile).subarray(0, fs.statSync(backupFile).size - 1)), passphrase: PASSPHRASE, code: 'FILE_TRUNCATED' },
      { make: (out: string) => fs.copyFileSync(backupFile, out), passphrase: 'not the passphrase', code: 'WRONG_PASSPHRASE' },
    ];
    for (const [i, c] of cases.entries()) {
      const bad = path.join(work, `one-file-bad-${i}.lifeboat`);
      c.make(bad);
      const target = path.join(work, `one-file-bad-target-${i}`);
      const error = await appError(restoreFiles(filesSpec(bad, { folder: target, paths: ['a-small.txt'] }, { passphrase: c.passphrase }), testContext()));
      expect(error.code, `case ${i}`).toBe(c.code);
      expect(fs.existsSync(target)).toBe(false);
    }
  });
});

describe('a file the catalog knows', () => {
  it('encrypted: identified by the backup id in its header, not by reading it whole', async () => {
    const target = path.join(work, 'by-id');
    const wrong = await appError(
      restoreFiles(filesSpec(backupFile, { folder: target, paths: ['a-small.txt'] }, { expected: { backupId: crypto.randomUUID(), encrypted: true } }), testContext()),
    );
    expect(wrong.code).toBe('CHECKSUM_MISMATCH');
    expect(wrong.message).toContain(backupJobId);
    expect(fs.existsSync(target)).toBe(false);
    // the catalog's whole-file hash is not what identifies an encrypted file (its backup id is)
    const result = await restoreFiles(
      filesSpec(backupFile, { folder: target, paths: ['a-small.txt'] }, { expected: { backupId: backupJobId, encrypted: true, sha256: 'f'.repeat(64) } }),
      testContext(),
    );
    expect(result.counts.create).toBe(1);
    expect(fs.readFileSync(path.join(target, 'a-small.txt'), 'utf8')).toBe('a small file\n');
  });

  it('unencrypted: its backup id proves nothing (anyone can write one), so its whole-file SHA-256 must match', async () => {
    const { file, backupId } = await craftBackup(path.join(work, 'crafted', 'plain.lifeboat'), { passphrase: null, root: source, files: [{ rel: 'a-small.txt', content: Buffer.from('forged\n') }] });
    const target = path.join(work, 'plain-target');
    const error = await appError(
      restoreFiles(filesSpec(file, { folder: target }, { passphrase: null, expected: { backupId, sha256: 'f'.repeat(64) } }), testContext()),
    );
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(fs.existsSync(target)).toBe(false);
    const result = await restoreFiles(filesSpec(file, { folder: target }, { passphrase: null, expected: { backupId, sha256: sha256(fs.readFileSync(file)) } }), testContext());
    expect(result.counts.create).toBe(1);
  });
});

describe('staging several files at once is still all or nothing', () => {
  it('a bad file among many in flight: FILE_CORRUPT, nothing of the restore left (no file, no folder, no staging folder)', async () => {
    const files: { rel: string; content: Buffer; sha256?: string }[] = Array.from({ length: 60 }, (_, i) => ({
      rel: `d${i % 3}/f${String(i).padStart(2, '0')}.txt`,
      content: Buffer.from(`content ${i}\n`.repeat(200)),
    }));
    files[31] = { ...files[31]!, sha256: 'f'.repeat(64) };
    const { file } = await craftBackup(path.join(work, 'crafted', 'many.lifeboat'), { passphrase: PASSPHRASE, root: source, files });
    const target = path.join(work, 'many-target');
    writeAt(target, 'keep.txt', 'mine\n');
    const before = snapshotTree(target);
    const error = await appError(restoreFiles(filesSpec(file, { folder: target }), testContext()));
    expect(error.code).toBe('FILE_CORRUPT');
    expect(error.message).toContain(files[31]!.rel);
    expect(snapshotTree(target)).toEqual(before);
    expect(fs.readdirSync(target)).toEqual(['keep.txt']);
  });

  it('a cancel while files are in flight: CANCELLED, nothing of the restore left', async () => {
    const controller = new AbortController();
    const target = path.join(work, 'cancelled');
    let files = 0;
    const ctx = testContext(controller.signal, (update) => {
      if (update.filesDone !== undefined) files = update.filesDone;
      if (files >= 5) controller.abort();
    });
    const error = await appError(restoreFiles(filesSpec(backupFile, { folder: target }), ctx));
    expect(error.code).toBe('CANCELLED');
    expect(files).toBeGreaterThanOrEqual(5);
    expect(fs.existsSync(target)).toBe(false);
  });
});
