import fs from 'node:fs';
import { AppError } from '../../shared/errors';
import type { DatabaseSource } from '../../shared/plan';

/**
 * Parses `postgres://user@host:port/db?sslmode=require` into a database source. A password in
 * the URL is refused: a command line is visible to every local user (ps, /proc), so it would
 * leak. The password comes from PGPASSWORD or ~/.pgpass instead, as for pg_dump itself.
 */
export function parseDatabaseUrl(text: string, id: string): DatabaseSource {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError('VALIDATION', { detail: `--db expects a URL like postgres://user@host:5432/dbname, not "${text.replace(/:[^:@/]*@/, ':***@')}"` });
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new AppError('VALIDATION', { detail: `--db URL must start with postgres:// (got ${url.protocol})` });
  }
  if (url.password) {
    throw new AppError('VALIDATION', {
      detail: 'do not put the password in the --db URL (every local user can read a command line); set PGPASSWORD or use ~/.pgpass',
    });
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new AppError('VALIDATION', { detail: '--db URL names no database: add /dbname at the end' });
  const sslMode = url.searchParams.get('sslmode') ?? 'prefer';
  const allowed = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
  if (!(allowed as readonly string[]).includes(sslMode)) {
    throw new AppError('VALIDATION', { detail: `sslmode must be one of ${allowed.join(', ')}` });
  }
  return {
    id,
    host: url.hostname.replace(/^\[|\]$/g, '') || 'localhost',
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || process.env.PGUSER || 'postgres',
    database,
    sslMode: sslMode as DatabaseSource['sslMode'],
    hasPassword: false,
  };
}

/**
 * The passphrase for encrypting or reading a backup: --passphrase-file (its first line), else
 * LIFEBOAT_PASSPHRASE. Never an argument value: command lines are visible to other users.
 */
export function readPassphrase(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (cause) {
      throw new AppError('VALIDATION', { detail: `cannot read the passphrase file ${file}`, cause });
    }
    const first = text.split(/\r?\n/)[0] ?? '';
    if (!first) throw new AppError('VALIDATION', { detail: `the passphrase file ${file} is empty` });
    return first;
  }
  return env.LIFEBOAT_PASSPHRASE || null;
}
