/**
 * Connecting to a database source with the `pg` library, with every failure turned into an
 * AppError that names the fix. Used by the preflight check and to hold the exported snapshot
 * open while pg_dump runs.
 */
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { AppError } from '../../../shared/errors';
import type { DatabaseSource } from '../../../shared/plan';
import { redactSecret } from './redact';
import { versionFromNum, type PgVersion } from './tools';

export interface ConnectOptions {
  /** give up connecting after this long (default 10 s, as PGCONNECT_TIMEOUT=10 for pg_dump) */
  connectTimeoutMs?: number;
  /** aborting closes the half-open connection and rejects with CANCELLED */
  signal?: AbortSignal;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

type SslConfig = false | ConnectionOptions;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

/**
 * Connects to the source's database. `password` null means none is stored: like libpq, the pg
 * library then falls back to PGPASSWORD and ~/.pgpass. The returned client has an 'error'
 * listener, so a server that drops an idle connection cannot crash the process; the failure
 * shows on the next query instead. The caller ends the client.
 *
 * SSL modes, mapped onto Node's TLS (which checks certificates against Node's own CA list, not
 * libpq's ~/.postgresql/root.crt):
 * - disable: no TLS.
 * - allow: plain first; TLS only if the server refuses unencrypted connections (pg_hba hostssl).
 * - prefer: TLS without certificate checks; plain if the server does not support SSL.
 * - require: TLS without certificate checks (libpq's require does not check them either).
 * - verify-ca: TLS, certificate chain checked, host name not.
 * - verify-full: TLS, certificate chain and host name checked.
 */
export async function connectDatabase(
  source: DatabaseSource,
  password: string | null,
  options: ConnectOptions = {},
): Promise<pg.Client> {
  const attempts = sslAttempts(source.sslMode);
  for (let i = 0; ; i++) {
    try {
      return await connectOnce(source, password, attempts[i]!, options);
    } catch (error) {
      if (options.signal?.aborted) throw new AppError('CANCELLED', { cause: error });
      if (i + 1 < attempts.length && shouldTryNextSsl(source.sslMode, error)) continue;
      throw mapConnectError(error, source, password);
    }
  }
}

/** The server's version, from server_version_num (exact) and server_version (for display). */
export async function serverVersion(client: pg.Client): Promise<PgVersion> {
  const { rows } = await client.query<{ num: string; text: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text",
  );
  const row = rows[0];
  if (!row) throw new AppError('INTERNAL', { detail: 'server_version_num returned no row' });
  return versionFromNum(Number(row.num), row.text);
}

/**
 * Turns a failed connection attempt into an AppError: network errors and timeouts are
 * PG_UNREACHABLE, SQLSTATE 28P01/28000 PG_AUTH_FAILED, 3D000 PG_DATABASE_MISSING. The detail
 * names user@host:port/database and the server's reason, never the password.
 */
export function mapConnectError(error: unknown, source: DatabaseSource, password: string | null): AppError {
  if (error instanceof AppError) return error;
  const where = `${source.host}:${source.port}`;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const reason = redactSecret(error instanceof Error ? error.message : String(error), password);
  const detail = (text: string) => ({ detail: redactSecret(text, password), cause: error });

  if (code === '28P01' || code === '28000') {
    return new AppError('PG_AUTH_FAILED', detail(`${source.user}@${where}/${source.database}: ${reason}`));
  }
  if (code === '3D000') return new AppError('PG_DATABASE_MISSING', detail(`"${source.database}" on ${where}`));
  // the pg library's own wording when the server asks for a password and none is stored
  if (/client password must be|no password supplied/i.test(reason)) {
    return new AppError('PG_AUTH_FAILED', detail(`${source.user}@${where}/${source.database}: no password is stored`));
  }
  if (NETWORK_CODES.has(code)) return new AppError('PG_UNREACHABLE', detail(`${where} (${code})`));
  if (/timeout/i.test(reason)) return new AppError('PG_UNREACHABLE', detail(`${where}: no answer (connect timeout)`));
  // anything else while connecting (server starting up, too many connections, TLS refused...)
  // still means the server cannot be used right now; the reason says which
  return new AppError('PG_UNREACHABLE', detail(`${where}: ${reason}`));
}

async function connectOnce(
  source: DatabaseSource,
  password: string | null,
  ssl: SslConfig,
  options: ConnectOptions,
): Promise<pg.Client> {
  if (options.signal?.aborted) throw new AppError('CANCELLED');
  const client = new pg.Client({
    host: source.host,
    port: source.port,
    user: source.user,
    database: source.database,
    password: password ?? undefined,
    ssl,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    application_name: 'lifeboat',
  });
  client.on('error', () => undefined);
  const onAbort = () => void client.end().catch(() => undefined);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function sslAttempts(mode: DatabaseSource['sslMode']): SslConfig[] {
  const unchecked: ConnectionOptions = { rejectUnauthorized: false };
  switch (mode) {
    case 'disable':
      return [false];
    case 'allow':
      return [false, unchecked];
    case 'prefer':
      return [unchecked, false];
    case 'require':
      return [unchecked];
    case 'verify-ca':
      return [{ rejectUnauthorized: true, checkServerIdentity: () => undefined }];
    case 'verify-full':
      return [{ rejectUnauthorized: true }];
  }
}

function shouldTryNextSsl(mode: DatabaseSource['sslMode'], error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  const code = (error as { code?: unknown })?.code;
  if (mode === 'prefer') return /does not support SSL/i.test(message);
  // pg_hba refused the plain connection ("... no encryption"): try again over TLS
  if (mode === 'allow') return code === '28000' && /no encryption/i.test(message);
  return false;
}
