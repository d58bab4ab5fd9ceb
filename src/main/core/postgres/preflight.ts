/**
 * The database checks before a backup run: pg_dump is present and new enough for the server,
 * and the connection works. Each failure is an AppError whose message names the fix.
 */
import { AppError } from '../../../shared/errors';
import type { DatabaseSource } from '../../../shared/plan';
import { connectDatabase, serverVersion, type ConnectOptions } from './connection';
import { findPgTool, formatMajor, majorSeries, pgToolVersion, type FindPgToolOptions, type PgVersion } from './tools';

export interface PreflightResult {
  pgDumpPath: string;
  pgDumpVersion: PgVersion;
  serverVersion: PgVersion;
}

export interface PreflightOptions extends ConnectOptions, FindPgToolOptions {}

/**
 * Finds pg_dump and its version, connects to the source and reads the server version. Throws
 * PG_DUMP_MISSING, PG_UNREACHABLE, PG_AUTH_FAILED, PG_DATABASE_MISSING, or PG_DUMP_TOO_OLD when
 * pg_dump's major is older than the server's (pg_dump reads older servers, never newer ones).
 * The tool is checked first: a missing tool is a configuration error not worth a connection.
 */
export async function preflightDatabase(
  source: DatabaseSource,
  password: string | null,
  env: NodeJS.ProcessEnv = process.env,
  options: PreflightOptions = {},
): Promise<PreflightResult> {
  const pgDumpPath = await findPgTool('pg_dump', env, options);
  const pgDumpVersion = await pgToolVersion(pgDumpPath, env);
  const client = await connectDatabase(source, password, options);
  let server: PgVersion;
  try {
    server = await serverVersion(client);
  } finally {
    await client.end().catch(() => undefined);
  }
  assertPgDumpCanDump(pgDumpVersion, server, pgDumpPath);
  return { pgDumpPath, pgDumpVersion, serverVersion: server };
}

/** Throws PG_DUMP_TOO_OLD when pg_dump's release series is older than the server's. */
export function assertPgDumpCanDump(pgDump: PgVersion, server: PgVersion, pgDumpPath = 'pg_dump'): void {
  if (majorSeries(pgDump) < majorSeries(server)) {
    throw new AppError('PG_DUMP_TOO_OLD', {
      detail: `${pgDumpPath} is version ${formatMajor(pgDump)}, the server is ${formatMajor(server)}`,
    });
  }
}
