import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { AppError } from '../../../shared/errors';

export interface WalkedFile {
  /** path relative to the root, forward slashes */
  relPath: string;
  absPath: string;
  size: number;
  mtimeMs: number;
  mode: number;
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

/**
 * Yields every regular file under `root` that no exclude pattern matches, depth first in name
 * order (stable across runs). Symbolic links and special files are skipped and reported through
 * `onSkip`, as are entries that vanish or cannot be read while walking.
 */
export async function* walkFolder(
  root: string,
  excludes: readonly string[],
  options: { signal?: AbortSignal; onSkip?: (skip: WalkSkip) => void } = {},
): AsyncGenerator<WalkedFile> {
  const excluded = makeExcluder(excludes);
  const stack: string[] = [''];
  while (stack.length > 0) {
    const relDir = stack.pop()!;
    let names: fs.Dirent[];
    try {
      names = await fs.promises.readdir(path.join(root, relDir), { withFileTypes: true });
    } catch (error) {
      if (relDir === '') throw new AppError('FOLDER_MISSING', { detail: root, cause: error });
      options.onSkip?.({ relPath: relDir, reason: (error as Error).message });
      continue;
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const dirent of names) {
      if (options.signal?.aborted) throw options.signal.reason;
      const relPath = relDir ? `${relDir}/${dirent.name}` : dirent.name;
      if (excluded(relPath)) continue;
      if (dirent.isDirectory()) {
        subdirs.push(relPath);
      } else if (dirent.isFile()) {
        const absPath = path.join(root, relPath);
        try {
          const stat = await fs.promises.stat(absPath);
          yield { relPath, absPath, size: stat.size, mtimeMs: Math.floor(stat.mtimeMs), mode: stat.mode & 0o7777 };
        } catch (error) {
          options.onSkip?.({ relPath, reason: (error as Error).message });
        }
      } else {
        options.onSkip?.({ relPath, reason: dirent.isSymbolicLink() ? 'symbolic link (not followed)' : 'special file' });
      }
    }
    // reversed so that the stack pops them in name order
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
}

/** Counts the files and bytes a walk will yield, for progress and the free-space check. */
export async function measureFolder(
  root: string,
  excludes: readonly string[],
  signal?: AbortSignal,
): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for await (const file of walkFolder(root, excludes, { signal })) {
    files++;
    bytes += file.size;
  }
  return { files, bytes };
}
