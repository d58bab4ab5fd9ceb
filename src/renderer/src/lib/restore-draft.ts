/**
 * The restore target as the form holds it, and the request built from it. Pure functions: the
 * screen keeps the draft, the store sends the request.
 */
import type { Plan } from '../../../shared/plan';
import type { BackupSummary, ConflictPolicy, DbRestoreMode, PreviewDatabase, TableRef } from '../../../shared/restore';
import { EMPTY_SERVER, serverFromPlan, serverRequest, validateServer, type ServerDraft, type ServerErrors } from './server-draft';
import type { RestoreRequest } from '../stores/restore';

export interface DatabaseDraft {
  sourceId: string;
  server: ServerDraft;
  mode: DbRestoreMode;
  newName: string;
  existingName: string;
  allTables: boolean;
  /** tableKey of each selected table */
  tables: string[];
  /** count the restored rows and compare them with the backup afterwards */
  checkRows: boolean;
  /** leave out the backup's owners / privileges; create the roles the target lacks */
  noOwner: boolean;
  noPrivileges: boolean;
  createRoles: boolean;
}

export interface FilesDraft {
  /** '' = every folder of the backup */
  sourceId: string;
  place: 'original' | 'folder';
  folder: string;
  allPaths: boolean;
  paths: string[];
  conflict: ConflictPolicy;
}

export interface RestoreDraft {
  restoreDatabase: boolean;
  restoreFiles: boolean;
  database: DatabaseDraft;
  files: FilesDraft;
}

export interface DraftErrors {
  what?: string;
  server?: ServerErrors;
  databaseName?: string;
  tables?: string;
  folder?: string;
  paths?: string;
}

export const tableKey = (t: TableRef) => `${t.schema}\u0000${t.name}`;
const tableFromKey = (key: string): TableRef => {
  const [schema = '', name = ''] = key.split('\u0000');
  return { schema, name };
};

/** A name for the new database that says what it is: shop → shop_restored_20250107. */
export function defaultNewName(database: string, now = new Date()): string {
  const stamp = `${now.getFullYear()}${String(now.getMonth() + 1).padStart(2, '0')}${String(now.getDate()).padStart(2, '0')}`;
  const suffix = `_restored_${stamp}`;
  return `${database.slice(0, 63 - suffix.length)}${suffix}`;
}

export function databaseDraftFor(db: PreviewDatabase | undefined, server: ServerDraft): DatabaseDraft {
  return {
    sourceId: db?.sourceId ?? '',
    server,
    mode: 'new',
    newName: db ? defaultNewName(db.database) : '',
    existingName: db?.database ?? '',
    allTables: true,
    tables: [],
    checkRows: true,
    noOwner: false,
    noPrivileges: false,
    createRoles: false,
  };
}

/** The form's starting point: everything the backup holds, a new database, files to their original place. */
export function initialDraft(summary: BackupSummary, plans: Plan[]): RestoreDraft {
  const db = summary.databases.find((d) => d.status === 'success') ?? summary.databases[0];
  const server = serverFromPlan(plans, summary.plan?.id, db?.sourceId) ?? EMPTY_SERVER;
  return {
    restoreDatabase: summary.databases.some((d) => d.status === 'success'),
    restoreFiles: summary.folders.some((f) => f.status === 'success'),
    database: databaseDraftFor(db, server),
    files: {
      sourceId: summary.folders.length === 1 ? summary.folders[0]!.sourceId : '',
      place: 'original',
      folder: '',
      allPaths: true,
      paths: [],
      conflict: 'skip',
    },
  };
}

/** Paths can be chosen one by one only within one folder of the backup. */
export function canSelectPaths(summary: BackupSummary, draft: FilesDraft): boolean {
  return Boolean(draft.sourceId) || summary.folders.length === 1;
}

const isAbsolutePath = (p: string) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');

export function validateDraft(draft: RestoreDraft, summary: BackupSummary): DraftErrors {
  const errors: DraftErrors = {};
  if (!draft.restoreDatabase && !draft.restoreFiles) errors.what = 'Choose what to restore: the database, the files, or both.';
  if (draft.restoreDatabase) {
    const server = validateServer(draft.database.server);
    if (Object.keys(server).length) errors.server = server;
    const name = (draft.database.mode === 'new' ? draft.database.newName : draft.database.existingName).trim();
    if (!name) errors.databaseName = 'Enter the name of the database.';
    else if (name.length > 63) errors.databaseName = 'A PostgreSQL database name has at most 63 characters.';
    if (!draft.database.allTables && draft.database.tables.length === 0) errors.tables = 'Select at least one table, or restore all of them.';
  }
  if (draft.restoreFiles) {
    if (draft.files.place === 'folder') {
      const folder = draft.files.folder.trim();
      if (!folder) errors.folder = 'Enter the folder to restore into.';
      else if (!isAbsolutePath(folder)) errors.folder = 'Enter a full path, for example /home/me/restored.';
    }
    if (!draft.files.allPaths && canSelectPaths(summary, draft.files) && draft.files.paths.length === 0) {
      errors.paths = 'Select at least one file or folder, or restore the whole tree.';
    }
  }
  return errors;
}

export const hasErrors = (errors: DraftErrors) => Object.keys(errors).length > 0;

export function requestFromDraft(draft: RestoreDraft, summary: BackupSummary): RestoreRequest {
  const request: RestoreRequest = {};
  if (draft.restoreDatabase) {
    const d = draft.database;
    request.database = {
      server: serverRequest(d.server),
      database: (d.mode === 'new' ? d.newName : d.existingName).trim(),
      mode: d.mode,
      ...(d.sourceId ? { sourceId: d.sourceId } : {}),
      ...(d.allTables ? {} : { tables: d.tables.map(tableFromKey) }),
      ...(d.checkRows ? {} : { checkRows: false }),
      ...(d.noOwner ? { noOwner: true } : {}),
      ...(d.noPrivileges ? { noPrivileges: true } : {}),
      ...(d.createRoles ? { createRoles: true } : {}),
    };
  }
  if (draft.restoreFiles) {
    const f = draft.files;
    request.files = {
      conflict: f.conflict,
      ...(f.place === 'folder' ? { folder: f.folder.trim() } : {}),
      ...(f.sourceId ? { sourceId: f.sourceId } : {}),
      ...(!f.allPaths && canSelectPaths(summary, f) ? { paths: [...f.paths].sort() } : {}),
    };
  }
  return request;
}
