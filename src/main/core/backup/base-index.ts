/**
 * What an incremental or differential run needs from its base backup: per folder source, every
 * file the base holds (stored in it, or unchanged since an earlier backup it names), with the
 * size, mtime and hash that decide whether a file changed.
 */
import type { BackupManifest, ManifestUnchangedFile } from '../../../shared/manifest';
import type { BaseIndex } from './run-state';

/** Indexes the folder files of a base backup's manifest by folder source id and relative path. */
export function baseIndexOf(manifest: BackupManifest): BaseIndex {
  const index: BaseIndex = new Map();
  for (const source of manifest.sources) {
    if (source.kind !== 'folder') continue;
    const files = new Map<string, ManifestUnchangedFile>();
    for (const unchanged of source.unchanged) files.set(unchanged.path, unchanged);
    for (const entry of manifest.entries) {
      if (entry.sourceId !== source.id || entry.kind !== 'file') continue;
      const rel = entry.name.slice(source.entryPrefix.length);
      files.set(rel, {
        path: rel,
        size: entry.size,
        mtimeMs: entry.mtimeMs ?? 0,
        mode: entry.mode ?? 0o644,
        sha256: entry.sha256,
        storedIn: manifest.backupId,
      });
    }
    index.set(source.id, files);
  }
  return index;
}
