/**
 * What a file restore would do, decided before anything is written: for each item of the backup
 * (file, folder, link, special file), where it lands and whether it is created, replaced, left
 * alone (same content: only its metadata is restored), written next to the existing one (keep
 * both) or skipped. Every path is checked first; one unsafe path refuses the whole restore.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import type { BackupManifest, ManifestFolderSource } from '../../../shared/manifest';
import type { ConflictPolicy, FileAction, FilePreviewItem, FilesTarget } from '../../../shared/restore';
import { hashFile } from '../archive/hash-stream';
import { rawKey } from '../folders/raw-path';
import { folderFiles, isSelected, pickFolderSources, targetRoots, type FolderFileRef } from './backup-index';
import { currentRestorer, restoredMode, restoredOwner, type Restorer } from './file-metadata';
import { checkParents, displayTarget, itemTarget, keepBothRaw, parentsOf, UnrestorableCheck, unrestorableItems, type ItemTarget, type UnrestorableItem } from './safe-paths';
import { streamFolderItems } from './folder-items';
import type { BackupReader } from '../archive/reader';

export interface PlannedFile extends FilePreviewItem {
  ref: FolderFileRef;
  /** the bytes of the absolute path it is written to (`target` is its text) */
  abs: Buffer;
  /** a hard link whose first file this restore writes too: it is linked to that one */
  linkOf: PlannedFile | null;
  /** the mode it gets (restoredMode) and, as root, the owner */
  mode: number;
  owner: { uid: number; gid: number } | null;
  /** the special bits (setuid, setgid, sticky) it does not get back, or null */
  dropped: string | null;
  /** on Windows: its name had to be mapped (windowsName) */
  mapped: boolean;
}

export interface FilePlan {
  items: PlannedFile[];
  roots: Map<string, string>;
  counts: Record<FileAction, number>;
  conflict: ConflictPolicy;
}

/** Actions that write an item. */
export const WRITING_ACTIONS: readonly FileAction[] = ['create', 'replace', 'keep-both'];

/** What is at `abs` (lstat: a link is not followed), or null when nothing is or it cannot be seen. */
function lstatOrNull(abs: Buffer): fs.Stats | null {
  try {
    return fs.lstatSync(abs, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/** Whether something is at `abs` (a dangling link counts: lstat, never stat). */
export function occupied(abs: Buffer): boolean {
  return fs.lstatSync(abs, { throwIfNoEntry: false }) !== undefined;
}

function describe(existing: fs.Stats): string {
  if (existing.isDirectory()) return 'a folder';
  if (existing.isFile()) return 'a different file';
  if (existing.isSymbolicLink()) return 'a different symbolic link';
  return 'something that is not a file';
}

/** Whether an existing item is of the kind `ref` is (overwrite replaces only its own kind). */
function sameKind(existing: fs.Stats, ref: FolderFileRef): boolean {
  if (ref.type === 'file' || ref.type === 'hardlink') return existing.isFile();
  if (ref.type === 'symlink') return existing.isSymbolicLink();
  if (ref.type === 'fifo') return existing.isFIFO();
  return false;
}

/** Whether what is at `abs` already is the backup's item (content, link target, folder, FIFO). */
async function isSame(abs: Buffer, existing: fs.Stats, ref: FolderFileRef, signal?: AbortSignal): Promise<boolean> {
  if (ref.type === 'file' || ref.type === 'hardlink') return existing.isFile() && existing.size === ref.size && (await hashFile(abs, signal)) === ref.sha256;
  if (ref.type === 'symlink') return existing.isSymbolicLink() && (await fs.promises.readlink(abs, { encoding: 'buffer' })).equals(ref.linkTarget!);
  if (ref.type === 'dir') return existing.isDirectory();
  if (ref.type === 'fifo') return existing.isFIFO();
  return false;
}

/** Why an item of this type is never written here, or null. */
function neverRestored(ref: FolderFileRef): string | null {
  if (ref.type === 'socket') return 'a socket is recorded in the backup, never restored (a program creates it when it runs)';
  if (ref.type === 'device') return 'a device file is recorded in the backup, never restored';
  if (ref.type === 'fifo' && process.platform === 'win32') return 'a FIFO is recorded in the backup; Windows has none';
  // creating one needs a privilege (or developer mode) there, and NTFS links differ from POSIX ones
  if (ref.type === 'symlink' && process.platform === 'win32') return 'a symbolic link is recorded in the backup, not restored on Windows';
  return null;
}

/** What the restore tells about an item it writes or keeps (special bits left out, a name mapped for Windows). */
function notesFor(ref: FolderFileRef, target: ItemTarget, dropped: string | null): string[] {
  const notes: string[] = [];
  if (dropped) {
    notes.push(
      ref.format < 2
        ? `${dropped} bit not restored: this backup (format 1) records no owner`
        : `${dropped} bit not restored: only a restore run as root, or by the file's owner, sets it`,
    );
  }
  if (target.mapped) notes.push(`name mapped for Windows: ${JSON.stringify(target.mapped)}`);
  return notes;
}

/**
 * Plans a file restore; with `reader` (the backup, open), a folder's index (format 3) is read from
 * it as a stream instead of from `manifest` (read without its items). Throws UNSAFE_PATH (a path
 * outside its target, a link the backup would have the restore write through, or a symbolic link
 * among the target's folders),
 * RESTORE_SELECTION_MISSING (a selected path the backup does not hold) or RESTORE_TARGET_INVALID
 * (the target is not a folder). Reads, never writes.
 */
export async function planFileRestore(
  manifest: BackupManifest,
  target: FilesTarget,
  now: Date,
  signal?: AbortSignal,
  restorer: Restorer = currentRestorer(),
  reader?: BackupReader,
): Promise<FilePlan> {
  const sources = pickFolderSources(manifest, target.sourceId);
  const roots = targetRoots(sources, target.folder);
  // the chosen folder (or the original place) may be a link to a folder; a subfolder we name may not
  const rootsChosenByUser = !target.folder || sources.length === 1;
  for (const root of new Set(roots.values())) {
    const stat = await fs.promises.lstat(root).catch(() => null);
    if (!stat || stat.isDirectory()) continue;
    if (stat.isSymbolicLink() && !rootsChosenByUser) throw new AppError('UNSAFE_PATH', { detail: `${root} is a symbolic link` });
    const real = stat.isSymbolicLink() ? await fs.promises.stat(root).catch(() => null) : stat;
    if (!real?.isDirectory()) throw new AppError('RESTORE_TARGET_INVALID', { detail: `${root} exists and is not a folder` });
  }

  // 1. every item of every source is checked before anything else (one unsafe path refuses
  // everything); 2. then what happens to each selected one, decided as it comes (one pass: a
  // plan of a large tree holds its items, not their intermediate targets and names as well)
  const checked: { source: ManifestFolderSource; items: FolderFileRef[] }[] = [];
  for (const source of sources) {
    let items: FolderFileRef[];
    let problem: UnrestorableItem | undefined;
    if (reader && source.index) {
      // read from the backup as a stream: only the selected items are kept
      const check = new UnrestorableCheck();
      items = await streamFolderItems(manifest, source, () => reader.folderIndex(manifest, source), check, (ref) => isSelected(ref.path, target.paths));
      problem = check.problems()[0];
    } else {
      items = folderFiles(manifest, source);
      problem = unrestorableItems(items)[0];
    }
    if (problem) throw new AppError('UNSAFE_PATH', { detail: `${JSON.stringify(problem.path)}: ${problem.reason}` });
    checked.push({ source, items });
  }
  // a selected path the backup does not hold is refused before anything on disk is looked at
  const matchedSelections = new Set<string>();
  for (const { items: refs } of checked) {
    for (const ref of target.paths ? refs : []) {
      if (!isSelected(ref.path, target.paths)) continue;
      for (const p of target.paths ?? []) if (isSelected(ref.path, [p])) matchedSelections.add(p);
    }
  }
  const unmatched = (target.paths ?? []).filter((p) => !matchedSelections.has(p));
  if (unmatched.length) {
    throw new AppError('RESTORE_SELECTION_MISSING', { detail: `not in the backup: ${unmatched.slice(0, 5).map((p) => JSON.stringify(p)).join(', ')}` });
  }
  const parentCache = new Map<string, 'dir' | 'missing' | 'file'>();
  // the names written so far: a keep-both name must be taken by neither the disk nor another item
  const keepBoth = target.conflict === 'keep-both';
  const chosenNames = new Set<string>();
  const taken = (candidate: Buffer) => chosenNames.has(rawKey(candidate)) || occupied(candidate);
  const items: PlannedFile[] = [];
  // one owner record per owner, shared by its items (as root, every item has one)
  const owners = new Map<string, { uid: number; gid: number }>();
  const shared = (owner: { uid: number; gid: number } | null) => {
    if (!owner) return null;
    const key = `${owner.uid}:${owner.gid}`;
    const known = owners.get(key);
    if (known) return known;
    owners.set(key, owner);
    return owner;
  };
  let index = 0;
  for (const { source, items: refs } of checked) {
    const root = roots.get(source.id)!;
    for (const ref of refs) {
      if (!isSelected(ref.path, target.paths)) continue;
      if (signal?.aborted) throw signal.reason;
      // the lstat below is synchronous (a few µs, where an awaited one costs a thread-pool round
      // trip each): let other work run now and then on a large tree
      if (index++ % 2000 === 1999) await new Promise((resolve) => setImmediate(resolve));
      const where = itemTarget(root, ref);
      const blocked = checkParents(parentsOf(root, where.segments), parentCache) === 'blocked';
      const { mode, dropped } = restoredMode(ref, restorer);
      const notes = notesFor(ref, where, dropped);
      const owner = shared(restoredOwner(ref, restorer));
      const mapped = where.mapped !== null;
      // a literal per item, not a spread of a shared one: spread-built objects are slow in V8 (folder-items.ts)
      const make = (action: FileAction, reason: string | null, abs: Buffer): PlannedFile => ({
        sourceId: ref.sourceId,
        path: ref.path,
        target: abs === where.abs ? where.display : displayTarget(abs),
        action,
        size: ref.size,
        reason,
        ref,
        abs,
        linkOf: null,
        mode,
        owner,
        dropped,
        mapped,
      });
      const add = (action: FileAction, reason: string | null, abs = where.abs) => {
        items.push(make(action, [reason, ...notes].filter(Boolean).join('; ') || null, abs));
        if (keepBoth && WRITING_ACTIONS.includes(action)) chosenNames.add(rawKey(abs));
      };
      const never = neverRestored(ref);
      if (never) {
        items.push(make('skip', never, where.abs));
        continue;
      }
      if (blocked) {
        items.push(make('skip', 'a file is in the place of one of its folders', where.abs));
        continue;
      }
      const existing = lstatOrNull(where.abs);
      if (!existing) {
        add('create', null);
        continue;
      }
      if (await isSame(where.abs, existing, ref, signal)) {
        add('same', ref.type === 'dir' ? 'the folder is there; its mode and mtime are restored' : 'identical content is already there');
        continue;
      }
      const what = describe(existing);
      if (ref.type === 'dir') {
        // a folder's items would land below whatever is there: never replaced, never renamed
        items.push(make('skip', `${what} is where the backup has a folder`, where.abs));
      } else if (keepBoth) {
        const other = keepBothRaw(where.abs, now, taken);
        add('keep-both', `${what} is there; written next to it as ${displayTarget(other.subarray(other.lastIndexOf(Buffer.from(path.sep)) + 1))}`, other);
      } else if (target.conflict === 'overwrite' && sameKind(existing, ref)) {
        add('replace', `${what} is there and is replaced`);
      } else {
        // never replace a folder (or a link, a device...) with a file: that would lose what it holds
        items.push(make('skip', `${what} is there`, where.abs));
      }
    }
  }

  // 3. a hard link whose first file is written too is linked to it; otherwise it is written as a copy
  // (only the files some written hard link names are looked up)
  const wanted = new Set<string>();
  for (const item of items) {
    if (item.ref.type === 'hardlink' && WRITING_ACTIONS.includes(item.action)) wanted.add(`${item.sourceId}\0${rawKey(item.ref.linkTo!)}`);
  }
  const written = new Map<string, PlannedFile>();
  if (wanted.size > 0) {
    for (const item of items) {
      if (item.ref.type !== 'file' || !WRITING_ACTIONS.includes(item.action)) continue;
      const key = `${item.sourceId}\0${rawKey(item.ref.raw)}`;
      if (wanted.has(key)) written.set(key, item);
    }
  }
  for (const item of items) {
    if (item.ref.type !== 'hardlink' || !WRITING_ACTIONS.includes(item.action)) continue;
    item.linkOf = written.get(`${item.sourceId}\0${rawKey(item.ref.linkTo!)}`) ?? null;
  }
  return { items, roots, counts: countActions(items), conflict: target.conflict };
}

/** How many items get each action; folders are the tree they are in, not counted. */
export function countActions(items: readonly PlannedFile[]): Record<FileAction, number> {
  const counts: Record<FileAction, number> = { create: 0, replace: 0, same: 0, 'keep-both': 0, skip: 0 };
  for (const item of items) if (item.ref.type !== 'dir') counts[item.action]++;
  return counts;
}

/** The items a preview or a result lists (the first `limit`): all but folders, which are listed only when skipped. */
export function listedItems(items: readonly PlannedFile[], limit = Infinity): FilePreviewItem[] {
  const listed: FilePreviewItem[] = [];
  for (const item of items) {
    if (listed.length >= limit) break;
    if (item.ref.type !== 'dir' || item.action === 'skip') listed.push(previewItem(item));
  }
  return listed;
}

/** An item as the renderer and the catalog see it: no buffers, no internal references. */
export function previewItem(item: PlannedFile): FilePreviewItem {
  return { sourceId: item.sourceId, path: item.path, target: item.target, action: item.action, size: item.size, reason: item.reason };
}

/** The plan as the renderer shows it (without the internal references). */
export function planForPreview(plan: FilePlan, folder: string | null) {
  return {
    folder,
    conflict: plan.conflict,
    items: listedItems(plan.items),
    counts: plan.counts,
  };
}
