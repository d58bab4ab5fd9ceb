/**
 * The preview before a restore: what the backup holds (databases with tables, sizes and row
 * counts; each folder's full file tree, with where each file's content lives for incrementals)
 * and, against a chosen target, what would be created, replaced, left alone or skipped.
 * Reads only: it never writes to the target.
 */
import type pg from 'pg';
import { AppError } from '../../../shared/errors';
import type { BackupManifest } from '../../../shared/manifest';
import type { DatabasePreview, DatabaseTarget, FilesTarget, RestorePreview, TableRef } from '../../../shared/restore';
import { BackupReader } from '../archive/reader';
import { connectDatabase } from '../postgres/connection';
import type { TocEntry } from '../postgres/restore';
import type { TablePlan } from '../postgres/toc-plan';
import { findPgTool } from '../postgres/tools';
import { assertTablesInSource, pickDatabaseSource, readHeaderInfo, summarizeManifest } from './backup-index';
import { describeDatabaseState, planRoles } from './fidelity';
import { planFileRestore, planForPreview } from './plan-files';
import { readToc } from './restore-database';
import { planSelection, readTargetState, selectionPreview, selectionProblem, tableLabel } from './table-selection';
import { assertDatabaseName, connectMaintenance, databaseExists, listUserTables, targetSource } from './target-db';

export interface PreviewTarget {
  database?: DatabaseTarget;
  /** the target server's password for a database target */
  password?: string | null;
  files?: FilesTarget;
}

/** Opens a backup and returns its manifest (the whole file is not authenticated here; restore does that); `items: false` as BackupReader.readManifest. */
export async function openManifest(filePath: string, passphrase: string | null, options: { items?: boolean } = {}): Promise<BackupManifest> {
  const reader = await BackupReader.open(filePath, passphrase);
  try {
    const manifest = await reader.readManifest(options);
    if (manifest.backupId !== reader.container.header.backupId) {
      throw new AppError('FILE_CORRUPT', { detail: 'the manifest belongs to another backup than the file header names' });
    }
    return manifest;
  } finally {
    await reader.close();
  }
}

/**
 * What restoring the database would do to the target; connects, never changes anything. With
 * `readDumpToc` (the dump's table of contents), a table selection is planned as the restore
 * will run it: what comes with the tables, and whether they can be restored as chosen (`selection`).
 */
export async function previewDatabaseRestore(
  manifest: BackupManifest,
  target: DatabaseTarget,
  password: string | null,
  signal?: AbortSignal,
  readDumpToc?: () => Promise<TocEntry[]>,
): Promise<DatabasePreview> {
  assertDatabaseName(target.database);
  const source = pickDatabaseSource(manifest, target.sourceId);
  const selected = target.tables && target.tables.length > 0 ? target.tables : null;
  if (selected) assertTablesInSource(source, selected);
  const restored = selected ?? source.tables.map((t) => ({ schema: t.schema, name: t.name }));
  const key = (t: { schema: string; name: string }) => `${t.schema}\0${t.name}`;
  let client: pg.Client | null = null;
  try {
    // the preview does not read the role definitions: those the backup saved (never pg_* ones) count as creatable
    const defined = source.rolesEntry ? new Set((source.roles ?? []).map((r) => r.name).filter((r) => !r.startsWith('pg_'))) : null;
    if (target.mode === 'new') {
      client = await connectMaintenance(target.server, password, signal);
      const exists = await databaseExists(client, target.database);
      const roles = await planRoles(client, source, target, defined);
      const plan = selected && readDumpToc ? planSelection(await readDumpToc(), source, selected, null) : null;
      const created = plan ? plan.tables.map(tableRef) : restored;
      return {
        selection: plan ? selectionPreview(plan) : null,
        roles,
        databaseState: describeDatabaseState(source.databaseState, target, null),
        sourceId: source.id,
        targetDatabase: target.database,
        mode: 'new',
        action: exists ? 'conflict' : 'create',
        safetyBackup: false,
        tables: created.map((t) => ({ ...t, action: 'create' as const })),
        message: exists
          ? `A database named "${target.database}" already exists: choose another name, or restore over it.`
          : withSelectionProblem(plan, `A new database "${target.database}" is created with ${created.length} tables.`),
      };
    }
    client = await connectDatabase(targetSource(target.server, target.database), password, { signal });
    const roles = await planRoles(client, source, target, defined);
    const encoding = await client.query<{ encoding: string }>('SELECT pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = current_database()');
    const present = await listUserTables(client);
    const state = await readTargetState(client);
    const plan = selected && readDumpToc ? planSelection(await readDumpToc(), source, selected, state) : null;
    const replaced = plan ? plan.tables.map(tableRef) : restored;
    const presentKeys = new Set(present.map(key));
    const restoredKeys = new Set(replaced.map(key));
    // a whole restore drops and creates each partitioned table: partitions the backup lacks go with it
    const relById = new Map(state.relations.map((r) => [r.oid, r]));
    const goneWithParent = (t: TableRef) => {
      if (plan) return false;
      let r = state.relations.find((x) => key(x) === key(t));
      while (r && r.partitionOf !== null) {
        r = relById.get(r.partitionOf);
        if (r && restoredKeys.has(key(r))) return true;
      }
      return false;
    };
    const gone = present.filter((t) => !restoredKeys.has(key(t)) && goneWithParent(t));
    const tables = [
      ...replaced.map((t) => ({ ...t, action: presentKeys.has(key(t)) ? ('replace' as const) : ('create' as const) })),
      ...present.filter((t) => !restoredKeys.has(key(t)) && !goneWithParent(t)).map((t) => ({ ...t, action: 'leave' as const })),
    ];
    const count = (action: string) => tables.filter((t) => t.action === action).length;
    const dropped = gone.length
      ? ` Partitions the backup does not have are dropped with their partitioned table (the safety backup keeps them): ${gone.map(tableLabel).join(', ')}.`
      : '';
    return {
      sourceId: source.id,
      targetDatabase: target.database,
      mode: 'existing',
      action: 'restore-over',
      safetyBackup: true,
      tables,
      message: withSelectionProblem(
        plan,
        `${count('replace')} tables are replaced, ${count('create')} created, ${count('leave')} left alone.${dropped} A safety backup of "${target.database}" is taken first.`,
      ),
      selection: plan ? selectionPreview(plan) : null,
      roles,
      databaseState: describeDatabaseState(source.databaseState, target, encoding.rows[0]?.encoding ?? null),
    };
  } finally {
    await client?.end().catch(() => undefined);
  }
}

const tableRef = (t: TableRef): TableRef => ({ schema: t.schema, name: t.name });

/** The preview's message, led by why the selection would be refused (the restore's own words). */
function withSelectionProblem(plan: TablePlan | null, message: string): string {
  const problem = plan ? selectionProblem(plan) : null;
  return problem ? `These tables cannot be restored as chosen, and the restore would refuse: ${problem}` : message;
}

/** The table of contents of a database source's dump (pg_restore --list reads the head of the dump). */
async function readSourceToc(filePath: string, passphrase: string | null, manifest: BackupManifest, target: DatabaseTarget, signal?: AbortSignal): Promise<TocEntry[]> {
  const source = pickDatabaseSource(manifest, target.sourceId);
  const entry = manifest.entries.find((e) => e.name === source.entry);
  if (!entry) throw new AppError('FILE_CORRUPT', { detail: `the manifest lists no entry for the dump of ${source.label}` });
  const pgRestorePath = await findPgTool('pg_restore', process.env);
  const reader = await BackupReader.open(filePath, passphrase);
  try {
    return await readToc(reader, entry, source.label, pgRestorePath, process.env, signal ?? new AbortController().signal);
  } finally {
    await reader.close().catch(() => undefined);
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
  const dbTarget = target.database;
  const readDumpToc = dbTarget?.tables?.length ? () => readSourceToc(filePath, passphrase, manifest, dbTarget, options.signal) : undefined;
  const database = dbTarget ? await previewDatabaseRestore(manifest, dbTarget, target.password ?? null, options.signal, readDumpToc) : null;
  let files = null;
  if (target.files) {
    const plan = await planFileRestore(manifest, target.files, options.now ?? new Date(), { signal: options.signal });
    files = await planForPreview(plan, target.files.folder ?? null);
  }
  return { ...summary, header, database, files };
}
