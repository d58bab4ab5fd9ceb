/**
 * File restores from real backups made by the engine: whole tree and selected paths, to another
 * folder and to the original place, each conflict policy, modes and mtimes, incremental chains
 * (bases found in the catalog or next to the file), path traversal refused before anything is
 * written, damaged files refused with the target unchanged, and import / catalog rebuild.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupReader, readManifest } from '../../../src/main/core/archive/reader';
import { ArchiveWriter } from '../../../src/main/core/archive/writer';
import { ImportedBackupsRepo } from '../../../src/main/core/catalog/restores-repo';
import { SealStream } from '../../../src/main/core/crypto/container';
import { makeBackupLocator } from '../../../src/main/core/restore/locate';
import { planFileRestore } from '../../../src/main/core/restore/plan-files';
import { restoreFiles, type FilesRestoreSpec } from '../../../src/main/core/restore/restore-files';
import { verifyBackupFile } from '../../../src/main/core/verify/verify-backup';
import type { Plan } from '../../../src/shared/plan';
import { filesTargetSchema, type FilesTargetInput } from '../../../src/shared/restore';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import {
  FAST_CONTAINER,
  HELD_ITEMS_UNDER_TEST,
  PASSPHRASE,
  appError,
  backupNow,
  finished,
  flippedCopy,
  handMadeManifest,
  invoke,
  planInput,
  savePlan,
  sha256,
  snapshotTree,
  testContext,
  truncatedCopy,
} from './support';

let work: string;
let source: string;
let core: ReturnType<typeof makeTestCore>;
let plan: Plan;
let backupFile: string;
let backupJobId: string;
const DAY = new Date('2026-11-24T10:00:00Z');

function write(root: string, rel: string, content: string | Buffer, opts: { mode?: number; mtime?: Date } = {}): void {
  const abs = path.join(root, ...rel.split('/'));
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
  if (opts.mode !== undefined) fs.chmodSync(abs, opts.mode);
  if (opts.mtime) fs.utimesSync(abs, opts.mtime, opts.mtime);
}

function spec(filePath: string, target: FilesTargetInput, overrides: Partial<FilesRestoreSpec> = {}): FilesRestoreSpec {
  return {
    filePath,
    passphrase: PASSPHRASE,
    target: filesTargetSchema.parse(target),
    locate: makeBackupLocator(filePath, (id) => core.jobs.get(id)?.filePath ?? null),
    heldItems: HELD_ITEMS_UNDER_TEST,
    now: DAY,
    ...overrides,
  };
}

/** The source tree as the backup holds it (the default excludes leave *.log out). */
function sourceTree() {
  const tree = snapshotTree(source);
  delete tree['server.log'];
  return tree;
}

beforeAll(async () => {
  work = makeTempDir('lifeboat-restore-files-');
  source = path.join(work, 'source');
  write(source, 'README.md', '# Project\n', { mode: 0o755 });
  write(source, 'notes/todo.txt', 'buy milk\n', { mode: 0o600 });
  write(source, 'a/b/c/deep.txt', 'deep inside\n'.repeat(300), { mtime: new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 500)) });
  write(source, 'a/b/sibling.csv', Array.from({ length: 500 }, (_, i) => `${i},${i * 3}`).join('\n'));
  write(source, 'bin/random.dat', crypto.randomBytes(200_000), { mode: 0o640 });
  write(source, 'empty.txt', '');
  write(source, 'ünïcødé 文件.txt', 'Grüße — 東京\n');
  write(source, 'archive.tar.gz', crypto.randomBytes(5000));
  write(source, 'server.log', 'GET / 200\n');
  core = makeTestCore({ containerOptions: FAST_CONTAINER });
  plan = await savePlan(core, planInput({ name: 'Files', folders: [{ id: 'docs', path: source }], destination: path.join(work, 'backups') }), {
    passphrase: PASSPHRASE,
  });
  const job = await backupNow(core, plan);
  backupFile = job.filePath!;
  backupJobId = job.id;
});

afterAll(async () => {
  await core?.cleanup();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('restore files', () => {
  it('restores the whole tree into another folder with contents, modes and mtimes (as a job)', async () => {
    const target = path.join(work, 'restored-whole');
    const preview = await invoke(core, 'restore/preview', { backupJobId, files: { folder: target } });
    expect(preview.folders[0]!.totalFiles).toBe(Object.keys(sourceTree()).length);
    expect(preview.files!.counts.create).toBe(Object.keys(sourceTree()).length);
    expect(preview.folders[0]!.dirs.find((d) => d.path === 'a/b')).toMatchObject({ files: 2 });
    expect(fs.existsSync(target)).toBe(false); // a preview writes nothing

    const { jobId } = await invoke(core, 'restore/start', { backupJobId, files: { folder: target } });
    const job = await finished(core, jobId);
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect(snapshotTree(target)).toEqual(sourceTree());
    expect(snapshotTree(target)['a/b/c/deep.txt']!.mtimeMs).toBe(Date.UTC(2020, 0, 2, 3, 4, 5, 500));
    expect(snapshotTree(target)['bin/random.dat']!.mode).toBe(0o640);
    // no temp file left next to the restored ones
    expect(fs.readdirSync(path.join(target, 'a/b')).sort()).toEqual(['c', 'sibling.csv']);
    const row = (await invoke(core, 'restore/list', {})).items.find((r) => r.jobId === jobId)!;
    expect(row).toMatchObject({ status: 'success', backupPath: backupFile, target: { files: { folder: target, conflict: 'skip' } } });
  });

  it('restores selected paths only, and refuses a path the backup does not hold without writing', async () => {
    const target = path.join(work, 'restored-some');
    const result = await restoreFiles(spec(backupFile, { folder: target, paths: ['a/b', 'README.md'] }), testContext());
    expect(Object.keys(snapshotTree(target)).sort()).toEqual(['README.md', 'a/b/c/deep.txt', 'a/b/sibling.csv']);
    expect(result.counts.create).toBe(3);

    const other = path.join(work, 'restored-none');
    const error = await appError(restoreFiles(spec(backupFile, { folder: other, paths: ['README.md', 'no/such/file'] }), testContext()));
    expect(error.code).toBe('RESTORE_SELECTION_MISSING');
    expect(error.message).toContain('no/such/file');
    expect(fs.existsSync(other)).toBe(false);
  });

  it('a plan replayed from an index that reads differently from one pass to the next fails (FILE_CORRUPT), never writes another plan', async () => {
    const reader = await BackupReader.open(backupFile, PASSPHRASE);
    try {
      const manifest = await reader.readManifest({ items: false });
      // the real reader, its index one record short from the third reading on (the check and
      // the decisions read it whole; the replay that stages would not)
      let reads = 0;
      const flaky = Object.create(reader) as BackupReader;
      flaky.folderIndexBatches = async function* (m, s) {
        const short = ++reads > 2;
        for await (const batch of reader.folderIndexBatches(m, s)) yield short ? batch.slice(1) : batch;
      };
      const target = filesTargetSchema.parse({ folder: path.join(work, 'never-written') });
      const plan = await planFileRestore(manifest, target, DAY, { reader: flaky, held: 0 });
      expect(plan.items.size).toBeGreaterThan(5);
      let seen = 0;
      const error = await appError(plan.items.replay((window) => void (seen += window.length)));
      expect(error.code).toBe('FILE_CORRUPT');
      expect(error.message).toContain('read differently');
      expect(seen).toBe(0);
      expect(fs.existsSync(path.join(work, 'never-written'))).toBe(false);
    } finally {
      await reader.close();
    }
  });

  it('restores to the original place: a deleted file comes back, the rest is left as it is', async () => {
    fs.rmSync(path.join(source, 'notes/todo.txt'));
    const before = snapshotTree(source);
    const { jobId } = await invoke(core, 'restore/start', { backupJobId, files: {} });
    const job = await finished(core, jobId);
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect(fs.readFileSync(path.join(source, 'notes/todo.txt'), 'utf8')).toBe('buy milk\n');
    expect(fs.statSync(path.join(source, 'notes/todo.txt')).mode & 0o777).toBe(0o600);
    const after = snapshotTree(source);
    delete after['notes/todo.txt'];
    expect(after).toEqual(before);
    expect(job.displayMessage).toContain('1 created');
  });
});

describe('conflict policies', () => {
  const LOCAL = 'local edit, not in the backup\n';
  const localMtime = new Date(Date.UTC(2024, 5, 6, 7, 8, 9));

  /** A target with: an identical file, a file that differs, a folder where the backup has a file, and the rest missing. */
  function prepare(name: string): string {
    const target = path.join(work, name);
    fs.cpSync(path.join(source, 'README.md'), path.join(target, 'README.md'));
    fs.utimesSync(path.join(target, 'README.md'), localMtime, localMtime);
    write(target, 'a/b/sibling.csv', LOCAL, { mode: 0o600, mtime: localMtime });
    write(target, 'empty.txt/inside.txt', 'a folder is where the backup has a file');
    return target;
  }

  it('preview says what each policy would do', async () => {
    const target = prepare('conflict-preview');
    const total = Object.keys(sourceTree()).length;
    for (const [conflict, expected] of [
      ['skip', { same: 1, skip: 2, replace: 0, 'keep-both': 0, create: total - 3 }],
      ['overwrite', { same: 1, skip: 1, replace: 1, 'keep-both': 0, create: total - 3 }],
      ['keep-both', { same: 1, skip: 0, replace: 0, 'keep-both': 2, create: total - 3 }],
    ] as const) {
      const preview = await invoke(core, 'restore/preview', { backupJobId, files: { folder: target, conflict } });
      expect(preview.files!.counts, conflict).toEqual(expected);
    }
    const today = core.clock.now().toISOString().slice(0, 10);
    const preview = await invoke(core, 'restore/preview', { backupJobId, files: { folder: target, conflict: 'keep-both' } });
    expect(preview.files!.items.find((i) => i.path === 'a/b/sibling.csv')?.target).toBe(path.join(target, `a/b/sibling (restored ${today}).csv`));
  });

  it('skip: creates what is missing, leaves identical and differing files alone', async () => {
    const target = prepare('conflict-skip');
    const readmeIno = fs.statSync(path.join(target, 'README.md')).ino;
    const result = await restoreFiles(spec(backupFile, { folder: target, conflict: 'skip' }), testContext());
    expect(result.counts).toMatchObject({ same: 1, skip: 2 });
    expect(fs.readFileSync(path.join(target, 'a/b/sibling.csv'), 'utf8')).toBe(LOCAL);
    expect(fs.statSync(path.join(target, 'a/b/sibling.csv')).mtimeMs).toBe(localMtime.getTime());
    // the identical file was not rewritten (same inode), but it has the backup's mode and mtime again
    expect(fs.statSync(path.join(target, 'README.md')).ino).toBe(readmeIno);
    expect(snapshotTree(target)['README.md']).toEqual(sourceTree()['README.md']);
    expect(fs.readFileSync(path.join(target, 'notes/todo.txt'), 'utf8')).toBe('buy milk\n');
    expect(fs.statSync(path.join(target, 'empty.txt')).isDirectory()).toBe(true);
  });

  it('overwrite: replaces differing files (content, mode, mtime), never a folder', async () => {
    const target = prepare('conflict-overwrite');
    const result = await restoreFiles(spec(backupFile, { folder: target, conflict: 'overwrite' }), testContext());
    expect(result.counts).toMatchObject({ same: 1, replace: 1, skip: 1 });
    const restored = snapshotTree(target);
    expect(restored['a/b/sibling.csv']).toEqual(sourceTree()['a/b/sibling.csv']);
    expect(fs.readFileSync(path.join(target, 'empty.txt/inside.txt'), 'utf8')).toContain('a folder is where');
  });

  it('keep-both: writes the backup copy under a new name, never over an existing file', async () => {
    const target = prepare('conflict-keep-both');
    // the first choice of name is taken too: it must survive, and the copy takes the next one
    write(target, 'a/b/sibling (restored 2026-11-24).csv', 'taken already\n');
    const result = await restoreFiles(spec(backupFile, { folder: target, conflict: 'keep-both' }), testContext());
    expect(result.counts).toMatchObject({ same: 1, 'keep-both': 2 });
    expect(fs.readFileSync(path.join(target, 'a/b/sibling.csv'), 'utf8')).toBe(LOCAL);
    expect(fs.readFileSync(path.join(target, 'a/b/sibling (restored 2026-11-24).csv'), 'utf8')).toBe('taken already\n');
    expect(sha256(fs.readFileSync(path.join(target, 'a/b/sibling (restored 2026-11-24 2).csv')))).toBe(sourceTree()['a/b/sibling.csv']!.sha256);
    expect(fs.readFileSync(path.join(target, 'empty (restored 2026-11-24).txt'), 'utf8')).toBe('');
    expect(fs.statSync(path.join(target, 'empty.txt')).isDirectory()).toBe(true);
  });
});

describe('unsafe paths are refused before anything is written', () => {
  const manifestBase = (backupId: string, root: string) => handMadeManifest(backupId, root);


  it('an archive entry named ../../../evil.txt (zip crafted by hand)', async () => {
    const backupId = crypto.randomUUID();
    const placeholder = 'folders/f1/AA/AA/AA/evil.txt';
    const evil = 'folders/f1/../../../evil.txt';
    expect(placeholder.length).toBe(evil.length);
    const content = Buffer.from('pwned\n');
    const manifest = manifestBase(backupId, path.join(work, 'orig'));
    manifest.entries.push({ name: evil, kind: 'file', sourceId: 'f1', size: content.length, sha256: sha256(content), mode: 0o644, mtimeMs: Date.now() });
    (manifest.sources[0] as { files: number }).files = 1;
    // archiver cleans "../" out of names, so the zip is written with a placeholder of the same length and patched
    const zip = new ZipArchive({ zlib: { level: 1 }, forceZip64: true });
    const parts: Buffer[] = [];
    zip.on('data', (chunk: Buffer) => parts.push(chunk));
    zip.append(content, { name: placeholder });
    zip.append(Buffer.from(JSON.stringify(manifest)), { name: 'manifest.json' });
    await zip.finalize();
    let payload = Buffer.concat(parts);
    let patched = 0;
    for (let at = payload.indexOf(placeholder); at !== -1; at = payload.indexOf(placeholder, at + 1)) {
      payload.write(evil, at, 'utf8');
      patched++;
    }
    expect(patched).toBe(2); // local header and central directory
    payload = Buffer.from(payload);
    const file = path.join(work, 'crafted', 'evil.lifeboat');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const sealer = await SealStream.create({ backupId, app: 'Lifeboat test', passphrase: PASSPHRASE, ...FAST_CONTAINER });
    await pipeline(Readable.from([payload]), sealer, fs.createWriteStream(file));

    const target = path.join(work, 'evil-target', 'inner', 'deeper');
    fs.mkdirSync(target, { recursive: true });
    write(target, 'keep.txt', 'mine');
    const before = snapshotTree(path.join(work, 'evil-target'));
    const error = await appError(restoreFiles(spec(file, { folder: target, conflict: 'overwrite' }), testContext()));
    expect(error.code).toBe('UNSAFE_PATH');
    expect(error.message).toContain('outside the target folder');
    expect(snapshotTree(path.join(work, 'evil-target'))).toEqual(before);
    expect(fs.existsSync(path.join(work, 'evil.txt'))).toBe(false);
    expect(fs.existsSync(path.join(target, '..', '..', '..', 'evil.txt'))).toBe(false);
    // the job path says the same and writes nothing either
    const reply = await invoke(core, 'restore/start', { filePath: file, passphrase: PASSPHRASE, files: { folder: target } });
    const job = await finished(core, reply.jobId);
    expect(job).toMatchObject({ status: 'failed', errorCode: 'UNSAFE_PATH' });
    expect(snapshotTree(path.join(work, 'evil-target'))).toEqual(before);
  });

  it('an unchanged-file path ../escape.txt in the manifest, next to valid files', async () => {
    const backupId = crypto.randomUUID();
    const file = path.join(work, 'crafted', 'escape.lifeboat');
    const writer = await ArchiveWriter.create({ finalPath: file, backupId, appVersion: 'test', passphrase: PASSPHRASE, compressionLevel: 1, ...FAST_CONTAINER });
    const ok = await writer.addStream('folders/f1/ok.txt', Readable.from([Buffer.from('fine\n')]));
    const manifest = manifestBase(backupId, path.join(work, 'orig'));
    manifest.entries.push({ name: 'folders/f1/ok.txt', kind: 'file', sourceId: 'f1', ...ok, mode: 0o644, mtimeMs: Date.now() });
    (manifest.sources[0] as { files: number }).files = 1;
    (manifest.sources[0] as { unchanged: unknown[] }).unchanged.push({ path: '../escape.txt', size: 5, mtimeMs: Date.now(), mode: 0o644, sha256: ok.sha256, storedIn: backupId });
    await writer.finish(manifest);

    const target = path.join(work, 'escape-target');
    const error = await appError(restoreFiles(spec(file, { folder: target }), testContext()));
    expect(error.code).toBe('UNSAFE_PATH');
    expect(error.message).toContain('../escape.txt');
    // validated first: not even the valid file was written
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.existsSync(path.join(work, 'escape.txt'))).toBe(false);
  });

  it('a folder of the target that is a symbolic link to somewhere else', async () => {
    const outside = path.join(work, 'outside');
    fs.mkdirSync(outside, { recursive: true });
    const target = path.join(work, 'link-target');
    fs.mkdirSync(target, { recursive: true });
    fs.symlinkSync(outside, path.join(target, 'a'));
    const error = await appError(restoreFiles(spec(backupFile, { folder: target, conflict: 'overwrite' }), testContext()));
    expect(error.code).toBe('UNSAFE_PATH');
    expect(error.message).toContain('symbolic link');
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.readdirSync(target)).toEqual(['a']);
  });
});

describe('a damaged backup changes nothing in the target', () => {
  const cases = [
    { name: 'flipped bytes', make: (out: string) => void flippedCopy(backupFile, out, 5, 31337), passphrase: PASSPHRASE, code: 'FILE_CORRUPT' },
    { name: 'truncated', make: (out: string) => truncatedCopy(backupFile, out, 0.5), passphrase: PASSPHRASE, code: 'FILE_TRUNCATED' },
    { name: 'wrong passphrase', make: (out: string) => fs.copyFileSync(backupFile, out), passphrase: 'wrong one', code: 'WRONG_PASSPHRASE' },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${c.name}: verify fails and restore is refused with ${c.code}`, async () => {
      const bad = path.join(work, `damaged-${i}.lifeboat`);
      c.make(bad);
      expect((await verifyBackupFile(bad, c.passphrase)).errorCode).toBe(c.code);
      const target = path.join(work, `damaged-target-${i}`);
      write(target, 'a/b/sibling.csv', 'local\n');
      const before = snapshotTree(target);
      const error = await appError(restoreFiles(spec(bad, { folder: target, conflict: 'overwrite' }, { passphrase: c.passphrase }), testContext()));
      expect(error.code).toBe(c.code);
      expect(snapshotTree(target)).toEqual(before);
    });
  }
});

describe('incremental chains', () => {
  let chainCore: ReturnType<typeof makeTestCore>;
  let chainSource: string;
  let destination: string;
  let fullFile: string;
  let lastFile: string;
  let fullId: string;

  beforeAll(async () => {
    chainCore = makeTestCore({ containerOptions: FAST_CONTAINER });
    chainSource = path.join(work, 'chain-source');
    destination = path.join(work, 'chain-backups');
    write(chainSource, 'stays.txt', 'never changes\n', { mode: 0o600 });
    write(chainSource, 'changes.txt', 'version 1\n');
    write(chainSource, 'goes.txt', 'deleted later\n');
    write(chainSource, 'deep/keep.bin', crypto.randomBytes(70_000));
    const chainPlan = await savePlan(
      chainCore,
      planInput({ name: 'Chain', type: 'incremental', folders: [{ id: 'src', path: chainSource }], destination }),
      { passphrase: PASSPHRASE },
    );
    const full = await backupNow(chainCore, chainPlan);
    fullFile = full.filePath!;
    fullId = full.id;
    write(chainSource, 'changes.txt', 'version 2, longer\n');
    write(chainSource, 'new.txt', 'added\n');
    fs.rmSync(path.join(chainSource, 'goes.txt'));
    await backupNow(chainCore, chainPlan);
    write(chainSource, 'third.txt', 'added in the third\n');
    lastFile = (await backupNow(chainCore, chainPlan)).filePath!;
    const last = await readManifest(lastFile, PASSPHRASE);
    expect(last.type).toBe('incremental');
    expect((last.sources[0] as { unchanged: unknown[] }).unchanged.length).toBeGreaterThan(0);
  });

  afterAll(async () => {
    await chainCore?.cleanup();
  });

  it('restores the full tree at the time of the last incremental', async () => {
    const preview = await invoke(chainCore, 'restore/preview', { filePath: lastFile, passphrase: PASSPHRASE });
    const files = preview.folders[0]!.files;
    expect(files.map((f) => f.path)).toEqual(['changes.txt', 'deep/keep.bin', 'new.txt', 'stays.txt', 'third.txt']);
    expect(files.find((f) => f.path === 'stays.txt')).toMatchObject({ inThisBackup: false, storedIn: fullId });
    expect(files.find((f) => f.path === 'third.txt')).toMatchObject({ inThisBackup: true });

    const target = path.join(work, 'chain-restored');
    const { jobId } = await invoke(chainCore, 'restore/start', { filePath: lastFile, passphrase: PASSPHRASE, files: { folder: target } });
    const job = await finished(chainCore, jobId);
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect(snapshotTree(target)).toEqual(snapshotTree(chainSource));
  });

  it('finds the earlier backups next to the file when the catalog does not know them', async () => {
    const target = path.join(work, 'chain-from-folder');
    const result = await restoreFiles(
      { filePath: lastFile, passphrase: PASSPHRASE, target: filesTargetSchema.parse({ folder: target }), locate: makeBackupLocator(lastFile) },
      testContext(),
    );
    expect(result.counts.create).toBe(5);
    expect(snapshotTree(target)).toEqual(snapshotTree(chainSource));
  });

  it('names the missing base backup and writes nothing', async () => {
    const hidden = path.join(work, 'hidden-full.lifeboat');
    fs.renameSync(fullFile, hidden);
    try {
      const target = path.join(work, 'chain-missing');
      const error = await appError(
        restoreFiles(
          { filePath: lastFile, passphrase: PASSPHRASE, target: filesTargetSchema.parse({ folder: target }), locate: makeBackupLocator(lastFile) },
          testContext(),
        ),
      );
      expect(error.code).toBe('BASE_BACKUP_MISSING');
      expect(error.message).toContain(fullId);
      expect(fs.existsSync(target)).toBe(false);
    } finally {
      fs.renameSync(hidden, fullFile);
    }
  });
});

describe('import and catalog rebuild', () => {
  it('imports every backup of a folder once; unreadable files are reported, not fatal', async () => {
    const folder = path.join(work, 'backups');
    fs.writeFileSync(path.join(folder, 'junk.lifeboat'), crypto.randomBytes(4000));
    const fresh = makeTestCore({ containerOptions: FAST_CONTAINER });
    try {
      const inspect = await invoke(fresh, 'backups/inspect', { filePath: backupFile });
      expect(inspect).toMatchObject({ needsPassphrase: true, summary: null, catalogJobId: null, header: { backupId: backupJobId, encrypted: true } });
      const unlocked = await invoke(fresh, 'backups/inspect', { filePath: backupFile, passphrase: PASSPHRASE });
      expect(unlocked.summary?.folders[0]?.root).toBe(source);

      const rebuilt = await invoke(fresh, 'backups/rebuild-catalog', { folder, passphrase: PASSPHRASE });
      const backups = fs.readdirSync(folder).filter((n) => n.endsWith('.lifeboat') && n !== 'junk.lifeboat');
      expect(rebuilt.imported.map((r) => path.basename(r.filePath)).sort()).toEqual(backups.sort());
      expect(rebuilt.failed).toEqual([expect.objectContaining({ filePath: path.join(folder, 'junk.lifeboat'), code: 'NOT_A_BACKUP' })]);
      const job = fresh.jobs.get(backupJobId)!;
      expect(job).toMatchObject({ kind: 'backup', status: 'success', trigger: 'manual', filePath: backupFile, sizeBytes: fs.statSync(backupFile).size });
      expect(job.checksum).toBe(sha256(fs.readFileSync(backupFile)));
      expect(new ImportedBackupsRepo(fresh.catalog).importedAt(backupJobId)).toBeTruthy();
      expect(fresh.jobs.detail(backupJobId)!.sources).toEqual([expect.objectContaining({ kind: 'folder', status: 'success' })]);

      const again = await invoke(fresh, 'backups/rebuild-catalog', { folder, passphrase: PASSPHRASE });
      expect(again.imported).toEqual([]);
      expect(again.alreadyKnown.length).toBe(backups.length);
      const single = await invoke(fresh, 'backups/import', { filePath: backupFile, passphrase: PASSPHRASE });
      expect(single).toMatchObject({ imported: false, backupId: backupJobId });

      // the imported backup verifies against its recorded checksum, and restores
      const { jobId } = await invoke(fresh, 'verify/run', { filePath: backupFile, passphrase: PASSPHRASE });
      expect((await finished(fresh, jobId)).status).toBe('success');
      const list = await invoke(fresh, 'verify/list', {});
      expect(list.items[0]).toMatchObject({ status: 'passed', backupJobId, drill: false });
      expect(list.stats).toMatchObject({ passed: 1, failed: 0 });
    } finally {
      await fresh.cleanup();
      fs.rmSync(path.join(folder, 'junk.lifeboat'), { force: true });
    }
  });

  it('import refuses a wrong passphrase and adds nothing', async () => {
    const fresh = makeTestCore({ containerOptions: FAST_CONTAINER });
    try {
      const error = await appError(invoke(fresh, 'backups/import', { filePath: backupFile, passphrase: 'wrong passphrase' }));
      expect(error.code).toBe('WRONG_PASSPHRASE');
      expect(fresh.jobs.get(backupJobId)).toBeUndefined();
    } finally {
      await fresh.cleanup();
    }
  });

  it('verify/run-all starts a verification for every backup of the catalog', async () => {
    const { jobIds, skipped } = await invoke(core, 'verify/run-all', {});
    expect(skipped).toEqual([]);
    expect(jobIds.length).toBe(core.jobs.all({ kind: 'backup' }).filter((j) => j.filePath).length);
    for (const id of jobIds) expect((await finished(core, id)).status).toBe('success');
    expect((await invoke(core, 'verify/list', { backupJobId })).items[0]).toMatchObject({ status: 'passed' });
  });
});
