import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import { MIGRATIONS } from './migrations';

/** Something openCatalog did that the user should hear of (the CLI prints it, the app audits it). */
export interface CatalogNotice {
  kind: 'created' | 'permissions-tightened';
  /** the catalog file, or the data folder or file whose mode was changed */
  path: string;
  /** one line for a person */
  message: string;
}

export interface OpenCatalogOptions {
  /** Path to a better_sqlite3.node built for the running runtime (Electron ships its own). */
  nativeBinding?: string;
  /** told when the catalog is created, and when a mode looser than 0700/0600 is tightened */
  onNotice?: (notice: CatalogNotice) => void;
}

export type CatalogDb = Database.Database;

export const CATALOG_FILE = 'catalog.sqlite';

/**
 * Opens (creating if needed) the SQLite catalog in `dataDir`, in WAL mode with foreign keys on,
 * and brings its schema up to the newest migration. The data folder is kept 0700 and the
 * catalog with its -wal and -shm files 0600 (it names databases, folders and backups): a looser
 * mode is tightened, with a notice. Throws CATALOG_CORRUPT, naming the file, when it is not a
 * SQLite database or is damaged.
 */
export function openCatalog(dataDir: string, options: OpenCatalogOptions = {}): CatalogDb {
  const notice = options.onNotice ?? (() => undefined);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  keepPrivate(dataDir, 0o700, notice);
  const file = path.join(dataDir, CATALOG_FILE);
  try {
    // created here rather than by SQLite (0644), whose -wal and -shm then take the same 0600
    fs.closeSync(fs.openSync(file, 'wx', 0o600));
    notice({ kind: 'created', path: file, message: `Created a new, empty catalog at ${file}` });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // -wal and -shm left from before; SQLite creates new ones with the catalog's own mode
    for (const suffix of ['', '-wal', '-shm']) keepPrivate(file + suffix, 0o600, notice);
  }
  let db: CatalogDb | undefined;
  try {
    db = new Database(file, { nativeBinding: options.nativeBinding });
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (error) {
    db?.close();
    const code = String((error as { code?: unknown }).code ?? '');
    if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
      throw new AppError('CATALOG_CORRUPT', { detail: file, cause: error });
    }
    throw error;
  }
  return db;
}

/**
 * Tightens the mode of `target` to `mode` when group or others have any permission on it (a
 * missing file is left alone). Windows has no such mode bits: nothing to do there.
 */
function keepPrivate(target: string, mode: number, notice: (notice: CatalogNotice) => void): void {
  if (process.platform === 'win32') return;
  let current: number;
  try {
    current = fs.statSync(target).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((current & 0o077) === 0) return;
  fs.chmodSync(target, mode);
  const octal = (m: number) => `0${m.toString(8).padStart(3, '0')}`;
  notice({
    kind: 'permissions-tightened',
    path: target,
    message: `${target} was open to other users (mode ${octal(current)}); changed it to ${octal(mode)}`,
  });
}

/** Applies every migration newer than the database's user_version, each in its own transaction. */
export function migrate(db: CatalogDb): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `The catalog was written by a newer Lifeboat (schema ${current}, this one knows ${MIGRATIONS.length}). Update Lifeboat.`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  return MIGRATIONS.length;
}
