/**
 * How the fidelity suite compares a restored database with its source: the schema as pg_dump
 * writes it (owners and privileges included, comments, SET lines and the database name taken
 * out), every table's rows, every sequence's state, the large objects (content, owner,
 * privileges), and the database-level state (encoding, locale, settings, comment, grants, owner).
 * Each returns plain data, so a test compares source and copy with one toEqual and a difference
 * shows as a diff.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { quoteIdent, type PgCluster } from '../../support/pg-cluster';
import { tableFingerprint } from '../restore/support';

/** Runs a tool of the cluster's installation over TCP as the cluster's test user. */
function runTool(cluster: PgCluster, tool: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      path.join(cluster.binDir, tool),
      args,
      {
        env: { PATH: process.env.PATH, PGHOST: cluster.host, PGPORT: String(cluster.port), PGUSER: cluster.user, PGPASSWORD: cluster.password, LC_MESSAGES: 'C' },
        maxBuffer: 256 * 1024 * 1024,
      },
      (error, stdout, stderr) => (error ? reject(new Error(`${tool}: ${stderr || error.message}`)) : resolve(stdout)),
    );
  });
}

/**
 * `pg_dump --schema-only` of `db`, owners and privileges included, without what differs between
 * two faithful copies: comments, SET / set_config lines, psql's \restrict lines, blank lines and
 * the database's own name.
 */
export async function normalizedSchema(cluster: PgCluster, db: string): Promise<string[]> {
  const text = await runTool(cluster, 'pg_dump', ['--schema-only', `--dbname=dbname=${db}`]);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('--') && !/^SET /.test(line) && !line.startsWith('SELECT pg_catalog.set_config') && !line.startsWith('\\'))
    .map((line) => line.replace(new RegExp(`(?<![A-Za-z0-9_])${db.replace(/[^A-Za-z0-9_]/g, '\\$&')}(?![A-Za-z0-9_])`, 'g'), '<db>'));
}

async function rows(cluster: PgCluster, db: string, sql: string): Promise<string[]> {
  return (await cluster.psql(sql, db)).split('\n').filter(Boolean);
}

/** Every table's and materialized view's row count and content hash (partitions on their own, their parents not again). */
export async function dataFingerprints(cluster: PgCluster, db: string): Promise<Record<string, string>> {
  const tables = await rows(
    cluster,
    db,
    `SELECT n.nspname || '|' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1`,
  );
  const out: Record<string, string> = {};
  for (const t of tables) {
    const [schema, name] = t.split('|') as [string, string];
    out[`${schema}.${name}`] = await tableFingerprint(cluster, db, { schema, name });
  }
  return out;
}

/** Every sequence's last value and whether it was called (what nextval returns next). */
export async function sequenceStates(cluster: PgCluster, db: string): Promise<Record<string, string>> {
  const names = await rows(cluster, db, "SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences ORDER BY 1");
  const out: Record<string, string> = {};
  for (const name of names) out[name] = (await cluster.psql(`SELECT last_value || ':' || is_called FROM ${name}`, db)).trim();
  return out;
}

/** Every large object: OID, owner, privileges and an MD5 of its content. */
export async function largeObjects(cluster: PgCluster, db: string): Promise<string[]> {
  return rows(
    cluster,
    db,
    `SELECT oid || '|' || pg_get_userbyid(lomowner) || '|' || coalesce(array_to_string(ARRAY(SELECT unnest(lomacl::text[]) ORDER BY 1), ','), '-') || '|' || md5(lo_get(oid))
       FROM pg_largeobject_metadata ORDER BY oid`,
  );
}

/** The database-level state as one record: encoding, locale, owner, comment, grants and settings. */
export async function databaseLevel(cluster: PgCluster, db: string, options: { comment?: boolean } = {}): Promise<Record<string, unknown>> {
  const [row] = await rows(
    cluster,
    'postgres',
    `SELECT json_build_object(
        'encoding', pg_encoding_to_char(d.encoding), 'collate', d.datcollate, 'ctype', d.datctype,
        'provider', d.datlocprovider, 'icu', d.daticulocale, 'owner', pg_get_userbyid(d.datdba),
        'comment', shobj_description(d.oid, 'pg_database'),
        'acl', ARRAY(SELECT unnest(d.datacl::text[]) ORDER BY 1),
        'settings', ARRAY(SELECT coalesce(pg_get_userbyid(nullif(s.setrole, 0)), '*') || ':' || array_to_string(s.setconfig, ';')
                            FROM pg_db_role_setting s WHERE s.setdatabase = d.oid ORDER BY 1))
       FROM pg_database d WHERE d.datname = '${db.replace(/'/g, "''")}'`,
  );
  const state = JSON.parse(row!) as Record<string, unknown>;
  if (options.comment === false) delete state.comment;
  return state;
}

/** Everything the suite compares, for one database. */
export async function fidelityOf(cluster: PgCluster, db: string): Promise<Record<string, unknown>> {
  return {
    schema: await normalizedSchema(cluster, db),
    data: await dataFingerprints(cluster, db),
    sequences: await sequenceStates(cluster, db),
    largeObjects: await largeObjects(cluster, db),
    database: await databaseLevel(cluster, db),
  };
}

/** Role names present on a cluster out of `names`. */
export async function rolesPresent(cluster: PgCluster, names: string[]): Promise<string[]> {
  const list = names.map((n) => `'${n.replace(/'/g, "''")}'`).join(', ');
  return rows(cluster, 'postgres', `SELECT rolname FROM pg_roles WHERE rolname IN (${list}) ORDER BY 1`);
}

/** A role's attributes as pg_dumpall would write them (what a created role must match). */
export async function roleAttributes(cluster: PgCluster, name: string): Promise<string> {
  return (
    await cluster.psql(
      `SELECT rolsuper || ',' || rolinherit || ',' || rolcreaterole || ',' || rolcreatedb || ',' || rolcanlogin || ',' || rolconnlimit || ',' || (rolpassword IS NULL)
         FROM pg_authid WHERE rolname = '${name.replace(/'/g, "''")}'`,
    )
  ).trim();
}

export { quoteIdent };
