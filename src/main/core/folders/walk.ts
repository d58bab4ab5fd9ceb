import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { AppError } from '../../../shared/errors';
import { DirLister, type PackedFolder } from './dir-lister';
import { displayPath, joinRaw } from './raw-path';

export type WalkedType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'device';

/** One item below the walked folder, with what lstat says of it (links are never followed). */
export interface WalkedItem {
  type: WalkedType;
  /** the bytes of the path relative to the root, '/' between names */
  raw: Buffer;
  /** `raw` as text (displayPath): what excludes, progress and messages see */
  relPath: string;
  /** the bytes of the absolute path, for the file system calls */
  absPath: Buffer;
  size: number;
  /** whole milliseconds (floor), as format 1 recorded them */
  mtimeMs: number;
  /** nanoseconds since 1970 as the file system gives them (negative before 1970) */
  mtimeNs: bigint;
  /** st_mode & 0o7777: permission bits with setuid, setgid and sticky */
  mode: number;
  uid: number;
  gid: number;
  /** `dev:ino`, the identity hard links share */
  inode: string;
  nlink: number;
  /** regular files: fewer bytes allocated than the size (holes) */
  sparse: boolean;
  /** symbolic links: the target's bytes as readlink gives them */
  linkTarget: Buffer | null;
}

export interface WalkSkip {
  relPath: string;
  reason: string;
}

/**
 * Builds the exclude test. A pattern without a slash matches a file or folder name at any depth
 * (`node_modules`, `*.log`), like .gitignore; a pattern with a slash matches the relative path
 * from the root (`build/cache/**`). An excluded folder is not entered at all.
 */
export function makeExcluder(patterns: readonly string[]): (relPath: string) => boolean {
  const byName = patterns.filter((p) => !p.includes('/'));
  const byPath = patterns.filter((p) => p.includes('/')).map((p) => p.replace(/^\/+/, ''));
  const nameMatch = byName.length ? picomatch(byName, { dot: true, nocase: process.platform === 'win32' }) : null;
  const pathMatch = byPath.length ? picomatch(byPath, { dot: true, nocase: process.platform === 'win32' }) : null;
  return (relPath) => (nameMatch?.(path.posix.basename(relPath)) ?? false) || (pathMatch?.(relPath) ?? false);
}

/** Checks that a folder source exists and is a readable directory. */
export async function assertReadableFolder(root: string): Promise<void> {
  try {
    const stat = await fs.promises.stat(root);
    if (!stat.isDirectory()) throw new Error('not a directory');
    await fs.promises.access(root, fs.constants.R_OK | fs.constants.X_OK);
  } catch (cause) {
    throw new AppError('FOLDER_MISSING', { detail: root, cause });
  }
}

/** File type from st_mode (S_IFMT). */
function typeOfMode(mode: number): WalkedType {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    default:
      return 'device';
  }
}

/** folders listed ahead of the one the walk is in */
const PREFETCH = 4;

/** The walked item for the i-th name of a listed folder, or why it could not be looked at. */
function itemOf(folder: PackedFolder, i: number, raw: Buffer, relPath: string, absPath: Buffer): WalkedItem | WalkSkip {
  const error = folder.error(i);
  if (error !== null) return { relPath, reason: error || 'cannot be read' };
  const mode = folder.mode(i);
  const type = typeOfMode(mode);
  const size = type === 'file' ? folder.size(i) : 0;
  return {
    type,
    raw,
    relPath,
    absPath,
    size,
    mtimeMs: folder.mtimeMs(i),
    mtimeNs: folder.mtimeNs(i),
    mode: mode & 0o7777,
    uid: folder.uid(i),
    gid: folder.gid(i),
    inode: folder.inode(i),
    nlink: folder.nlink(i),
    // a hole of 4 KiB or more is possible only in a file larger than that
    sparse: type === 'file' && size > 4096 && folder.blocks(i) * 512 < size,
    linkTarget: type === 'symlink' ? folder.linkTarget(i) : null,
  };
}

/**
 * Yields every item under `root` that no exclude pattern matches — files, folders, symbolic
 * links (not followed) and special files — depth first in byte order of the names (stable across
 * runs), a folder before what it holds. Names are bytes: any name the file system holds is
 * walked, valid UTF-8 or not. Entries that vanish or cannot be read while walking are skipped
 * and reported through `onSkip`. Folders are listed (readdir + lstat) by a worker thread
 * (DirLister), a few ahead of the walk: `lister` (the caller's, which the caller closes) or
 * one of the walk's own.
 */
export async function* walkFolder(
  root: string,
  excludes: readonly string[],
  options: { signal?: AbortSignal; onSkip?: (skip: WalkSkip) => void; lister?: DirLister } = {},
): AsyncGenerator<WalkedItem> {
  const excluded = makeExcluder(excludes);
  const rootRaw = Buffer.from(path.resolve(root));
  const sep = Buffer.from(path.sep);
  const absOf = (raw: Buffer) => (raw.length === 0 ? rootRaw : Buffer.concat([rootRaw, sep, raw]));
  const stack: Buffer[] = [Buffer.alloc(0)];
  const lister = options.lister ?? new DirLister();
  try {
    while (stack.length > 0) {
      const relDir = stack.pop()!;
      for (let i = stack.length - 1; i >= Math.max(0, stack.length - PREFETCH); i--) lister.prefetch(absOf(stack[i]!));
      const listed = await lister.list(absOf(relDir));
      if (listed.error) {
        if (relDir.length === 0) throw new AppError('FOLDER_MISSING', { detail: root, cause: listed.error });
        options.onSkip?.({ relPath: displayPath(relDir), reason: listed.error.message });
        continue;
      }
      const subdirs: Buffer[] = [];
      for (let i = 0; i < listed.folder.count; i++) {
        if (options.signal?.aborted) throw options.signal.reason;
        const raw = joinRaw(relDir, listed.folder.name(i));
        const relPath = displayPath(raw);
        if (excluded(relPath)) continue;
        const item = itemOf(listed.folder, i, raw, relPath, absOf(raw));
        if ('reason' in item) {
          options.onSkip?.(item);
          continue;
        }
        yield item;
        if (item.type === 'dir') subdirs.push(raw);
      }
      // every item of the folder has its own copy of what it needs from it (joinRaw copies the name)
      lister.recycle(listed.folder);
      // reversed so that the stack pops them in name order
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
    }
  } finally {
    if (!options.lister) await lister.close();
  }
}

/**
 * Counts the files and bytes a walk will store, for progress and the free-space check: regular
 * files, each set of hard links once.
 */
export async function measureFolder(
  root: string,
  excludes: readonly string[],
  signal?: AbortSignal,
): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const linked = new Set<string>();
  for await (const item of walkFolder(root, excludes, { signal })) {
    if (item.type !== 'file') continue;
    if (item.nlink > 1) {
      if (linked.has(item.inode)) continue;
      linked.add(item.inode);
    }
    files++;
    bytes += item.size;
  }
  return { files, bytes };
}
