import { describe, expect, it } from 'vitest';
import { buildPgDumpInvocation } from '../../../src/main/core/postgres/dump';
import { toolEnv } from '../../../src/main/core/postgres/libpq-env';
import { buildPgRestoreInvocation } from '../../../src/main/core/postgres/restore';

const source = { id: 'db1', host: 'db.example.com', port: 5433, user: 'backup', database: 'shop', sslMode: 'require' as const, hasPassword: true };

/** A parent environment with everything a desktop session or a shell might hold. */
const parent: NodeJS.ProcessEnv = {
  PATH: '/usr/local/bin:/usr/bin',
  HOME: '/home/ann',
  LANG: 'de_DE.UTF-8',
  LC_TIME: 'de_DE.UTF-8',
  LC_ALL: 'de_DE.UTF-8',
  TZ: 'Europe/Berlin',
  TMPDIR: '/tmp/ann',
  PGPASSFILE: '/home/ann/.pgpass-work',
  PGSERVICEFILE: '/home/ann/.pg_service.conf',
  PGSSLCERT: '/home/ann/client.crt',
  PGSSLKEY: '/home/ann/client.key',
  PGSSLROOTCERT: '/home/ann/root.crt',
  LIFEBOAT_PASSPHRASE: 'the backup passphrase',
  LIFEBOAT_SECRET_CANARY: 'canary',
  LIFEBOAT_HOME: '/home/ann/.lifeboat',
  PGPASSWORD: 'inherited password',
  PGHOST: 'elsewhere',
  PGSERVICE: 'elsewhere',
  PGOPTIONS: '-c statement_timeout=1',
  AWS_SECRET_ACCESS_KEY: 'not for pg_dump',
  SSH_AUTH_SOCK: '/run/user/1000/ssh',
};

describe('toolEnv: the whole environment of a PostgreSQL tool', () => {
  it('keeps only what a tool needs to run, and never a LIFEBOAT_* variable', () => {
    const env = toolEnv(parent);
    expect(env).toEqual({
      PATH: '/usr/local/bin:/usr/bin',
      HOME: '/home/ann',
      LANG: 'de_DE.UTF-8',
      LC_TIME: 'de_DE.UTF-8',
      TZ: 'Europe/Berlin',
      TMPDIR: '/tmp/ann',
      PGPASSFILE: '/home/ann/.pgpass-work',
      PGSERVICEFILE: '/home/ann/.pg_service.conf',
      PGSSLCERT: '/home/ann/client.crt',
      PGSSLKEY: '/home/ann/client.key',
      PGSSLROOTCERT: '/home/ann/root.crt',
      LC_MESSAGES: 'C',
    });
  });

  it('gives a connecting tool its connection and password, and nothing of the parent’s connection', () => {
    const env = toolEnv(parent, { source, password: 's3cret' });
    expect(env).toMatchObject({
      PGHOST: 'db.example.com',
      PGPORT: '5433',
      PGUSER: 'backup',
      PGDATABASE: 'shop',
      PGSSLMODE: 'require',
      PGAPPNAME: 'lifeboat',
      PGCONNECT_TIMEOUT: '10',
      PGPASSWORD: 's3cret',
      PGPASSFILE: '/home/ann/.pgpass-work',
    });
    expect(Object.keys(env).filter((name) => name.startsWith('LIFEBOAT_'))).toEqual([]);
    expect(env.PGSERVICE).toBeUndefined();
    expect(env.PGOPTIONS).toBeUndefined();
    expect(env.LC_ALL).toBeUndefined();
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    expect(toolEnv(parent, { source, password: null }).PGPASSWORD).toBeUndefined();
    expect(toolEnv(parent, { source, password: '' }).PGPASSWORD).toBeUndefined();
  });

  it('is what pg_dump and pg_restore get', () => {
    const dump = buildPgDumpInvocation({ pgDumpPath: 'pg_dump', source, password: 'pw', compressionLevel: 1, env: parent });
    // pg_dump names itself apart, so that a stalled dump's backend can be found (wait-probe.ts)
    expect(dump.env).toEqual({ ...toolEnv(parent, { source, password: 'pw' }), PGAPPNAME: 'lifeboat pg_dump' });
    const restore = buildPgRestoreInvocation({ pgRestorePath: 'pg_restore', target: source, password: null, env: parent });
    expect(restore.env).toEqual(toolEnv(parent, { source, password: null }));
  });
});
