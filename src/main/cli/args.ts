import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/errors';
import type { DatabaseSource } from '../../shared/plan';
import { readContainerHeader } from '../core/crypto/container';
import { isRemoteLocation, resolveBackupLocation } from '../core/destinations/remote-open';
import { redactUrl } from '../core/postgres/redact';

/**
 * Parses `postgres://user@host:port/db?sslmode=require` into a database source. A password in
 * the URL is refused: a command line is visible to every local user (ps, /proc), so it would
 * leak. The password comes from PGPASSWORD or ~/.pgpass instead, as for pg_dump itself. No
 * message echoes a password: a URL that does not parse is shown through redactUrl.
 */
export function parseDatabaseUrl(text: string, id: string): DatabaseSource {
  const example = 'a URL like postgres://user@host:5432/dbname';
  if (!/^postgres(ql)?:\/\//i.test(text)) {
    throw new AppError('VALIDATION', { detail: `--db expects ${example}, starting with postgres://, not "${redactUrl(text)}"` });
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError('VALIDATION', { detail: `--db expects ${example} (host name, a port of 1-65535), not "${redactUrl(text)}"` });
  }
  if (url.password || [...url.searchParams.keys()].some((key) => /password/i.test(key))) {
    throw new AppError('VALIDATION', {
      detail: 'do not put the password in the --db URL (every local user can read a command line); set PGPASSWORD or use ~/.pgpass',
    });
  }
  let database: string;
  let user: string;
  try {
    database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    user = decodeURIComponent(url.username);
  } catch {
    throw new AppError('VALIDATION', { detail: `--db URL has a broken %-escape in the user or database name: "${redactUrl(text)}"` });
  }
  if (!database) throw new AppError('VALIDATION', { detail: '--db URL names no database: add /dbname at the end' });
  if (url.port === '0') throw new AppError('VALIDATION', { detail: '--db URL port must be 1-65535' });
  const sslMode = url.searchParams.get('sslmode') ?? 'prefer';
  const allowed = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
  if (!(allowed as readonly string[]).includes(sslMode)) {
    throw new AppError('VALIDATION', { detail: `sslmode must be one of ${allowed.join(', ')}` });
  }
  return {
    id,
    host: url.hostname.replace(/^\[|\]$/g, '') || 'localhost',
    port: url.port ? Number(url.port) : 5432,
    user: user || process.env.PGUSER || 'postgres',
    database,
    sslMode: sslMode as DatabaseSource['sslMode'],
    hasPassword: false,
  };
}

/** The fewest characters of a passphrase that encrypts a backup (as in the app's plan editor). */
export const MIN_PASSPHRASE_CHARS = 8;

/**
 * The passphrase for encrypting or reading a backup: --passphrase-file (its first line), else
 * LIFEBOAT_PASSPHRASE. Never an argument value: command lines are visible to other users.
 * As ssh does with a private key, a passphrase file that other users may open (any group or
 * other permission) is refused with PASSPHRASE_FILE_UNSAFE; Windows has no such mode bits. A
 * passphrase that encrypts (`purpose` 'encrypt') needs MIN_PASSPHRASE_CHARS characters
 * (PASSPHRASE_TOO_SHORT); one that only opens an existing backup ('decrypt') is taken as it is,
 * so that a backup made with a shorter one can still be read.
 */
export function readPassphrase(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  purpose: 'encrypt' | 'decrypt' = 'encrypt',
): string | null {
  let passphrase: string | null = env.LIFEBOAT_PASSPHRASE || null;
  let from = 'LIFEBOAT_PASSPHRASE';
  if (file) {
    let text: string;
    try {
      assertPrivateFile(file);
      text = fs.readFileSync(file, 'utf8');
    } catch (cause) {
      if (cause instanceof AppError) throw cause;
      throw new AppError('VALIDATION', { detail: `cannot read the passphrase file ${file}`, cause });
    }
    const first = text.split(/\r?\n/)[0] ?? '';
    if (!first) throw new AppError('VALIDATION', { detail: `the passphrase file ${file} is empty` });
    passphrase = first;
    from = `the passphrase file ${file}`;
  }
  if (passphrase !== null && purpose === 'encrypt' && [...passphrase].length < MIN_PASSPHRASE_CHARS) {
    throw new AppError('PASSPHRASE_TOO_SHORT', { detail: `${from} holds fewer than ${MIN_PASSPHRASE_CHARS} characters` });
  }
  return passphrase;
}

/** Throws PASSPHRASE_FILE_UNSAFE, naming the chmod that fixes it, when others may open `file`. */
function assertPrivateFile(file: string): void {
  const stat = fs.statSync(file);
  // a pipe (--passphrase-file <(pass show backup)) or a device is not left behind for others
  if (process.platform === 'win32' || !stat.isFile() || (stat.mode & 0o077) === 0) return;
  const quoted = /^[\w./@%+=:,-]+$/.test(file) ? file : `'${file.replace(/'/g, "'\\''")}'`;
  throw new AppError('PASSPHRASE_FILE_UNSAFE', {
    detail: `${file} has mode 0${(stat.mode & 0o777).toString(8).padStart(3, '0')}: run chmod 600 ${quoted}`,
  });
}

/**
 * A backup named on the command line: an s3://, azure:// or sftp:// URL as it is (read through
 * the remote opener remote-options.ts installs), a path made absolute.
 */
export function backupLocation(file: string): string {
  return resolveBackupLocation(file);
}

/**
 * The absolute path (or the URL) of a backup file named on the command line, checked before any
 * work: NOT_FOUND naming it when nothing is there, NOT_A_BACKUP naming it when it is a folder or
 * a file that is not a Lifeboat backup; for a URL also VALIDATION (not a backup's URL, no
 * credentials) and the destination's errors (DEST_*, HOST_KEY_*). Other problems (truncated,
 * damaged) are left to the command that reads it, which reports them in its own way.
 */
export async function checkBackupFile(file: string): Promise<string> {
  if (isRemoteLocation(file)) {
    try {
      await readContainerHeader(file);
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_A_BACKUP') throw new AppError('NOT_A_BACKUP', { detail: file, cause: error });
      if (!(error instanceof AppError) || !['FILE_TRUNCATED', 'FILE_CORRUPT', 'UNSUPPORTED_VERSION'].includes(error.code)) throw error;
    }
    return file;
  }
  const filePath = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(filePath);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new AppError('NOT_FOUND', { detail: `no file at ${filePath}`, cause });
    throw cause;
  }
  if (stat.isDirectory()) throw new AppError('NOT_A_BACKUP', { detail: `${filePath} is a folder` });
  try {
    await readContainerHeader(filePath);
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_A_BACKUP') throw new AppError('NOT_A_BACKUP', { detail: filePath, cause: error });
  }
  return filePath;
}
