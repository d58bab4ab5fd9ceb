import fs from 'node:fs';
import path from 'node:path';
import { fileStamp } from '../backup/file-names';

/** The catalog's files in the data folder: the database and SQLite's WAL and shared-memory files. */
const CATALOG_FILES = ['catalog.sqlite', 'catalog.sqlite-wal', 'catalog.sqlite-shm'];

/**
 * Moves a catalog that cannot be read out of the way (renamed, never deleted: it may still be
 * worth a look), so that the next start creates an empty one and the backups can be brought back
 * with Rebuild catalog. Returns the new name of the main file.
 */
export function moveCatalogAside(dataDir: string, now: Date = new Date()): string {
  const aside = path.join(dataDir, `catalog.sqlite.unreadable-${fileStamp(now)}`);
  for (const name of CATALOG_FILES) {
    const from = path.join(dataDir, name);
    if (fs.existsSync(from)) fs.renameSync(from, `${aside}${name.slice('catalog.sqlite'.length)}`);
  }
  return aside;
}
