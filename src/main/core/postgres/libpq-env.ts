/**
 * The environment every PostgreSQL client tool we run gets: the connection in libpq's
 * variables, the password only in PGPASSWORD (never on argv).
 */
import type { DatabaseSource } from '../../../shared/plan';

/*
 * libpq reads these from the environment. Ours are set explicitly; the rest are removed so that
 * a PGSERVICE, PGOPTIONS or PGCLIENTENCODING in the user's shell cannot redirect or alter the
 * dump. PGPASSFILE and the PGSSL* certificate paths stay: they are how a user configures those.
 */
export const LIBPQ_CONNECTION_VARS = [
  'PGHOST',
  'PGHOSTADDR',
  'PGPORT',
  'PGDATABASE',
  'PGUSER',
  'PGPASSWORD',
  'PGSERVICE',
  'PGOPTIONS',
  'PGAPPNAME',
  'PGSSLMODE',
  'PGREQUIRESSL',
  'PGCONNECT_TIMEOUT',
  'PGCLIENTENCODING',
  'PGTARGETSESSIONATTRS',
];

/** The libpq environment for a connection to `source`: host, port, user, SSL mode, password. */
export function libpqEnv(source: DatabaseSource, password: string | null, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of LIBPQ_CONNECTION_VARS) delete env[name];
  delete env.LC_ALL;
  Object.assign(env, {
    PGHOST: source.host,
    PGPORT: String(source.port),
    PGUSER: source.user,
    PGDATABASE: source.database,
    PGSSLMODE: source.sslMode,
    PGAPPNAME: 'lifeboat',
    PGCONNECT_TIMEOUT: '10',
    // untranslated messages, so that the tools' failures can be recognised
    LC_MESSAGES: 'C',
  });
  if (password !== null && password !== '') env.PGPASSWORD = password;
  return env;
}
