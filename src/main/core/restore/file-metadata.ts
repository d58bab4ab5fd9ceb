/**
 * The metadata a restore gives back to what it writes: owner (as root), permission bits with
 * setuid/setgid/sticky where that is safe, modification time to the microsecond (before 1970
 * too), and holes in sparse files. Links are never followed: a symbolic link gets lchown and
 * lutimes, anything else is changed through a descriptor opened with O_NOFOLLOW.
 */
import fs from 'node:fs';
import type { FolderFileRef } from './folder-items';

/** Who is restoring: root restores owners and special bits; anyone else keeps what is safe. */
export interface Restorer {
  isRoot: boolean;
  uid: number | null;
  /** the effective and supplementary groups */
  gids: number[];
  platform: NodeJS.Platform;
}

export function currentRestorer(): Restorer {
  const uid = process.geteuid?.() ?? null;
  const gids = [...new Set([...(process.getgroups?.() ?? []), ...(process.getegid ? [process.getegid()] : [])])];
  return { isRoot: uid === 0, uid, gids, platform: process.platform };
}

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

/**
 * The mode to give an item, and which special bits are left out (null: none). Root restores the
 * owner first (restoredOwner), so setuid and setgid mean what they meant. Anyone else creates
 * files they own: setuid is kept only when the backup's owner is the restoring user, setgid when
 * the group is one of theirs too; sticky on a folder always, on a file only on Linux (other
 * systems refuse it there to non-root users). A format 1 backup records no owner: its special
 * bits are never restored, as format 1 always did.
 */
export function restoredMode(ref: Pick<FolderFileRef, 'mode' | 'type' | 'uid' | 'gid' | 'format'>, who: Restorer): { mode: number; dropped: string | null } {
  const bits = ref.mode & 0o7777;
  if (who.platform === 'win32') return { mode: bits & 0o777, dropped: null };
  let keep = bits & 0o777;
  const dropped: string[] = [];
  const ownOwner = ref.format >= 2 && ref.uid !== null && (who.isRoot || ref.uid === who.uid);
  if (bits & S_ISUID) {
    if (ownOwner) keep |= S_ISUID;
    else dropped.push('setuid');
  }
  if (bits & S_ISGID) {
    if (ownOwner && ref.gid !== null && (who.isRoot || who.gids.includes(ref.gid))) keep |= S_ISGID;
    else dropped.push('setgid');
  }
  if (bits & S_ISVTX) {
    if (ref.format >= 2 && (who.isRoot || ref.type === 'dir' || who.platform === 'linux')) keep |= S_ISVTX;
    else dropped.push('sticky');
  }
  return { mode: keep, dropped: dropped.length ? dropped.join(', ') : null };
}

/** The owner to give an item: the backup's, when the restore runs as root and the backup recorded one. */
export function restoredOwner(ref: Pick<FolderFileRef, 'uid' | 'gid'>, who: Restorer): { uid: number; gid: number } | null {
  return who.isRoot && who.platform !== 'win32' && ref.uid !== null && ref.gid !== null ? { uid: ref.uid, gid: ref.gid } : null;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b > a ? q - 1n : q;
}

/**
 * The time argument for fs.utimes and friends that sets `ns` (nanoseconds since 1970) to the
 * microsecond. Node passes times to libuv as float seconds, which keeps microseconds only
 * (libuv drops the rest) and reads them truncated towards zero; a negative *number* means "now"
 * to Node, but a numeric string is taken as it is. So the time goes as a decimal string, half a
 * microsecond away from zero so the float's rounding can never land one microsecond short.
 * Exact to the microsecond for times from 1901 to 2038 (a double's spacing is under 0.5 µs
 * there); later ones may be 1 µs off.
 */
export function utimesArg(ns: bigint): string {
  const micros = floorDiv(ns, 1000n) * 1000n;
  const nudged = micros >= 0n ? micros + 500n : micros - 500n;
  const sign = nudged < 0n ? '-' : '';
  const abs = nudged < 0n ? -nudged : nudged;
  return `${sign}${abs / 1_000_000_000n}.${(abs % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** `ns` cut to what a restore gives back (utimesArg): whole microseconds, rounded down. */
export function restoredMtimeNs(ns: bigint): bigint {
  return floorDiv(ns, 1000n) * 1000n;
}

/** What an existing item had before a restore changed its metadata (to put it back on failure). */
export interface PreviousMetadata {
  mode: number;
  uid: number;
  gid: number;
  atimeNs: bigint;
  mtimeNs: bigint;
}

export const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const O_DIRECTORY = fs.constants.O_DIRECTORY ?? 0;
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

/**
 * Opens an item to change its metadata without following a link: a folder, a regular file or a
 * FIFO (non-blocking, so it does not wait for a writer). Throws ELOOP for a symbolic link.
 */
export async function openNoFollow(abs: Buffer | string, type: 'dir' | 'file' | 'fifo'): Promise<fs.promises.FileHandle> {
  const flags = fs.constants.O_RDONLY | O_NOFOLLOW | (type === 'dir' ? O_DIRECTORY : 0) | (type === 'fifo' ? O_NONBLOCK : 0);
  return fs.promises.open(abs, flags);
}

/** Sets owner (as root), mode and mtime through `handle`; returns what it had before. */
export async function applyToHandle(
  handle: fs.promises.FileHandle,
  target: { mode: number; owner: { uid: number; gid: number } | null; mtimeNs: bigint },
  platform: NodeJS.Platform = process.platform,
): Promise<PreviousMetadata> {
  const before = await handle.stat({ bigint: true });
  const previous = { mode: Number(before.mode & 0o7777n), uid: Number(before.uid), gid: Number(before.gid), atimeNs: before.atimeNs, mtimeNs: before.mtimeNs };
  if (target.owner && (previous.uid !== target.owner.uid || previous.gid !== target.owner.gid)) await handle.chown(target.owner.uid, target.owner.gid);
  // after chown, which clears setuid/setgid
  if (platform !== 'win32') await handle.chmod(target.mode);
  else await handle.chmod(target.mode & 0o777);
  const time = utimesArg(target.mtimeNs);
  await handle.utimes(time, time);
  return previous;
}

/**
 * Sets owner (as root), mode and mtime through the handle of a file the restore just created:
 * as applyToHandle, without first reading what it had (nothing to put back; system calls saved
 * on each of a tree's files). `createdAs` is the owner the file was created with, when known: no
 * chown when it is already the one to set.
 */
export async function applyToNewHandle(
  handle: fs.promises.FileHandle,
  target: { mode: number; owner: { uid: number; gid: number } | null; mtimeNs: bigint },
  createdAs: { uid: number; gid: number } | null = null,
  platform: NodeJS.Platform = process.platform,
): Promise<void> {
  const { chown, mode, time } = newFileMetadata(target, createdAs, platform);
  if (chown) await handle.chown(chown.uid, chown.gid);
  // after chown, which clears setuid/setgid
  await handle.chmod(mode);
  await handle.utimes(time, time);
}

/**
 * What to set on a file the restore just created (applyToNewHandle, and the workers of
 * file-stager.ts): the owner to chown to (null: it was created with it, or none is kept), the
 * mode as the platform takes it, and the time as utimes takes it.
 */
export function newFileMetadata(
  target: { mode: number; owner: { uid: number; gid: number } | null; mtimeNs: bigint },
  createdAs: { uid: number; gid: number } | null,
  platform: NodeJS.Platform = process.platform,
): { chown: { uid: number; gid: number } | null; mode: number; time: string } {
  const { owner } = target;
  return {
    chown: owner && (createdAs?.uid !== owner.uid || createdAs.gid !== owner.gid) ? owner : null,
    mode: platform !== 'win32' ? target.mode : target.mode & 0o777,
    time: utimesArg(target.mtimeNs),
  };
}

/** Puts back what applyToHandle changed (best effort, for undoing a failed restore). */
export async function revertHandle(handle: fs.promises.FileHandle, previous: PreviousMetadata): Promise<void> {
  await handle.chown(previous.uid, previous.gid).catch(() => undefined);
  await handle.chmod(previous.mode).catch(() => undefined);
  await handle.utimes(utimesArg(previous.atimeNs), utimesArg(previous.mtimeNs)).catch(() => undefined);
}

/** Owner (as root) and mtime of a symbolic link itself (its mode means nothing on Linux and is left). */
export async function applyToLink(abs: Buffer | string, owner: { uid: number; gid: number } | null, mtimeNs: bigint): Promise<void> {
  if (owner) await fs.promises.lchown(abs, owner.uid, owner.gid);
  const time = utimesArg(mtimeNs);
  await fs.promises.lutimes(abs, time, time);
}

/** Holes of at least this size are kept in a sparse file (the usual file system block). */
export const HOLE_BLOCK = 4096;
const ZEROS = Buffer.alloc(HOLE_BLOCK);

/**
 * Writes a file sequentially, but skips every block of HOLE_BLOCK zero bytes (at block-aligned
 * offsets) by seeking past it, and sets the size at the end (ftruncate): the holes of a sparse
 * file stay holes. The bytes read back are the same.
 */
export class SparseWriter {
  private position = 0;
  private carry: Buffer = Buffer.alloc(0);

  constructor(private readonly handle: fs.promises.FileHandle) {}

  async write(chunk: Buffer): Promise<void> {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const whole = data.length - (data.length % HOLE_BLOCK);
    await this.writeBlocks(data.subarray(0, whole));
    this.carry = Buffer.from(data.subarray(whole));
  }

  async end(): Promise<void> {
    if (this.carry.length && !this.carry.equals(ZEROS.subarray(0, this.carry.length))) {
      await this.writeAll(this.carry, this.position);
    }
    this.position += this.carry.length;
    this.carry = Buffer.alloc(0);
    await this.handle.truncate(this.position);
  }

  private async writeBlocks(data: Buffer): Promise<void> {
    let runStart = -1;
    for (let at = 0; at <= data.length; at += HOLE_BLOCK) {
      const zero = at === data.length || data.subarray(at, at + HOLE_BLOCK).equals(ZEROS);
      if (!zero && runStart === -1) runStart = at;
      if (zero && runStart !== -1) {
        await this.writeAll(data.subarray(runStart, at), this.position + runStart);
        runStart = -1;
      }
    }
    this.position += data.length;
  }

  private async writeAll(data: Buffer, position: number): Promise<void> {
    for (let done = 0; done < data.length; ) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
      done += bytesWritten;
    }
  }
}
