import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/shared/errors';
import type { DatabaseSource } from '../../../src/shared/plan';
import { mapConnectError } from '../../../src/main/core/postgres/connection';
import { buildPgDumpInvocation, mapPgDumpFailure } from '../../../src/main/core/postgres/dump';
import { assertPgDumpCanDump } from '../../../src/main/core/postgres/preflight';
import { REDACTED, redactedTail } from '../../../src/main/core/postgres/redact';
import { majorSeries, parsePgVersion, versionFromNum } from '../../../src/main/core/postgres/tools';

const source: DatabaseSource = {
  id: 's1',
  host: 'db.example.com',
  port: 5433,
  user: 'backup',
  database: 'shop',
  sslMode: 'require',
  hasPassword: true,
};
const password = 's3cr3t-"quoted" $HOME';

describe('pg versions', () => {
  it('parses the --version line of each tool, old and new', () => {
    expect(parsePgVersion('pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n')).toEqual({
      major: 15,
      minor: 14,
      text: 'pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)',
    });
    expect(parsePgVersion('pg_restore (PostgreSQL) 9.6.24')).toMatchObject({ major: 9, minor: 6 });
    expect(parsePgVersion('pg_dump (PostgreSQL) 17devel')).toMatchObject({ major: 17, minor: 0 });
    expect(parsePgVersion('no digits here')).toBeNull();
  });

  it('reads server_version_num for both numbering schemes', () => {
    expect(versionFromNum(150014, '15.14')).toMatchObject({ major: 15, minor: 14 });
    expect(versionFromNum(90624, '9.6.24')).toMatchObject({ major: 9, minor: 6 });
    expect(majorSeries(versionFromNum(90624, ''))).toBeLessThan(majorSeries(versionFromNum(100001, '')));
    expect(majorSeries(versionFromNum(90500, ''))).toBeLessThan(majorSeries(versionFromNum(90624, '')));
  });

  it('refuses a pg_dump older than the server, accepts the same or a newer one', () => {
    const v = (text: string) => parsePgVersion(`pg_dump (PostgreSQL) ${text}`)!;
    expect(() => assertPgDumpCanDump(v('14.9'), v('15.1'))).toThrow(expect.objectContaining({ code: 'PG_DUMP_TOO_OLD' }));
    expect(() => assertPgDumpCanDump(v('9.5.3'), v('9.6.1'))).toThrow(expect.objectContaining({ code: 'PG_DUMP_TOO_OLD' }));
    expect(() => assertPgDumpCanDump(v('15.1'), v('15.14'))).not.toThrow();
    expect(() => assertPgDumpCanDump(v('16.0'), v('12.3'))).not.toThrow();
  });
});

describe('redactedTail', () => {
  it('keeps the end and removes the secret, even one cut in half by the tail', () => {
    const text = `${'a'.repeat(50)}${password}${'b'.repeat(10)}`;
    // a cut 5 characters into the secret must not leave its end behind
    const tail = redactedTail(text, password.length - 5 + 10, password);
    expect(tail).toBe(`${REDACTED}${'b'.repeat(10)}`);
    expect(redactedTail('x'.repeat(100), 10, password)).toBe('x'.repeat(10));
    expect(redactedTail(`${password} and ${password}`, 1000, password)).toBe(`${REDACTED} and ${REDACTED}`);
  });
});

describe('buildPgDumpInvocation', () => {
  it('puts the connection in the environment and the password nowhere but PGPASSWORD', () => {
    const inv = buildPgDumpInvocation({
      pgDumpPath: '/usr/bin/pg_dump',
      source,
      password,
      snapshotId: '00000003-0000001B-1',
      compressionLevel: 6,
      env: { PATH: '/usr/bin', PGSERVICE: 'elsewhere', PGPASSWORD: 'inherited', LC_ALL: 'de_DE.UTF-8' },
    });
    expect(inv.command).toBe('/usr/bin/pg_dump');
    expect(inv.args).toEqual(['--format=custom', '--compress=6', '--no-password', '--snapshot=00000003-0000001B-1']);
    expect(inv.args.join(' ')).not.toContain(password);
    expect(inv.env).toMatchObject({
      PGHOST: 'db.example.com',
      PGPORT: '5433',
      PGUSER: 'backup',
      PGDATABASE: 'shop',
      PGSSLMODE: 'require',
      PGPASSWORD: password,
      LC_MESSAGES: 'C',
      PATH: '/usr/bin',
    });
    expect(inv.env.PGSERVICE).toBeUndefined();
    expect(inv.env.LC_ALL).toBeUndefined();
  });

  it('drops an inherited PGPASSWORD when no password is stored', () => {
    const inv = buildPgDumpInvocation({ pgDumpPath: 'pg_dump', source, password: null, compressionLevel: 0, env: { PGPASSWORD: 'inherited' } });
    expect(inv.env.PGPASSWORD).toBeUndefined();
    expect(inv.args.some((arg) => arg.startsWith('--snapshot'))).toBe(false);
  });

  it('rejects a compression level or snapshot id that is not one', () => {
    const base = { pgDumpPath: 'pg_dump', source, password, compressionLevel: 1 };
    expect(() => buildPgDumpInvocation({ ...base, compressionLevel: 10 })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => buildPgDumpInvocation({ ...base, compressionLevel: 1.5 })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => buildPgDumpInvocation({ ...base, snapshotId: '--help' })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});

describe('mapPgDumpFailure', () => {
  const exit = { code: 1, signal: null };
  it.each([
    ['pg_dump: error: connection to server at "db.example.com" (10.0.0.5), port 5433 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?', 'PG_UNREACHABLE'],
    ['pg_dump: error: could not translate host name "nope" to address: Name or service not known', 'PG_UNREACHABLE'],
    ['pg_dump: error: connection to server at "127.0.0.1", port 5433 failed: FATAL:  password authentication failed for user "backup"', 'PG_AUTH_FAILED'],
    ['pg_dump: error: connection to server at "127.0.0.1", port 5433 failed: fe_sendauth: no password supplied', 'PG_AUTH_FAILED'],
    ['pg_dump: error: connection to server at "127.0.0.1", port 5433 failed: FATAL:  database "shop" does not exist', 'PG_DATABASE_MISSING'],
    ['pg_dump: error: aborting because of server version mismatch', 'PG_DUMP_TOO_OLD'],
    ['pg_dump: error: query failed: ERROR:  permission denied for table secrets', 'PG_DUMP_FAILED'],
  ])('maps %s', (stderr, code) => {
    const error = mapPgDumpFailure(stderr, source, exit);
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe(code);
  });

  it('keeps the tool output in the detail of an unrecognised failure', () => {
    const error = mapPgDumpFailure('pg_dump: error: query failed: ERROR:  permission denied for table secrets\n', source, {
      code: null,
      signal: 'SIGSEGV',
    });
    expect(error.detail).toContain('permission denied for table secrets');
    expect(error.detail).toContain('SIGSEGV');
  });
});

describe('mapConnectError', () => {
  it('maps SQLSTATEs and network codes, and never repeats the password', () => {
    const dbError = (code: string, message: string) => Object.assign(new Error(message), { code });
    const auth = mapConnectError(dbError('28P01', `password authentication failed (${password})`), source, password);
    expect(auth.code).toBe('PG_AUTH_FAILED');
    expect(auth.detail).toContain('backup@db.example.com:5433/shop');
    expect(auth.message).not.toContain(password);
    expect(mapConnectError(dbError('3D000', 'database "shop" does not exist'), source, password).code).toBe('PG_DATABASE_MISSING');
    const refused = mapConnectError(dbError('ECONNREFUSED', 'connect ECONNREFUSED'), source, password);
    expect(refused.code).toBe('PG_UNREACHABLE');
    expect(refused.detail).toContain('db.example.com:5433');
    expect(mapConnectError(new Error('timeout expired'), source, password).code).toBe('PG_UNREACHABLE');
  });
});
