import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { MIGRATIONS } from './migrations';

export interface OpenCatalogOptions {
  /** Path to a better_sqlite3.node built for the running runtime (Electron ships its own). */
  nativeBinding?: string;
}

export type CatalogDb = Database.Database;

/**
 * Opens (creating if needed) the SQLite catalog in `dataDir`, in WAL mode with foreign keys on,
 * and brings its schema up to the newest migration.
 */
export function openCatalog(dataDir: string, options: OpenCatalogOptions = {}): CatalogDb {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(dataDir, 'catalog.sqlite'), {
    nativeBinding: options.nativeBinding,
  });
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
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
