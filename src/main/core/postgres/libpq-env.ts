/**
 * The whole environment of every PostgreSQL client tool we run, built from scratch rather than
 * copied from ours: the connection in libpq's variables, the password only in PGPASSWORD (never
 * on argv) and only for a tool that connects.
 */
import type { DatabaseSource } from '../../../shared/plan';

/*
 * What a tool may take from the parent's environment: what it needs to run at all (search path,
 * home folder, locale, time zone, temp folder; on Windows the system folders that Winsock and the
 * C runtime need, and APPDATA, which holds libpq's pgpass.conf there) and the files a user
 * configures libpq with. Nothing else: the parent holds LIFEBOAT_PASSPHRASE and maybe a
 * PGPASSWORD, and a child's environment can be read by every process of its user
 * (/proc/<pid>/environ); a PGSERVICE, PGOPTIONS or PGCLIENTENCODING in the user's shell could
 * also redirect or alter the dump.
 */
const INHERITED_VARS = new Set([
  'PATH',
  'HOME',
  'LANG',
  'TZ',
  'TMPDIR',
  'PGPASSFILE',
  'PGSERVICEFILE',
  'PGSSLCERT',
  'PGSSLKEY',
  'PGSSLROOTCERT',
  'PGSSLCRL',
  'PGSSLCRLDIR',
  'SYSTEMROOT',
  'WINDIR',
  'TEMP',
  'TMP',
  'USERPROFILE',
  'APPDATA',
]);

/** A database a tool connects to, and its password (null: none stored, libpq may use ~/.pgpass). */
export interface ToolConnection {
  source: DatabaseSource;
  password: string | null;
}

/** Whether a variable of the parent's environment reaches the tools (LC_ALL would override LC_MESSAGES=C). */
function isInherited(name: string): boolean {
  // Windows spells PATH as Path, and its variable names ignore case
  const key = process.platform === 'win32' ? name.toUpperCase() : name;
  return INHERITED_VARS.has(key) || (key.startsWith('LC_') && key !== 'LC_ALL');
}

/**
 * The environment for one tool run: the allowed variables of `base` (see INHERITED_VARS; never a
 * LIFEBOAT_* one), LC_MESSAGES=C so that the tools' failures can be recognised, and for a tool
 * that connects, host, port, user, database, SSL mode, application name, connect timeout, and
 * PGPASSWORD when a password is stored. `connection` null (`--version`, `pg_restore --list`):
 * no connection variables and never a password. Every spawn of a PostgreSQL tool goes through here.
 */
export function toolEnv(base: NodeJS.ProcessEnv = process.env, connection: ToolConnection | null = null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && isInherited(name)) env[name] = value;
  }
  env.LC_MESSAGES = 'C';
  if (!connection) return env;
  const { source, password } = connection;
  Object.assign(env, {
    PGHOST: source.host,
    PGPORT: String(source.port),
    PGUSER: source.user,
    PGDATABASE: source.database,
    PGSSLMODE: source.sslMode,
    PGAPPNAME: 'lifeboat',
    PGCONNECT_TIMEOUT: '10',
  });
  if (password !== null && password !== '') env.PGPASSWORD = password;
  return env;
}
