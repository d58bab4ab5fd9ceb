/**
 * Restore, preview, inspection and verification results shared by core, CLI and renderer. Pure
 * types and zod schemas: no node, no electron.
 */
import { z } from 'zod';
import { SSL_MODES } from './plan';
import { destinationSchema } from './destination';
import type { BackupType } from './plan';

export const CONFLICT_POLICIES = ['skip', 'overwrite', 'keep-both'] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

export const DB_RESTORE_MODES = ['new', 'existing'] as const;
export type DbRestoreMode = (typeof DB_RESTORE_MODES)[number];

/** A PostgreSQL server to restore into (no database: that is chosen per restore). */
export const serverTargetSchema = z
  .object({
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65535).default(5432),
    user: z.string().min(1).max(128),
    sslMode: z.enum(SSL_MODES).default('prefer'),
    /** sent with the request, used once and never stored; when absent the keychain is asked */
    password: z.string().max(1024).optional(),
    /** the database to connect to for CREATE/DROP DATABASE (default postgres, then template1) */
    maintenanceDatabase: z.string().min(1).max(128).optional(),
  })
  .strict();
export type ServerTarget = z.output<typeof serverTargetSchema>;

export const tableRefSchema = z.object({ schema: z.string().min(1).max(128), name: z.string().min(1).max(128) }).strict();
export type TableRef = z.infer<typeof tableRefSchema>;

export const databaseTargetSchema = z
  .object({
    server: serverTargetSchema,
    /** the database to create (mode new) or to restore over (mode existing) */
    database: z.string().min(1).max(63),
    mode: z.enum(DB_RESTORE_MODES).default('new'),
    /** which database of the backup (its source id); may be left out when it holds only one */
    sourceId: z.string().min(1).max(64).optional(),
    /** only these tables; all when left out */
    tables: z.array(tableRefSchema).max(10000).optional(),
    /** count the restored tables' rows and compare them with the backup (on when left out; reads every table once more) */
    checkRows: z.boolean().optional(),
    /** objects become the restoring user's instead of keeping the backup's owners (pg_restore --no-owner) */
    noOwner: z.boolean().optional(),
    /** leave out the backup's GRANTs/REVOKEs, default privileges and per-role database settings (pg_restore --no-privileges) */
    noPrivileges: z.boolean().optional(),
    /** create the roles the backup uses that the target server lacks, from the definitions in the backup (never touching existing roles) */
    createRoles: z.boolean().optional(),
  })
  .strict();
export type DatabaseTarget = z.output<typeof databaseTargetSchema>;
export type DatabaseTargetInput = z.input<typeof databaseTargetSchema>;

export const filesTargetSchema = z
  .object({
    /** restore here; the original place (the folder the backup was made of) when left out */
    folder: z.string().min(1).max(4096).optional(),
    conflict: z.enum(CONFLICT_POLICIES).default('skip'),
    /** which folder of the backup (its source id); all when left out */
    sourceId: z.string().min(1).max(64).optional(),
    /** only these paths (relative, forward slashes; a folder selects everything below it) */
    paths: z.array(z.string().min(1).max(4096)).max(100000).optional(),
  })
  .strict();
export type FilesTarget = z.output<typeof filesTargetSchema>;
export type FilesTargetInput = z.input<typeof filesTargetSchema>;

/** The header of a .lifeboat file, readable without the passphrase. */
export interface BackupHeaderInfo {
  backupId: string;
  createdAt: string;
  app: string;
  format: number;
  encrypted: boolean;
  fileSize: number;
}

export interface PreviewTable {
  schema: string;
  name: string;
  /** the table's own rows when `kind` is set (0 for a partitioned table: its partitions hold them); see ManifestTable */
  rows: number;
  bytes: number;
  /** absent for backups made before Lifeboat recorded it */
  kind?: 'table' | 'partitioned';
  partitionOf?: TableRef;
  inherits?: TableRef[];
}

export interface PreviewDatabase {
  sourceId: string;
  label: string;
  database: string;
  status: 'success' | 'failed';
  error: string | null;
  serverVersion: string | null;
  /** bytes of the dump in the backup */
  dumpBytes: number;
  tables: PreviewTable[];
}

export interface PreviewFile {
  /** relative to the folder, forward slashes (a name that is not UTF-8 shows its other bytes as \xHH, a backslash doubled) */
  path: string;
  size: number;
  mtimeMs: number;
  mode: number;
  /** the backup that holds the content: this one, or the base an incremental points to */
  storedIn: string;
  inThisBackup: boolean;
  /** absent for a regular file; format 2 backups also record links and special files */
  type?: 'symlink' | 'hardlink' | 'fifo' | 'socket' | 'device';
}

export interface PreviewDir {
  /** relative, forward slashes; '' is the folder itself */
  path: string;
  files: number;
  bytes: number;
}

export interface PreviewFolder {
  sourceId: string;
  root: string;
  status: 'success' | 'failed';
  error: string | null;
  files: PreviewFile[];
  dirs: PreviewDir[];
  totalFiles: number;
  totalBytes: number;
  /** backups other than this one that hold some of the files (incrementals) */
  needsBackups: string[];
}

export type TableAction = 'replace' | 'create' | 'leave';
export type FileAction = 'create' | 'replace' | 'same' | 'keep-both' | 'skip';

export interface DatabasePreview {
  sourceId: string;
  targetDatabase: string;
  mode: DbRestoreMode;
  /** new: the database is created, or is a conflict because it exists; existing: it is restored over */
  action: 'create' | 'conflict' | 'restore-over';
  /** existing mode: a safety backup of the database is taken first */
  safetyBackup: boolean;
  tables: { schema: string; name: string; action: TableAction }[];
  message: string | null;
  /** the roles the backup uses against the target server (absent for backups that did not record them) */
  roles?: RolesPreview | null;
  /** what happens to the database-level state (encoding, locale, settings, comment, grants, owner) */
  databaseState?: string | null;
  /** a table selection as it would be restored (absent or null when the whole database is) */
  selection?: TableSelectionPreview | null;
}

/**
 * What restoring a selection of tables takes, decided before anything runs: the tables whose
 * rows are restored (the chosen ones, and the partitions of a chosen partitioned table), the
 * definitions that come along, and whether the selection can be restored as chosen.
 */
export interface TableSelectionPreview {
  /**
   * tables whose rows are restored. `how`: created from the backup, or (over an existing database)
   * replaced in place: emptied and reloaded, keeping the table itself, its partition attachment,
   * indexes, triggers and what depends on it. `via`: the chosen partitioned table that brought a partition.
   */
  tables: { schema: string; name: string; how: 'create' | 'in-place'; via: TableRef | null }[];
  /** tables created with their definition only, no rows, because a restored one needs them (the parent of a partition or of an inheritance child) */
  definitionsOnly: TableRef[];
  /** other objects created because the tables need them: types, domains, functions, sequences, schemas (as `TYPE public.mpaa`) */
  objects: string[];
  /** why the selection cannot be restored as chosen; empty when it can */
  problems: string[];
  /** the smallest selection around the chosen one that can be restored, when the chosen one cannot (null when it can, or when no selection can) */
  minimalSet: TableRef[] | null;
}

/** The roles a database restore needs on the target, decided before anything runs. */
export interface RolesPreview {
  /** roles the restore needs with the chosen options (owners unless noOwner, grantees unless noPrivileges, policy roles) */
  needed: string[];
  /** of those, the ones the target server does not have */
  missing: string[];
  /** roles the backup uses that the target does not have but the restore does not need (noOwner / noPrivileges) */
  leftOut: string[];
  /** created from the backup's definitions before the restore (createRoles) */
  toCreate: string[];
  /** roles the restoring user cannot hand objects to (not a superuser, not a member) */
  cannotAssume: string[];
  /** the restore would be refused as it stands */
  refused: boolean;
  message: string;
}

export interface FilePreviewItem {
  sourceId: string;
  path: string;
  /** where the file would be written (absolute) */
  target: string;
  action: FileAction;
  size: number;
  /** why a file is skipped or renamed */
  reason: string | null;
}

export interface FilesPreview {
  folder: string | null;
  conflict: ConflictPolicy;
  items: FilePreviewItem[];
  counts: Record<FileAction, number>;
}

export interface BackupSummary {
  backupId: string;
  type: BackupType;
  createdAt: string;
  finishedAt: string;
  plan: { id: string; name: string } | null;
  baseBackupId: string | null;
  encrypted: boolean;
  host: string;
  appVersion: string;
  databases: PreviewDatabase[];
  folders: PreviewFolder[];
}

export interface RestorePreview extends BackupSummary {
  header: BackupHeaderInfo;
  database: DatabasePreview | null;
  files: FilesPreview | null;
}

export interface BackupInspection {
  filePath: string;
  header: BackupHeaderInfo;
  /** encrypted and no passphrase was given: ask for it, then inspect again */
  needsPassphrase: boolean;
  summary: BackupSummary | null;
  /** the catalog job of this backup, when it is in the catalog */
  catalogJobId: string | null;
}

export interface ImportResult {
  filePath: string;
  backupId: string;
  imported: boolean;
  /** set when not imported: why (already in the catalog) */
  reason: string | null;
  jobId: string;
}

export interface RebuildCatalogResult {
  folder: string;
  imported: ImportResult[];
  alreadyKnown: ImportResult[];
  failed: { filePath: string; code: string; message: string }[];
}

export interface VerificationSummary {
  id: string;
  jobId: string | null;
  backupJobId: string | null;
  filePath: string;
  status: 'passed' | 'warnings' | 'failed';
  drill: boolean;
  reasons: string[];
  createdAt: string;
}

export interface VerificationStats {
  passed: number;
  warnings: number;
  failed: number;
  drills: number;
  /** the newest passed drill: "proven restorable" on that date */
  lastProvenAt: string | null;
}

export interface RestoreRecord {
  id: string;
  jobId: string | null;
  backupPath: string;
  /** what was restored where; never a secret */
  target: Record<string, unknown>;
  status: string;
  details: Record<string, unknown> | null;
  createdAt: string;
}

const filePath = z.string().min(1).max(4096);
const passphrase = z.string().max(1024).optional();
const jobId = z.string().min(1).max(64);
const page = { page: z.number().int().min(1).default(1), pageSize: z.number().int().min(1).max(200).default(50) };

/** A backup named by file (dropped onto the window) or by catalog job. */
const backupRefShape = { filePath: filePath.optional(), backupJobId: jobId.optional(), passphrase };
const namesBackup = (r: { filePath?: string; backupJobId?: string }) => Boolean(r.filePath) !== Boolean(r.backupJobId);
const namesBackupMessage = { message: 'Give either filePath or backupJobId', path: ['filePath'] };

/** Request schemas of the backup, verify and restore channels (spread into the contract's invokeSchemas). */
export const restoreInvokeSchemas = {
  /** header and manifest summary; without a passphrase an encrypted file answers needsPassphrase */
  'backups/inspect': z.object({ filePath, passphrase }).strict(),
  'backups/import': z.object({ filePath, passphrase }).strict(),
  /**
   * imports every .lifeboat file in the folder; or, with `destination` instead (and its `secret`,
   * used for this request only, never stored), every one below that remote destination's root,
   * at any depth (a plan's copies lie in `<plan slug>/` below it)
   */
  'backups/rebuild-catalog': z
    .object({ folder: filePath.optional(), passphrase, destination: destinationSchema.optional(), secret: z.string().max(8192).optional() })
    .strict()
    .refine((r) => Boolean(r.folder) !== Boolean(r.destination), { message: 'Give either a folder or a destination', path: ['folder'] }),
  /**
   * a catalog backup (its primary, or its nearest healthy copy when the primary is missing or
   * damaged), or one copy of it (`copy`: the destination id) read where it lies; or a file path or URL
   */
  'verify/run': z.union([z.object({ jobId, copy: z.string().min(1).max(64).optional() }).strict(), z.object({ filePath, passphrase }).strict()]),
  'verify/run-all': z.undefined().or(z.object({}).strict()).optional(),
  'verify/drill': z
    .object({ ...backupRefShape, server: serverTargetSchema, createRoles: z.boolean().optional() })
    .strict()
    .refine(namesBackup, namesBackupMessage),
  'verify/list': z
    .object({ ...page, backupJobId: jobId.optional(), drill: z.boolean().optional() })
    .strict()
    .default({ page: 1, pageSize: 50 }),
  'restore/preview': z
    .object({ ...backupRefShape, database: databaseTargetSchema.optional(), files: filesTargetSchema.optional() })
    .strict()
    .refine(namesBackup, namesBackupMessage),
  'restore/start': z
    .object({ ...backupRefShape, database: databaseTargetSchema.optional(), files: filesTargetSchema.optional() })
    .strict()
    .refine(namesBackup, namesBackupMessage)
    .refine((r) => Boolean(r.database || r.files), { message: 'Choose where to restore: a database, a folder, or both', path: ['database'] }),
  'restore/list': z.object(page).strict().default({ page: 1, pageSize: 50 }),
} as const;

/** Response types of the channels above. */
export interface RestoreInvokeResponses {
  'backups/inspect': BackupInspection;
  'backups/import': ImportResult;
  'backups/rebuild-catalog': RebuildCatalogResult;
  'verify/run': { jobId: string };
  'verify/run-all': { jobIds: string[]; skipped: { backupJobId: string; reason: string }[] };
  'verify/drill': { jobId: string };
  'verify/list': { items: VerificationSummary[]; total: number; page: number; pageSize: number; stats: VerificationStats };
  'restore/preview': RestorePreview;
  'restore/start': { jobId: string };
  'restore/list': { items: RestoreRecord[]; total: number; page: number; pageSize: number };
}
