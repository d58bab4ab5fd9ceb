/**
 * Every error a user can see. Each code carries a message that says what went wrong and names
 * the fix. Core throws `AppError(code, { detail })`; across IPC an error travels as
 * `{ code, message }` and the renderer rebuilds it with `fromTransferable`.
 * Never put a secret (password, passphrase) into `detail`.
 */
export const ERROR_MESSAGES = {
  VALIDATION: 'The request was not valid. Correct the highlighted fields and try again.',
  NOT_FOUND: 'The item no longer exists. Refresh the list and try again.',
  FORBIDDEN_SENDER: 'The request came from an unknown window and was refused.',
  PLAN_BUSY: 'This plan is already running. Wait for the current run to finish or cancel it.',
  CANCELLED: 'The job was cancelled. Nothing was written.',
  PG_DUMP_MISSING:
    'pg_dump was not found. Install the PostgreSQL client tools (Debian/Ubuntu: apt-get install postgresql-client; macOS: brew install libpq) or set LIFEBOAT_PG_BIN to the folder that holds pg_dump.',
  PG_DUMP_TOO_OLD:
    'pg_dump is older than the server, which it cannot dump. Install the PostgreSQL client tools of the server version or newer, or set LIFEBOAT_PG_BIN to their folder.',
  PG_RESTORE_MISSING:
    'pg_restore was not found. Install the PostgreSQL client tools or set LIFEBOAT_PG_BIN to the folder that holds pg_restore.',
  PG_PSQL_MISSING:
    'psql was not found. Install the PostgreSQL client tools or set LIFEBOAT_PG_BIN to the folder that holds psql.',
  PG_UNREACHABLE:
    'Cannot reach the PostgreSQL server. Check that it is running and that the host and port in the plan are right.',
  PG_AUTH_FAILED:
    'The PostgreSQL server refused the user name or password. Enter the right password for this database in the plan.',
  PG_DATABASE_MISSING: 'The database does not exist on the server. Check the database name in the plan.',
  PG_DUMP_FAILED: 'pg_dump failed. See the tool output below for the reason.',
  PG_DUMP_NO_MATCH:
    "The database's schema patterns (--schema) match no schema, so pg_dump had nothing to dump. Correct the patterns in the plan (the plan editor's Check patterns shows what each one matches), or remove them to back up every schema.",
  HOOK_FAILED:
    "The plan's backup hook failed (its exit code was not 0). Its output is in the job's tool output: fix the command, or remove the hook from the plan (lifeboat plan edit --pre-hook '' / --post-hook '').",
  HOOK_TIMEOUT:
    "The plan's backup hook did not finish within its timeout and was stopped. Make the command finish sooner, or give it a longer timeout (--hook-timeout <seconds>, up to 86400).",
  HOOK_NOT_FOUND:
    "The plan's backup hook command cannot be run: the program was not found or is not executable. Give the program's full path (for example /usr/local/bin/before-backup.sh), make it executable (chmod +x), or remove the hook.",
  FOLDER_MISSING: 'The folder does not exist or cannot be read. Check the path in the plan and its permissions.',
  DEST_NOT_WRITABLE:
    'The destination folder cannot be written. Choose another folder or give this user write permission on it.',
  DEST_NO_SPACE:
    'There is not enough free space at the destination. Free some space, lower the retention, or choose another destination.',
  DEST_UNREACHABLE:
    'Cannot reach the off-site destination (the server did not answer, or the connection stalled past its timeout). Check the endpoint or host and port in the plan, the network and any firewall, then use Test on the destination.',
  DEST_AUTH_FAILED:
    'The off-site destination refused the credentials. Enter the right access key and secret (S3), account key or SAS token (Azure), or user and password or key (SFTP) for this destination, then use Test.',
  DEST_MISSING:
    'The bucket, container or remote folder of the off-site destination does not exist. Create it, or correct its name in the plan, then use Test.',
  DEST_FULL:
    'The off-site destination is full or over its quota, and the upload was abandoned (nothing partial was left there). Free space or raise the quota, or lower the retention.',
  DEST_FAILED:
    'The off-site destination failed the request. See the reason below; then use Test on the destination.',
  HOST_KEY_UNKNOWN:
    "The SFTP server's host key is not known yet, so the connection was refused. Check its SHA-256 fingerprint (below) with the server's administrator (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server), then accept it: Test on the destination in the app (a plan's copy, or Rebuild catalog) shows it with Accept, or --accept-host-key SHA256:... with the lifeboat command.",
  HOST_KEY_CHANGED:
    "The SFTP server's host key is not the one pinned for it, and the connection was refused: the server was reinstalled, or someone is in between. Ask the server's administrator whether the key changed; only then remove the pinned key (the plan editor's destination, or the line in known_hosts) and accept the new one.",
  PASSPHRASE_REQUIRED:
    'This backup is encrypted and needs its passphrase. Enter the passphrase (or pass --passphrase-file / LIFEBOAT_PASSPHRASE).',
  WRONG_PASSPHRASE: 'The passphrase is wrong for this backup. Enter the passphrase that was set when the backup was made.',
  NOT_A_BACKUP: 'This file is not a Lifeboat backup (.lifeboat). Choose a file that Lifeboat created.',
  UNSUPPORTED_VERSION: 'This backup was made by a newer version of Lifeboat. Update Lifeboat to read it.',
  FILE_TRUNCATED:
    'The backup file is incomplete (truncated), probably by an interrupted copy. Copy it again from its source or use another backup.',
  FILE_CORRUPT:
    'The backup file is damaged: its contents fail authentication. Copy it again from its source or use another backup.',
  UNSAFE_PATH: 'The backup holds a path that would land outside the target folder; it was refused and nothing was written.',
  BACKUP_NOT_ENCRYPTED:
    'This backup file is not encrypted, but an encrypted one was expected (the catalog recorded it as encrypted, or a passphrase was given). Someone without the passphrase may have replaced it: do not trust it, and restore from another copy. To use an unencrypted backup you trust, give no passphrase.',
  CHECKSUM_MISMATCH:
    'The backup file is not the one the catalog recorded when it was made (its SHA-256 differs). It may have been replaced or damaged: restore from another copy of it.',
  CATALOG_CORRUPT:
    'The catalog (catalog.sqlite in the data folder) cannot be read: it is damaged or not a Lifeboat catalog. Move it aside, start Lifeboat again, and bring the backups back with Rebuild catalog (Restore screen) from their folders.',
  RESTORE_NO_SPACE:
    'There is not enough free space in the restore target for these files, and nothing was written. Free some space or choose another target folder.',
  RESTORE_PATH_INVALID:
    'A file of the backup cannot be created in the target folder as named (the name or the whole path is too long, or the name is not allowed there), and nothing was written. Choose a target folder with a shorter path, or restore fewer paths.',
  PASSPHRASE_FILE_UNSAFE:
    'The passphrase file can be read by other users, so the passphrase is not secret. Make the file private (chmod 600 FILE) and try again.',
  PASSPHRASE_TOO_SHORT: 'The passphrase is too short. Use at least 8 characters.',
  SECRET_UNAVAILABLE:
    'A password or passphrase the plan names (passwordFrom / passphraseFrom: env:NAME or file:/path) cannot be read. Set that environment variable, or make that file exist and readable only by its owner (chmod 600), for the process that runs the plan; or point the plan elsewhere (lifeboat plan edit).',
  BACKUP_HAS_DEPENDENTS:
    'Newer backups build on this one (an incremental or differential needs its base), so nothing was deleted. Delete them with it (--with-dependents), or keep it.',
  PG_RESTORE_FAILED:
    'pg_restore failed and its changes were rolled back. See the tool output below for the reason, or restore into a new database instead.',
  PG_RESTORE_TOO_OLD:
    'pg_restore is older than the pg_dump that made this dump and cannot read it. Install the PostgreSQL client tools of that version or newer, or set LIFEBOAT_PG_BIN to their folder.',
  PG_DATABASE_EXISTS:
    'A database with this name already exists on the server, and nothing was changed. Choose another name, or restore over the existing database (a safety backup of it is taken first).',
  PG_CREATE_DENIED:
    'The PostgreSQL user may not create databases. Grant it CREATEDB (ALTER ROLE name CREATEDB), use another user, or restore over an existing database.',
  BASE_BACKUP_MISSING:
    'This incremental backup needs an earlier backup that holds some of its files, and that backup was not found. Put the named .lifeboat file next to this one (or import it), then try again.',
  RESTORE_SELECTION_MISSING:
    'The backup does not hold what was selected to restore. Pick the databases, tables or paths from the preview of this backup.',
  RESTORE_SELECTION_INCOMPLETE:
    'The selected tables cannot be restored on their own, and nothing was changed: foreign keys tie them to other tables. Restore the set of tables named below (the preview lists it), or restore the whole database.',
  RESTORE_TARGET_INVALID:
    'The restore target cannot be used as given. Choose a target folder that is a folder, or a database name of 1-63 characters.',
  RESTORE_ROLES_MISSING:
    'The backup uses roles (owners, grantees) that the target server does not have, and nothing was changed. Either create those roles on the server first, or let the restore create them from the backup (--create-roles; "Create the missing roles"), or restore without owners and privileges (--no-owner --no-privileges; objects then belong to the restoring user).',
  RESTORE_OWNERSHIP_DENIED:
    'The restoring user may not give objects to the roles that own them in the backup (it is neither a superuser nor a member of those roles), and nothing was changed. Restore as a superuser, grant the user membership in those roles, or restore without owners (--no-owner).',
  RESTORE_ENCODING_MISMATCH:
    "The backup's database declares no encoding (SQL_ASCII), so its text may hold bytes that are not valid in the target database's encoding, and PostgreSQL would load them unchecked. Nothing was changed. Restore into a new database (it is created as SQL_ASCII, like the original), or over a SQL_ASCII database.",
  RESTORE_LOCALE_UNAVAILABLE:
    'The target server cannot create a database with the encoding and locale of the backup, and nothing was changed. Install that locale on the server (then restart it), restore to a server that has it, or create a database with a locale of your choice and restore over it.',
  KEYCHAIN_UNAVAILABLE:
    'The operating system keychain is not available, so Lifeboat cannot store passwords safely. On Linux install and unlock a keyring (gnome-keyring or KWallet) and log in to a desktop session that starts it; on macOS and Windows sign in to your user account normally.',
  NOTIFY_FAILED:
    'The notification could not be delivered. Check the channel: the webhook or Slack URL, the Telegram bot token and chat id, or the SMTP host, port, security, user and password, and that this computer can reach that server. Then use "Send test".',
  INTERNAL: 'Something unexpected went wrong. The details are in the job log; please report them.',
} as const;

export type ErrorCode = keyof typeof ERROR_MESSAGES;

/** An error as it crosses IPC or leaves the CLI as JSON. */
export interface TransferableError {
  code: ErrorCode;
  message: string;
}

/** An error with a code from ERROR_MESSAGES; `detail` adds context, never secrets. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail?: string;

  constructor(code: ErrorCode, options: { detail?: string; cause?: unknown } = {}) {
    super(options.detail ? `${ERROR_MESSAGES[code]} (${options.detail})` : ERROR_MESSAGES[code], {
      cause: options.cause,
    });
    this.name = 'AppError';
    this.code = code;
    this.detail = options.detail;
  }

  toTransferable(): TransferableError {
    return { code: this.code, message: this.message };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_MESSAGES, value);
}

/** Turns anything thrown into a TransferableError; unknown errors become INTERNAL. */
export function toTransferable(error: unknown): TransferableError {
  if (error instanceof AppError) return error.toTransferable();
  const detail = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: `${ERROR_MESSAGES.INTERNAL} (${detail})` };
}

/** Rebuilds an AppError on the receiving side of IPC. */
export function fromTransferable(error: TransferableError): AppError {
  const rebuilt = new AppError(isErrorCode(error.code) ? error.code : 'INTERNAL');
  rebuilt.message = error.message;
  return rebuilt;
}

/** Where the values of a failed connection came from: the messages above name the plan. */
export type ValueSource = 'plan' | 'restore-form' | 'drill-form' | 'command-line';

const SOURCE_WORDS: Record<Exclude<ValueSource, 'plan'>, string> = {
  'restore-form': 'the restore form',
  'drill-form': 'the restore drill form',
  'command-line': "the command's options",
};

/**
 * The same error, its message naming where the value really came from: a restore into a missing
 * database says "check the database name in the restore form", not "in the plan". Anything
 * else is returned as it is.
 */
export function fromValueSource(error: unknown, source: ValueSource): unknown {
  if (source === 'plan' || !(error instanceof AppError) || !error.message.includes(' in the plan')) return error;
  const restated = new AppError(error.code, { detail: error.detail, cause: error.cause ?? error });
  restated.message = error.message.replace(/ in the plan\b/g, ` in ${SOURCE_WORDS[source]}`);
  return restated;
}
