/**
 * Restoring folder files: whole tree or selected paths, to the original place or another
 * folder, with a conflict policy. All or nothing. Order of work, so that a bad backup or a
 * target that cannot take it never changes the target:
 * 1. plan every file and check every path (UNSAFE_PATH refuses the lot);
 * 2. find the earlier backups an incremental needs (BASE_BACKUP_MISSING names the one missing);
 * 3. authenticate every chunk of every backup involved (wrong passphrase, damage, truncation,
 *    a file that is not the one the catalog recorded);
 * 4. check the target can take it: every name and path fits (RESTORE_PATH_INVALID), there is
 *    room (RESTORE_NO_SPACE), the folders can be written. Steps 1-4 write nothing
 *    (prepareFileRestore), so a combined restore runs them before touching its database;
 * 5. stage: each file is written into a staging folder inside its target root, checked against
 *    its SHA-256, fsynced, given its mode and mtime. A failure removes the staging folder and
 *    every folder the restore created: nothing is left;
 * 6. commit: each staged file is renamed into place (a file it replaces is moved aside first).
 *    A failure here moves everything back. Then the staging folder goes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import type { JobProgress } from '../../../shared/job';
import type { BackupManifest, ManifestFolderSource } from '../../../shared/manifest';
import type { FileAction, FilePreviewItem, FilesTarget } from '../../../shared/restore';
import { BackupReader } from '../archive/reader';
import { HashStream } from '../archive/hash-stream';
import { destinationError } from '../archive/writer';
import { assertEncryptionAsExpected, assertSha256AsExpected, type ExpectedBackup } from './authenticity';
import { sliceProgress } from '../jobs/slice-progress';
import { cancelledError } from './cancel';
import type { BackupLocator } from './locate';
import { planFileRestore, WRITING_ACTIONS, type FilePlan, type PlannedFile } from './plan-files';
import { keepBothName, uncreatableReason } from './safe-paths';

export interface FilesRestoreSpec {
  filePath: string;
  passphrase: string | null;
  target: FilesTarget;
  /** finds the earlier backups an incremental's unchanged files are in */
  locate: BackupLocator;
  /** the passphrase of another backup of the chain (default: the same as this one) */
  passphraseFor?: (backupId: string) => Promise<string | null>;
  /** the date in keep-both names */
  now?: Date;
  /** what the file must be (the catalog's SHA-256, encryption) */
  expected?: ExpectedBackup;
}

export interface FilesRestoreContext {
  signal: AbortSignal;
  progress(update: Partial<JobProgress>): void;
  setTempPath(path: string | null): void;
}

export interface FilesRestoreResult {
  items: FilePreviewItem[];
  counts: Record<FileAction, number>;
  bytesWritten: number;
  roots: string[];
}

interface OpenBackup {
  reader: BackupReader;
  manifest: BackupManifest;
}

const STAGING_PREFIX = '.lifeboat-restore-';
/** Room kept free beyond the files' bytes (file system blocks, directories, other writers). */
const FREE_SPACE_MARGIN = 16 * 1024 * 1024;

/** A file restore checked end to end and ready to write; close() it if it is not written. */
export interface PreparedFileRestore {
  readonly plan: FilePlan;
  readonly toWrite: PlannedFile[];
  readonly now: Date;
  /** where each file's content is: the backup's reader and the zip entry */
  readonly entries: Map<PlannedFile, { reader: BackupReader; name: string }>;
  close(): Promise<void>;
}

/**
 * Restores files; see the module comment for the order of work. Throws UNSAFE_PATH,
 * RESTORE_SELECTION_MISSING, RESTORE_TARGET_INVALID, RESTORE_PATH_INVALID, RESTORE_NO_SPACE,
 * BASE_BACKUP_MISSING, WRONG_PASSPHRASE, PASSPHRASE_REQUIRED, BACKUP_NOT_ENCRYPTED,
 * CHECKSUM_MISMATCH, FILE_CORRUPT, FILE_TRUNCATED, DEST_NOT_WRITABLE or CANCELLED, and leaves
 * the target as it was.
 */
export async function restoreFiles(spec: FilesRestoreSpec, ctx: FilesRestoreContext): Promise<FilesRestoreResult> {
  const prepared = await prepareFileRestore(spec, sliceProgress(ctx, 0, 20));
  try {
    return await writePreparedFiles(prepared, sliceProgress(ctx, 20, 100));
  } finally {
    await prepared.close();
  }
}

/** Steps 1-4 of the module comment: everything is checked, nothing is written. */
export async function prepareFileRestore(spec: FilesRestoreSpec, ctx: FilesRestoreContext): Promise<PreparedFileRestore> {
  const { signal } = ctx;
  const now = spec.now ?? new Date();
  ctx.progress({ phase: 'verify', percent: 0, currentItem: spec.filePath });
  const opened = new Map<string, OpenBackup>();
  const close = async () => {
    for (const { reader } of opened.values()) await reader.close().catch(() => undefined);
  };
  try {
    const main = await BackupReader.open(spec.filePath, spec.passphrase);
    const manifest = await main.readManifest().catch(async (error: unknown) => {
      await main.close();
      throw error;
    });
    opened.set(manifest.backupId, { reader: main, manifest });
    if (manifest.backupId !== main.container.header.backupId) {
      throw new AppError('FILE_CORRUPT', { detail: 'the manifest belongs to another backup than the file header names' });
    }
    assertEncryptionAsExpected(main.container.header.encryption !== null, spec.expected, spec.filePath);

    // 1. plan and check every path
    const plan = await planFileRestore(manifest, spec.target, now, signal);
    const toWrite = plan.items.filter((i) => WRITING_ACTIONS.includes(i.action));

    // 2. the earlier backups an incremental needs
    await openBases(spec, manifest.backupId, toWrite, opened);

    // 3. authenticate every chunk of every backup involved before writing anything
    const totalScan = [...opened.values()].reduce((sum, o) => sum + o.reader.container.size, 0);
    let scanned = 0;
    for (const { reader, manifest: m } of opened.values()) {
      const sha256 = await reader.container.scan({
        signal,
        onChunk: (n) => {
          scanned += n;
          ctx.progress({ percent: Math.round(((90 * scanned) / Math.max(1, totalScan)) * 10) / 10, bytesDone: scanned, bytesTotal: totalScan });
        },
      });
      if (m.backupId === manifest.backupId) assertSha256AsExpected(sha256, spec.expected, spec.filePath);
    }
    const entries = resolveEntries(opened, toWrite);

    // 4. the target can take it
    await checkTarget(plan, toWrite);
    ctx.progress({ percent: 100 });
    return { plan, toWrite, now, entries, close };
  } catch (error) {
    await close();
    throw signal.aborted ? cancelledError(signal) : error;
  }
}

/** Opens the earlier backups that hold files of an incremental (BASE_BACKUP_MISSING when one is not found). */
async function openBases(spec: FilesRestoreSpec, mainId: string, toWrite: PlannedFile[], opened: Map<string, OpenBackup>): Promise<void> {
  const needed = new Map<string, PlannedFile[]>();
  for (const item of toWrite) {
    if (item.ref.storedIn === mainId) continue;
    needed.set(item.ref.storedIn, [...(needed.get(item.ref.storedIn) ?? []), item]);
  }
  for (const [backupId, items] of needed) {
    const found = await spec.locate(backupId);
    if (!found) {
      throw new AppError('BASE_BACKUP_MISSING', {
        detail: `backup ${backupId} holds ${items.length} of the files (for example ${items[0]!.path}); it is neither in the catalog nor in ${path.dirname(path.resolve(spec.filePath))}`,
      });
    }
    const passphrase = spec.passphraseFor ? await spec.passphraseFor(backupId) : spec.passphrase;
    const reader = await BackupReader.open(found, passphrase);
    const baseManifest = await reader.readManifest().catch(async (error: unknown) => {
      await reader.close();
      throw error;
    });
    opened.set(backupId, { reader, manifest: baseManifest });
    if (baseManifest.backupId !== backupId || reader.container.header.backupId !== backupId) {
      throw new AppError('BASE_BACKUP_MISSING', { detail: `${found} is not backup ${backupId}` });
    }
  }
}

/** The zip entry of every file to write; a chain that does not add up fails here, before the first write. */
function resolveEntries(opened: Map<string, OpenBackup>, toWrite: PlannedFile[]): Map<PlannedFile, { reader: BackupReader; name: string }> {
  const sources = new Map<string, ManifestFolderSource>();
  for (const { manifest: m } of opened.values()) {
    for (const s of m.sources) if (s.kind === 'folder') sources.set(`${m.backupId}\0${s.id}`, s);
  }
  const entries = new Map<PlannedFile, { reader: BackupReader; name: string }>();
  for (const item of toWrite) {
    const holder = opened.get(item.ref.storedIn)!;
    const source = sources.get(`${item.ref.storedIn}\0${item.ref.sourceId}`);
    const name = source ? `${source.entryPrefix}${item.ref.path}` : null;
    const entry = name ? holder.manifest.entries.find((e) => e.name === name) : undefined;
    if (!name || !entry || entry.sha256 !== item.ref.sha256) {
      throw new AppError('BASE_BACKUP_MISSING', {
        detail: `backup ${item.ref.storedIn} does not hold ${item.ref.path} with the content this backup expects`,
      });
    }
    entries.set(item, { reader: holder.reader, name });
  }
  return entries;
}

/** The nearest folder at or above `p` that exists (the one a new folder would be created in). */
async function nearestExisting(p: string): Promise<string> {
  for (let current = p; ; current = path.dirname(current)) {
    if (await fs.promises.stat(current).then(() => true, () => false)) return current;
    if (path.dirname(current) === current) return current;
  }
}

/**
 * Step 4: every name and path fits this system, each root can be written (or created), and the
 * file systems have room for every byte to write (staged files coexist with those they replace).
 */
async function checkTarget(plan: FilePlan, toWrite: PlannedFile[]): Promise<void> {
  for (const item of toWrite) {
    const reason = uncreatableReason(item.target);
    if (reason) throw new AppError('RESTORE_PATH_INVALID', { detail: `${item.path}: ${reason}` });
  }
  const needs = new Map<number, { dir: string; bytes: number }>();
  for (const root of new Set(plan.roots.values())) {
    const existing = await nearestExisting(root);
    try {
      await fs.promises.access(existing, fs.constants.W_OK | fs.constants.X_OK);
    } catch (cause) {
      throw new AppError('DEST_NOT_WRITABLE', { detail: `${existing} (to restore into ${root})`, cause });
    }
    const bytes = toWrite.filter((i) => plan.roots.get(i.sourceId) === root).reduce((sum, i) => sum + i.size, 0);
    const { dev } = await fs.promises.stat(existing);
    const need = needs.get(dev) ?? { dir: existing, bytes: 0 };
    need.bytes += bytes;
    needs.set(dev, need);
  }
  for (const { dir, bytes } of needs.values()) {
    const stats = await fs.promises.statfs(dir).catch(() => null);
    if (!stats) continue;
    const free = stats.bavail * stats.bsize;
    if (free < bytes + FREE_SPACE_MARGIN) {
      throw new AppError('RESTORE_NO_SPACE', { detail: `${dir}: ${Math.round(free / 1e6)} MB free, about ${Math.round((bytes + FREE_SPACE_MARGIN) / 1e6)} MB needed` });
    }
  }
}

/** A file staged, and what committing it did (for undoing). */
interface Staged {
  item: PlannedFile;
  staged: string;
  /** where a replaced file was moved during the commit */
  aside: string | null;
  committed: boolean;
}

/**
 * Steps 5 and 6 of the module comment: stage every file, then move them all into place. On any
 * failure the target is put back as it was (staged files, moved-aside files and created folders).
 */
export async function writePreparedFiles(prepared: PreparedFileRestore, ctx: FilesRestoreContext): Promise<FilesRestoreResult> {
  const { signal } = ctx;
  const { plan, toWrite, now } = prepared;
  const roots = [...new Set(plan.roots.values())];
  const createdDirs: string[] = [];
  const stagingDirs = new Map<string, string>();
  const staged: Staged[] = [];
  const totalBytes = toWrite.reduce((sum, i) => sum + i.size, 0);
  let written = 0;
  ctx.progress({ phase: 'restore', percent: 0, bytesDone: 0, bytesTotal: totalBytes, filesDone: 0, filesTotal: toWrite.length });
  try {
    for (const root of roots) {
      await mkdirTracked(root, createdDirs);
      const staging = path.join(root, `${STAGING_PREFIX}${crypto.randomBytes(4).toString('hex')}`);
      await fs.promises.mkdir(staging, { mode: 0o700 }).catch((e: unknown) => {
        throw restoreWriteError(e, root);
      });
      stagingDirs.set(root, staging);
      // a crash now leaves only this folder behind, which the next start removes
      if (stagingDirs.size === 1) ctx.setTempPath(staging);
    }
    // 5. stage
    for (const [index, item] of toWrite.entries()) {
      if (signal.aborted) throw signal.reason;
      const target = path.join(stagingDirs.get(plan.roots.get(item.sourceId)!)!, `f${index}`);
      const { reader, name } = prepared.entries.get(item)!;
      ctx.progress({ currentItem: item.path });
      await stageOne(item, target, reader, name, ctx, (n) => {
        written += n;
        ctx.progress({ bytesDone: written, percent: Math.round(((95 * written) / Math.max(1, totalBytes)) * 10) / 10 });
      });
      staged.push({ item, staged: target, aside: null, committed: false });
      ctx.progress({ filesDone: staged.length });
    }
    // 6. commit
    ctx.progress({ currentItem: 'moving the files into place', percent: 96 });
    for (const entry of staged) await commitOne(entry, now, createdDirs);
    for (const dir of new Set(staged.map((s) => path.dirname(s.item.target)))) await syncDir(dir);
  } catch (error) {
    await undo(staged, stagingDirs, createdDirs);
    ctx.setTempPath(null);
    throw signal.aborted ? cancelledError(signal) : error;
  }
  for (const staging of stagingDirs.values()) await fs.promises.rm(staging, { recursive: true, force: true });
  ctx.setTempPath(null);
  const counts: Record<FileAction, number> = { create: 0, replace: 0, same: 0, 'keep-both': 0, skip: 0 };
  for (const item of plan.items) counts[item.action]++;
  ctx.progress({ percent: 100 });
  return {
    items: plan.items.map(({ ref: _ref, ...rest }) => rest),
    counts,
    bytesWritten: written,
    roots,
  };
}

/** mkdir -p that remembers each folder it created (to remove them again on failure). */
async function mkdirTracked(dir: string, created: string[]): Promise<void> {
  const first = await fs.promises.mkdir(dir, { recursive: true }).catch((e: unknown) => {
    throw restoreWriteError(e, dir);
  });
  if (!first) return;
  // mkdir returns the first folder it created; every folder from there down to `dir` is new
  for (let current = dir; ; current = path.dirname(current)) {
    created.push(current);
    if (current === first || path.dirname(current) === current) break;
  }
}

/** Moves one staged file into place; a file it replaces is moved aside first. */
async function commitOne(entry: Staged, now: Date, createdDirs: string[]): Promise<void> {
  const { item } = entry;
  await mkdirTracked(path.dirname(item.target), createdDirs);
  if (item.action === 'replace') {
    const aside = `${entry.staged}.replaced`;
    await fs.promises.rename(item.target, aside).catch((e: unknown) => {
      throw restoreWriteError(e, item.target);
    });
    entry.aside = aside;
  } else if (await fs.promises.lstat(item.target).then(() => true, () => false)) {
    // something appeared there since the plan: never overwrite it
    item.target = keepBothName(item.target, now, (c) => fs.existsSync(c));
    item.action = 'keep-both';
  }
  await fs.promises.rename(entry.staged, item.target).catch((e: unknown) => {
    throw restoreWriteError(e, item.target);
  });
  entry.committed = true;
}

/** Puts the target back: committed files out (replaced ones back), staging and created folders removed. */
async function undo(staged: Staged[], stagingDirs: Map<string, string>, createdDirs: string[]): Promise<void> {
  for (const entry of [...staged].reverse()) {
    try {
      if (entry.committed) await fs.promises.rm(entry.item.target, { force: true });
      if (entry.aside) await fs.promises.rename(entry.aside, entry.item.target);
    } catch {
      // best effort: go on putting back the others
    }
  }
  for (const staging of stagingDirs.values()) await fs.promises.rm(staging, { recursive: true, force: true }).catch(() => undefined);
  // deepest first; only folders this restore created, and only if they are empty again
  for (const dir of [...new Set(createdDirs)].sort((a, b) => b.length - a.length)) await fs.promises.rmdir(dir).catch(() => undefined);
}

/** A write failure in the target, in words that name the fix. */
function restoreWriteError(error: unknown, where: string): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new AppError('RESTORE_NO_SPACE', { detail: where, cause: error });
  if (code === 'ENAMETOOLONG' || code === 'EILSEQ' || code === 'EINVAL') return new AppError('RESTORE_PATH_INVALID', { detail: `${where} (${code})`, cause: error });
  if (code === 'EXDEV') return new AppError('RESTORE_TARGET_INVALID', { detail: `${where} is on another file system than its target folder`, cause: error });
  const mapped = destinationError(error);
  if (mapped instanceof AppError) return new AppError(mapped.code, { detail: where, cause: error });
  return error;
}

/** One file into the staging folder: checked SHA-256 -> fsync -> mode, mtime. */
async function stageOne(
  item: PlannedFile,
  target: string,
  reader: BackupReader,
  entryName: string,
  ctx: FilesRestoreContext,
  onBytes: (n: number) => void,
): Promise<void> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(target, 'wx', 0o600);
  } catch (error) {
    throw restoreWriteError(error, item.target);
  }
  try {
    const hash = new HashStream(onBytes);
    const source = await reader.openEntry(entryName);
    source.on('error', (error) => hash.destroy(error));
    try {
      for await (const chunk of source.pipe(hash)) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        await handle.write(chunk as Buffer);
      }
    } catch (error) {
      source.destroy();
      if (ctx.signal.aborted) throw ctx.signal.reason;
      throw restoreWriteError(error, item.target);
    }
    if (hash.bytes !== item.ref.size || hash.digest() !== item.ref.sha256) {
      throw new AppError('FILE_CORRUPT', { detail: `${item.path} does not match its SHA-256 in the manifest` });
    }
    await handle.sync();
    // permission bits only: setuid/setgid/sticky from a backup are not trusted
    await handle.chmod(item.ref.mode & 0o777);
    // + 0.5 µs: utimes takes float seconds, and a value like 1795565594.339 would be truncated
    // to ...338999 µs, one millisecond early; the manifest keeps whole milliseconds
    const seconds = (item.ref.mtimeMs + 0.0005) / 1000;
    await handle.utimes(seconds, seconds);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await fs.promises.open(dir, 'r').catch(() => null);
  if (!fh) return;
  try {
    await fh.sync();
  } catch {
    // some file systems cannot sync a directory; the files themselves are synced
  } finally {
    await fh.close();
  }
}
