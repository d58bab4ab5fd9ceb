/**
 * The secrets of a plan the command line runs, read where the plan names them: a database's
 * `passwordFrom`, the drill server's, the plan's `passphraseFrom` (env:NAME, file:/path). The
 * app's keychain (safeStorage) is the app's alone; the plan keeps references, never values, and
 * they are read each time a secret is asked for (CliSecretStore.resolveReference, through the
 * core's plans/secret-refs.ts), so a rotated password needs no edit of the plan.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/errors';
import { isKeychainRef, type SecretRef } from '../../shared/plan';

/** Why `file` may not hold a secret (others may read it), or null. Windows has no such mode bits. */
function unsafeFileMode(stat: fs.Stats): string | null {
  if (process.platform === 'win32' || !stat.isFile() || (stat.mode & 0o077) === 0) return null;
  return `mode 0${(stat.mode & 0o777).toString(8).padStart(3, '0')}`;
}

/**
 * Reads the secret an env:/file: reference names: the variable's value, or the first line of a
 * file only its owner may read. SECRET_UNAVAILABLE naming the reference (never a value) when it
 * cannot. `what` says whose secret it is, for the message.
 */
export function readSecretRef(ref: SecretRef, env: NodeJS.ProcessEnv, what: string): string {
  if (ref.startsWith('env:')) {
    const value = env[ref.slice('env:'.length)];
    if (!value) throw new AppError('SECRET_UNAVAILABLE', { detail: `${what}: ${ref} is not set in this environment` });
    return value;
  }
  if (ref.startsWith('file:')) {
    const file = ref.slice('file:'.length);
    let text: string;
    try {
      const unsafe = unsafeFileMode(fs.statSync(file));
      if (unsafe) throw new AppError('SECRET_UNAVAILABLE', { detail: `${what}: ${file} has ${unsafe}, so others can read it: run chmod 600 ${file}` });
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('SECRET_UNAVAILABLE', { detail: `${what}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, cause: error });
    }
    const first = text.split(/\r?\n/)[0] ?? '';
    if (!first) throw new AppError('SECRET_UNAVAILABLE', { detail: `${what}: the first line of ${file} is empty` });
    return first;
  }
  throw new AppError('SECRET_UNAVAILABLE', { detail: `${what}: ${ref} is kept in the app's keychain, which only the app can read` });
}

/**
 * A reference as the command line gives it, made to last: a relative file: path becomes
 * absolute (the plan runs later, from anywhere).
 */
export function normalizeSecretRef(ref: string): string {
  return ref.startsWith('file:') && !path.isAbsolute(ref.slice('file:'.length)) ? `file:${path.resolve(ref.slice('file:'.length))}` : ref;
}

/**
 * A warning about a reference that cannot be read right now (a variable not set here, a file not
 * there yet: the plan may run elsewhere, or later), or null. Refuses one that is wrong now: a file
 * others may read (SECRET_UNAVAILABLE), a passphrase under `minChars`.
 */
export function checkSecretRef(ref: SecretRef, env: NodeJS.ProcessEnv, what: string, minChars = 0): string | null {
  if (isKeychainRef(ref)) return null;
  if (ref.startsWith('env:') && !env[ref.slice('env:'.length)]) return `${what}: ${ref} is not set here; it must be when the plan runs`;
  if (ref.startsWith('file:') && !fs.existsSync(ref.slice('file:'.length))) return `${what}: ${ref.slice('file:'.length)} does not exist yet; it must when the plan runs`;
  const value = readSecretRef(ref, env, what);
  if ([...value].length < minChars) throw new AppError('PASSPHRASE_TOO_SHORT', { detail: `${what}: ${ref} holds fewer than ${minChars} characters` });
  return null;
}
