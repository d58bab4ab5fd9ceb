/**
 * Where a restored item may land. Every path that comes out of a backup (a zip entry name, a
 * path or raw path in the manifest, a hard link's first path) is untrusted: it is checked before
 * anything is written, and one bad path refuses the whole restore with UNSAFE_PATH. Verify
 * applies the same rule (unrestorableItems), so it fails every backup a restore would refuse.
 *
 * Format 1 paths are UTF-8 strings with format 1's rules (no backslash, no drive letter). Format 2
 * paths are bytes: any POSIX name is fine but NUL, '', '.' and '..' (a name with a backslash or a
 * colon is a plain name on Linux and macOS, and is mapped on Windows: windowsName).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { AppError } from '../../../shared/errors';
import { displayPath, fnv1a, rawKey, rawParent, rawSegments, windowsName } from '../folders/raw-path';
import type { FolderFileRef } from './folder-items';

/** The longest file name (bytes) ext4, XFS, APFS and NTFS (UTF-16 units) hold. */
export const NAME_MAX = 255;
/** The longest path (bytes, without the final NUL) Linux and macOS accept in a system call. */
export const PATH_MAX = process.platform === 'darwin' ? 1023 : 4095;

/**
 * Why a relative format 1 backup path is unsafe, or null when it is fine: it must be relative,
 * use forward slashes only, have no empty, `.` or `..` segment, no drive letter and no NUL. Both
 * separators are refused so that a path made on one system cannot climb out on another.
 */
export function unsafeReason(relPath: string): string | null {
  if (relPath.length === 0) return 'empty path';
  if (relPath.includes('\0')) return 'NUL character';
  if (relPath.includes('\\')) return 'backslash (a Windows separator)';
  if (relPath.startsWith('/')) return 'absolute path';
  if (/^[a-zA-Z]:/.test(relPath)) return 'drive letter';
  for (const segment of relPath.split('/')) {
    if (segment === '' || segment === '.') return 'empty or "." segment';
    if (segment === '..') return '".." segment';
    if (Buffer.byteLength(segment) > NAME_MAX) return `a name longer than ${NAME_MAX} bytes, which no common file system holds`;
    // Windows would read "a:b" as an alternate data stream and "name." as "name"
    if (process.platform === 'win32' && (/[:*?"<>|]/.test(segment) || /[. ]$/.test(segment))) return 'name Windows cannot hold';
  }
  return null;
}

/**
 * Why a format 2 relative path (bytes, '/' between names) is unsafe, or null: no NUL, not
 * absolute, no empty, `.` or `..` name, no name over NAME_MAX bytes. Every other byte is a
 * legitimate part of a POSIX name.
 */
export function rawUnsafeReason(raw: Buffer): string | null {
  if (raw.length === 0) return 'empty path';
  if (raw.includes(0)) return 'NUL character';
  if (raw[0] === 0x2f) return 'absolute path';
  for (const segment of rawSegments(raw)) {
    if (segment.length === 0 || (segment.length === 1 && segment[0] === 0x2e)) return 'empty or "." segment';
    if (segment.length === 2 && segment[0] === 0x2e && segment[1] === 0x2e) return '".." segment';
    if (segment.length > NAME_MAX) return `a name longer than ${NAME_MAX} bytes, which no common file system holds`;
  }
  return null;
}

/**
 * The absolute path `relPath` (format 1) resolves to below `root`, or UNSAFE_PATH when it is
 * unsafe or would land outside `root`.
 */
export function resolveInside(root: string, relPath: string): string {
  const reason = unsafeReason(relPath);
  if (reason) throw new AppError('UNSAFE_PATH', { detail: `${JSON.stringify(relPath)}: ${reason}` });
  const resolved = path.resolve(root, ...relPath.split('/'));
  const rel = path.relative(root, resolved);
  // "..hidden" is a fine name; ".." or "../x" is not
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new AppError('UNSAFE_PATH', { detail: `${JSON.stringify(relPath)} resolves outside ${root}` });
  }
  return resolved;
}

/** Why one item of a backup cannot be restored as recorded, or null (see unrestorableItems for the whole list). */
export function unrestorableReason(ref: FolderFileRef): string | null {
  if (ref.problem) return ref.problem;
  if (ref.format < 2) {
    const type = ref.mode & 0o170000;
    // a mode without type bits is a plain file's permission bits; anything else must be a regular file
    if (type !== 0 && type !== 0o100000) return 'not a regular file (a link or a special file)';
    return unsafeReason(ref.path);
  }
  if (!Number.isInteger(ref.mode) || ref.mode < 0 || ref.mode > 0o7777) return 'a mode that is not permission bits';
  if (ref.type === 'symlink' && (!ref.linkTarget || ref.linkTarget.length === 0 || ref.linkTarget.includes(0))) {
    return 'a symbolic link with an empty target or a NUL in it';
  }
  return rawUnsafeReason(ref.raw);
}

/** An item a restore refuses, by its path (as the backup shows it), and why. */
export interface UnrestorableItem {
  path: string;
  reason: string;
}

/**
 * The items of a folder source a restore refuses (UNSAFE_PATH), with why: each one's own path
 * (unrestorableReason); a path recorded twice; and a path below another item that is not a
 * folder (a symbolic link above it would have the restore write through the link, wherever it
 * points). Checked for every item, selected or not, before anything is written.
 */
export function unrestorableItems(items: readonly FolderFileRef[]): UnrestorableItem[] {
  const check = new UnrestorableCheck();
  for (const item of items) check.add(item);
  if (check.needsAnotherLook) for (const item of items) check.lookAgain(item);
  return check.problems();
}

type ItemType = FolderFileRef['type'];
const TYPES: readonly ItemType[] = ['file', 'dir', 'symlink', 'hardlink', 'fifo', 'socket', 'device'];

/**
 * The items' paths a check has seen, each by a 64-bit fingerprint of its bytes (CRC-32 and
 * FNV-1a) with its type, in an open-addressing table of typed arrays: about 18 bytes an item,
 * where a Map of its path took over 100. Two different paths with one fingerprint (one chance in
 * 2^64 per pair) would read as "recorded twice".
 */
class SeenPaths {
  private his = new Uint32Array(1024);
  private los = new Uint32Array(1024);
  /** 0: an empty slot; else 1 + the type's place in TYPES */
  private types = new Uint8Array(1024);
  private count = 0;

  /** The type seen at `raw`, or undefined. */
  get(raw: Buffer): ItemType | undefined {
    const slot = this.slotOf(zlib.crc32(raw), fnv1a(raw));
    return this.types[slot] ? TYPES[this.types[slot]! - 1] : undefined;
  }

  /** Records `raw` as `type`; false when it was seen already. */
  add(raw: Buffer, type: ItemType): boolean {
    const hi = zlib.crc32(raw);
    const lo = fnv1a(raw);
    const slot = this.slotOf(hi, lo);
    if (this.types[slot]) return false;
    this.his[slot] = hi;
    this.los[slot] = lo;
    this.types[slot] = TYPES.indexOf(type) + 1;
    if (++this.count * 2 > this.types.length) this.grow();
    return true;
  }

  /** The slot holding (hi, lo), or the empty slot where it goes (linear probing). */
  private slotOf(hi: number, lo: number): number {
    const mask = this.types.length - 1;
    let slot = (hi ^ lo) & mask;
    while (this.types[slot] && (this.his[slot] !== hi || this.los[slot] !== lo)) slot = (slot + 1) & mask;
    return slot;
  }

  private grow(): void {
    const { his, los, types } = this;
    this.his = new Uint32Array(types.length * 2);
    this.los = new Uint32Array(types.length * 2);
    this.types = new Uint8Array(types.length * 2);
    for (let i = 0; i < types.length; i++) {
      if (!types[i]) continue;
      const slot = this.slotOf(his[i]!, los[i]!);
      this.his[slot] = his[i]!;
      this.los[slot] = los[i]!;
      this.types[slot] = types[i]!;
    }
  }
}

/**
 * unrestorableItems one item at a time, for a folder index read as a stream (verify, a file
 * restore). What it keeps is a fingerprint per item (SeenPaths) and a verdict per folder, not
 * the items: an item below a non-folder is found as it comes when that non-folder came first (a
 * folder's items follow it in a walk). When one came after items below it (a crafted order),
 * `needsAnotherLook` says so and the caller hands every item to `lookAgain`, in the same order,
 * before reading `problems()`.
 */
export class UnrestorableCheck {
  private readonly found: UnrestorableItem[] = [];
  private blocked: UnrestorableItem[] = [];
  private readonly seen = new SeenPaths();
  /** hard links whose first file is checked once every item is in (pendingLink) */
  private readonly links: { path: string; linkTo: Buffer }[] = [];
  /** per folder an item is below (rawKey): the nearest item at or above it that is not a folder */
  private verdicts = new Map<string, { at: Buffer; type: ItemType } | null>();
  private late = false;
  private lookingAgain = false;

  add(item: FolderFileRef): void {
    const reason = unrestorableReason(item);
    if (reason) {
      this.found.push({ path: item.path, reason });
      return;
    }
    if (!this.seen.add(item.raw, item.type)) {
      this.found.push({ path: item.path, reason: 'recorded twice in the backup' });
      return;
    }
    // a non-folder with items below it already: their verdicts are wrong (another look)
    if (item.type !== 'dir' && this.verdicts.has(rawKey(item.raw))) this.late = true;
    this.checkBelow(item);
  }

  /** Whether the items must be handed to lookAgain (a non-folder came after items below it). */
  get needsAnotherLook(): boolean {
    return this.late && !this.lookingAgain;
  }

  /** Every item again, in the order given to add, once all were (needsAnotherLook). */
  lookAgain(item: FolderFileRef): void {
    if (!this.lookingAgain) {
      this.lookingAgain = true;
      this.blocked = [];
      this.verdicts = new Map();
    }
    // an item add refused on its own (its reason, a second record) is named already
    if (unrestorableReason(item) === null) this.checkBelow(item);
  }

  /**
   * A hard link added with its first file still to come (a stream): refused in problems() when
   * no file of the backup is at `linkTo`.
   */
  pendingLink(item: FolderFileRef, linkTo: Buffer): void {
    this.links.push({ path: item.path, linkTo });
  }

  problems(): UnrestorableItem[] {
    const problems = [...this.found];
    for (const { path: p, linkTo } of this.links) {
      if (this.seen.get(linkTo) !== 'file') problems.push({ path: p, reason: 'a hard link to a file the backup does not hold' });
    }
    return [...problems, ...this.blocked];
  }

  private checkBelow(item: FolderFileRef): void {
    const blocker = this.blockerAtOrAbove(rawParent(item.raw));
    if (!blocker) return;
    const { at, type } = blocker;
    this.blocked.push({ path: item.path, reason: `below ${JSON.stringify(displayPath(at))}, which the backup records as a ${type === 'symlink' ? 'symbolic link' : type}; a restore never writes through one` });
  }

  /** The nearest item at or above folder `dir` that is not a folder (per folder, once: its items share the answer). */
  private blockerAtOrAbove(dir: Buffer): { at: Buffer; type: ItemType } | null {
    if (dir.length === 0) return null;
    const key = rawKey(dir);
    let verdict = this.verdicts.get(key);
    if (verdict !== undefined) return verdict;
    const type = this.seen.get(dir);
    verdict = type !== undefined && type !== 'dir' ? { at: dir, type } : this.blockerAtOrAbove(rawParent(dir));
    this.verdicts.set(key, verdict);
    return verdict;
  }
}

/** Where an item lands below a restore root: the bytes of the absolute path, its names, and whether Windows needed names mapped. */
export interface ItemTarget {
  abs: Buffer;
  /** the names from the root down, as created */
  segments: Buffer[];
  /** the path as text, for the preview and messages */
  display: string;
  /** on Windows: the names that had to be mapped (windowsName), else null */
  mapped: string | null;
}

/** The text of an absolute target path (Windows names are valid Unicode; POSIX bytes may not be). */
export function displayTarget(abs: Buffer): string {
  return process.platform === 'win32' ? abs.toString('utf8') : displayPath(abs);
}

/**
 * Where a checked item (unrestorableReason is null) lands below `root`. On Windows each name
 * goes through windowsName, and the item says so when one changed.
 */
export function itemTarget(root: string, ref: FolderFileRef): ItemTarget {
  const sep = Buffer.from(path.sep);
  let segments = ref.format < 2 ? ref.path.split('/').map((s) => Buffer.from(s, 'utf8')) : rawSegments(ref.raw);
  let mapped: string | null = null;
  if (process.platform === 'win32') {
    const names = segments.map((s) => windowsName(s));
    if (names.some((n) => n.mapped)) mapped = names.map((n) => n.name).join('/');
    segments = names.map((n) => Buffer.from(n.name, 'utf8'));
  }
  const parts: Buffer[] = [Buffer.from(path.resolve(root))];
  for (const segment of segments) parts.push(sep, segment);
  const abs = Buffer.concat(parts);
  return { abs, segments, display: displayTarget(abs), mapped };
}

/** The folders between `root` and the item `segments` name (not the root, not the item itself). */
export function parentsOf(root: string, segments: Buffer[]): Buffer[] {
  const sep = Buffer.from(path.sep);
  const parents: Buffer[] = [];
  let current = Buffer.from(path.resolve(root));
  for (const segment of segments.slice(0, -1)) {
    current = Buffer.concat([current, sep, segment]);
    parents.push(current);
  }
  return parents;
}

/**
 * Checks the folders between a root and a target that already exist (`parents`, from
 * parentsOf): none may be a symbolic link (writing through it would land wherever it points) or
 * something other than a folder. Returns 'blocked' when a plain file is in the way (the restore
 * must not replace it), 'missing' when a folder on the way is not there (nor is anything below
 * it), else null. The root itself may be a link: the user chose it.
 */
export function checkParents(parents: Buffer[], cache: Map<string, 'dir' | 'missing' | 'file'>): 'blocked' | 'missing' | null {
  for (const current of parents) {
    const key = rawKey(current);
    let kind = cache.get(key);
    if (kind === undefined) {
      let stat: fs.Stats | null = null;
      try {
        stat = fs.lstatSync(current);
      } catch {
        stat = null;
      }
      if (stat?.isSymbolicLink()) {
        throw new AppError('UNSAFE_PATH', { detail: `${displayTarget(current)} is a symbolic link; a restore never writes through one` });
      }
      kind = stat === null ? 'missing' : stat.isDirectory() ? 'dir' : 'file';
      cache.set(key, kind);
    }
    if (kind === 'missing') return 'missing';
    if (kind === 'file') return 'blocked';
  }
  return null;
}

/** `stem (restored 2026-11-24 n)ext` for `base`, the stem cut short when the name would not fit NAME_MAX. */
function keepBothBase(base: Buffer, date: Date, n: number): Buffer {
  const dot = base.lastIndexOf(0x2e);
  // ".bashrc" has no extension; "archive.tar.gz" keeps ".gz" only, which is enough to open it
  const [stem, ext] = dot > 0 ? [base.subarray(0, dot), base.subarray(dot)] : [base, Buffer.alloc(0)];
  const tag = Buffer.from(` (restored ${date.toISOString().slice(0, 10)}${n > 1 ? ` ${n}` : ''})`);
  let keep = Math.min(stem.length, Math.max(1, NAME_MAX - tag.length - ext.length));
  // do not cut a UTF-8 character in two
  while (keep > 1 && keep < stem.length && (stem[keep]! & 0xc0) === 0x80) keep--;
  return Buffer.concat([stem.subarray(0, keep), tag, ext]);
}

/**
 * `name (restored 2026-11-24).ext` next to `target` (bytes), or with a number after the date
 * when that name is taken too. Never an existing name.
 */
export function keepBothRaw(target: Buffer, date: Date, taken: (candidate: Buffer) => boolean): Buffer {
  const at = target.lastIndexOf(Buffer.from(path.sep));
  const dir = target.subarray(0, at + 1);
  const base = target.subarray(at + 1);
  for (let n = 1; ; n++) {
    const candidate = Buffer.concat([dir, keepBothBase(base, date, n)]);
    if (!taken(candidate)) return candidate;
  }
}

/** keepBothRaw for a path as text. */
export function keepBothName(target: string, date: Date, taken: (candidate: string) => boolean): string {
  return keepBothRaw(Buffer.from(target, 'utf8'), date, (c) => taken(c.toString('utf8'))).toString('utf8');
}

/**
 * Why `target` (an absolute path a restore would create) cannot be created on this system, or
 * null: a name over NAME_MAX or a path over PATH_MAX bytes. Checked for every item before the
 * first one is written.
 */
export function uncreatableReason(target: Buffer | string): string | null {
  const abs = typeof target === 'string' ? Buffer.from(target, 'utf8') : target;
  const base = abs.subarray(abs.lastIndexOf(Buffer.from(path.sep)) + 1);
  if (base.length > NAME_MAX) return `the name ${JSON.stringify(displayPath(base).slice(0, 40))}… is longer than ${NAME_MAX} bytes`;
  if (process.platform !== 'win32' && abs.length > PATH_MAX) return `the path is ${abs.length} bytes long, over the ${PATH_MAX} this system allows`;
  return null;
}
