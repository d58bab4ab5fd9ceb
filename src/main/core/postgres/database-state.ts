/**
 * What a dump does not carry about its database, read from the catalogs: the database-level
 * state (encoding, locale, ALTER DATABASE ... SET settings, comment, grants, owner), the roles
 * the dump refers to, and the owner and privileges of each object (which the drill compares
 * after its restore). At backup time all three are read in the snapshot pg_dump dumps
 * (SET TRANSACTION SNAPSHOT); each query reads only what any user may read (pg_roles, never
 * pg_authid). Also the SQL that applies such a state to a database again.
 */
import type pg from 'pg';
import type { ManifestDatabaseState, ManifestObjectAcl, ManifestRoleRef } from '../../../shared/manifest';
import type { DatabaseSource } from '../../../shared/plan';
import { connectDatabase } from './connection';
import { sqlIdent, sqlLiteral, readIdent } from './roles';

/** Large objects whose owner and privileges are recorded, at most (lowest OIDs first). */
export const MAX_RECORDED_LARGE_OBJECTS = 10_000;

const USER_NAMESPACE = (n: string) =>
  `${n}.nspname NOT IN ('pg_catalog', 'information_schema') AND ${n}.nspname NOT LIKE 'pg\\_toast%' AND ${n}.nspname NOT LIKE 'pg\\_temp\\_%'`;
const NOT_EXTENSION_MEMBER = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${catalog}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`;

/*
 * Every role the database's objects refer to. pg_shdepend has owners ('o'), privileges ('a') and
 * policies ('r') of this database's objects, but not the pinned roles (the bootstrap superuser,
 * predefined pg_* roles): the owners and ACLs of the usual catalogs are read as well for those.
 * The role of default privileges (pg_default_acl's, recorded as 'o') is "default-privileges": a
 * restoring user must be able to act as it; user mappings and policies are "other" (pg_restore
 * has no option that leaves them out).
 */
const ROLE_REFS_SQL = `
WITH db AS (SELECT oid, datdba, datacl FROM pg_database WHERE datname = current_database()),
refs(role, use) AS (
  SELECT s.refobjid,
         CASE WHEN s.classid = 'pg_default_acl'::regclass AND s.deptype = 'o' THEN 'default-privileges'
              WHEN s.classid = 'pg_user_mapping'::regclass OR s.deptype = 'r' THEN 'other'
              WHEN s.deptype = 'o' THEN 'owner' ELSE 'privileges' END
    FROM pg_shdepend s, db
   WHERE s.refclassid = 'pg_authid'::regclass AND s.dbid = db.oid AND s.deptype IN ('o', 'a', 'r')
  UNION SELECT datdba, 'owner' FROM db
  UNION SELECT a.grantee, 'privileges' FROM db, aclexplode(db.datacl) a
  UNION SELECT a.grantor, 'privileges' FROM db, aclexplode(db.datacl) a
  UNION SELECT s.setrole, 'privileges' FROM pg_db_role_setting s, db WHERE s.setdatabase = db.oid AND s.setrole <> 0
  UNION SELECT c.relowner, 'owner' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_NAMESPACE('n')}
  UNION SELECT n.nspowner, 'owner' FROM pg_namespace n WHERE ${USER_NAMESPACE('n')}
  UNION SELECT p.proowner, 'owner' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_NAMESPACE('n')}
  UNION SELECT t.typowner, 'owner' FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ${USER_NAMESPACE('n')}
  UNION SELECT l.lomowner, 'owner' FROM pg_largeobject_metadata l
  UNION SELECT x.r, 'privileges' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
         LATERAL aclexplode(c.relacl) a, LATERAL (VALUES (a.grantee), (a.grantor)) x(r) WHERE ${USER_NAMESPACE('n')}
  UNION SELECT x.r, 'privileges' FROM pg_namespace n, LATERAL aclexplode(n.nspacl) a, LATERAL (VALUES (a.grantee), (a.grantor)) x(r) WHERE ${USER_NAMESPACE('n')}
  UNION SELECT x.r, 'privileges' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace,
         LATERAL aclexplode(p.proacl) a, LATERAL (VALUES (a.grantee), (a.grantor)) x(r) WHERE ${USER_NAMESPACE('n')}
  UNION SELECT x.r, 'privileges' FROM pg_largeobject_metadata l, LATERAL aclexplode(l.lomacl) a, LATERAL (VALUES (a.grantee), (a.grantor)) x(r)
)
SELECT r.rolname AS name, array_agg(DISTINCT refs.use ORDER BY refs.use) AS uses
  FROM refs JOIN pg_roles r ON r.oid = refs.role
 GROUP BY r.rolname`;

/*
 * Owner and effective privileges (a NULL ACL is its acldefault) of the objects pg_dump dumps with
 * an owner: relations, schemas, functions, types, large objects. Extension members are left out
 * (CREATE EXTENSION makes them again, owned by whoever restores). Names as text: run with
 * search_path = pg_catalog, so argument types are schema-qualified the same way on every side.
 */
const OBJECT_ACLS_SQL = `
SELECT kind, schema, name, owner, acl FROM (
  SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                        WHEN 'S' THEN 'sequence' ELSE 'foreign table' END AS kind,
         n.nspname::text AS schema, c.relname::text AS name, pg_get_userbyid(c.relowner)::text AS owner,
         coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))::text[] AS acl
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${USER_NAMESPACE('n')} AND ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}
  UNION ALL
  SELECT 'schema', NULL, n.nspname::text, pg_get_userbyid(n.nspowner)::text, coalesce(n.nspacl, acldefault('n', n.nspowner))::text[]
    FROM pg_namespace n WHERE ${USER_NAMESPACE('n')} AND ${NOT_EXTENSION_MEMBER('pg_namespace', 'n.oid')}
  UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
         n.nspname::text, p.proname::text || '(' || pg_get_function_identity_arguments(p.oid) || ')', pg_get_userbyid(p.proowner)::text,
         coalesce(p.proacl, acldefault('f', p.proowner))::text[]
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE ${USER_NAMESPACE('n')} AND ${NOT_EXTENSION_MEMBER('pg_proc', 'p.oid')}
  UNION ALL
  SELECT 'type', n.nspname::text, t.typname::text, pg_get_userbyid(t.typowner)::text, coalesce(t.typacl, acldefault('T', t.typowner))::text[]
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE ${USER_NAMESPACE('n')} AND t.typtype IN ('b', 'c', 'd', 'e', 'r')
     AND (t.typtype <> 'c' OR EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = t.typrelid AND r.relkind = 'c'))
     AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
     AND ${NOT_EXTENSION_MEMBER('pg_type', 't.oid')}
  UNION ALL
  SELECT 'large object', NULL, l.oid::text, pg_get_userbyid(l.lomowner)::text, coalesce(l.lomacl, acldefault('L', l.lomowner))::text[]
    FROM (SELECT * FROM pg_largeobject_metadata ORDER BY oid LIMIT ${MAX_RECORDED_LARGE_OBJECTS}) l
) o`;

/*
 * The database row, whatever the server version: to_jsonb gives the locale columns that exist
 * (datlocprovider from 15, daticulocale in 15-16, datlocale from 17, daticurules from 16).
 */
const DATABASE_SQL = `
SELECT to_jsonb(d) AS row, pg_encoding_to_char(d.encoding) AS encoding, pg_get_userbyid(d.datdba) AS owner,
       shobj_description(d.oid, 'pg_database') AS comment, d.datacl::text[] AS acl,
       coalesce(d.datacl, acldefault('d', d.datdba))::text[] AS effective_acl
  FROM pg_database d WHERE d.datname = current_database()`;

const SETTINGS_SQL = `
SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole) END AS role, s.setconfig AS config
  FROM pg_db_role_setting s WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())`;

/** Strings in code point order (not the server's or the machine's collation): the same everywhere. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function objectKey(o: Pick<ManifestObjectAcl, 'kind' | 'schema' | 'name'>): string {
  return `${o.kind}\u0000${o.schema ?? ''}\u0000${o.name}`;
}

/** The database state of the connected database, with its effective ACL (what the drill compares). */
export async function readDatabaseState(client: pg.Client): Promise<ManifestDatabaseState & { effectiveAcl: string[] }> {
  const { rows } = await client.query<{ row: Record<string, unknown>; encoding: string; owner: string; comment: string | null; acl: string[] | null; effective_acl: string[] }>(DATABASE_SQL);
  const db = rows[0]!;
  const provider = db.row.datlocprovider;
  const settings = await client.query<{ role: string | null; config: string[] | null }>(SETTINGS_SQL);
  return {
    encoding: db.encoding,
    collate: String(db.row.datcollate ?? ''),
    ctype: String(db.row.datctype ?? ''),
    localeProvider: provider === 'i' ? 'icu' : provider === 'b' ? 'builtin' : provider === 'c' ? 'libc' : null,
    locale: ((db.row.datlocale ?? db.row.daticulocale) as string | null | undefined) ?? null,
    icuRules: (db.row.daticurules as string | null | undefined) ?? null,
    owner: db.owner,
    comment: db.comment,
    acl: db.acl,
    effectiveAcl: [...db.effective_acl].sort(byCodePoint),
    settings: settings.rows
      .map((s) => ({ role: s.role, config: [...(s.config ?? [])].sort(byCodePoint) }))
      .sort((a, b) => (a.role === null ? -1 : b.role === null ? 1 : byCodePoint(a.role, b.role))),
  };
}

/** The roles the connected database refers to, by name, each with how it is used. */
export async function readRoleRefs(client: pg.Client): Promise<ManifestRoleRef[]> {
  const { rows } = await client.query<{ name: string; uses: ManifestRoleRef['uses'] }>(ROLE_REFS_SQL);
  return rows.map((r) => ({ name: r.name, uses: [...r.uses].sort() })).sort((a, b) => byCodePoint(a.name, b.name));
}

/** Owner and effective privileges of the connected database's objects (see OBJECT_ACLS_SQL); sets search_path for the session. */
export async function readObjectAcls(client: pg.Client): Promise<ManifestObjectAcl[]> {
  await client.query('SET search_path = pg_catalog');
  const { rows } = await client.query<ManifestObjectAcl>(OBJECT_ACLS_SQL);
  return rows
    .map((o) => ({ kind: o.kind, schema: o.schema, name: o.name, owner: o.owner, acl: [...o.acl].sort(byCodePoint) }))
    .sort((a, b) => byCodePoint(objectKey(a), objectKey(b)));
}

/** What a backup records beyond the dump; a part that could not be read is null, with the reason in `warnings`. */
export interface DatabaseFidelity {
  state: ManifestDatabaseState | null;
  roles: ManifestRoleRef[] | null;
  objects: ManifestObjectAcl[] | null;
  warnings: string[];
}

/**
 * Reads the database state, the roles and the objects' owners and privileges in the exported
 * snapshot `snapshotId` (the one pg_dump dumps), on a connection of its own. Never throws but
 * for a cancel: a part that fails is null with a warning, and the backup goes on without it.
 */
export async function captureDatabaseFidelity(source: DatabaseSource, password: string | null, snapshotId: string, signal?: AbortSignal): Promise<DatabaseFidelity> {
  const result: DatabaseFidelity = { state: null, roles: null, objects: null, warnings: [] };
  let client: pg.Client;
  try {
    client = await connectDatabase(source, password, { signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    result.warnings.push(`database settings, roles and privileges were not recorded: ${(error as Error).message}`);
    return result;
  }
  try {
    await client.query('SET statement_timeout = 0');
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT ${sqlLiteral(snapshotId)}`);
    const part = async <T>(what: string, read: () => Promise<T>): Promise<T | null> => {
      await client.query('SAVEPOINT part');
      try {
        const value = await read();
        await client.query('RELEASE SAVEPOINT part');
        return value;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        await client.query('ROLLBACK TO SAVEPOINT part');
        result.warnings.push(`${what} could not be read, so it is not in the backup: ${(error as Error).message}`);
        return null;
      }
    };
    result.state = await part('the database settings (encoding, locale, settings, comment, grants, owner)', async () => {
      const { effectiveAcl: _effective, ...state } = await readDatabaseState(client);
      return state;
    });
    result.roles = await part('the list of roles the database uses', () => readRoleRefs(client));
    result.objects = await part("the objects' owners and privileges", () => readObjectAcls(client));
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    result.warnings.push(`database settings, roles and privileges were not recorded: ${(error as Error).message}`);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
  return result;
}

/** One aclitem (`grantee=privs/grantor`; an empty grantee is PUBLIC). */
export interface AclItem {
  /** '' for PUBLIC */
  grantee: string;
  /** privilege letters, each optionally followed by * (with grant option) */
  privileges: string;
  grantor: string;
}

/** Parses an aclitem's text form; null when it is not one. */
export function parseAclItem(text: string): AclItem | null {
  let grantee = '';
  let rest = text;
  if (!rest.startsWith('=')) {
    const ident = readAclName(rest);
    if (!ident) return null;
    grantee = ident.name;
    rest = ident.rest;
  }
  const m = /^=([A-Za-z*]*)\/(.*)$/.exec(rest);
  if (!m) return null;
  const grantor = readAclName(m[2]!);
  if (!grantor || grantor.rest !== '') return null;
  return { grantee, privileges: m[1]!, grantor: grantor.name };
}

/** A role name in an aclitem: quoted like an identifier when it needs to be, else as written (case kept). */
function readAclName(text: string): { name: string; rest: string } | null {
  if (text.startsWith('"')) return readIdent(text);
  const m = /^[^=/"]+/.exec(text);
  return m ? { name: m[0], rest: text.slice(m[0].length) } : null;
}

const DATABASE_PRIVILEGES: Record<string, string> = { C: 'CREATE', c: 'CONNECT', T: 'TEMPORARY' };

/** The GRANT statements (as `grantor`, the statement) that give one aclitem's database privileges. */
export function databaseGrantStatements(database: string, item: AclItem): string[] {
  const plain: string[] = [];
  const withOption: string[] = [];
  const letters = item.privileges;
  for (let i = 0; i < letters.length; i++) {
    const name = DATABASE_PRIVILEGES[letters[i]!];
    if (!name) continue;
    if (letters[i + 1] === '*') {
      withOption.push(name);
      i++;
    } else plain.push(name);
  }
  const to = item.grantee === '' ? 'PUBLIC' : sqlIdent(item.grantee);
  const statements: string[] = [];
  if (plain.length) statements.push(`GRANT ${plain.join(', ')} ON DATABASE ${sqlIdent(database)} TO ${to}`);
  if (withOption.length) statements.push(`GRANT ${withOption.join(', ')} ON DATABASE ${sqlIdent(database)} TO ${to} WITH GRANT OPTION`);
  return statements;
}

/*
 * Settings whose value is a list of names, each quoted on its own (PostgreSQL's GUC_LIST_QUOTE;
 * pg_dump keeps the same list): `search_path="$user", public` is SET search_path TO '$user', 'public'.
 */
const LIST_SETTINGS = new Set(['search_path', 'temp_tablespaces', 'session_preload_libraries', 'shared_preload_libraries', 'local_preload_libraries', 'unix_socket_directories']);

/** Splits a list setting's stored value into its elements (as PostgreSQL's SplitGUCList). */
export function splitSettingList(value: string): string[] {
  const items: string[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < value.length && /\s/.test(value[i]!)) i++;
  };
  skipSpace();
  if (i >= value.length) return items;
  for (;;) {
    let item = '';
    if (value[i] === '"') {
      i++;
      for (; i < value.length; i++) {
        if (value[i] === '"') {
          if (value[i + 1] === '"') {
            item += '"';
            i++;
            continue;
          }
          i++;
          break;
        }
        item += value[i];
      }
    } else {
      while (i < value.length && value[i] !== ',') item += value[i++];
      item = item.trimEnd();
    }
    items.push(item);
    skipSpace();
    if (value[i] !== ',') break;
    i++;
    skipSpace();
  }
  return items;
}

/** `SET name TO value` for one stored `name=value` setting (the part after ALTER DATABASE x / ALTER ROLE r IN DATABASE x). */
export function settingClause(config: string): string {
  const eq = config.indexOf('=');
  const name = eq === -1 ? config : config.slice(0, eq);
  const value = eq === -1 ? '' : config.slice(eq + 1);
  const quotedName = name
    .split('.')
    .map((part) => (/^[a-z_][a-z0-9_]*$/.test(part) ? part : sqlIdent(part)))
    .join('.');
  const values = LIST_SETTINGS.has(name.toLowerCase()) ? splitSettingList(value) : [value];
  return `SET ${quotedName} TO ${(values.length ? values : ['']).map(sqlLiteral).join(', ')}`;
}

/** The options of CREATE DATABASE that make a database with this encoding and locale (serverVersionNum: the target's). */
export function createDatabaseOptions(state: ManifestDatabaseState, serverVersionNum: number): string {
  const parts = [`ENCODING ${sqlLiteral(state.encoding)}`, `LC_COLLATE ${sqlLiteral(state.collate)}`, `LC_CTYPE ${sqlLiteral(state.ctype)}`];
  // from 15 template0 itself may use ICU: say libc, or the copy would not be libc
  if (serverVersionNum >= 150000) parts.push(`LOCALE_PROVIDER ${state.localeProvider ?? 'libc'}`);
  if (state.localeProvider === 'icu' && state.locale) parts.push(`ICU_LOCALE ${sqlLiteral(state.locale)}`);
  if (state.localeProvider === 'builtin' && state.locale) parts.push(`BUILTIN_LOCALE ${sqlLiteral(state.locale)}`);
  if (state.icuRules) parts.push(`ICU_RULES ${sqlLiteral(state.icuRules)}`);
  return parts.join(' ');
}

/** Why a server of this version cannot make a database with that locale (null: it can). */
export function localeUnsupportedReason(state: ManifestDatabaseState, serverVersionNum: number): string | null {
  if (state.localeProvider === 'icu' && serverVersionNum < 150000) return 'the backup uses an ICU locale, which PostgreSQL supports for a database from version 15';
  if (state.localeProvider === 'builtin' && serverVersionNum < 170000) return 'the backup uses the builtin locale provider, which PostgreSQL has from version 17';
  if (state.icuRules && serverVersionNum < 160000) return 'the backup uses ICU rules, which PostgreSQL has from version 16';
  return null;
}
