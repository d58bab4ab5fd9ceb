/**
 * What a backup holds, from its header and manifest: the summary a preview shows, the full file
 * list of each folder (for incrementals: stored entries plus unchanged files kept in earlier
 * backups), and the pieces a restore selects.
 */
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import type { BackupManifest, ManifestDatabaseSource, ManifestFolderSource } from '../../../shared/manifest';
import type { BackupHeaderInfo, BackupSummary, PreviewDir, PreviewFile, PreviewFolder, TableRef } from '../../../shared/restore';
import { readContainerHeader } from '../crypto/container';
import { folderItems, type FolderFileRef } from './folder-items';

export type { FolderFileRef } from './folder-items';

/** The header of a .lifeboat file (a path or an s3://, azure://, sftp:// URL), without the passphrase. */
export async function readHeaderInfo(filePath: string): Promise<BackupHeaderInfo> {
  const { header, fileSize } = await readContainerHeader(filePath).catch((error: unknown) => {
    if (error instanceof AppError) throw error;
    throw new AppError('NOT_FOUND', { detail: filePath, cause: error });
  });
  return {
    backupId: header.backupId,
    createdAt: header.createdAt,
    app: header.app,
    format: header.format,
    encrypted: header.encryption !== null,
    fileSize,
  };
}

/**
 * Every item of a folder source at backup time (files, and in format 2 folders, links and
 * special files), each file with the backup that holds it (folder-items.ts).
 */
export function folderFiles(manifest: BackupManifest, source: ManifestFolderSource): FolderFileRef[] {
  return folderItems(manifest, source);
}

/** Files and bytes per folder; `emptyDirs` (folders the backup recorded) are listed even with nothing below them. */
function dirSummary(files: { path: string; size: number }[], emptyDirs: string[] = []): PreviewDir[] {
  const dirs = new Map<string, PreviewDir>();
  const count = (p: string, size: number, file: boolean) => {
    const parts = p.split('/');
    for (let depth = 0; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join('/');
      const d = dirs.get(dir) ?? { path: dir, files: 0, bytes: 0 };
      if (file) d.files++;
      d.bytes += size;
      dirs.set(dir, d);
    }
  };
  for (const file of files) count(file.path, file.size, true);
  for (const dir of emptyDirs) count(`${dir}/`, 0, false);
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
      tables: s.tables.map((t) => ({
        schema: t.schema,
        name: t.name,
        rows: t.rows,
        bytes: t.bytes,
        ...(t.kind ? { kind: t.kind } : {}),
        ...(t.partitionOf ? { partitionOf: t.partitionOf } : {}),
        ...(t.inherits ? { inherits: t.inherits } : {}),
      })),
    }));
  const folders: PreviewFolder[] = manifest.sources
    .filter((s): s is ManifestFolderSource => s.kind === 'folder')
    .map((s) => {
      const items = folderFiles(manifest, s);
      const files = items
        .filter((f) => f.type !== 'dir')
        .map((f) => ({
          path: f.path,
          size: f.size,
          mtimeMs: f.mtimeMs,
          mode: f.mode,
          storedIn: f.storedIn,
          inThisBackup: f.storedIn === manifest.backupId,
          ...(f.type !== 'file' ? { type: f.type as NonNullable<PreviewFile['type']> } : {}),
        }));
      return {
        sourceId: s.id,
        root: s.root,
        status: s.status,
        error: s.error?.message ?? null,
        files,
        dirs: dirSummary(files, items.filter((f) => f.type === 'dir').map((f) => f.path)),
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
