/**
 * The target server of a database restore: connecting (to the target database, or to a
 * maintenance database for CREATE/DROP DATABASE), listing and counting tables, creating and
 * dropping databases. Every failure is an AppError naming the fix.
 */
import type pg from 'pg';
import { AppError } from '../../../shared/errors';
import type { DatabaseSource } from '../../../shared/plan';
import type { ServerTarget, TableRef } from '../../../shared/restore';
import type { TempDatabase } from '../catalog/jobs-repo';
import { connectDatabase } from '../postgres/connection';

/** A DatabaseSource for `database` on the target server (the password travels separately). */
export function targetSource(server: Omit<ServerTarget, 'password'>, database: string): DatabaseSource {
  return {
    id: 'restore-target',
    host: server.host,
    port: server.port,
    user: server.user,
    database,
    sslMode: server.sslMode,
    hasPassword: false,
  };
}

/** Checks a database name PostgreSQL will take as given (at most 63 bytes, no NUL). */
export function assertDatabaseName(name: string): void {
  if (name.length === 0 || Buffer.byteLength(name, 'utf8') > 63 || name.includes('\0')) {
    throw new AppError('RESTORE_TARGET_INVALID', { detail: `database name ${JSON.stringify(name)}: use 1-63 bytes` });
  }
}

/**
 * Connects for CREATE/DROP DATABASE: the server's `maintenanceDatabase`, else `postgres`, else
 * `template1` (which always exists).
 */
export async function connectMaintenance(
  server: Omit<ServerTarget, 'password'>,
  password: string | null,
  signal?: AbortSignal,
  connectTimeoutMs?: number,
): Promise<pg.Client> {
  const candidates = server.maintenanceDatabase ? [server.maintenanceDatabase] : ['postgres', 'template1'];
  for (let i = 0; ; i++) {
    try {
      return await connectDatabase(targetSource(server, candidates[i]!), password, { signal, connectTimeoutMs });
    } catch (error) {
      if (error instanceof AppError && error.code === 'PG_DATABASE_MISSING' && i + 1 < candidates.length) continue;
      throw error;
    }
  }
}

export async function databaseExists(client: pg.Client, name: string): Promise<boolean> {
  const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rows.length > 0;
}

/**
 * The mark a database Lifeboat creates for a job carries (its COMMENT) until the job is done with
 * it: start-up recovery drops a database a job recorded only when it carries that job's mark,
 * never one of the same name that someone else made.
 */
export function jobMarker(jobId: string): string {
  return `lifeboat:job:${jobId}`;
}

/** A database on `server` as a job records it (no password). */
export function tempDatabaseOf(server: Omit<ServerTarget, 'password'>, database: string): TempDatabase {
  const { host, port, user, sslMode, maintenanceDatabase } = server;
  return { host, port, user, sslMode, ...(maintenanceDatabase ? { maintenanceDatabase } : {}), database };
}

/**
 * CREATE DATABASE from template0 (a clean copy, as pg_restore expects: template1 may hold
 * objects the dump would collide with), then, with `marker`, COMMENT ON DATABASE with it (if
 * that fails, the database just made is dropped again). PG_DATABASE_EXISTS or PG_CREATE_DENIED
 * on failure.
 */
export async function createDatabase(
  client: pg.Client,
  name: string,
  marker?: string | null,
  /** encoding and locale options (postgres/database-state.ts createDatabaseOptions); a server that cannot take them is RESTORE_LOCALE_UNAVAILABLE */
  localeOptions?: string,
): Promise<void> {
  assertDatabaseName(name);
  const ident = client.escapeIdentifier(name);
  try {
    await client.query(`CREATE DATABASE ${ident} TEMPLATE template0${localeOptions ? ` ${localeOptions}` : ''}`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    if (code === '42P04') throw new AppError('PG_DATABASE_EXISTS', { detail: `"${name}"`, cause: error });
    if (code === '42501') throw new AppError('PG_CREATE_DENIED', { detail: message, cause: error });
    // invalid locale name (42809), encoding that does not match the locale (22023), no such collation/ICU locale
    if (localeOptions && (['42809', '22023', '0A000', '42704'].includes(code ?? '') || /locale|encoding|collat|ICU/i.test(message))) {
      throw new AppError('RESTORE_LOCALE_UNAVAILABLE', { detail: `${localeOptions}: ${message}`, cause: error });
    }
    throw new AppError('PG_RESTORE_FAILED', { detail: `CREATE DATABASE "${name}": ${(error as Error).message}`, cause: error });
  }
  if (!marker) return;
  try {
    await client.query(`COMMENT ON DATABASE ${ident} IS ${client.escapeLiteral(marker)}`);
  } catch (error) {
    await dropDatabase(client, name).catch(() => undefined);
    throw new AppError('PG_RESTORE_FAILED', { detail: `COMMENT ON DATABASE "${name}": ${(error as Error).message}`, cause: error });
  }
}

/** The database's COMMENT (where Lifeboat keeps its mark): null for none, undefined when there is no such database. */
export async function databaseMarker(client: pg.Client, name: string): Promise<string | null | undefined> {
  const { rows } = await client.query<{ comment: string | null }>(
    "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
    [name],
  );
  return rows.length === 0 ? undefined : rows[0]!.comment;
}

/**
 * Removes Lifeboat's mark from a database that is now the user's (a restore into a new database
 * that succeeded). Best effort: the job no longer records the database, and recovery drops only
 * recorded ones, so a mark left behind does no harm.
 */
export async function unmarkDatabaseQuietly(server: Omit<ServerTarget, 'password'>, password: string | null, name: string): Promise<void> {
  try {
    const client = await connectMaintenance(server, password);
    try {
      await client.query(`COMMENT ON DATABASE ${client.escapeIdentifier(name)} IS NULL`);
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch {
    // the restore itself succeeded
  }
}

/**
 * Drops a database, ending its sessions first (a pg_restore just killed may still hold one for
 * a moment). WITH (FORCE) from PostgreSQL 13; before that the sessions are terminated by hand.
 */
export async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  const { rows } = await client.query<{ num: string }>("SELECT current_setting('server_version_num') AS num");
  const ident = client.escapeIdentifier(name);
  if (Number(rows[0]!.num) >= 130000) {
    await client.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`);
    return;
  }
  for (let attempt = 0; ; attempt++) {
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    try {
      await client.query(`DROP DATABASE IF EXISTS ${ident}`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Drops `name` on the server with a connection of its own; never throws (best effort, logged by the caller). */
export async function dropDatabaseQuietly(server: Omit<ServerTarget, 'password'>, password: string | null, name: string): Promise<string | null> {
  try {
    const client = await connectMaintenance(server, password);
    try {
      await dropDatabase(client, name);
      return null;
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The user tables of the connected database, partitioned ones too (as the backup's snapshot lists them). */
export async function listUserTables(client: pg.Client): Promise<TableRef[]> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d
                         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 1, 2`,
  );
  return rows;
}

/**
 * Exact row counts; null for a table that is not there. `own`: the table's own rows (count(*)
 * FROM ONLY), as newer manifests count them; else count(*), with inheritance children's rows.
 */
export async function countRows(client: pg.Client, tables: (TableRef & { own?: boolean })[]): Promise<(number | null)[]> {
  const counts: (number | null)[] = [];
  for (const table of tables) {
    const exists = await client.query('SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2', [
      table.schema,
      table.name,
    ]);
    if (exists.rows.length === 0) {
      counts.push(null);
      continue;
    }
    const q = `${client.escapeIdentifier(table.schema)}.${client.escapeIdentifier(table.name)}`;
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table.own ? 'ONLY ' : ''}${q}`);
    counts.push(Number(rows[0]!.n));
  }
  return counts;
}
