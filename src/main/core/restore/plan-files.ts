/**
 * What a file restore would do, decided before anything is written: for each item of the backup
 * (file, folder, link, special file), where it lands and whether it is created, replaced, left
 * alone (same content: only its metadata is restored), written next to the existing one (keep
 * both) or skipped. Every path is checked first; one unsafe path refuses the whole restore.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { AppError } from '../../../shared/errors';
import type { BackupManifest, ManifestFolderSource } from '../../../shared/manifest';
import type { ConflictPolicy, FileAction, FilePreviewItem, FilesTarget } from '../../../shared/restore';
import { hashFile } from '../archive/hash-stream';
import { rawKey } from '../folders/raw-path';
import { folderFiles, isSelected, pickFolderSources, targetRoots, type FolderFileRef } from './backup-index';
import { currentRestorer, restoredMode, restoredOwner, type Restorer } from './file-metadata';
import { checkParents, displayTarget, itemTarget, keepBothRaw, parentsOf, UnrestorableCheck, unrestorableItems, type ItemTarget, type UnrestorableItem } from './safe-paths';
import { firstFiles, indexItems, streamFolderItems } from './folder-items';
import type { BackupReader } from '../archive/reader';

export interface PlannedFile extends FilePreviewItem {
  /** its number in the plan's order: its place in every replay, and its name while staged */
  n: number;
  ref: FolderFileRef;
  /** the bytes of the absolute path it is written to (`target` is its text) */
  abs: Buffer;
  /** a hard link whose first file this restore writes too: that file's number (n); it is linked to it */
  linkOf: number | null;
  /** the mode it gets (restoredMode) and, as root, the owner */
  mode: number;
  owner: { uid: number; gid: number } | null;
  /** the special bits (setuid, setgid, sticky) it does not get back, or null */
  dropped: string | null;
  /** on Windows: its name had to be mapped (windowsName) */
  mapped: boolean;
}

/** What writing changed on a planned item (amend): every later replay shows it. */
export type Amendment = Partial<Pick<PlannedFile, 'action' | 'abs' | 'target' | 'reason'>>;

/**
 * The items of a plan in plan order. Held in memory (a restore of a few thousand items, or an
 * older format's manifest, which holds them all anyway), or, for a large tree read from a folder
 * index, replayed: each replay reads the index again and rebuilds every item from one byte the
 * plan kept for it (its decision), so that a plan of millions of files holds a few megabytes.
 */
export interface PlanItems {
  readonly size: number;
  /**
   * Calls `each` with consecutive items, in plan order (a window of at most REPLAY_WINDOW when
   * replayed, all at once when held). A replayed item is a new object at every replay: what
   * writing changes on it is kept through `amend` only. Throws what reading the index throws.
   */
  replay(each: (items: readonly PlannedFile[]) => Promise<void> | void): Promise<void>;
  /** Changes `item` and every later replay of it. */
  amend(item: PlannedFile, change: Amendment): void;
}

export interface FilePlan {
  items: PlanItems;
  roots: Map<string, string>;
  counts: Record<FileAction, number>;
  conflict: ConflictPolicy;
}

/** Actions that write an item. */
export const WRITING_ACTIONS: readonly FileAction[] = ['create', 'replace', 'keep-both'];

/** Beyond this many selected items a plan read from a folder index is replayed, not held (PlanItems). */
export const HELD_ITEMS = 20_000;
/** How many items a replay hands over at once. */
export const REPLAY_WINDOW = 4096;

class HeldItems implements PlanItems {
  constructor(private readonly items: PlannedFile[]) {}

  get size(): number {
    return this.items.length;
  }

  async replay(each: (items: readonly PlannedFile[]) => Promise<void> | void): Promise<void> {
    if (this.items.length > 0) await each(this.items);
  }

  amend(item: PlannedFile, change: Amendment): void {
    Object.assign(item, change);
  }
}

class ReplayedItems implements PlanItems {
  private readonly amended = new Map<number, Amendment>();

  /** `batches` yields the plan's items in plan order, rebuilt, `size` of them. */
  constructor(
    readonly size: number,
    private readonly batches: () => AsyncIterable<PlannedFile[]>,
  ) {}

  async replay(each: (items: readonly PlannedFile[]) => Promise<void> | void): Promise<void> {
    const windows = this.windows();
    try {
      // the next window is read (and rebuilt) while `each` works on this one
      let next = windows.next();
      for (;;) {
        const { value, done } = await next;
        if (done) break;
        next = windows.next();
        // a failure of the read ahead is seen when it is awaited (not as an unhandled rejection meanwhile)
        next.catch(() => undefined);
        await each(value);
      }
    } finally {
      await windows.return(undefined).catch(() => undefined);
    }
  }

  amend(item: PlannedFile, change: Amendment): void {
    Object.assign(item, change);
    this.amended.set(item.n, { ...this.amended.get(item.n), ...change });
  }

  private async *windows(): AsyncGenerator<PlannedFile[]> {
    let window: PlannedFile[] = [];
    let count = 0;
    for await (const batch of this.batches()) {
      for (const item of batch) {
        count++;
        const change = this.amended.get(item.n);
        if (change) Object.assign(item, change);
        window.push(item);
        if (window.length >= REPLAY_WINDOW) {
          yield window;
          window = [];
        }
      }
    }
    if (window.length > 0) yield window;
    if (count !== this.size) throw replayMismatch();
  }
}

/** A 32-bit digest of what an item is: its path, type and content (an item replayed must have the one it was decided with). */
function fingerprint(ref: FolderFileRef): number {
  return zlib.crc32(ref.raw, zlib.crc32(`${ref.type}\0${ref.size}\0${ref.sha256}\0${ref.storedIn}\0${ref.entry ?? ''}`));
}

function replayMismatch(): AppError {
  return new AppError('FILE_CORRUPT', { detail: 'the folder index read differently from one pass to the next' });
}

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

/** What is in the way of an item, in the words of its reason (by its number in a decision). */
const IN_THE_WAY = ['a folder', 'a different file', 'a different symbolic link', 'something that is not a file'] as const;

function describe(existing: fs.Stats): number {
  if (existing.isDirectory()) return 0;
  if (existing.isFile()) return 1;
  if (existing.isSymbolicLink()) return 2;
  return 3;
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
 * What happens to one item, as one byte: the outcome (low 3 bits) and what is in the way
 * (IN_THE_WAY, the next 2 bits). With a keep-both name (`other`) it is all a replay needs to
 * rebuild the item exactly as planned.
 */
const Outcome = { Never: 0, Blocked: 1, Create: 2, Same: 3, FolderInTheWay: 4, KeepBoth: 5, Replace: 6, InTheWay: 7 } as const;
type Outcome = (typeof Outcome)[keyof typeof Outcome];

interface Decision {
  code: number;
  /** keep-both: where it is written instead */
  other: Buffer | null;
}

const decision = (outcome: Outcome, inTheWay = 0, other: Buffer | null = null): Decision => ({ code: outcome | (inTheWay << 3), other });

/**
 * Decides what happens to each item of a plan (decide: looks at the target) and builds the
 * planned item from that decision (item: pure, so a replay rebuilds the same item).
 */
class Decider {
  private readonly parentCache = new Map<string, 'dir' | 'missing' | 'file'>();
  /** keep-both: the names written so far (a keep-both name must be taken by neither the disk nor another item) */
  private readonly chosenNames = new Set<string>();
  /** one owner record per owner, shared by its items (as root, every item has one) */
  private readonly owners = new Map<string, { uid: number; gid: number }>();
  private decided = 0;

  constructor(
    private readonly target: FilesTarget,
    private readonly now: Date,
    private readonly restorer: Restorer,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async decide(ref: FolderFileRef, root: string, where: ItemTarget): Promise<Decision> {
    if (this.signal?.aborted) throw this.signal.reason;
    // the lstat below is synchronous (a few µs, where an awaited one costs a thread-pool round
    // trip each): let other work run now and then on a large tree
    if (this.decided++ % 2000 === 1999) await new Promise((resolve) => setImmediate(resolve));
    if (neverRestored(ref)) return decision(Outcome.Never);
    const parents = checkParents(parentsOf(root, where.segments), this.parentCache);
    if (parents === 'blocked') return decision(Outcome.Blocked);
    // below a folder that is not there, nothing is (a restore into a new folder looks at each folder once, not at each item)
    const existing = parents === 'missing' ? null : lstatOrNull(where.abs);
    const keepBoth = this.target.conflict === 'keep-both';
    const chosen = (d: Decision, abs = where.abs) => {
      if (keepBoth) this.chosenNames.add(rawKey(abs));
      return d;
    };
    if (!existing) return chosen(decision(Outcome.Create));
    if (await isSame(where.abs, existing, ref, this.signal)) return chosen(decision(Outcome.Same));
    const what = describe(existing);
    // a folder's items would land below whatever is there: never replaced, never renamed
    if (ref.type === 'dir') return decision(Outcome.FolderInTheWay, what);
    if (keepBoth) {
      const other = keepBothRaw(where.abs, this.now, (candidate) => this.chosenNames.has(rawKey(candidate)) || occupied(candidate));
      return chosen(decision(Outcome.KeepBoth, what, other), other);
    }
    if (this.target.conflict === 'overwrite' && sameKind(existing, ref)) return chosen(decision(Outcome.Replace, what));
    // never replace a folder (or a link, a device...) with a file: that would lose what it holds
    return decision(Outcome.InTheWay, what);
  }

  item(ref: FolderFileRef, n: number, where: ItemTarget, { code, other }: Decision): PlannedFile {
    const { mode, dropped } = restoredMode(ref, this.restorer);
    const owner = this.shared(restoredOwner(ref, this.restorer));
    const what = IN_THE_WAY[code >> 3]!;
    const withNotes = (reason: string | null) => [reason, ...notesFor(ref, where, dropped)].filter(Boolean).join('; ') || null;
    const make = (action: FileAction, reason: string | null, abs = where.abs): PlannedFile => ({
      // a literal per item, not a spread of a shared one: spread-built objects are slow in V8 (folder-items.ts)
      sourceId: ref.sourceId,
      path: ref.path,
      target: abs === where.abs ? where.display : displayTarget(abs),
      action,
      size: ref.size,
      reason,
      n,
      ref,
      abs,
      linkOf: null,
      mode,
      owner,
      dropped,
      mapped: where.mapped !== null,
    });
    switch ((code & 7) as Outcome) {
      case Outcome.Never:
        return make('skip', neverRestored(ref));
      case Outcome.Blocked:
        return make('skip', 'a file is in the place of one of its folders');
      case Outcome.Create:
        return make('create', withNotes(null));
      case Outcome.Same:
        return make('same', withNotes(ref.type === 'dir' ? 'the folder is there; its mode and mtime are restored' : 'identical content is already there'));
      case Outcome.FolderInTheWay:
        return make('skip', `${what} is where the backup has a folder`);
      case Outcome.KeepBoth:
        return make('keep-both', withNotes(`${what} is there; written next to it as ${displayTarget(other!.subarray(other!.lastIndexOf(Buffer.from(path.sep)) + 1))}`), other!);
      case Outcome.Replace:
        return make('replace', withNotes(`${what} is there and is replaced`));
      default:
        return make('skip', `${what} is there`);
    }
  }

  private shared(owner: { uid: number; gid: number } | null): { uid: number; gid: number } | null {
    if (!owner) return null;
    const key = `${owner.uid}:${owner.gid}`;
    const known = this.owners.get(key);
    if (known) return known;
    this.owners.set(key, owner);
    return owner;
  }
}

export interface PlanOptions {
  signal?: AbortSignal;
  restorer?: Restorer;
  /** the backup, open: a folder's index (format 3) is read from it as a stream instead of from the manifest (read without its items) */
  reader?: BackupReader;
  /** beyond this many selected items a plan read from an index is replayed, not held (default HELD_ITEMS) */
  held?: number;
  /** hears every item as it is decided, in plan order (what a restore must know of them all, gathered without a replay) */
  onItem?: (item: PlannedFile) => void;
}

/**
 * Plans a file restore (see PlanOptions). Throws UNSAFE_PATH (a path outside its target, a link
 * the backup would have the restore write through, or a symbolic link among the target's
 * folders), RESTORE_SELECTION_MISSING (a selected path the backup does not hold) or
 * RESTORE_TARGET_INVALID (the target is not a folder). Reads, never writes.
 */
export async function planFileRestore(manifest: BackupManifest, target: FilesTarget, now: Date, options: PlanOptions = {}): Promise<FilePlan> {
  const { signal, restorer = currentRestorer(), reader, held = HELD_ITEMS, onItem } = options;
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
  // everything), the selected ones counted and, up to `held`, kept (an older format's manifest
  // holds them all anyway)
  const canReplay = reader !== undefined && sources.every((s) => s.index);
  const limit = canReplay ? held : Infinity;
  let selected = 0;
  const matchedSelections = new Set<string>();
  /** per source: the first files its selected hard links name (rawKey) */
  const linkTargets = new Map<string, Set<string>>();
  const checked: { source: ManifestFolderSource; items: FolderFileRef[] }[] = [];
  for (const source of sources) {
    const links = new Set<string>();
    linkTargets.set(source.id, links);
    const keep = (ref: FolderFileRef) => {
      if (!isSelected(ref.path, target.paths)) return false;
      for (const p of target.paths ?? []) if (isSelected(ref.path, [p])) matchedSelections.add(p);
      if (ref.type === 'hardlink' && ref.linkTo) links.add(rawKey(ref.linkTo));
      return ++selected <= limit;
    };
    let items: FolderFileRef[];
    let problem: UnrestorableItem | undefined;
    if (canReplay) {
      // read from the backup as a stream: only the selected items are kept
      const check = new UnrestorableCheck();
      items = await streamFolderItems(manifest, source, () => reader!.folderIndexBatches(manifest, source), check, keep);
      problem = check.problems()[0];
    } else {
      const all = folderFiles(manifest, source);
      items = all.filter(keep);
      problem = unrestorableItems(all)[0];
    }
    if (problem) throw new AppError('UNSAFE_PATH', { detail: `${JSON.stringify(problem.path)}: ${problem.reason}` });
    checked.push({ source, items });
  }
  // a selected path the backup does not hold is refused before anything on disk is looked at
  const unmatched = (target.paths ?? []).filter((p) => !matchedSelections.has(p));
  if (unmatched.length) {
    throw new AppError('RESTORE_SELECTION_MISSING', { detail: `not in the backup: ${unmatched.slice(0, 5).map((p) => JSON.stringify(p)).join(', ')}` });
  }

  // 2. what happens to each selected item, decided as it comes; a hard link whose first file is
  // written too is linked to it (a first file comes before its links: files before nodes in a
  // held list, the walk's order in an index), otherwise it is written as a copy
  const decider = new Decider(target, now, restorer, signal);
  const counts: Record<FileAction, number> = { create: 0, replace: 0, same: 0, 'keep-both': 0, skip: 0 };
  /** per source: the number of each first file a hard link names, when it is written */
  const writtenFirsts = new Map<string, Map<string, number>>(sources.map((s) => [s.id, new Map()]));
  const linked = (item: PlannedFile) => {
    const { ref } = item;
    const writes = WRITING_ACTIONS.includes(item.action);
    if (ref.type === 'file' && writes && linkTargets.get(ref.sourceId)!.has(rawKey(ref.raw))) writtenFirsts.get(ref.sourceId)!.set(rawKey(ref.raw), item.n);
    if (ref.type === 'hardlink' && writes) item.linkOf = writtenFirsts.get(ref.sourceId)!.get(rawKey(ref.linkTo!)) ?? null;
    return item;
  };
  if (selected <= limit) {
    const items: PlannedFile[] = [];
    for (const { source, items: refs } of checked) {
      const root = roots.get(source.id)!;
      for (const ref of refs) {
        const where = itemTarget(root, ref);
        const item = linked(decider.item(ref, items.length, where, await decider.decide(ref, root, where)));
        countAction(counts, item);
        onItem?.(item);
        items.push(item);
      }
    }
    return { items: new HeldItems(items), roots, counts, conflict: target.conflict };
  }

  // a large tree: its items are read from the index again, decided, and only the decisions kept
  checked.length = 0;
  const codes = new Uint8Array(selected);
  // each item's fingerprint: a replay that reads another item where this one was (an index that
  // reads differently) fails before that item is handed to anyone
  const prints = new Uint32Array(selected);
  const others = new Map<number, Buffer>();
  const firsts = new Map<string, Map<string, FolderFileRef>>();
  for (const source of sources) {
    firsts.set(source.id, await firstFiles(manifest, source, reader!.folderIndexBatches(manifest, source), linkTargets.get(source.id)!));
  }
  /** the selected items of every source, in index order, numbered, a batch at a time */
  async function* selectedItems(): AsyncGenerator<{ ref: FolderFileRef; n: number; root: string; where: ItemTarget }[]> {
    let n = 0;
    for (const source of sources) {
      const root = roots.get(source.id)!;
      for await (const refs of indexItems(manifest, source, reader!.folderIndexBatches(manifest, source), firsts.get(source.id)!)) {
        const batch: { ref: FolderFileRef; n: number; root: string; where: ItemTarget }[] = [];
        for (const ref of refs) {
          if (!isSelected(ref.path, target.paths)) continue;
          if (n >= selected) throw replayMismatch();
          batch.push({ ref, n: n++, root, where: itemTarget(root, ref) });
        }
        yield batch;
      }
    }
  }
  let decided = 0;
  for await (const batch of selectedItems()) {
    for (const { ref, n, root, where } of batch) {
      const made = await decider.decide(ref, root, where);
      codes[n] = made.code;
      prints[n] = fingerprint(ref);
      if (made.other) others.set(n, made.other);
      const item = linked(decider.item(ref, n, where, made));
      countAction(counts, item);
      onItem?.(item);
      decided++;
    }
  }
  if (decided !== selected) throw replayMismatch();
  async function* replayed(): AsyncGenerator<PlannedFile[]> {
    for await (const batch of selectedItems()) {
      yield batch.map(({ ref, n, where }) => {
        if (fingerprint(ref) !== prints[n]) throw replayMismatch();
        return linked(decider.item(ref, n, where, { code: codes[n]!, other: others.get(n) ?? null }));
      });
    }
  }
  return { items: new ReplayedItems(selected, replayed), roots, counts, conflict: target.conflict };
}

/** How many items get each action; folders are the tree they are in, not counted. */
export function countActions(items: readonly PlannedFile[]): Record<FileAction, number> {
  const counts: Record<FileAction, number> = { create: 0, replace: 0, same: 0, 'keep-both': 0, skip: 0 };
  for (const item of items) countAction(counts, item);
  return counts;
}

/** countActions one item at a time. */
export function countAction(counts: Record<FileAction, number>, item: PlannedFile): void {
  if (item.ref.type !== 'dir') counts[item.action]++;
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
export async function planForPreview(plan: FilePlan, folder: string | null) {
  const items: FilePreviewItem[] = [];
  await plan.items.replay((window) => {
    for (const item of listedItems(window)) items.push(item);
  });
  return {
    folder,
    conflict: plan.conflict,
    items,
    counts: plan.counts,
  };
}
