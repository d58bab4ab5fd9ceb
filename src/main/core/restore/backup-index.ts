/**
 * What a backup holds, from its header and manifest: the summary a preview shows, the full file
 * list of each folder (for incrementals: stored entries plus unchanged files kept in earlier
 * backups), and the pieces a restore selects.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import type { BackupManifest, ManifestDatabaseSource, ManifestFolderSource } from '../../../shared/manifest';
import type { BackupHeaderInfo, BackupSummary, PreviewDir, PreviewFolder, TableRef } from '../../../shared/restore';
import { readContainerHeader } from '../crypto/container';

/** A folder file of a backup and where its content lives. */
export interface FolderFileRef {
  sourceId: string;
  /** relative to the folder, forward slashes; untrusted until checked (safe-paths) */
  path: string;
  size: number;
  mtimeMs: number;
  mode: number;
  sha256: string;
  /** the backup that holds the content */
  storedIn: string;
}

/** The header of a .lifeboat file, without the passphrase. */
export async function readHeaderInfo(filePath: string): Promise<BackupHeaderInfo> {
  const { header } = await readContainerHeader(filePath).catch((error: unknown) => {
    if (error instanceof AppError) throw error;
    throw new AppError('NOT_FOUND', { detail: filePath, cause: error });
  });
  const fileSize = (await fs.promises.stat(filePath)).size;
  return {
    backupId: header.backupId,
    createdAt: header.createdAt,
    app: header.app,
    format: header.format,
    encrypted: header.encryption !== null,
    fileSize,
  };
}

/** Every file of a folder source at backup time, each with the backup that holds it. */
export function folderFiles(manifest: BackupManifest, source: ManifestFolderSource): FolderFileRef[] {
  const files: FolderFileRef[] = [];
  for (const entry of manifest.entries) {
    if (entry.kind !== 'file' || entry.sourceId !== source.id) continue;
    if (!entry.name.startsWith(source.entryPrefix)) {
      throw new AppError('UNSAFE_PATH', { detail: `entry ${JSON.stringify(entry.name)} is outside its folder's prefix ${source.entryPrefix}` });
    }
    files.push({
      sourceId: source.id,
      path: entry.name.slice(source.entryPrefix.length),
      size: entry.size,
      mtimeMs: entry.mtimeMs ?? Date.parse(manifest.createdAt),
      mode: entry.mode ?? 0o644,
      sha256: entry.sha256,
      storedIn: manifest.backupId,
    });
  }
  for (const unchanged of source.unchanged ?? []) {
    files.push({ sourceId: source.id, ...unchanged });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return files;
}

function dirSummary(files: { path: string; size: number }[]): PreviewDir[] {
  const dirs = new Map<string, PreviewDir>();
  for (const file of files) {
    const parts = file.path.split('/');
    for (let depth = 0; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join('/');
      const d = dirs.get(dir) ?? { path: dir, files: 0, bytes: 0 };
      d.files++;
      d.bytes += file.size;
      dirs.set(dir, d);
    }
  }
  return [...dirs.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The summary a preview and an inspection show. */
export function summarizeManifest(manifest: BackupManifest): BackupSummary {
  const databases = manifest.sources
    .filter((s): s is ManifestDatabaseSource => s.kind === 'database')
    .map((s) => ({
      sourceId: s.id,
      label: s.label,
      database: s.database,
      status: s.status,
      error: s.error?.message ?? null,
      serverVersion: s.serverVersion,
      dumpBytes: manifest.entries.find((e) => e.name === s.entry)?.size ?? 0,
      tables: s.tables.map((t) => ({ schema: t.schema, name: t.name, rows: t.rows, bytes: t.bytes })),
    }));
  const folders: PreviewFolder[] = manifest.sources
    .filter((s): s is ManifestFolderSource => s.kind === 'folder')
    .map((s) => {
      const files = folderFiles(manifest, s).map((f) => ({
        path: f.path,
        size: f.size,
        mtimeMs: f.mtimeMs,
        mode: f.mode,
        storedIn: f.storedIn,
        inThisBackup: f.storedIn === manifest.backupId,
      }));
      return {
        sourceId: s.id,
        root: s.root,
        status: s.status,
        error: s.error?.message ?? null,
        files,
        dirs: dirSummary(files),
        totalFiles: files.length,
        totalBytes: files.reduce((sum, f) => sum + f.size, 0),
        needsBackups: [...new Set(files.filter((f) => !f.inThisBackup).map((f) => f.storedIn))],
      };
    });
  return {
    backupId: manifest.backupId,
    type: manifest.type,
    createdAt: manifest.createdAt,
    finishedAt: manifest.finishedAt,
    plan: manifest.plan,
    baseBackupId: manifest.baseBackupId,
    encrypted: manifest.encrypted,
    host: manifest.host,
    appVersion: manifest.app.version,
    databases,
    folders,
  };
}

/** The database source to restore: the one named, or the only one. */
export function pickDatabaseSource(manifest: BackupManifest, sourceId?: string): ManifestDatabaseSource {
  const all = manifest.sources.filter((s): s is ManifestDatabaseSource => s.kind === 'database');
  const source = sourceId ? all.find((s) => s.id === sourceId) : all.length === 1 ? all[0] : undefined;
  if (!source) {
    const names = all.map((s) => `${s.id} (${s.label})`).join(', ') || 'none';
    throw new AppError('RESTORE_SELECTION_MISSING', {
      detail: sourceId ? `no database source "${sourceId}"; the backup holds: ${names}` : `choose one of the databases in the backup: ${names}`,
    });
  }
  if (source.status !== 'success' || !source.entry) {
    throw new AppError('RESTORE_SELECTION_MISSING', {
      detail: `the dump of ${source.label} failed when the backup was made (${source.error?.message ?? 'no dump'}); use another backup`,
    });
  }
  return source;
}

/** Checks that every selected table is in the backup's table list. */
export function assertTablesInSource(source: ManifestDatabaseSource, tables: TableRef[]): void {
  const known = new Set(source.tables.map((t) => `${t.schema}\0${t.name}`));
  const missing = tables.filter((t) => !known.has(`${t.schema}\0${t.name}`));
  if (missing.length) {
    throw new AppError('RESTORE_SELECTION_MISSING', {
      detail: `not in the backup of ${source.label}: ${missing.map((t) => `${t.schema}.${t.name}`).join(', ')}`,
    });
  }
}

/** The folder sources to restore: the one named, or all that succeeded. */
export function pickFolderSources(manifest: BackupManifest, sourceId?: string): ManifestFolderSource[] {
  const all = manifest.sources.filter((s): s is ManifestFolderSource => s.kind === 'folder');
  const chosen = sourceId ? all.filter((s) => s.id === sourceId) : all.filter((s) => s.status === 'success');
  if (chosen.length === 0) {
    throw new AppError('RESTORE_SELECTION_MISSING', {
      detail: sourceId
        ? `no folder source "${sourceId}"; the backup holds: ${all.map((s) => `${s.id} (${s.root})`).join(', ') || 'none'}`
        : 'the backup holds no folder',
    });
  }
  return chosen;
}

/**
 * Where each folder source is restored: the original place, or below `folder` (directly for a
 * single source; in a subfolder named after the original for several).
 */
export function targetRoots(sources: ManifestFolderSource[], folder: string | undefined): Map<string, string> {
  const roots = new Map<string, string>();
  if (!folder) {
    for (const s of sources) roots.set(s.id, path.resolve(s.root));
    return roots;
  }
  const base = path.resolve(folder);
  if (sources.length === 1) {
    roots.set(sources[0]!.id, base);
    return roots;
  }
  const used = new Set<string>();
  for (const s of sources) {
    let name = path.basename(s.root.replace(/[\\/]+$/, '')).replace(/[^A-Za-z0-9._ -]+/g, '_') || s.id;
    if (name === '.' || name === '..') name = s.id;
    while (used.has(name)) name = `${name}-${s.id}`;
    used.add(name);
    roots.set(s.id, path.join(base, name));
  }
  return roots;
}

/** Whether `rel` is selected by `paths` (exact, or below a selected folder). */
export function isSelected(rel: string, paths: string[] | undefined): boolean {
  if (!paths || paths.length === 0) return true;
  return paths.some((p) => {
    const clean = p.replace(/^\/+|\/+$/g, '');
    return clean === '' || rel === clean || rel.startsWith(`${clean}/`);
  });
}
