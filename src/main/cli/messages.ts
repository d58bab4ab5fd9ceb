/**
 * What the CLI says for an error. The app's wording (src/shared/errors.ts) names the app's fixes:
 * "in the plan", "Correct the highlighted fields", "Enter the passphrase". On the command line the
 * fix is an option or a variable: the --db URL, --passphrase-file or LIFEBOAT_PASSPHRASE,
 * PGPASSWORD or ~/.pgpass, --folder. For the codes whose app wording does not fit, this map holds
 * the CLI's, per command where the fix differs (`run` takes its sources from a saved plan, so
 * there the plan is the place to fix them). The detail after the app's message is kept as it is.
 */
import type { JobDetail } from '../../shared/job';
import { ERROR_MESSAGES, isErrorCode, type ErrorCode } from '../../shared/errors';

/** The CLI's message for a code, given the command (`backup`, `restore`, ...; '' before one was chosen). */
type CliWording = string | ((command: string) => string);

const PLAN = 'the plan (edit it in the app)';
const PASSPHRASE_OPTIONS = '--passphrase-file <file> (its first line) or set LIFEBOAT_PASSPHRASE';

/** Where a command takes the server from: the option whose URL to fix. */
function serverUrl(command: string): string {
  if (command === 'run') return PLAN;
  if (command === 'backup') return 'the --db URL';
  if (command === 'restore') return 'the --to-db URL';
  if (command === 'verify') return 'the --server URL';
  return 'the postgres:// URL';
}

export const CLI_MESSAGES: Partial<Record<ErrorCode, CliWording>> = {
  VALIDATION: (command) => `The command line is not valid; see lifeboat ${command ? `${command} ` : ''}--help.`,
  NOT_FOUND: 'Not found.',
  PG_UNREACHABLE: (command) =>
    `Cannot reach the PostgreSQL server. Check that it is running and that the host and port in ${serverUrl(command)} are right.`,
  PG_AUTH_FAILED: (command) =>
    `The PostgreSQL server refused the user name or password. Check the user in ${serverUrl(command)}, and give the password in PGPASSWORD or ~/.pgpass.`,
  PG_DATABASE_MISSING: (command) =>
    `The database does not exist on the server. Check the database name in ${serverUrl(command)}.`,
  FOLDER_MISSING: (command) =>
    `The folder does not exist or cannot be read. Check ${command === 'run' ? `its path in ${PLAN}` : command === 'backup' ? 'the --folder path' : 'the path'} and its permissions.`,
  DEST_NOT_WRITABLE: (command) =>
    `The destination folder cannot be written. ${command === 'backup' ? 'Give another --out folder' : command === 'run' ? `Choose another destination in ${PLAN}` : 'Use another folder'} or give this user write permission on it.`,
  DEST_NO_SPACE: (command) =>
    `There is not enough free space at the destination. Free some space${command === 'run' ? `, or lower the retention or choose another destination in ${PLAN}` : command === 'backup' ? ', or give another --out folder' : ''}.`,
  DEST_UNREACHABLE: (command) =>
    `Cannot reach the off-site destination (the server did not answer, or the connection stalled past its timeout). Check the endpoint or host and port ${command === 'run' ? `in ${PLAN}` : 'in the URL (and AWS_ENDPOINT_URL or AZURE_STORAGE_CONNECTION_STRING)'}, the network and any firewall.`,
  DEST_AUTH_FAILED: (command) =>
    command === 'run'
      ? `The off-site destination refused the credentials. Enter the right ones for this destination in ${PLAN}.`
      : 'The off-site destination refused the credentials. Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE (S3), AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_KEY / AZURE_STORAGE_SAS_TOKEN (Azure), or the user in the URL and --ssh-key / LIFEBOAT_SSH_KEY / LIFEBOAT_SSH_PASSWORD (SFTP).',
  DEST_MISSING: (command) =>
    `The bucket, container or remote folder of the off-site destination does not exist. Create it, or correct its name ${command === 'run' ? `in ${PLAN}` : 'in the URL'}.`,
  DEST_FAILED: 'The off-site destination failed the request. See the reason below.',
  HOST_KEY_UNKNOWN:
    "The SFTP server's host key is not known yet, so the connection was refused. Check its SHA-256 fingerprint (below) with the server's administrator (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server), then add it to ~/.ssh/known_hosts (or LIFEBOAT_SSH_KNOWN_HOSTS), or accept it with --accept-host-key SHA256:....",
  HOST_KEY_CHANGED:
    "The SFTP server's host key is not the one known for it, and the connection was refused: the server was reinstalled, or someone is in between. Ask the server's administrator whether the key changed; only then remove its line from known_hosts (ssh-keygen -R host) and accept the new one.",
  PASSPHRASE_REQUIRED: (command) =>
    command === 'backup'
      ? `An encrypted backup needs a passphrase. Give ${PASSPHRASE_OPTIONS}.`
      : command === 'run'
        ? `This plan encrypts its backups and needs its passphrase. Give ${PASSPHRASE_OPTIONS}.`
        : `This backup is encrypted and needs its passphrase. Give ${PASSPHRASE_OPTIONS}.`,
  WRONG_PASSPHRASE: `The passphrase is wrong for this backup. Give the one that was set when it was made: ${PASSPHRASE_OPTIONS}.`,
  NOT_A_BACKUP: 'This file is not a Lifeboat backup (.lifeboat). Give a file that Lifeboat created.',
  CATALOG_CORRUPT:
    "The catalog (catalog.sqlite in the data folder) cannot be read: it is damaged or not a Lifeboat catalog. Move it aside and run the command again, which starts a new, empty catalog; the app's Rebuild catalog (Restore screen) brings the backups back from their folders.",
  RESTORE_NO_SPACE:
    'There is not enough free space in the restore target for these files, and nothing was written. Free some space or give another --to-folder.',
  RESTORE_PATH_INVALID:
    'A file of the backup cannot be created in the target folder as named (the name or the whole path is too long, or the name is not allowed there), and nothing was written. Give a --to-folder with a shorter path, or fewer --paths.',
  RESTORE_SELECTION_MISSING:
    'The backup does not hold what was selected to restore. Name what it holds in --source, --tables or --paths (lifeboat inspect lists its databases, tables and files).',
  RESTORE_TARGET_INVALID:
    'The restore target cannot be used as given. Give a --to-folder that is a folder, or a database name of 1-63 characters in the --to-db URL.',
  PG_DATABASE_EXISTS:
    'A database with this name already exists on the server, and nothing was changed. Name another database in the --to-db URL, or add --over-existing to restore over it (a safety backup of it is taken first).',
  PG_CREATE_DENIED:
    'The PostgreSQL user may not create databases. Grant it CREATEDB (ALTER ROLE name CREATEDB), use another user in the URL, or restore over an existing database (--over-existing).',
};

/**
 * `message` (an error's or a job's, which starts with or holds its code's app wording) with that
 * wording replaced by the CLI's for `command`; any other message is returned as it is.
 */
export function cliMessage(code: string | null, message: string, command: string): string {
  if (!code || !isErrorCode(code)) return message;
  const wording = CLI_MESSAGES[code];
  const app = ERROR_MESSAGES[code];
  if (!wording || !message.includes(app)) return message;
  const text = typeof wording === 'function' ? wording(command) : wording;
  return message.replace(app, () => text);
}

/** A finished job as the CLI prints it: its message and its sources' messages in the CLI's wording. */
export function cliJobDetail(detail: JobDetail, command: string): JobDetail {
  return {
    ...detail,
    displayMessage: detail.displayMessage === null ? null : cliMessage(detail.errorCode, detail.displayMessage, command),
    sources: detail.sources.map((s) => (s.message === null ? s : { ...s, message: cliMessage(s.errorCode, s.message, command) })),
  };
}
