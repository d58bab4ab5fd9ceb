/**
 * The manifest inside every .lifeboat file (entry `manifest.json`, written last). Pure types:
 * the renderer shows them in previews. The format is documented in docs/FORMAT.md.
 */
import type { BackupType } from './plan';

export const MANIFEST_ENTRY = 'manifest.json';
export const MANIFEST_FORMAT = 1;

export interface ManifestTable {
  schema: string;
  name: string;
  /** exact count(*) taken in the same snapshot as the dump */
  rows: number;
  bytes: number;
}

export interface ManifestEntry {
  /** path inside the archive (forward slashes) */
  name: string;
  kind: 'database-dump' | 'file';
  sourceId: string;
  size: number;
  sha256: string;
  /** folder files: permission bits and modification time, restored with the file */
  mode?: number;
  mtimeMs?: number;
}

/** A folder file that an incremental/differential did not store because it was unchanged. */
export interface ManifestUnchangedFile {
  /** path relative to the folder source (forward slashes) */
  path: string;
  size: number;
  mtimeMs: number;
  mode: number;
  sha256: string;
  /** the backup that holds its content */
  storedIn: string;
}

interface SourceBase {
  id: string;
  label: string;
  status: 'success' | 'failed';
  error: { code: string; message: string } | null;
}

export interface ManifestDatabaseSource extends SourceBase {
  kind: 'database';
  host: string;
  port: number;
  user: string;
  database: string;
  serverVersion: string | null;
  pgDumpVersion: string | null;
  /** pg_dump custom format: pg_restore can list it and restore single tables */
  format: 'custom';
  entry: string | null;
  tables: ManifestTable[];
}

export interface ManifestFolderSource extends SourceBase {
  kind: 'folder';
  /** absolute path of the folder on the machine that made the backup */
  root: string;
  excludes: string[];
  /** prefix of this folder's entries in the archive, e.g. folders/<id>/ */
  entryPrefix: string;
  files: number;
  bytes: number;
  unchanged: ManifestUnchangedFile[];
}

export type ManifestSource = ManifestDatabaseSource | ManifestFolderSource;

export interface BackupManifest {
  format: number;
  backupId: string;
  app: { name: 'Lifeboat'; version: string };
  createdAt: string;
  finishedAt: string;
  plan: { id: string; name: string } | null;
  type: BackupType;
  /** the backup this one builds on (incremental: the previous one; differential: the last full) */
  baseBackupId: string | null;
  encrypted: boolean;
  compressionLevel: number;
  host: string;
  sources: ManifestSource[];
  entries: ManifestEntry[];
}
