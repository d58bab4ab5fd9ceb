/**
 * Hardening of backups and file restores, with real files: a forged unencrypted stand-in for an
 * encrypted backup is refused by verify and restore; a folder restore is all or nothing (a bad
 * last entry, a full file system, a path too long for the target: nothing of it is left); verify
 * fails every archive a restore would refuse, by the same rule.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareFileRestore, restoreFiles, writePreparedFiles } from '../../../src/main/core/restore/restore-files';
import { PATH_MAX } from '../../../src/main/core/restore/safe-paths';
import { verifyBackupFile } from '../../../src/main/core/verify/verify-backup';
import { runCli } from '../../../src/main/cli/index';
import { mountTmpfs, unmount } from '../../support/backup-fixtures';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { FAST_CONTAINER, PASSPHRASE, appError, backupNow, craftBackup, filesSpec, finished, invoke, planInput, savePlan, snapshotTree, testContext, writeAt } from './support';

let work: string;
let source: string;
let core: ReturnType<typeof makeTestCore>;
let backupFile: string;
let backupJobId: string;





function cliIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), env: { ...process.env, LIFEBOAT_HOME: core.dataDir }, isTty: false }, out, err };
}

beforeAll(async () => {
  work = makeTempDir('lifeboat-hardening-files-');
  source = path.join(work, 'source');
  writeAt(source, 'README.md', '# Project\n');
  writeAt(source, 'a/b/data.csv', '1,2,3\n'.repeat(1000));
  writeAt(source, 'z-last.txt', 'the last file\n');
  core = makeTestCore({ containerOptions: FAST_CONTAINER });
  const plan = await savePlan(core, planInput({ name: 'Files', folders: [{ id: 'f1', path: source }], destination: path.join(work, 'backups') }), { passphrase: PASSPHRASE });
  const job = await backupNow(core, plan);
  backupFile = job.filePath!;
  backupJobId = job.id;
});

afterAll(async () => {
  await core?.cleanup();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('a forged unencrypted stand-in for an encrypted backup', () => {
  let forged: string;
  let original: Buffer;
  let victim: string;

  beforeAll(async () => {
    // the attacker can write the backup folder but has no passphrase: same file name, same backup
    // id, unencrypted, and a manifest that sends the files where the attacker wants them
    original = fs.readFileSync(backupFile);
    victim = path.join(work, 'victim');
    writeAt(victim, 'keep.txt', 'mine\n');
    forged = path.join(work, 'forged.lifeboat');
    await craftBackup(forged, { backupId: backupJobId, passphrase: null, root: victim, files: [{ rel: 'keep.txt', content: Buffer.from('owned\n') }] });
    fs.copyFileSync(forged, backupFile);
  });

  afterAll(() => fs.writeFileSync(backupFile, original));

  it('a verification job of the catalog backup fails: the catalog recorded it encrypted, and its SHA-256 differs', async () => {
    expect(core.jobs.get(backupJobId)!.encrypted).toBe(true);
    const { jobId } = await invoke(core, 'verify/run', { jobId: backupJobId });
    const job = await finished(core, jobId);
    expect(job.status).toBe('failed');
    expect(job.errorCode).toBe('BACKUP_NOT_ENCRYPTED');
    // with the encryption check aside, the catalog's SHA-256 alone would refuse it too
    const bySha = await verifyBackupFile(backupFile, null, { expectedSha256: core.jobs.get(backupJobId)!.checksum });
    expect(bySha.errorCode).toBe('CHECKSUM_MISMATCH');
  });

  it('verify with a passphrase refuses an unencrypted file (BACKUP_NOT_ENCRYPTED), and says what an unencrypted file does not prove', async () => {
    const report = await verifyBackupFile(backupFile, PASSPHRASE);
    expect(report).toMatchObject({ status: 'failed', errorCode: 'BACKUP_NOT_ENCRYPTED', encrypted: false });
    const plain = await verifyBackupFile(forged, null);
    expect(plain.status).toBe('passed');
    expect(plain.checks).toContainEqual(expect.stringMatching(/^not encrypted: .*not a deliberate edit/));
  });

  it('the CLI refuses it: verify (catalog SHA-256 and passphrase) and restore --to-original, with nothing written', async () => {
    const passFile = path.join(work, 'pass.txt');
    fs.writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    const verify = cliIo();
    expect(await runCli(['verify', backupFile, '--passphrase-file', passFile], verify.io)).toBe(1);
    expect(verify.out.join('\n')).toMatch(/not encrypted, but an encrypted one was expected/);
    // no passphrase given: the catalog knows the backup as encrypted
    const noPass = cliIo();
    expect(await runCli(['verify', backupFile], { ...noPass.io, env: { ...noPass.io.env, LIFEBOAT_PASSPHRASE: '' } })).toBe(1);
    expect(noPass.out.join('\n')).toMatch(/not encrypted, but an encrypted one was expected/);

    const before = snapshotTree(victim);
    const restore = cliIo();
    expect(await runCli(['restore', backupFile, '--to-original', '--conflict', 'overwrite', '--passphrase-file', passFile], restore.io)).toBe(1);
    expect(restore.err.join('\n')).toMatch(/not encrypted, but an encrypted one was expected/);
    expect(snapshotTree(victim)).toEqual(before);
  });

  it('the app refuses to restore it before anything is written: encrypted in the catalog, or failing its SHA-256', async () => {
    const before = snapshotTree(victim);
    const { jobId } = await invoke(core, 'restore/start', { backupJobId, files: { conflict: 'overwrite' } });
    const job = await finished(core, jobId);
    expect(job).toMatchObject({ status: 'failed', errorCode: 'BACKUP_NOT_ENCRYPTED' });
    expect(snapshotTree(victim)).toEqual(before);
    // a catalog row from before the encryption was recorded: the SHA-256 still refuses it
    core.catalog.prepare('UPDATE jobs SET encrypted = NULL WHERE id = ?').run(backupJobId);
    const again = await finished(core, (await invoke(core, 'restore/start', { backupJobId, files: { conflict: 'overwrite' } })).jobId);
    expect(again).toMatchObject({ status: 'failed', errorCode: 'CHECKSUM_MISMATCH' });
    expect(snapshotTree(victim)).toEqual(before);
    core.catalog.prepare('UPDATE jobs SET encrypted = 1 WHERE id = ?').run(backupJobId);
  });
});

describe('a folder restore is all or nothing', () => {
  it('a bad hash at the last entry leaves nothing of the restore: not the files before it, not the folders it made', async () => {
    const target = path.join(work, 'last-bad');
    writeAt(target, 'README.md', 'local version\n');
    const before = snapshotTree(target);
    const file = (await craftBackup(path.join(work, 'crafted', 'last-bad.lifeboat'), {
      passphrase: PASSPHRASE,
      root: source,
      files: [
        { rel: 'README.md', content: Buffer.from('# from the backup\n') },
        { rel: 'new/dir/a.txt', content: Buffer.from('a\n') },
        { rel: 'z.txt', content: Buffer.from('zzz\n'), sha256: 'f'.repeat(64) },
      ],
    })).file;
    const error = await appError(restoreFiles(filesSpec(file, { folder: target, conflict: 'overwrite' }), testContext()));
    expect(error.code).toBe('FILE_CORRUPT');
    expect(error.message).toContain('z.txt');
    expect(snapshotTree(target)).toEqual(before);
    expect(fs.readdirSync(target)).toEqual(['README.md']);
  });

  it('a path longer than the system allows is found before anything is written (RESTORE_PATH_INVALID)', async () => {
    const deep = path.join(work, 'deep', ...Array.from({ length: 25 }, () => 'd'.repeat(200)));
    // the target itself fits; "/a/b/data.csv" below it does not
    const target = deep.slice(0, PATH_MAX - 8);
    const error = await appError(restoreFiles(filesSpec(backupFile, { folder: target }), testContext()));
    expect(error.code).toBe('RESTORE_PATH_INVALID');
    expect(error.message).toMatch(/longer|over the/);
    expect(fs.existsSync(path.join(work, 'deep'))).toBe(false);
  });

  it('a file system too small for the files: RESTORE_NO_SPACE before the first write, the target unchanged', async () => {
    const mountPoint = path.join(work, 'small-fs');
    const skip = await mountTmpfs(mountPoint, '1m');
    if (skip) throw new Error(skip);
    try {
      const big = (await craftBackup(path.join(work, 'crafted', 'big.lifeboat'), {
        passphrase: PASSPHRASE,
        root: source,
        files: [
          { rel: 'one.bin', content: crypto.randomBytes(600_000) },
          { rel: 'two.bin', content: crypto.randomBytes(600_000) },
        ],
      })).file;
      writeAt(mountPoint, 'existing.txt', 'already here\n');
      const before = snapshotTree(mountPoint);
      const error = await appError(restoreFiles(filesSpec(big, { folder: mountPoint }), testContext()));
      expect(error.code).toBe('RESTORE_NO_SPACE');
      expect(snapshotTree(mountPoint)).toEqual(before);
      expect(fs.readdirSync(mountPoint)).toEqual(['existing.txt']);
    } finally {
      await unmount(mountPoint);
    }
  });

  // a tree of many files goes through the stager's worker threads (restore/file-stager.ts): the same promises
  const manyFiles = (n: number, prefix = 'many') =>
    Array.from({ length: n }, (_, i) => ({ rel: `${prefix}/d${i % 4}/file-${i}.txt`, content: Buffer.from(`file ${i}\n`.repeat(i + 1)) }));

  it('a tree of many small files with a bad hash at its last entry leaves nothing of the restore', async () => {
    const target = path.join(work, 'many-last-bad');
    writeAt(target, 'many/d0/file-0.txt', 'local version\n');
    const before = snapshotTree(target);
    const files = manyFiles(60);
    files[59] = { ...files[59]!, sha256: 'f'.repeat(64) } as (typeof files)[number];
    const file = (await craftBackup(path.join(work, 'crafted', 'many-last-bad.lifeboat'), { passphrase: PASSPHRASE, root: source, files })).file;
    const error = await appError(restoreFiles(filesSpec(file, { folder: target, conflict: 'overwrite' }), testContext()));
    expect(error.code).toBe('FILE_CORRUPT');
    expect(error.message).toContain('file-59.txt');
    expect(snapshotTree(target)).toEqual(before);
    expect(fs.readdirSync(target)).toEqual(['many']);
  });

  it('a file system that runs out of inodes while many small files are written: RESTORE_NO_SPACE, the target unchanged', async () => {
    const mountPoint = path.join(work, 'few-inodes');
    // bytes to spare (the free-space check passes), but room for about 30 files
    const skip = await mountTmpfs(mountPoint, '8m', { inodes: 32 });
    if (skip) throw new Error(skip);
    try {
      const file = (await craftBackup(path.join(work, 'crafted', 'many-inodes.lifeboat'), { passphrase: PASSPHRASE, root: source, files: manyFiles(60, 'flat') })).file;
      writeAt(mountPoint, 'existing.txt', 'already here\n');
      const before = snapshotTree(mountPoint);
      const error = await appError(restoreFiles(filesSpec(file, { folder: mountPoint }), testContext()));
      expect(error.code).toBe('RESTORE_NO_SPACE');
      expect(snapshotTree(mountPoint)).toEqual(before);
      expect(fs.readdirSync(mountPoint)).toEqual(['existing.txt']);
    } finally {
      await unmount(mountPoint);
    }
  });

  it('a tree of many files over an older copy: replaced with overwrite, kept side by side with keep-both', async () => {
    const files = manyFiles(50, 'tree');
    const file = (await craftBackup(path.join(work, 'crafted', 'many-ok.lifeboat'), { passphrase: PASSPHRASE, root: source, files })).file;
    for (const conflict of ['overwrite', 'keep-both'] as const) {
      const target = path.join(work, `many-${conflict}`);
      writeAt(target, 'tree/d1/file-1.txt', 'older\n');
      const result = await restoreFiles(filesSpec(file, { folder: target, conflict }), testContext());
      expect(result.counts).toMatchObject(conflict === 'overwrite' ? { replace: 1, create: 49 } : { 'keep-both': 1, create: 49 });
      // keep-both: the older file keeps its name, the restored one is beside it under a new name
      const sideBySide = conflict === 'keep-both' ? files[1]!.rel : null;
      for (const f of files) if (f.rel !== sideBySide) expect(fs.readFileSync(path.join(target, f.rel)).equals(f.content), f.rel).toBe(true);
      const inD1 = fs.readdirSync(path.join(target, 'tree', 'd1'));
      const read = (n: string) => fs.readFileSync(path.join(target, 'tree', 'd1', n), 'utf8');
      if (conflict === 'overwrite') expect(inD1).toHaveLength(13);
      else {
        expect(inD1).toHaveLength(14);
        expect(read('file-1.txt')).toBe('older\n');
        expect(inD1.filter((n) => n.startsWith('file-1') && n !== 'file-1.txt' && !/^file-1\d/.test(n)).map(read)).toEqual([files[1]!.content.toString()]);
      }
      expect(fs.readdirSync(target)).toEqual(['tree']);
    }
  });

  it('a failure in the middle of the commit puts everything back: the replaced file returns, the created ones go', async () => {
    const target = path.join(work, 'commit-fails');
    writeAt(target, 'README.md', 'local\n');
    fs.mkdirSync(path.join(target, 'a', 'b'), { recursive: true });
    const prepared = await prepareFileRestore(filesSpec(backupFile, { folder: target, conflict: 'overwrite' }), testContext());
    // after the plan, a/b becomes another file system: data.csv cannot be renamed into it (EXDEV),
    // while README.md (replaced) and z-last.txt (created) around it can
    const skip = await mountTmpfs(path.join(target, 'a', 'b'), '1m');
    if (skip) throw new Error(skip);
    try {
      const before = snapshotTree(target);
      const error = await appError(writePreparedFiles(prepared, testContext()));
      expect(error.code).toBe('RESTORE_TARGET_INVALID');
      expect(error.message).toContain('data.csv');
      expect(snapshotTree(target)).toEqual(before);
      expect(fs.readFileSync(path.join(target, 'README.md'), 'utf8')).toBe('local\n');
      expect(fs.readdirSync(target).sort()).toEqual(['README.md', 'a']);
    } finally {
      await prepared.close();
      await unmount(path.join(target, 'a', 'b'));
    }
  });

  it('a restore that overwrites files and succeeds leaves no staging folder or moved-aside file behind', async () => {
    const target = path.join(work, 'overwrite-ok');
    writeAt(target, 'README.md', 'local\n');
    const result = await restoreFiles(filesSpec(backupFile, { folder: target, conflict: 'overwrite' }), testContext());
    expect(result.counts).toMatchObject({ replace: 1, create: 2 });
    expect(fs.readFileSync(path.join(target, 'README.md'), 'utf8')).toBe('# Project\n');
    expect(fs.readdirSync(target).sort()).toEqual(['README.md', 'a', 'z-last.txt']);
  });
});

describe('verify fails every archive a restore would refuse (one rule)', () => {
  const cases: { name: string; files?: { rel: string; content: Buffer; mode?: number }[]; unchanged?: { path: string }[]; reason: RegExp }[] = [
    { name: 'a drive-letter name C:x', files: [{ rel: 'C:x', content: Buffer.from('x') }], reason: /drive letter/ },
    { name: 'a name over 255 bytes', files: [{ rel: `${'n'.repeat(256)}.txt`, content: Buffer.from('x') }], reason: /longer than 255 bytes/ },
    { name: '../ in the unchanged list', unchanged: [{ path: '../escape.txt' }], reason: /"\.\." segment/ },
    { name: 'a symbolic link entry', files: [{ rel: 'link', content: Buffer.from('/etc/passwd'), mode: 0o120777 }], reason: /not a regular file/ },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${c.name}: verify fails UNSAFE_PATH, and restore refuses it with nothing written`, async () => {
      const file = (await craftBackup(path.join(work, 'crafted', `unrestorable-${i}.lifeboat`), {
        passphrase: PASSPHRASE,
        root: source,
        files: [{ rel: 'ok.txt', content: Buffer.from('fine\n') }, ...(c.files ?? [])],
        unchanged: c.unchanged,
      })).file;
      const report = await verifyBackupFile(file, PASSPHRASE);
      expect(report.status).toBe('failed');
      expect(report.errorCode).toBe('UNSAFE_PATH');
      expect(report.reasons.join('\n')).toMatch(c.reason);
      const target = path.join(work, `unrestorable-target-${i}`);
      const error = await appError(restoreFiles(filesSpec(file, { folder: target }), testContext()));
      expect(error.code).toBe('UNSAFE_PATH');
      expect(fs.existsSync(target)).toBe(false);
    });
  }
});
