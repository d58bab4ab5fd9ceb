/**
 * The preview before a restore: what the backup holds (databases with tables, sizes and row
 * counts; each folder's full file tree, with where each file's content lives for incrementals)
 * and, against a chosen target, what would be created, replaced, left alone or skipped.
 * Reads only: it never writes to the target.
 */
import type pg from 'pg';
import { AppError } from '../../../shared/errors';
import type { BackupManifest } from '../../../shared/manifest';
import type { DatabasePreview, DatabaseTarget, FilesTarget, RestorePreview } from '../../../shared/restore';
import { BackupReader } from '../archive/reader';
import { connectDatabase } from '../postgres/connection';
import { assertTablesInSource, pickDatabaseSource, readHeaderInfo, summarizeManifest } from './backup-index';
import { planFileRestore, planForPreview } from './plan-files';
import { assertDatabaseName, connectMaintenance, databaseExists, listUserTables, targetSource } from './target-db';

export interface PreviewTarget {
  database?: DatabaseTarget;
  /** the target server's password for a database target */
  password?: string | null;
  files?: FilesTarget;
}

/** Opens a backup and returns its manifest (the whole file is not authenticated here; restore does that). */
export async function openManifest(filePath: string, passphrase: string | null): Promise<BackupManifest> {
  const reader = await BackupReader.open(filePath, passphrase);
  try {
    const manifest = await reader.readManifest();
    if (manifest.backupId !== reader.container.header.backupId) {
      throw new AppError('FILE_CORRUPT', { detail: 'the manifest belongs to another backup than the file header names' });
    }
    return manifest;
  } finally {
    await reader.close();
  }
}

/** What restoring the database would do to the target; connects, never changes anything. */
export async function previewDatabaseRestore(
  manifest: BackupManifest,
  target: DatabaseTarget,
  password: string | null,
  signal?: AbortSignal,
): Promise<DatabasePreview> {
  assertDatabaseName(target.database);
  const source = pickDatabaseSource(manifest, target.sourceId);
  const selected = target.tables && target.tables.length > 0 ? target.tables : null;
  if (selected) assertTablesInSource(source, selected);
  const restored = selected ?? source.tables.map((t) => ({ schema: t.schema, name: t.name }));
  const key = (t: { schema: string; name: string }) => `${t.schema}\0${t.name}`;
  let client: pg.Client | null = null;
  try {
    if (target.mode === 'new') {
      client = await connectMaintenance(target.server, password, signal);
      const exists = await databaseExists(client, target.database);
      return {
        sourceId: source.id,
        targetDatabase: target.database,
        mode: 'new',
        action: exists ? 'conflict' : 'create',
        safetyBackup: false,
        tables: restored.map((t) => ({ ...t, action: 'create' as const })),
        message: exists
          ? `A database named "${target.database}" already exists: choose another name, or restore over it.`
          : `A new database "${target.database}" is created with ${restored.length} tables.`,
      };
    }
    client = await connectDatabase(targetSource(target.server, target.database), password, { signal });
    const present = await listUserTables(client);
    const presentKeys = new Set(present.map(key));
    const restoredKeys = new Set(restored.map(key));
    const tables = [
      ...restored.map((t) => ({ ...t, action: presentKeys.has(key(t)) ? ('replace' as const) : ('create' as const) })),
      ...present.filter((t) => !restoredKeys.has(key(t))).map((t) => ({ ...t, action: 'leave' as const })),
    ];
    const count = (action: string) => tables.filter((t) => t.action === action).length;
    return {
      sourceId: source.id,
      targetDatabase: target.database,
      mode: 'existing',
      action: 'restore-over',
      safetyBackup: true,
      tables,
      message: `${count('replace')} tables are replaced, ${count('create')} created, ${count('leave')} left alone. A safety backup of "${target.database}" is taken first.`,
    };
  } finally {
    await client?.end().catch(() => undefined);
  }
}

/**
 * Previews a backup: its contents, and what a restore to `target` would do. Throws what opening
 * the backup throws (WRONG_PASSPHRASE, FILE_CORRUPT...) and, for a target, what checking it
 * throws (UNSAFE_PATH, PG_AUTH_FAILED...).
 */
export async function previewBackup(
  filePath: string,
  passphrase: string | null,
  target: PreviewTarget = {},
  options: { now?: Date; signal?: AbortSignal } = {},
): Promise<RestorePreview> {
  const header = await readHeaderInfo(filePath);
  const manifest = await openManifest(filePath, passphrase);
  const summary = summarizeManifest(manifest);
  const database = target.database ? await previewDatabaseRestore(manifest, target.database, target.password ?? null, options.signal) : null;
  let files = null;
  if (target.files) {
    const plan = await planFileRestore(manifest, target.files, options.now ?? new Date(), options.signal);
    files = planForPreview(plan, target.files.folder ?? null);
  }
  return { ...summary, header, database, files };
}
