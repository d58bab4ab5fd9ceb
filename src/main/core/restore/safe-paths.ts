/**
 * Where a restored file may land. Every path that comes out of a backup (a zip entry name, a
 * path in the manifest's `unchanged` list) is untrusted: it is checked before anything is
 * written, and one bad path refuses the whole restore with UNSAFE_PATH.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors';

/** The longest file name (bytes) ext4, XFS, APFS and NTFS (UTF-16 units) hold. */
export const NAME_MAX = 255;
/** The longest path (bytes, without the final NUL) Linux and macOS accept in a system call. */
export const PATH_MAX = process.platform === 'darwin' ? 1023 : 4095;

/**
 * Why a relative backup path is unsafe, or null when it is fine: it must be relative, use
 * forward slashes only, have no empty, `.` or `..` segment, no drive letter and no NUL. Both
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
 * The absolute path `relPath` resolves to below `root`, or UNSAFE_PATH when it is unsafe or
 * would land outside `root`.
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

/**
 * Checks the folders between `root` and `target` that already exist: none may be a symbolic
 * link (writing through it would land wherever it points) or something other than a folder.
 * Returns 'blocked' when a plain file is in the way (the restore must not replace it), else
 * null. `root` itself may be a link: the user chose it.
 */
export function checkParents(root: string, target: string, cache: Map<string, 'dir' | 'missing' | 'file'>): 'blocked' | null {
  const rel = path.relative(root, path.dirname(target));
  if (rel === '') return null;
  let current = root;
  for (const segment of rel.split(path.sep)) {
    current = path.join(current, segment);
    let kind = cache.get(current);
    if (kind === undefined) {
      let stat: fs.Stats | null = null;
      try {
        stat = fs.lstatSync(current);
      } catch {
        stat = null;
      }
      if (stat?.isSymbolicLink()) {
        throw new AppError('UNSAFE_PATH', { detail: `${current} is a symbolic link; a restore never writes through one` });
      }
      kind = stat === null ? 'missing' : stat.isDirectory() ? 'dir' : 'file';
      cache.set(current, kind);
    }
    if (kind === 'missing') return null;
    if (kind === 'file') return 'blocked';
  }
  return null;
}

/**
 * `name (restored 2026-11-24).ext` next to `target`, or with a number after the date when that
 * name is taken too. Never an existing name.
 */
export function keepBothName(target: string, date: Date, taken: (candidate: string) => boolean): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  const dot = base.lastIndexOf('.');
  // ".bashrc" has no extension; "archive.tar.gz" keeps ".gz" only, which is enough to open it
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  const day = date.toISOString().slice(0, 10);
  for (let n = 1; ; n++) {
    const candidate = path.join(dir, `${stem} (restored ${day}${n > 1 ? ` ${n}` : ''})${ext}`);
    if (!taken(candidate)) return candidate;
  }
}

/** Why a file of a backup (path and mode from the manifest) cannot be restored, or null. */
export function unrestorableReason(relPath: string, mode: number): string | null {
  const type = mode & 0o170000;
  // a mode without type bits is a plain file's permission bits; anything else must be a regular file
  if (type !== 0 && type !== 0o100000) return 'not a regular file (a link or a special file)';
  return unsafeReason(relPath);
}

/**
 * Why `target` (an absolute path a restore would create) cannot be created on this system, or
 * null: a name over NAME_MAX or a path over PATH_MAX bytes. Checked for every file before the
 * first one is written.
 */
export function uncreatableReason(target: string): string | null {
  if (Buffer.byteLength(path.basename(target)) > NAME_MAX) return `the name ${JSON.stringify(path.basename(target).slice(0, 40))}… is longer than ${NAME_MAX} bytes`;
  if (process.platform !== 'win32' && Buffer.byteLength(target) > PATH_MAX) return `the path is ${Buffer.byteLength(target)} bytes long, over the ${PATH_MAX} this system allows`;
  return null;
}
