/**
 * Restoring folder items: whole tree or selected paths, to the original place or another
 * folder, with a conflict policy. All or nothing. Order of work, so that a bad backup or a
 * target that cannot take it never changes the target:
 * 1. plan every item and check every path (UNSAFE_PATH refuses the lot). A plan of a large tree is
 *    not held: it is replayed from the backup's folder index at each step that needs its items
 *    (plan-files.ts PlanItems), and what the restore keeps per item is a byte or two;
 * 2. find the earlier backups an incremental needs (BASE_BACKUP_MISSING names the one missing);
 * 3. authenticate what the restore relies on, reading only what it needs (wrong passphrase,
 *    damage, truncation, a file that is not the one the catalog recorded): each file's header is
 *    checked and its final chunk authenticated (a truncated or shortened file fails), the
 *    manifest and the zip's directory authenticate as they are read, and a file the catalog knows
 *    must name the catalog's backup in its header (encrypted: every chunk binds the header, see
 *    authenticity.ts) or, unencrypted, have the catalog's whole-file SHA-256 (the only case that
 *    reads the whole file). Every chunk a restored file uses is authenticated when it is read in
 *    step 5, before anything is committed: damage there is FILE_CORRUPT with the target
 *    unchanged, and damage in a chunk no restored file uses does not stop the restore;
 * 4. check the target can take it: every name and path fits (RESTORE_PATH_INVALID), there is
 *    room (RESTORE_NO_SPACE), the folders can be written. Then a combined restore
 *    (checkContentsFirst) reads every file to write once, so that a file part that would fail
 *    does so before its database is touched. Steps 1-4 write nothing (prepareFileRestore), so a
 *    combined restore runs them before touching its database;
 * 5. stage: each file is streamed into a staging folder inside its target root (a few files at
 *    once, never one whole in memory), checked against its SHA-256 (holes kept for a sparse one),
 *    given its owner (as root), mode and mtime; then each hard link is linked to its first file
 *    there, and symbolic links and FIFOs are created there (a window of the plan at a time, a
 *    first file always before its links); then every staged file is made
 *    durable (on Linux one syncfs of the file system, elsewhere an fsync per file: see
 *    SYNC_FILE_SYSTEM). A failure removes the staging folder and every folder the restore
 *    created: nothing is left;
 * 6. commit: the folders are created, then in plan order each staged item is renamed into
 *    place (a file it replaces is moved aside first) and the items already there and identical
 *    get their mode and mtime; last the folders theirs, deepest first (a folder's mtime changes
 *    while items are added to it, and a read-only folder would refuse them). A failure here
 *    moves everything back. Then the staging folder goes.
 * Nothing is written through a symbolic link: the folders on the way are checked with lstat, a
 * link is changed with lchown/lutimes, everything else through a descriptor opened O_NOFOLLOW.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AppError } from '../../../shared/errors';
import type { JobProgress } from '../../../shared/job';
import type { BackupManifest } from '../../../shared/manifest';
import type { FileAction, FilePreviewItem, FilesTarget } from '../../../shared/restore';
import { BackupReader } from '../archive/reader';
import { destinationError } from '../archive/writer';
import { assertBackupIdAsExpected, assertEncryptionAsExpected, assertSha256AsExpected, needsWholeFileSha256, type ExpectedBackup } from './authenticity';
import { sliceProgress } from '../jobs/slice-progress';
import { cancelledError } from './cancel';
import type { BackupLocator } from './locate';
import { backupFolderOf } from '../destinations/remote-open';
import { rawKey } from '../folders/raw-path';
import { storedEntries } from './folder-items';
import { applyToHandle, applyToLink, applyToNewHandle, newFileMetadata, O_NOFOLLOW, openNoFollow, revertHandle, SparseWriter, type PreviousMetadata } from './file-metadata';
import { CONTENT_MISMATCH, FileStager } from './file-stager';
import { countAction, listedItems, occupied, planFileRestore, WRITING_ACTIONS, type FilePlan, type PlanItems, type PlannedFile } from './plan-files';
import { displayTarget, keepBothRaw, uncreatableReason } from './safe-paths';

export interface FilesRestoreSpec {
  filePath: string;
  passphrase: string | null;
  target: FilesTarget;
  /** finds the earlier backups an incremental's unchanged files are in */
  locate: BackupLocator;
  /**
   * beyond how many selected items the plan is replayed from the folder index instead of held
   * (plan-files.ts HELD_ITEMS); the tests set it low to run a small tree through the replays
   */
  heldItems?: number;
  /** the passphrase of another backup of the chain (default: the same as this one) */
  passphraseFor?: (backupId: string) => Promise<string | null>;
  /** the date in keep-both names */
  now?: Date;
  /** what the file must be (the catalog's backup id and SHA-256, encryption) */
  expected?: ExpectedBackup;
  /**
   * read and check (SHA-256) every file to write while preparing, not only when writing: a
   * combined restore sets it, so that its files part cannot fail for a damaged backup after the
   * database was restored (it costs a second read of those files)
   */
  checkContentsFirst?: boolean;
}

export interface FilesRestoreContext {
  signal: AbortSignal;
  progress(update: Partial<JobProgress>): void;
  setTempPath(path: string | null): void;
}

export interface FilesRestoreResult {
  /** the first RESULT_ITEMS items listed (listedItems); `counts` covers every one */
  items: FilePreviewItem[];
  counts: Record<FileAction, number>;
  bytesWritten: number;
  roots: string[];
  /** what was not restored as it was backed up, summed up (each item's reason says it for that item) */
  notes: string[];
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
  /** the bytes of the files to write (their content: hard links made from a first file excluded) */
  readonly bytesToWrite: number;
  readonly now: Date;
  /** the backups read: the one restored first, then the earlier ones an incremental needs */
  readonly readers: BackupReader[];
  /** where a file's content is (an item needsContent): the backup's reader and the zip entry */
  entryOf(item: PlannedFile): ContentEntry;
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
    // a folder's index (format 3) is read by the plan, as a stream
    const manifest = await main.readManifest({ items: false }).catch(async (error: unknown) => {
      await main.close();
      throw error;
    });
    opened.set(manifest.backupId, { reader: main, manifest });
    if (manifest.backupId !== main.container.header.backupId) {
      throw new AppError('FILE_CORRUPT', { detail: 'the manifest belongs to another backup than the file header names' });
    }
    assertEncryptionAsExpected(main.container.header.encryption !== null, spec.expected, spec.filePath);
    assertBackupIdAsExpected(main.container.header.backupId, spec.expected, spec.filePath);

    // 1. plan and check every path; what steps 2-4 need of every item is gathered as it is decided
    const survey = new WriteSurvey(main);
    const plan = await planFileRestore(manifest, spec.target, now, { signal, reader: main, held: spec.heldItems, onItem: (item) => survey.add(item) });
    // its items are the plan's now: the records an older format's manifest lists need not stay in memory too
    opened.set(manifest.backupId, { reader: main, manifest: withoutFolderItems(manifest) });

    // 2. the earlier backups an incremental needs
    await openBases(spec, survey.bases, opened);

    // 3. authenticate what the restore relies on (the chunks of the files it writes: as they are read)
    for (const { reader } of opened.values()) await authenticateFinalChunk(reader);
    if (needsWholeFileSha256(main.container.header.encryption !== null, spec.expected)) {
      const total = main.container.size;
      const sha256 = await main.container.scan({
        signal,
        onChunk: progressOf(ctx, total, 90),
      });
      assertSha256AsExpected(sha256, spec.expected, spec.filePath);
    }
    const elsewhere = await resolveEntries(opened, manifest.backupId, plan.items, survey);
    // a file of this backup is in the entry its plan item names (resolveEntries checked it is there)
    const entryOf = (item: PlannedFile): ContentEntry =>
      item.ref.storedIn === manifest.backupId ? { reader: main, name: item.ref.entry! } : elsewhere.get(contentKey(item))!;

    // 4. the target can take it (before a combined restore reads every file to write)
    const bytesToWrite = await checkTarget(plan, survey);
    if (spec.checkContentsFirst) await checkContents(plan.items, bytesToWrite, entryOf, signal, ctx);
    ctx.progress({ percent: 100 });
    return { plan, bytesToWrite, now, readers: [...opened.values()].map((o) => o.reader), entryOf, close };
  } catch (error) {
    await close();
    throw signal.aborted ? cancelledError(signal) : error;
  }
}

/** A manifest without its folder items (files, unchanged files, nodes): what finding an incremental's bases needs. */
function withoutFolderItems(manifest: BackupManifest): BackupManifest {
  return {
    ...manifest,
    entries: manifest.entries.filter((e) => e.kind !== 'file'),
    sources: manifest.sources.map((s) => (s.kind === 'folder' ? { ...s, unchanged: [], nodes: [] } : s)),
  };
}

/**
 * What steps 2-4 need to know of every item the restore writes, gathered as the plan decides
 * them (a plan replayed from the index is not read again for it): the earlier backups it reads
 * and the files wanted from each, the bytes per folder source, and the first item that fails a
 * check (thrown at that check's step, so the errors come in the order of the module comment).
 */
class WriteSurvey {
  /** per earlier backup: how many of the files to write it holds, and the first one's path */
  readonly bases = new Map<string, { files: number; example: string }>();
  /** per earlier backup: the files wanted from it (fileKey) */
  readonly wanted = new Map<string, Set<string>>();
  readonly bytesPerSource = new Map<string, number>();
  /** the first item whose target this system cannot create */
  uncreatable: AppError | null = null;
  /** the first file of this backup to write whose entry the backup does not hold */
  missing: AppError | null = null;

  private readonly mainId: string;

  constructor(private readonly main: BackupReader) {
    this.mainId = main.container.header.backupId;
  }

  add(item: PlannedFile): void {
    if (!writes(item)) return;
    const { ref } = item;
    const reason = this.uncreatable ? null : uncreatableReason(item.abs);
    if (reason) this.uncreatable = new AppError('RESTORE_PATH_INVALID', { detail: `${item.path}: ${reason}` });
    if (ref.storedIn !== this.mainId) {
      const base = this.bases.get(ref.storedIn);
      if (base) base.files++;
      else this.bases.set(ref.storedIn, { files: 1, example: item.path });
    }
    if (!needsContent(item)) return;
    this.bytesPerSource.set(ref.sourceId, (this.bytesPerSource.get(ref.sourceId) ?? 0) + item.size);
    if (ref.storedIn === this.mainId) {
      // folderItems gave this backup's own files (and hard links, their first file's) their entry
      if (!this.missing && (ref.entry === null || !this.main.entries.has(ref.entry))) this.missing = baseMissing(item);
      return;
    }
    const keys = this.wanted.get(ref.storedIn) ?? new Set<string>();
    keys.add(fileKey(item));
    this.wanted.set(ref.storedIn, keys);
  }
}

function baseMissing(item: PlannedFile): AppError {
  return new AppError('BASE_BACKUP_MISSING', { detail: `backup ${item.ref.storedIn} does not hold ${item.ref.path} with the content this backup expects` });
}

/** Opens the earlier backups that hold files of an incremental (BASE_BACKUP_MISSING when one is not found). */
async function openBases(spec: FilesRestoreSpec, needed: ReadonlyMap<string, { files: number; example: string }>, opened: Map<string, OpenBackup>): Promise<void> {
  for (const [backupId, { files, example }] of needed) {
    const found = await spec.locate(backupId);
    if (!found) {
      throw new AppError('BASE_BACKUP_MISSING', {
        detail: `backup ${backupId} holds ${files} of the files (for example ${example}); it is neither in the catalog nor in ${backupFolderOf(spec.filePath)}`,
      });
    }
    const passphrase = spec.passphraseFor ? await spec.passphraseFor(backupId) : spec.passphrase;
    const reader = await BackupReader.open(found, passphrase);
    // its folders' items are read by resolveEntries, as a stream
    const baseManifest = await reader.readManifest({ items: false }).catch(async (error: unknown) => {
      await reader.close();
      throw error;
    });
    opened.set(backupId, { reader, manifest: baseManifest });
    if (baseManifest.backupId !== backupId || reader.container.header.backupId !== backupId) {
      throw new AppError('BASE_BACKUP_MISSING', { detail: `${found} is not backup ${backupId}` });
    }
  }
}

/** A folder of the backup the restore creates or keeps (it gets its mode and mtime at the end of the commit). */
function isKeptFolder(item: PlannedFile): boolean {
  return item.ref.type === 'dir' && (item.action === 'create' || item.action === 'same');
}

/** Whether the plan writes an item (creates, replaces, or writes it next to what is there). */
function writes(item: PlannedFile): boolean {
  return WRITING_ACTIONS.includes(item.action);
}

/** Whether an item is written from content in a backup (a file, or a hard link whose first file is not written). */
function needsContent(item: PlannedFile): boolean {
  return item.ref.type === 'file' || (item.ref.type === 'hardlink' && item.linkOf === null);
}

/** Where a file's content is: a backup's reader and the zip entry. */
interface ContentEntry {
  reader: BackupReader;
  name: string;
}

/** The file that holds an item's content, in its backup: the folder and the path (a hard link's: its first file's). */
function fileKey(item: PlannedFile): string {
  return `${item.ref.sourceId}\0${rawKey(item.ref.type === 'hardlink' ? item.ref.linkTo! : item.ref.raw)}`;
}

/** An item's content as an earlier backup holds it: that backup, and fileKey. */
function contentKey(item: PlannedFile): string {
  return `${item.ref.storedIn}\0${fileKey(item)}`;
}

/**
 * Checks that every file to write has its zip entry, and returns the entries of the files an
 * earlier backup holds (by contentKey); a chain that does not add up fails here, before the first
 * write. A file of this backup has its entry in its plan item already (checked by the survey);
 * an earlier backup's files are looked up in its folder index, read as a stream, once per backup
 * and keeping only the files wanted.
 */
async function resolveEntries(opened: Map<string, OpenBackup>, mainId: string, items: PlanItems, survey: WriteSurvey): Promise<Map<string, ContentEntry>> {
  if (survey.missing) throw survey.missing;
  const entries = new Map<string, ContentEntry>();
  if (survey.wanted.size === 0) return entries;
  const heldBy = new Map<string, Map<string, { name: string; sha256: string }>>();
  for (const [backupId, keys] of survey.wanted) {
    const held = new Map<string, { name: string; sha256: string }>();
    const { reader, manifest: m } = opened.get(backupId)!;
    for (const s of m.sources) {
      if (s.kind !== 'folder') continue;
      const mine = new Set([...keys].filter((k) => k.startsWith(`${s.id}\0`)).map((k) => k.slice(s.id.length + 1)));
      if (mine.size === 0) continue;
      try {
        for (const [key, entry] of await storedEntries(m, s, reader, mine)) held.set(`${s.id}\0${key}`, entry);
      } catch {
        // an unreadable folder of the earlier backup: its files are missing (BASE_BACKUP_MISSING below)
      }
    }
    heldBy.set(backupId, held);
  }
  await items.replay((window) => {
    for (const item of window) {
      if (!writes(item) || !needsContent(item) || item.ref.storedIn === mainId) continue;
      const key = contentKey(item);
      if (entries.has(key)) continue;
      const holder = opened.get(item.ref.storedIn)!;
      const entry = heldBy.get(item.ref.storedIn)?.get(fileKey(item));
      if (!entry || entry.sha256 !== item.ref.sha256 || !holder.reader.entries.has(entry.name)) throw baseMissing(item);
      entries.set(key, { reader: holder.reader, name: entry.name });
    }
  });
  return entries;
}

/**
 * Authenticates a backup's final chunk: it is sealed as the last one and with the payload length
 * the trailer states, so a truncated file, or one with chunks dropped or appended, fails here
 * (FILE_TRUNCATED / FILE_CORRUPT) even when the files restored lie in its first chunks. (The
 * container has already checked the header and that the trailer sits where that length puts it.)
 */
async function authenticateFinalChunk(reader: BackupReader): Promise<void> {
  await reader.container.readChunk(reader.container.chunkCount - 1);
}

/** A progress callback for `total` bytes mapped onto 0..`upTo` percent. */
function progressOf(ctx: FilesRestoreContext, total: number, upTo: number): (n: number) => void {
  let done = 0;
  return (n) => {
    done += n;
    ctx.progress({ percent: Math.round(((upTo * done) / Math.max(1, total)) * 10) / 10, bytesDone: done, bytesTotal: total });
  };
}

/** How many files are staged (or checked) at once: enough to keep the disk and both cores busy, few enough to bound memory. */
const FILES_IN_FLIGHT = 8;
/** Files under this size are read whole and written by FileStager's workers (not sparse ones: their holes are written by SparseWriter). */
const SMALL_FILE_BYTES = 256 * 1024;
/**
 * From this many items a restore starts FileStager's workers (a few tens of milliseconds); a
 * restore of a few files stages and renames them on the main thread.
 */
const STAGER_MIN_ITEMS = 32;
/** How many small files are staged at once (at most SMALL_FILE_BYTES each): enough to fill the stager's batches. */
const SMALL_FILES_IN_FLIGHT = 64;

function isSmallFile(item: PlannedFile): boolean {
  return item.ref.size < SMALL_FILE_BYTES && !item.ref.sparse;
}

/** Runs at most `limit` of the calls given to it at once; the others wait their turn, in order. */
function limiter(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    while (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await work();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * Runs `work` on every item, at most `limit` at once, in order of start. The first failure (or
 * `signal`) stops new starts and aborts `stop`, which running work watches to end early; it is
 * thrown once every started item has settled, so nothing runs on behind the caller.
 */
async function inParallel<T>(items: readonly T[], limit: number, signal: AbortSignal, work: (item: T, index: number, stop: AbortSignal) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  let failure: { error: unknown } | null = null;
  let next = 0;
  const fail = (error: unknown) => {
    failure ??= { error };
    stop.abort();
  };
  const onAbort = () => fail(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const worker = async () => {
    while (!failure && next < items.length) {
      if (signal.aborted) fail(signal.reason);
      else {
        const index = next++;
        await work(items[index]!, index, stop.signal).catch(fail);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (failure) throw (failure as { error: unknown }).error;
}

/**
 * Reads every file to write once and checks it against its size and SHA-256, writing nothing
 * (FilesRestoreSpec.checkContentsFirst). Reading authenticates every chunk the files use.
 * `bytes`: what they hold (for progress).
 */
async function checkContents(items: PlanItems, bytes: number, entryOf: (item: PlannedFile) => ContentEntry, signal: AbortSignal, ctx: FilesRestoreContext): Promise<void> {
  const onBytes = progressOf(ctx, bytes, 95);
  await items.replay(async (window) => {
    // a hard link written as a copy reads the same entry as its first file: once is enough
    const unique = new Map<BackupReader, Map<string, PlannedFile>>();
    for (const item of window) {
      if (!writes(item) || !needsContent(item)) continue;
      const { reader, name } = entryOf(item);
      const names = unique.get(reader) ?? new Map<string, PlannedFile>();
      names.set(name, item);
      unique.set(reader, names);
    }
    const all = [...unique].flatMap(([reader, names]) => [...names].map(([name, item]) => ({ item, reader, name })));
    await inParallel(all, FILES_IN_FLIGHT, signal, async ({ item, reader, name }, _index, stop) => {
      const hash = crypto.createHash('sha256');
      let read = 0;
      const source = await reader.openEntry(name);
      try {
        for await (const chunk of source) {
          if (stop.aborted) throw stop.reason;
          hash.update(chunk as Buffer);
          read += (chunk as Buffer).length;
          onBytes((chunk as Buffer).length);
        }
      } finally {
        source.destroy();
      }
      assertContentAsRecorded(item, read, hash.digest('hex'));
    });
  });
}

/** FILE_CORRUPT when what was read for `item` is not what the manifest recorded. */
function assertContentAsRecorded(item: PlannedFile, bytes: number, sha256: string): void {
  if (bytes !== item.ref.size || sha256 !== item.ref.sha256) throw contentError(item);
}

function contentError(item: PlannedFile): AppError {
  return new AppError('FILE_CORRUPT', { detail: `${item.path} does not match its SHA-256 in the manifest` });
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
 * Returns the bytes to write.
 */
async function checkTarget(plan: FilePlan, survey: WriteSurvey): Promise<number> {
  if (survey.uncreatable) throw survey.uncreatable;
  const bytesPerRoot = new Map<string, number>();
  for (const [sourceId, bytes] of survey.bytesPerSource) {
    const root = plan.roots.get(sourceId)!;
    bytesPerRoot.set(root, (bytesPerRoot.get(root) ?? 0) + bytes);
  }
  const needs = new Map<number, { dir: string; bytes: number }>();
  for (const root of new Set(plan.roots.values())) {
    const existing = await nearestExisting(root);
    try {
      await fs.promises.access(existing, fs.constants.W_OK | fs.constants.X_OK);
    } catch (cause) {
      throw new AppError('DEST_NOT_WRITABLE', { detail: `${existing} (to restore into ${root})`, cause });
    }
    const { dev } = await fs.promises.stat(existing);
    const need = needs.get(dev) ?? { dir: existing, bytes: 0 };
    need.bytes += bytesPerRoot.get(root) ?? 0;
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
  return [...bytesPerRoot.values()].reduce((sum, b) => sum + b, 0);
}

/**
 * Where each item is in the write (one byte per item of the plan, by its number): staged, moved
 * aside (the file it replaces), committed. With the plan's items (replayed) it is all undo needs.
 */
const STAGED = 1;
/** the file it replaces was moved aside (`f<n>.replaced` in the staging folder), the item not yet renamed into place */
const ASIDE = 2;
const COMMITTED = 3;
/** committed, and the file it replaced is aside */
const COMMITTED_ASIDE = 4;

/** What the restore changed on an item that was already there (to put it back on failure). */
interface Touched {
  abs: Buffer;
  type: PlannedFile['ref']['type'];
  previous: PreviousMetadata;
}

/** Everything a restore did so far, for undoing it. */
interface Progress {
  /** per item (its number): STAGED, ASIDE, COMMITTED, COMMITTED_ASIDE or 0 */
  state: Uint8Array;
  /** how many items are renamed into place or moved aside (undo replays the plan only when some are) */
  moved: number;
  stagingDirs: Map<string, string>;
  /** folders this restore created, in order */
  createdDirs: Buffer[];
  /** created folders that already have their restored mode (maybe read-only) */
  moded: Buffer[];
  touched: Touched[];
}

const execFileAsync = promisify(execFile);

/**
 * Steps 5 and 6 of the module comment: stage every item, then move them all into place and set
 * the metadata. On any failure the target is put back as it was (staged items, moved-aside
 * files, changed metadata and created folders). A plan replayed from the index (a large tree) is
 * read once to stage (files, then links and special files, a window at a time) and once to
 * commit: what the restore keeps per item is one byte of state.
 */
export async function writePreparedFiles(prepared: PreparedFileRestore, ctx: FilesRestoreContext): Promise<FilesRestoreResult> {
  const { signal } = ctx;
  const { plan, now, bytesToWrite } = prepared;
  const { items } = plan;
  const roots = [...new Set(plan.roots.values())];
  const done: Progress = { state: new Uint8Array(items.size), moved: 0, stagingDirs: new Map(), createdDirs: [], moded: [], touched: [] };
  /** per staging folder: the owner a file created there gets (no chown needed when it is the item's) */
  const createdOwners = new Map<string, { uid: number; gid: number } | null>();
  const filesTotal = plan.counts.create + plan.counts.replace + plan.counts['keep-both'];
  let written = 0;
  let filesDone = 0;
  let stager: FileStager | null = null;
  // the result: the first RESULT_ITEMS items, counts and notes of all, as written (tallied as the commit goes by)
  const result = new ResultTally();
  const stagingOf = (item: PlannedFile) => done.stagingDirs.get(plan.roots.get(item.sourceId)!)!;
  ctx.progress({ phase: 'restore', percent: 0, bytesDone: 0, bytesTotal: bytesToWrite, filesDone: 0, filesTotal });
  try {
    for (const root of roots) {
      await mkdirTracked(Buffer.from(root), done.createdDirs, null);
      const staging = path.join(root, `${STAGING_PREFIX}${crypto.randomBytes(4).toString('hex')}`);
      await fs.promises.mkdir(staging, { mode: 0o700 }).catch((e: unknown) => {
        throw restoreWriteError(e, root);
      });
      done.stagingDirs.set(root, staging);
      // a crash now leaves only this folder behind, which the next start removes
      if (done.stagingDirs.size === 1) ctx.setTempPath(staging);
      createdOwners.set(staging, await ownerOfNewFiles(staging));
    }
    const syncEach = !SYNC_FILE_SYSTEM;
    const readerOrder = new Map(prepared.readers.map((r, i) => [r, i]));
    const onBytes = (n: number) => {
      written += n;
      ctx.progress({ bytesDone: written, percent: Math.round(((95 * written) / Math.max(1, bytesToWrite)) * 10) / 10 });
    };
    const staged = (item: PlannedFile) => {
      done.state[item.n] = STAGED;
      ctx.progress({ currentItem: item.path, filesDone: ++filesDone });
    };
    // a tree of files: small files read whole and written by the stager's workers, many at once,
    // and every item renamed into place by them; larger files streamed, FILES_IN_FLIGHT at once
    stager = filesTotal >= STAGER_MIN_ITEMS ? new FileStager() : null;
    const streamed = limiter(FILES_IN_FLIGHT);
    // 5. stage, a window of the plan at a time: contents first, a few files at once, in the order
    // they are stored (the files in flight share the chunks they are in, each decrypted once);
    // then links and FIFOs (a hard link needs its first file staged). The folders the backup has
    // are kept for the commit (a folder per item of a tree at most, each held once)
    const dirs: PlannedFile[] = [];
    await items.replay(async (window) => {
      const withContent = window.filter((i) => writes(i) && needsContent(i));
      // the order of work: indexes into withContent sorted by backup, then by place in the file
      // (numbers in typed arrays: no object per file)
      const readerOf = new Uint32Array(withContent.length);
      const offsets = new Float64Array(withContent.length);
      withContent.forEach((item, index) => {
        const { reader, name } = prepared.entryOf(item);
        readerOf[index] = readerOrder.get(reader)!;
        offsets[index] = reader.entries.get(name)?.relativeOffsetOfLocalHeader ?? 0;
      });
      const contents = withContent.map((_item, index) => index).sort((a, b) => readerOf[a]! - readerOf[b]! || offsets[a]! - offsets[b]!);
      await inParallel(contents, stager ? SMALL_FILES_IN_FLIGHT : FILES_IN_FLIGHT, signal, async (index, _at, stop) => {
        const item = withContent[index]!;
        const { reader, name } = prepared.entryOf(item);
        const dir = stagingOf(item);
        const target = stagedPath(dir, item.n);
        const options = { stop, onBytes, createdAs: createdOwners.get(dir) ?? null, syncEach };
        if (stager && isSmallFile(item)) await stageSmall(item, target, reader, name, stager, options);
        else await streamed(() => stageOne(item, target, reader, name, options));
        staged(item);
      });
      // a hard link's first file comes before it in the plan: staged by now
      const others = window.filter((i) => writes(i) && i.ref.type !== 'dir' && !needsContent(i));
      await inParallel(others, FILES_IN_FLIGHT, signal, async (item) => {
        if (await stageOther(item, stagingOf(item), items)) staged(item);
      });
      for (const item of window) if (isKeptFolder(item)) dirs.push(item);
    });
    if (signal.aborted) throw signal.reason;
    if (!syncEach) {
      ctx.progress({ currentItem: 'writing the files to disk', percent: 95 });
      await syncStagedFiles([...done.stagingDirs.values()], items, done.state, stagingOf, signal);
    }

    // 6. commit: folders, then every staged item into place in plan order (whatever order staging
    // finished in) and the items already there and identical get their metadata; then the
    // folders theirs, deepest first
    ctx.progress({ currentItem: 'moving the files into place', percent: 96 });
    const rootOf = (item: PlannedFile) => Buffer.from(plan.roots.get(item.sourceId)!);
    // each folder on the way is checked (lstat: no symbolic link) once per commit, right before
    // the first item goes into it, instead of once per item in it
    const checked = new Set<string>();
    for (const dir of [...dirs].sort((a, b) => a.abs.length - b.abs.length)) {
      if (dir.action === 'create') await mkdirTracked(dir.abs, done.createdDirs, rootOf(dir), 0o700, checked);
    }
    // names a keep-both fallback picks in this commit (the renames run in parallel)
    const reserved = new Set<string>();
    const rename = stager ? stager.rename.bind(stager) : fs.promises.rename;
    // the folders the renames changed: synced at the end
    const changedDirs = new Set<string>();
    await items.replay(async (window) => {
      const toCommit = window.filter((i) => done.state[i.n] === STAGED);
      for (const item of toCommit) await mkdirTracked(parentOf(item.abs), done.createdDirs, rootOf(item), 0o777, checked);
      await inParallel(toCommit, stager ? SMALL_FILES_IN_FLIGHT : FILES_IN_FLIGHT, new AbortController().signal, (item) =>
        commitOne(item, stagingOf(item), now, reserved, rename, done, items),
      );
      for (const item of toCommit) changedDirs.add(rawKey(parentOf(item.abs)));
      for (const item of window) {
        if (item.action === 'same' && item.ref.type !== 'dir') await touchExisting(item, done.touched, items);
        // a folder written or kept is tallied once its metadata is set (below)
        if (!isKeptFolder(item)) result.add(item);
      }
    });
    await stager?.close();
    stager = null;
    for (const dir of [...dirs].sort((a, b) => b.abs.length - a.abs.length)) {
      if (dir.action === 'same') {
        await touchExisting(dir, done.touched, items);
      } else {
        done.moded.push(dir.abs);
        await setMetadata(dir.abs, 'dir', dir);
      }
      result.add(dir);
    }
    // the renames are durable once the folders they changed are synced
    await inParallel([...changedDirs], FILES_IN_FLIGHT, new AbortController().signal, (key) => syncDir(Buffer.from(key, 'base64')));
  } catch (error) {
    await stager?.close();
    await undo(done, items, stagingOf);
    ctx.setTempPath(null);
    throw signal.aborted ? cancelledError(signal) : error;
  }
  for (const staging of done.stagingDirs.values()) await fs.promises.rm(staging, { recursive: true, force: true });
  ctx.setTempPath(null);
  ctx.progress({ percent: 100 });
  return { ...result.summary(), bytesWritten: written, roots };
}

/** How many items a restore's result lists (the job keeps as many; the counts cover them all). */
export const RESULT_ITEMS = 1000;

/**
 * A restore's result, tallied item by item: the first RESULT_ITEMS listed (listedItems), the
 * counts of all, and the notes of the restore as a whole: what it did not give back as backed
 * up, and why (each item's reason says it for that item).
 */
export class ResultTally {
  private readonly items: FilePreviewItem[] = [];
  private readonly counts: Record<FileAction, number> = { create: 0, replace: 0, same: 0, 'keep-both': 0, skip: 0 };
  /** per note: how many items, and the first three's paths */
  private readonly special = { count: 0, paths: [] as string[] };
  private readonly bits = { count: 0, paths: [] as string[] };
  private mapped = 0;
  private untouched = 0;

  add(item: PlannedFile): void {
    countAction(this.counts, item);
    if (this.items.length < RESULT_ITEMS) this.items.push(...listedItems([item]));
    const tally = (what: { count: number; paths: string[] }) => {
      if (what.count++ < 3) what.paths.push(item.path);
    };
    if (item.action === 'skip' && ['socket', 'device', 'fifo', 'symlink'].includes(item.ref.type) && /not restored|never restored|has none/.test(item.reason ?? '')) tally(this.special);
    if (item.dropped && item.action !== 'skip') tally(this.bits);
    if (item.mapped && item.action !== 'skip') this.mapped++;
    if (item.action === 'same' && item.reason?.includes('mode and mtime not restored')) this.untouched++;
  }

  summary(): { items: FilePreviewItem[]; counts: Record<FileAction, number>; notes: string[] } {
    const notes: string[] = [];
    const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    const { special, bits } = this;
    if (special.count) notes.push(`${plural(special.count, 'special file', 'special files')} recorded, not restored (${special.paths.join(', ')})`);
    if (bits.count) notes.push(`setuid/setgid/sticky bits not restored on ${plural(bits.count, 'item', 'items')} (${bits.paths.join(', ')}): restore as root to keep them`);
    if (this.mapped) notes.push(`${plural(this.mapped, 'name', 'names')} mapped for Windows (reserved characters as U+F0xx)`);
    if (this.untouched) notes.push(`mode and mtime not restored on ${plural(this.untouched, 'item', 'items')} already there`);
    return { items: this.items, counts: this.counts, notes };
  }
}

function parentOf(abs: Buffer): Buffer {
  return abs.subarray(0, abs.lastIndexOf(Buffer.from(path.sep)));
}

/**
 * Stages an item without content of its own into the staging folder `dir`: a hard link to its
 * first file's staged copy (staged in the same folder: same source), a symbolic link (created,
 * never followed), or a FIFO (the `mkfifo` tool: Node has no mkfifo; when it fails the FIFO is
 * skipped and the item says why). Returns false when nothing was staged.
 */
async function stageOther(item: PlannedFile, dir: string, items: PlanItems): Promise<boolean> {
  const { ref } = item;
  const target = stagedPath(dir, item.n);
  try {
    if (ref.type === 'hardlink') {
      await fs.promises.link(stagedPath(dir, item.linkOf!), target);
    } else if (ref.type === 'symlink') {
      await fs.promises.symlink(ref.linkTarget!, target);
      await applyToLink(target, item.owner, ref.mtimeNs);
    } else if (ref.type === 'fifo') {
      try {
        await execFileAsync('mkfifo', ['-m', '600', '--', target], { timeout: 10_000 });
      } catch (error) {
        items.amend(item, { action: 'skip', reason: `FIFO not restored: mkfifo failed (${(error as Error).message.split('\n')[0]})` });
        return false;
      }
      await setMetadata(Buffer.from(target), 'fifo', item);
    }
  } catch (error) {
    throw restoreWriteError(error, item.target);
  }
  return true;
}

/** Owner (as root), mode and mtime of an item this restore created, never through a link. */
async function setMetadata(abs: Buffer, type: 'dir' | 'file' | 'fifo', item: PlannedFile): Promise<void> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await openNoFollow(abs, type);
  } catch (error) {
    throw restoreWriteError(error, item.target);
  }
  try {
    await applyToHandle(handle, { mode: item.mode, owner: item.owner, mtimeNs: item.ref.mtimeNs });
  } catch (error) {
    throw restoreWriteError(error, item.target);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Gives an item that is already there and identical (a file, link, FIFO or folder) the backup's
 * metadata, remembering what it had. It is not ours: when that is refused (another user's file),
 * the item says so and the restore goes on.
 */
async function touchExisting(item: PlannedFile, touched: Touched[], items: PlanItems): Promise<void> {
  try {
    if (item.ref.type === 'symlink') {
      await applyToLink(item.abs, item.owner, item.ref.mtimeNs);
      return;
    }
    const handle = await openNoFollow(item.abs, item.ref.type === 'dir' ? 'dir' : item.ref.type === 'fifo' ? 'fifo' : 'file');
    try {
      const previous = await applyToHandle(handle, { mode: item.mode, owner: item.owner, mtimeNs: item.ref.mtimeNs });
      touched.push({ abs: item.abs, type: item.ref.type, previous });
    } finally {
      await handle.close().catch(() => undefined);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    items.amend(item, { reason: [item.reason, `mode and mtime not restored: ${code}`].filter(Boolean).join('; ') });
  }
}

/**
 * mkdir -p that remembers each folder it created (to remove them again on failure). Below
 * `root` every folder on the way is checked with lstat: a symbolic link there is UNSAFE_PATH (a
 * restore never writes through one), even if it appeared after the plan. `root` itself, and what
 * is above it, the user chose. New folders below the root get `mode` (a restored folder gets its
 * own mode at the end). A folder in `checked` was checked (or made) earlier in the same commit
 * and is not looked at again; each folder checked here is added to it.
 */
async function mkdirTracked(dir: Buffer, created: Buffer[], root: Buffer | null, mode = 0o777, checked?: Set<string>): Promise<void> {
  const sep = Buffer.from(path.sep)[0]!;
  if (checked?.has(rawKey(dir))) return;
  if (root === null || dir.length <= root.length) {
    const text = displayTarget(dir);
    const first = await fs.promises.mkdir(dir, { recursive: true }).catch((e: unknown) => {
      throw restoreWriteError(e, text);
    });
    checked?.add(rawKey(dir));
    if (!first) return;
    // mkdir returns the first folder it created; every folder from there down to `dir` is new
    for (let current = dir.toString('utf8'); ; current = path.dirname(current)) {
      created.push(Buffer.from(current));
      if (current === first || path.dirname(current) === current) break;
    }
    return;
  }
  const rootKey = rawKey(root);
  if (!checked?.has(rootKey)) {
    await mkdirTracked(root, created, null);
    checked?.add(rootKey);
  }
  for (let at = root.length + 1; at <= dir.length; at++) {
    if (at < dir.length && dir[at] !== sep) continue;
    const level = dir.subarray(0, at);
    const key = rawKey(level);
    if (checked?.has(key)) continue;
    const stat = await fs.promises.lstat(level).catch(() => null);
    if (stat?.isSymbolicLink()) throw new AppError('UNSAFE_PATH', { detail: `${displayTarget(level)} is a symbolic link; a restore never writes through one` });
    if (stat && !stat.isDirectory()) throw new AppError('RESTORE_TARGET_INVALID', { detail: `${displayTarget(level)} is in the way of a folder of the backup` });
    if (!stat) {
      await fs.promises.mkdir(level, { mode }).catch((e: unknown) => {
        throw restoreWriteError(e, displayTarget(level));
      });
      created.push(Buffer.from(level));
    }
    checked?.add(key);
  }
}

/**
 * Moves one staged item (in the staging folder `dir`) into place (its folder exists and was
 * checked: mkdirTracked); a file it replaces is moved aside first. A name taken since the plan
 * is never overwritten: the item is written next to it (keep both), under a name no other item
 * of this commit has `reserved`.
 */
async function commitOne(
  item: PlannedFile,
  dir: string,
  now: Date,
  reserved: Set<string>,
  rename: (from: string | Buffer, to: string | Buffer) => Promise<void>,
  done: Progress,
  items: PlanItems,
): Promise<void> {
  const staged = stagedPath(dir, item.n);
  if (item.action === 'replace') {
    await rename(item.abs, `${staged}.replaced`).catch((e: unknown) => {
      throw restoreWriteError(e, item.target);
    });
    done.state[item.n] = ASIDE;
    done.moved++;
  } else if (occupied(item.abs)) {
    // something appeared there since the plan: never overwrite it (picked and reserved with no
    // await in between, so two items renamed at once never pick the same name)
    const abs = keepBothRaw(item.abs, now, (candidate) => reserved.has(rawKey(candidate)) || occupied(candidate));
    reserved.add(rawKey(abs));
    items.amend(item, { abs, target: displayTarget(abs), action: 'keep-both' });
  }
  await rename(staged, item.abs).catch((e: unknown) => {
    throw restoreWriteError(e, item.target);
  });
  if (done.state[item.n] !== ASIDE) done.moved++;
  done.state[item.n] = done.state[item.n] === ASIDE ? COMMITTED_ASIDE : COMMITTED;
}

/** Where item `n` is staged: `f<n>` in its staging folder. */
function stagedPath(dir: string, n: number): string {
  return path.join(dir, `f${n}`);
}

/**
 * Puts the target back: metadata, committed items out (replaced ones back), staging and created
 * folders removed. The items moved are found by replaying the plan; should that replay fail, the
 * staging folders are kept (the files moved aside are in them) and so are the folders created.
 */
async function undo(done: Progress, items: PlanItems, stagingOf: (item: PlannedFile) => string): Promise<void> {
  for (const { abs, type, previous } of [...done.touched].reverse()) {
    const handle = await openNoFollow(abs, type === 'dir' ? 'dir' : type === 'fifo' ? 'fifo' : 'file').catch(() => null);
    if (!handle) continue;
    await revertHandle(handle, previous);
    await handle.close().catch(() => undefined);
  }
  // a created folder may have its restored mode already (0555): writable again to empty it
  for (const dir of done.moded) {
    const handle = await openNoFollow(dir, 'dir').catch(() => null);
    await handle?.chmod(0o700).catch(() => undefined);
    await handle?.close().catch(() => undefined);
  }
  if (done.moved > 0) {
    try {
      await items.replay(async (window) => {
        for (const item of window) {
          const state = done.state[item.n]!;
          if (state < ASIDE) continue;
          try {
            if (state === COMMITTED || state === COMMITTED_ASIDE) await fs.promises.rm(item.abs, { force: true });
            if (state === ASIDE || state === COMMITTED_ASIDE) await fs.promises.rename(`${stagedPath(stagingOf(item), item.n)}.replaced`, item.abs);
          } catch {
            // best effort: go on putting back the others
          }
        }
      });
    } catch {
      return;
    }
  }
  for (const staging of done.stagingDirs.values()) await fs.promises.rm(staging, { recursive: true, force: true }).catch(() => undefined);
  // deepest first; only folders this restore created, and only if they are empty again
  const created = [...new Map(done.createdDirs.map((d) => [rawKey(d), d])).values()];
  for (const dir of created.sort((a, b) => b.length - a.length)) await fs.promises.rmdir(dir).catch(() => undefined);
}

/** A write failure in the target, in words that name the fix. */
function restoreWriteError(error: unknown, where: string): unknown {
  if (error instanceof AppError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new AppError('RESTORE_NO_SPACE', { detail: where, cause: error });
  if (code === 'ENAMETOOLONG' || code === 'EILSEQ' || code === 'EINVAL') return new AppError('RESTORE_PATH_INVALID', { detail: `${where} (${code})`, cause: error });
  if (code === 'EXDEV') return new AppError('RESTORE_TARGET_INVALID', { detail: `${where} is on another file system than its target folder`, cause: error });
  if (code === 'ELOOP') return new AppError('UNSAFE_PATH', { detail: `${where} is a symbolic link; a restore never writes through one`, cause: error });
  const mapped = destinationError(error);
  if (mapped instanceof AppError) return new AppError(mapped.code, { detail: where, cause: error });
  return error;
}

/**
 * A small file into the staging folder: its entry read whole and handed to one of the stager's
 * workers, which decompresses it, checks it against its size and SHA-256 before anything is
 * written, then creates and writes it and gives it its owner, mode and mtime (and fsync when
 * `syncEach`). An entry the workers cannot decompress (zstd on a runtime without it) is
 * decompressed and checked here.
 */
async function stageSmall(
  item: PlannedFile,
  target: string,
  reader: BackupReader,
  entryName: string,
  stager: FileStager,
  options: { stop: AbortSignal; onBytes: (n: number) => void; createdAs: { uid: number; gid: number } | null; syncEach: boolean },
): Promise<void> {
  const stored = await reader.readStoredEntry(entryName);
  const inWorker = FileStager.decompresses(stored.method);
  const data = inWorker ? stored.data : reader.decodeStoredEntry(entryName, stored);
  if (!inWorker) assertContentAsRecorded(item, data.length, crypto.createHash('sha256').update(data).digest('hex'));
  if (options.stop.aborted) throw options.stop.reason;
  const { chown, mode, time } = newFileMetadata({ mode: item.mode, owner: item.owner, mtimeNs: item.ref.mtimeNs }, options.createdAs);
  const expect = inWorker ? { method: stored.method, size: item.ref.size, sha256: item.ref.sha256 } : undefined;
  try {
    await stager.write({ path: target, data, mode, owner: chown, time, sync: options.syncEach, expect });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === CONTENT_MISMATCH) throw contentError(item);
    throw restoreWriteError(error, item.target);
  }
  options.onBytes(item.ref.size);
}

/**
 * One file into the staging folder, streamed from its entry: checked SHA-256 (holes kept when
 * sparse) -> owner (when it is not the one the file got: `createdAs`), mode, mtime -> fsync when
 * `syncEach` (else syncStagedFiles makes it durable before the commit). Ends early, with `stop`'s
 * reason, once `stop` aborts.
 */
async function stageOne(
  item: PlannedFile,
  target: string,
  reader: BackupReader,
  entryName: string,
  options: { stop: AbortSignal; onBytes: (n: number) => void; createdAs: { uid: number; gid: number } | null; syncEach: boolean },
): Promise<void> {
  const { stop, onBytes } = options;
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(target, 'wx', 0o600);
  } catch (error) {
    throw restoreWriteError(error, item.target);
  }
  try {
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    const source = await reader.openEntry(entryName);
    const sparse = item.ref.sparse ? new SparseWriter(handle) : null;
    try {
      for await (const chunk of source) {
        if (stop.aborted) throw stop.reason;
        const data = chunk as Buffer;
        hash.update(data);
        bytes += data.length;
        if (sparse) await sparse.write(data);
        else await writeAll(handle, data);
        onBytes(data.length);
      }
      await sparse?.end();
    } catch (error) {
      if (stop.aborted) throw stop.reason;
      throw restoreWriteError(error, item.target);
    } finally {
      source.destroy();
    }
    assertContentAsRecorded(item, bytes, hash.digest('hex'));
    await applyToNewHandle(handle, { mode: item.mode, owner: item.owner, mtimeNs: item.ref.mtimeNs }, options.createdAs);
    if (options.syncEach) await handle.sync();
  } catch (error) {
    throw restoreWriteError(error, item.target);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * On Linux the staged files are made durable together, with one syncfs(2) of each staging
 * folder's file system (coreutils' `sync -f`) before the commit, instead of an fsync per file:
 * 40k fsyncs each force a journal commit and hold a thread of libuv's pool of 4, stalling the
 * other files' writes, while one syncfs writes the same data back once. (It also waits for other
 * programs' unwritten data on that file system, which is rarely much.) Elsewhere each file is
 * fsynced as it is staged (stageOne).
 */
const SYNC_FILE_SYSTEM = process.platform === 'linux';

/**
 * Makes the staged files durable before the commit renames them into place: so that a crash
 * right after the commit never leaves an empty or partly written file where a restored one
 * should be. One `sync -f` per staging folder; when that tool fails, every staged file is fsynced.
 */
async function syncStagedFiles(stagingDirs: string[], items: PlanItems, state: Uint8Array, stagingOf: (item: PlannedFile) => string, signal: AbortSignal): Promise<void> {
  try {
    for (const dir of stagingDirs) await execFileAsync('sync', ['-f', '--', dir], { timeout: 30 * 60_000 });
    return;
  } catch {
    // an old coreutils or a busybox without -f: the files one by one
  }
  await items.replay(async (window) => {
    const files = window.filter((item) => state[item.n] === STAGED && needsContent(item));
    await inParallel(files, FILES_IN_FLIGHT, signal, async (item) => {
      const handle = await fs.promises.open(stagedPath(stagingOf(item), item.n), fs.constants.O_RDONLY | O_NOFOLLOW).catch((error: unknown) => {
        throw restoreWriteError(error, item.target);
      });
      try {
        await handle.sync();
      } catch (error) {
        throw restoreWriteError(error, item.target);
      } finally {
        await handle.close().catch(() => undefined);
      }
    });
  });
}

/**
 * The owner a file created in `dir` gets (the restoring user, and a group that depends on the
 * folder's setgid bit and the mount's options), learnt from a probe file: a restored file whose
 * owner is that one needs no chown. null when the probe fails (then every file is chowned).
 */
async function ownerOfNewFiles(dir: string): Promise<{ uid: number; gid: number } | null> {
  if (process.platform === 'win32') return null;
  const probe = path.join(dir, 'owner-probe');
  try {
    const handle = await fs.promises.open(probe, 'wx', 0o600);
    try {
      const { uid, gid } = await handle.stat();
      return { uid, gid };
    } finally {
      await handle.close();
      await fs.promises.unlink(probe);
    }
  } catch {
    return null;
  }
}

/** Writes all of `data` at the handle's position (a write may take fewer bytes than asked). */
async function writeAll(handle: fs.promises.FileHandle, data: Buffer): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const { bytesWritten } = await handle.write(data, done, data.length - done);
    done += bytesWritten;
  }
}

async function syncDir(dir: Buffer): Promise<void> {
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
