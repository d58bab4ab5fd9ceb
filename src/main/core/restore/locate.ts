/**
 * Finding another backup by its id: an incremental's unchanged files live in earlier backups,
 * named in the manifest by backup id. The catalog knows where its backups are; a file copied
 * from elsewhere usually sits next to the rest of its chain, so the folder is searched too.
 */
import fs from 'node:fs';
import { readContainerHeader } from '../crypto/container';
import { backupFolderOf, isRemoteLocation, listBackupFiles, openListedBackup } from '../destinations/remote-open';

/** Resolves a backup id to the path (or URL) of its .lifeboat file, or null when it cannot be found. */
export type BackupLocator = (backupId: string) => Promise<string | null>;

/**
 * A locator that asks the catalog first (`fromCatalog`), then reads the headers of the
 * `*.lifeboat` files in the folder of `nearFile` (once, on first need). For a remote backup (an
 * s3://, azure://, sftp:// URL) that folder is its prefix: the objects there are listed and each
 * header is read with a ranged read.
 */
export function makeBackupLocator(nearFile: string, fromCatalog?: (backupId: string) => string | null): BackupLocator {
  let folderIndex: Promise<Map<string, string>> | null = null;
  const indexFolder = async (): Promise<Map<string, string>> => {
    const index = new Map<string, string>();
    let files: { location: string; size: number }[] = [];
    try {
      files = await listBackupFiles(backupFolderOf(nearFile));
    } catch {
      return index;
    }
    for (const { location, size } of files) {
      try {
        const file = await openListedBackup(location, size);
        try {
          const { header } = await readContainerHeader(file);
          if (!index.has(header.backupId)) index.set(header.backupId, location);
        } finally {
          await file.close();
        }
      } catch {
        // not a backup, or unreadable: it cannot be the one we look for
      }
    }
    return index;
  };
  return async (backupId) => {
    const known = fromCatalog?.(backupId);
    if (known && (isRemoteLocation(known) || fs.existsSync(known))) {
      const { header } = await readContainerHeader(known).catch(() => ({ header: null }));
      if (header?.backupId === backupId) return known;
    }
    folderIndex ??= indexFolder();
    return (await folderIndex).get(backupId) ?? null;
  };
}
