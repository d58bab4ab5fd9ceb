/**
 * What an incremental or differential run needs from its base backup: per folder source, every
 * file the base holds (stored in it, or unchanged since an earlier backup it names), with the
 * size, mtime and hash that decide whether a file changed.
 */
import type { BackupManifest, ManifestUnchangedFile } from '../../../shared/manifest';
import { rawKey } from '../folders/raw-path';
import type { BaseIndex } from './run-state';

/** The key of a base's file: its rawPath (format 2), or the bytes of its path (format 1). */
function keyOf(file: { path: string; rawPath?: string }): string {
  return file.rawPath ?? rawKey(Buffer.from(file.path, 'utf8'));
}

/**
 * Indexes the folder files of a base backup's manifest by folder source id and raw relative path
 * (rawKey). A format 1 base has no raw paths: its paths are UTF-8, which is what they stand for.
 */
export function baseIndexOf(manifest: BackupManifest): BaseIndex {
  const index: BaseIndex = new Map();
  for (const source of manifest.sources) {
    if (source.kind !== 'folder') continue;
    const files = new Map<string, ManifestUnchangedFile>();
    for (const unchanged of source.unchanged) files.set(keyOf(unchanged), unchanged);
    for (const entry of manifest.entries) {
      if (entry.sourceId !== source.id || entry.kind !== 'file') continue;
      const { name: _name, kind: _kind, sourceId: _sourceId, ...meta } = entry;
      const rel = entry.path ?? entry.name.slice(source.entryPrefix.length);
      files.set(keyOf({ path: rel, rawPath: entry.rawPath }), {
        ...meta,
        path: rel,
        mtimeMs: entry.mtimeMs ?? 0,
        mode: entry.mode ?? 0o644,
        storedIn: manifest.backupId,
      });
    }
    index.set(source.id, files);
  }
  return index;
}
