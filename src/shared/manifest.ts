/**
 * The manifest inside every .lifeboat file (entry `manifest.json`, written last). Pure types:
 * the renderer shows them in previews. The format is documented in docs/FORMAT.md.
 */
import type { BackupType } from './plan';

export const MANIFEST_ENTRY = 'manifest.json';
/**
 * 2: folder entries named by number, with raw names, file types, owners and ns mtimes;
 * 3: each folder's items in its own index entry, written as the files go by (docs/FORMAT.md).
 */
export const MANIFEST_FORMAT = 3;

export interface ManifestTable {
  schema: string;
  name: string;
  /**
   * exact count taken in the same snapshot as the dump. With `kind` (newer backups): the table's
   * own rows, `count(*) FROM ONLY` (0 for a partitioned table, whose rows are its partitions'),
   * so a parent and its children compare like with like. Without `kind` (older backups):
   * `count(*)`, which for an inheritance parent includes its children's rows.
   */
  rows: number;
  bytes: number;
  /** 'table' (relkind r) or 'partitioned' (relkind p); absent in older backups, which listed ordinary tables only */
  kind?: 'table' | 'partitioned';
  /** the partitioned table this one is a partition of */
  partitionOf?: ManifestTableRef;
  /** the tables this one inherits from (INHERITS), in order; never set for a partition */
  inherits?: ManifestTableRef[];
  /**
   * pg_class oid in the backed-up database: finds the table's entry in the dump's table of contents
   * whatever its name holds (pg_restore --list prints a newline in a name as a space)
   */
  oid?: number;
  /**
   * Set when pg_dump left this table's rows out (the option and pattern that matched, e.g.
   * `--exclude-table-data public.logs`): the dump holds its definition only, it restores empty,
   * and `rows` is 0 (what the dump holds), `rowsAtBackup` what the database had.
   */
  dataExcludedBy?: string;
  rowsAtBackup?: number;
}

export interface ManifestTableRef {
  schema: string;
  name: string;
}

export interface ManifestEntry {
  /** path inside the archive (forward slashes) */
  name: string;
  /** database-roles: the role definitions a database uses (pg_dumpall --roles-only, filtered; no passwords) */
  kind: 'database-dump' | 'database-roles' | 'file' | 'folder-index';
  sourceId: string;
  size: number;
  sha256: string;
  /** format 3 folder files: how the content is stored (absent: the zip's method says it) */
  method?: 'stored' | 'deflate' | 'zstd';
  /** folder files: permission bits and modification time, restored with the file */
  mode?: number;
  mtimeMs?: number;
  /** format 2 folder files: `name` is `<entryPrefix><n>`; the path's bytes are here (as in ManifestFolderNode) */
  rawPath?: string;
  path?: string;
  mtimeNs?: string;
  uid?: number;
  gid?: number;
  sparse?: boolean;
}

/** Format 2: a folder item with no content in the archive (folder, link, special file). */
export interface ManifestFolderNode {
  type: 'dir' | 'symlink' | 'hardlink' | 'fifo' | 'socket' | 'device';
  /** base64 of the bytes of the path relative to the folder, '/' between names */
  rawPath: string;
  /** rawPath as text, for display and selection: UTF-8, other bytes as \xHH, a backslash doubled */
  path: string;
  /** permission bits with setuid, setgid and sticky (st_mode & 0o7777) */
  mode: number;
  mtimeMs: number;
  /** nanoseconds since 1970-01-01 UTC as a decimal integer (negative before 1970) */
  mtimeNs: string;
  uid: number;
  gid: number;
  /** symlink: base64 of the bytes of its target, exactly as readlink gives them */
  target?: string;
  /** hardlink: the rawPath of the file (in entries or unchanged) it shares its content with */
  linkTo?: string;
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
  /** format 2 (as in ManifestEntry) */
  rawPath?: string;
  mtimeNs?: string;
  uid?: number;
  gid?: number;
  sparse?: boolean;
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
  /** database-level state at backup time (absent in older backups; null when it could not be read) */
  databaseState?: ManifestDatabaseState | null;
  /** the roles the dump uses (owners, grantees...) and how (absent in older backups; null when they could not be read) */
  roles?: ManifestRoleRef[] | null;
  /** the entry holding those roles' definitions (kind database-roles); null when pg_dumpall could not provide them */
  rolesEntry?: string | null;
  /** owner and privileges of each object at backup time, for the drill to compare (absent in older backups) */
  objects?: ManifestObjectAcl[] | null;
  /**
   * What the plan told pg_dump to leave out (absent when nothing): the patterns, and the tables
   * they left out entirely (not in `tables`: a restore does not bring them back), each with the
   * option that did. Tables without their rows are in `tables` with `dataExcludedBy`.
   */
  dumpFilter?: ManifestDumpFilter;
}

/** The dump options of a database source, and what they left out (see ManifestDatabaseSource.dumpFilter). */
export interface ManifestDumpFilter {
  schemas: string[];
  excludeSchemas: string[];
  excludeTables: string[];
  excludeTableData: string[];
  excludedTables: (ManifestTableRef & { excludedBy: string })[];
}

/** What `CREATE DATABASE`, `ALTER DATABASE` and `GRANT ... ON DATABASE` need to make the database again. */
export interface ManifestDatabaseState {
  /** server encoding name, e.g. UTF8, LATIN1, SQL_ASCII */
  encoding: string;
  /** LC_COLLATE and LC_CTYPE */
  collate: string;
  ctype: string;
  /** libc, icu or builtin (PostgreSQL 15+; null before) */
  localeProvider: 'libc' | 'icu' | 'builtin' | null;
  /** the ICU (or builtin) locale when the provider is not libc */
  locale: string | null;
  /** ICU tailoring rules (PostgreSQL 16+) */
  icuRules: string | null;
  owner: string;
  comment: string | null;
  /** datacl as aclitem texts (`grantee=privs/grantor`, '' = PUBLIC); null = the default privileges */
  acl: string[] | null;
  /** pg_db_role_setting of the database: role null = ALTER DATABASE ... SET, else ALTER ROLE ... IN DATABASE ... SET; each `name=value` */
  settings: { role: string | null; config: string[] }[];
}

/**
 * A role the dump refers to. `owner`: owns objects (pg_restore --no-owner leaves it out);
 * `privileges`: grantee or grantor of a privilege, or has per-role database settings;
 * `default-privileges`: ALTER DEFAULT PRIVILEGES FOR ROLE it (both left out by --no-privileges);
 * `other`: named by a policy or a user mapping (always needed).
 */
export interface ManifestRoleRef {
  name: string;
  uses: ('owner' | 'privileges' | 'default-privileges' | 'other')[];
}

/** Owner and effective privileges of one object (NULL ACLs expanded with acldefault, items sorted). */
export interface ManifestObjectAcl {
  kind: string;
  /** null for schemas and large objects */
  schema: string | null;
  /** a function's name carries its identity arguments: f(integer, text); a large object's is its OID */
  name: string;
  owner: string;
  acl: string[];
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
  /** format 2: the folders, links and special files (everything without content), in walk order */
  nodes?: ManifestFolderNode[];
  /**
   * format 3: the entry (kind folder-index) that lists this folder's items, one JSON record per
   * line in walk order, and how many; `entries` (its files), `unchanged` and `nodes` are then
   * empty in manifest.json and filled from it when the manifest is read (BackupReader).
   */
  index?: { entry: string; records: number };
  /**
   * The regular files the walk found and their bytes, stored here or unchanged (each set of hard
   * links once): what the folder held at backup time. The next incremental takes its progress
   * total and free-space estimate from it instead of walking the folder twice. Absent in
   * backups before Lifeboat 0.1's third round.
   */
  tree?: { files: number; bytes: number };
}

/** One line of a format 3 folder index: a stored file, an unchanged one, or a node. */
export type FolderIndexRecord = { file: ManifestEntry } | { unchanged: ManifestUnchangedFile } | { node: ManifestFolderNode };

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
  /** the run's free-text description (absent when none was given) */
  description?: string;
  sources: ManifestSource[];
  entries: ManifestEntry[];
}
