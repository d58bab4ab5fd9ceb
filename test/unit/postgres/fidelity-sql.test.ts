/**
 * The pure parts of restore fidelity: reading pg_dumpall's role definitions statement by
 * statement and keeping only the roles a dump uses, the statements a restore may run to create
 * missing roles (CREATE ROLE / ALTER ROLE of those roles, nothing else), aclitems and database
 * GRANTs, ALTER DATABASE ... SET clauses, CREATE DATABASE locale options, and the refusals.
 */
import { describe, expect, it } from 'vitest';
import {
  createDatabaseOptions,
  databaseGrantStatements,
  localeUnsupportedReason,
  parseAclItem,
  settingClause,
  splitSettingList,
} from '../../../src/main/core/postgres/database-state';
import { mapPgRestoreFailure } from '../../../src/main/core/postgres/restore';
import {
  buildPgDumpallRolesInvocation,
  classifyRoleStatement,
  filterRoleDefinitions,
  roleCreationStatements,
  splitSqlStatements,
  sqlLiteral,
} from '../../../src/main/core/postgres/roles';
import { rolesRefusal } from '../../../src/main/core/restore/fidelity';
import { rolesEntryName } from '../../../src/main/core/backup/database-extras';
import type { ManifestDatabaseState } from '../../../src/shared/manifest';
import type { DatabaseSource } from '../../../src/shared/plan';

/** What pg_dumpall 15 --roles-only --no-role-passwords prints (with its \restrict lines). */
const DUMPALL = `--
-- PostgreSQL database cluster dump
--

\\restrict ckoDzoPFLaVw31jW1X50adjXANlCZL8klOQtZBMkuLcEe2rMhkLe6sHu5xEv9KG

SET default_transaction_read_only = off;

SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

--
-- Roles
--

CREATE ROLE "Pagila Auditor";
ALTER ROLE "Pagila Auditor" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
CREATE ROLE lifeboat;
ALTER ROLE lifeboat WITH SUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS;
CREATE ROLE pagila_app;
ALTER ROLE pagila_app WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 20;
COMMENT ON ROLE pagila_app IS 'the shop; application -- not a comment';
CREATE ROLE pagila_owner;
ALTER ROLE pagila_owner WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
CREATE ROLE "we""ird";
ALTER ROLE "we""ird" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS VALID UNTIL '2030-01-01 00:00:00+00';
CREATE ROLE postgres;
ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;

--
-- User Configurations
--

ALTER ROLE pagila_app SET search_path TO 'app', 'public';

--
-- Role memberships
--

GRANT pagila_owner TO pagila_app GRANTED BY postgres;
GRANT pagila_owner TO lifeboat GRANTED BY postgres;

\\unrestrict ckoDzoPFLaVw31jW1X50adjXANlCZL8klOQtZBMkuLcEe2rMhkLe6sHu5xEv9KG

--
-- PostgreSQL database cluster dump complete
--
`;

describe('reading role definitions', () => {
  it('splits statements without breaking strings, quoted names, E strings or dollar quotes, and drops meta-commands', () => {
    expect(splitSqlStatements(`SELECT 'a;b'; \nCREATE ROLE "x;y";\n\\restrict abc\nSELECT E'it\\'s;'; DO $f$ BEGIN; END $f$; -- c;d\nSELECT 1`)).toEqual([
      "SELECT 'a;b'",
      'CREATE ROLE "x;y"',
      "SELECT E'it\\'s;'",
      'DO $f$ BEGIN; END $f$',
      'SELECT 1',
    ]);
  });

  it('tells CREATE/ALTER of a role from anything else that names it', () => {
    expect(classifyRoleStatement('CREATE ROLE "we""ird"')).toEqual({ kind: 'create', role: 'we"ird', sql: 'CREATE ROLE "we""ird"' });
    expect(classifyRoleStatement('ALTER ROLE app WITH LOGIN')).toMatchObject({ kind: 'alter', role: 'app' });
    expect(classifyRoleStatement("ALTER ROLE app SET search_path TO 'x'")).toMatchObject({ kind: 'alter', role: 'app' });
    expect(classifyRoleStatement('ALTER ROLE app RENAME TO other')).toMatchObject({ kind: 'other' });
    expect(classifyRoleStatement('ALTER ROLE app IN DATABASE shop SET work_mem = 1')).toMatchObject({ kind: 'other' });
    expect(classifyRoleStatement('CREATE ROLE app; DROP ROLE postgres')).toMatchObject({ kind: 'other' });
    expect(classifyRoleStatement('GRANT owner_role TO "App" GRANTED BY postgres')).toMatchObject({ kind: 'membership', role: 'owner_role', member: 'App' });
    expect(classifyRoleStatement("COMMENT ON ROLE app IS 'x'")).toMatchObject({ kind: 'comment', role: 'app' });
  });

  it('keeps only the roles the dump uses, and memberships between two of them', () => {
    const { sql, defined } = filterRoleDefinitions(DUMPALL, new Set(['pagila_app', 'pagila_owner', 'Pagila Auditor', 'pg_database_owner']), 'pagila');
    expect(defined).toEqual(['Pagila Auditor', 'pagila_app', 'pagila_owner']);
    expect(sql).toContain('CREATE ROLE "Pagila Auditor";');
    expect(sql).toContain("COMMENT ON ROLE pagila_app IS 'the shop; application -- not a comment';");
    expect(sql).toContain("ALTER ROLE pagila_app SET search_path TO 'app', 'public';");
    expect(sql).toContain('GRANT pagila_owner TO pagila_app GRANTED BY postgres;');
    for (const absent of ['CREATE ROLE lifeboat', 'CREATE ROLE postgres', 'TO lifeboat', 'restrict', 'default_transaction_read_only', 'we""ird']) {
      expect(sql).not.toContain(absent);
    }
    // the stored file reads back the same way
    expect(roleCreationStatements(sql, ['pagila_app']).statements).toHaveLength(3);
  });

  it('creates roles with their CREATE ROLE and ALTER ROLE statements only, and names the roles it holds no definition of', () => {
    const { statements, undefinedRoles } = roleCreationStatements(DUMPALL, ['pagila_app', 'we"ird', 'ghost']);
    expect(statements).toEqual([
      'CREATE ROLE pagila_app',
      'ALTER ROLE pagila_app WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 20',
      'CREATE ROLE "we""ird"',
      `ALTER ROLE "we""ird" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS VALID UNTIL '2030-01-01 00:00:00+00'`,
      "ALTER ROLE pagila_app SET search_path TO 'app', 'public'",
    ]);
    // no comment, no membership (they would touch other roles), nothing for roles not asked for
    expect(statements.join('\n')).not.toMatch(/COMMENT|GRANT|lifeboat|postgres/);
    expect(undefinedRoles).toEqual(['ghost']);
  });

  it('runs pg_dumpall without passwords in its output, the password only in the environment, the database as a conninfo value', () => {
    const source: DatabaseSource = { id: 'db1', host: 'db.local', port: 5433, user: 'backup', database: "x' host=evil", sslMode: 'require', hasPassword: true };
    const inv = buildPgDumpallRolesInvocation({ pgDumpallPath: '/usr/bin/pg_dumpall', source, password: 's3cret', env: { PATH: '/bin', LIFEBOAT_PASSPHRASE: 'p' } });
    expect(inv.args).toEqual(['--roles-only', '--no-role-passwords', '--no-password', `--database=dbname='x\\' host=evil'`]);
    expect(inv.args.join(' ')).not.toContain('s3cret');
    expect(inv.env).toMatchObject({ PGPASSWORD: 's3cret', PGHOST: 'db.local', PGPORT: '5433', PGUSER: 'backup', LC_MESSAGES: 'C' });
    expect(inv.env.LIFEBOAT_PASSPHRASE).toBeUndefined();
  });

  it('names the roles entry after the dump', () => {
    expect(rolesEntryName('databases/db1-shop.dump')).toBe('databases/db1-shop-roles.sql');
  });
});

describe('database-level state as SQL', () => {
  it('reads aclitems, PUBLIC and quoted names included', () => {
    expect(parseAclItem('"Pagila Auditor"=T*/pagila_owner')).toEqual({ grantee: 'Pagila Auditor', privileges: 'T*', grantor: 'pagila_owner' });
    expect(parseAclItem('=Tc/owner')).toEqual({ grantee: '', privileges: 'Tc', grantor: 'owner' });
    expect(parseAclItem('"a""b"=c/"Big Boss"')).toEqual({ grantee: 'a"b', privileges: 'c', grantor: 'Big Boss' });
    expect(parseAclItem('nonsense')).toBeNull();
  });

  it('grants database privileges, with the grant option where the aclitem has one', () => {
    expect(databaseGrantStatements('shop', { grantee: 'app', privileges: 'CT*c', grantor: 'o' })).toEqual([
      'GRANT CREATE, CONNECT ON DATABASE "shop" TO "app"',
      'GRANT TEMPORARY ON DATABASE "shop" TO "app" WITH GRANT OPTION',
    ]);
    expect(databaseGrantStatements('shop', { grantee: '', privileges: 'c', grantor: 'o' })).toEqual(['GRANT CONNECT ON DATABASE "shop" TO PUBLIC']);
  });

  it('turns stored settings back into SET clauses, list settings element by element', () => {
    expect(splitSettingList('"$user", public, "Odd ""One"""')).toEqual(['$user', 'public', 'Odd "One"']);
    expect(splitSettingList('""')).toEqual(['']);
    expect(settingClause('search_path="$user", public, reporting')).toBe("SET search_path TO '$user', 'public', 'reporting'");
    expect(settingClause('statement_timeout=45s')).toBe("SET statement_timeout TO '45s'");
    expect(settingClause("myapp.Flag=it's")).toBe(`SET myapp."Flag" TO 'it''s'`);
    expect(settingClause('myapp.path=C:\\x')).toBe("SET myapp.path TO  E'C:\\\\x'");
    expect(sqlLiteral("a'b")).toBe("'a''b'");
  });

  const state: ManifestDatabaseState = {
    encoding: 'LATIN1',
    collate: 'C',
    ctype: 'C',
    localeProvider: 'libc',
    locale: null,
    icuRules: null,
    owner: 'o',
    comment: null,
    acl: null,
    settings: [],
  };

  it('creates a database with the backup encoding and locale, libc said explicitly from PostgreSQL 15', () => {
    expect(createDatabaseOptions(state, 150004)).toBe("ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' LOCALE_PROVIDER libc");
    expect(createDatabaseOptions({ ...state, localeProvider: null }, 140000)).toBe("ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'");
    expect(createDatabaseOptions({ ...state, encoding: 'UTF8', localeProvider: 'icu', locale: 'de-DE' }, 150004)).toBe(
      "ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'de-DE'",
    );
    expect(localeUnsupportedReason({ ...state, localeProvider: 'icu', locale: 'de-DE' }, 140000)).toContain('version 15');
    expect(localeUnsupportedReason({ ...state, localeProvider: 'builtin', locale: 'C.UTF-8' }, 160000)).toContain('version 17');
    expect(localeUnsupportedReason(state, 120000)).toBeNull();
  });
});

describe('refusals', () => {
  const base = { needed: ['a', 'b'], missing: [] as string[], leftOut: [] as string[], toCreate: [] as string[], cannotAssume: [] as string[], refused: false, message: 'm' };

  it('missing roles name them; roles the user cannot own through say so; a plan that may go on refuses nothing', () => {
    const missing = rolesRefusal({ ...base, missing: ['b', 'Odd One'], refused: true }, 'db:5432');
    expect(missing?.code).toBe('RESTORE_ROLES_MISSING');
    expect(missing?.message).toContain('"b", "Odd One"');
    expect(missing?.message).toContain('--create-roles');
    expect(missing?.message).toContain('--no-owner --no-privileges');
    expect(rolesRefusal({ ...base, cannotAssume: ['a'], refused: true }, 'db:5432')?.code).toBe('RESTORE_OWNERSHIP_DENIED');
    expect(rolesRefusal({ ...base, missing: ['b'], toCreate: ['b'], refused: true, message: 'no definition' }, 'db:5432')?.code).toBe('RESTORE_ROLES_MISSING');
    expect(rolesRefusal(base, 'db:5432')).toBeNull();
    expect(rolesRefusal(null, 'db:5432')).toBeNull();
  });

  it('a role pg_restore does not find is RESTORE_ROLES_MISSING; an unknown login role stays an authentication matter', () => {
    const exit = { code: 1, signal: null };
    expect(mapPgRestoreFailure('pg_restore: error: could not execute query: ERROR:  role "app" does not exist', undefined, exit).code).toBe('RESTORE_ROLES_MISSING');
    expect(mapPgRestoreFailure('pg_restore: error: connection to server failed: FATAL:  role "nobody" does not exist', undefined, exit).code).not.toBe(
      'RESTORE_ROLES_MISSING',
    );
  });
});
