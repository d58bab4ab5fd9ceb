/**
 * pg_dump's patterns as Lifeboat reads them (to check them in the editor and to say in the
 * manifest what they left out), the arguments pg_dump gets, what the manifest records, what a
 * drill may find missing, and every bad pattern refused naming the fix.
 */
import { describe, expect, it } from 'vitest';
import { buildPgDumpInvocation, mapPgDumpFailure } from '../../../src/main/core/postgres/dump';
import { applyDumpFilter, leftOutByFilter } from '../../../src/main/core/postgres/dump-filter';
import { matchDumpFilter } from '../../../src/main/core/postgres/dump-filter-check';
import { compileDumpPattern, dumpPatternProblem, tableFate, EMPTY_DUMP_FILTER } from '../../../src/shared/dump-filter';
import type { ManifestDatabaseSource } from '../../../src/shared/manifest';
import { databaseSourceSchema, type DatabaseSource } from '../../../src/shared/plan';

const source: DatabaseSource = { id: 'db1', host: 'h', port: 5432, user: 'app', database: 'shop', sslMode: 'disable', hasPassword: false };
const visiblePublic = (schema: string) => schema === 'public';

describe('patterns', () => {
  it('match as pg_dump matches: wildcards, case folding, "quoted" names, schema.table, the search path for unqualified tables', () => {
    expect(compileDumpPattern('audit_*').matchesTable('public', 'audit_log', true)).toBe(true);
    expect(compileDumpPattern('audit_*').matchesTable('other', 'audit_log', false)).toBe(false);
    expect(compileDumpPattern('*.audit_*').matchesTable('other', 'audit_log', false)).toBe(true);
    expect(compileDumpPattern('Logs').matchesTable('public', 'logs', true)).toBe(true);
    expect(compileDumpPattern('"Logs"').matchesTable('public', 'logs', true)).toBe(false);
    expect(compileDumpPattern('"Odd.Schema"."T*"').matchesTable('Odd.Schema', 'T*', false)).toBe(true);
    expect(compileDumpPattern('"Odd.Schema"."T*"').matchesTable('Odd.Schema', 'Tx', false)).toBe(false);
    expect(compileDumpPattern('log?').matchesTable('public', 'logs', true)).toBe(true);
    expect(compileDumpPattern('log?').matchesTable('public', 'logsx', true)).toBe(false);
    expect(compileDumpPattern('stag*').matchesSchema('staging')).toBe(true);
    expect(compileDumpPattern('a$b').matchesSchema('a$b')).toBe(true);
  });

  it('refuse what cannot be used, naming the fix', () => {
    expect(dumpPatternProblem('excludeTables', '"open')).toContain('not closed');
    expect(dumpPatternProblem('excludeSchemas', 'a.b')).toContain('a schema pattern is one name');
    expect(dumpPatternProblem('excludeTables', 'db.s.t')).toContain('table or schema.table');
    expect(dumpPatternProblem('excludeTables', 'public.')).toContain('part of the name is empty');
    expect(dumpPatternProblem('excludeTableData', 'bad\nline')).toContain('one line');
    expect(dumpPatternProblem('excludeTables', 'x[')).toContain('not valid');
    expect(dumpPatternProblem('excludeTables', 'public.logs')).toBeNull();
    const parsed = databaseSourceSchema.safeParse({ ...source, excludeTables: ['"open'] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('--exclude-table ""open": a double quote is not closed: write "Name" with both quotes');
  });

  it("decide each table's fate: schemas included or excluded, tables excluded, data excluded", () => {
    const filter = { ...EMPTY_DUMP_FILTER, schemas: ['public', 'sales'], excludeSchemas: ['sales'], excludeTables: ['tmp_*'], excludeTableData: ['*.audit*'] };
    expect(tableFate(filter, 'public', 'items', visiblePublic)).toEqual({ fate: 'dumped' });
    expect(tableFate(filter, 'other', 'items', visiblePublic)).toEqual({ fate: 'excluded', by: '--schema public, sales' });
    expect(tableFate(filter, 'sales', 'items', visiblePublic)).toEqual({ fate: 'excluded', by: '--exclude-schema sales' });
    expect(tableFate(filter, 'public', 'tmp_1', visiblePublic)).toEqual({ fate: 'excluded', by: '--exclude-table tmp_*' });
    expect(tableFate(filter, 'public', 'audit', visiblePublic)).toEqual({ fate: 'data-excluded', by: '--exclude-table-data *.audit*' });
  });
});

describe('pg_dump', () => {
  it('gets one --option=pattern argument per pattern, never through a shell', () => {
    const invocation = buildPgDumpInvocation({
      pgDumpPath: '/usr/bin/pg_dump',
      source: { ...source, schemas: ['public'], excludeTables: ['tmp_*'], excludeTableData: ['"Audit Log"; rm -rf /'] },
      password: null,
      compressionLevel: 1,
    });
    expect(invocation.args).toEqual(['--format=custom', '--compress=1', '--no-password', '--schema=public', '--exclude-table=tmp_*', '--exclude-table-data="Audit Log"; rm -rf /']);
  });

  it('says which patterns to correct when --schema matched nothing', () => {
    const error = mapPgDumpFailure('pg_dump: error: no matching schemas were found\n', source, { code: 1, signal: null });
    expect(error.code).toBe('PG_DUMP_NO_MATCH');
    expect(error.message).toContain('Correct the patterns in the plan');
  });
});

describe('the manifest', () => {
  const manifest: ManifestDatabaseSource = {
    kind: 'database', id: 'db1', label: 'shop', status: 'success', error: null, host: 'h', port: 5432, user: 'app', database: 'shop',
    serverVersion: '15', pgDumpVersion: '15', format: 'custom', entry: 'databases/db1-shop.dump',
    tables: [
      { schema: 'public', name: 'items', rows: 10, bytes: 1, kind: 'table', oid: 1 },
      { schema: 'public', name: 'audit_log', rows: 500, bytes: 1, kind: 'table', oid: 2 },
      { schema: 'public', name: 'scratch', rows: 5, bytes: 1, kind: 'table', oid: 3 },
      { schema: 'app', name: 'audit_log', rows: 7, bytes: 1, kind: 'table', oid: 4 },
    ],
  };

  it('says why a table is empty and which tables are not there; the rows expected after a restore are what the dump holds', () => {
    const applied = applyDumpFilter(manifest, { ...source, excludeTableData: ['audit_log'], excludeTables: ['scratch'] });
    expect(applied.tables).toEqual([
      manifest.tables[0],
      { ...manifest.tables[1], rows: 0, rowsAtBackup: 500, dataExcludedBy: '--exclude-table-data audit_log' },
      // the user's own schema is on the search path too ("$user", public)
      { ...manifest.tables[3], rows: 0, rowsAtBackup: 7, dataExcludedBy: '--exclude-table-data audit_log' },
    ]);
    expect(applied.dumpFilter?.excludedTables).toEqual([{ schema: 'public', name: 'scratch', excludedBy: '--exclude-table scratch' }]);
    expect(applyDumpFilter(manifest, source)).toBe(manifest);
  });

  it('lets a drill find missing only what the filter left out', () => {
    const applied = applyDumpFilter(manifest, { ...source, excludeSchemas: ['staging'], excludeTables: ['scratch'] });
    expect(leftOutByFilter({ kind: 'schema', schema: null, name: 'staging' }, applied)).toBe(true);
    expect(leftOutByFilter({ kind: 'function', schema: 'staging', name: 'f()' }, applied)).toBe(true);
    expect(leftOutByFilter({ kind: 'table', schema: 'public', name: 'scratch' }, applied)).toBe(true);
    expect(leftOutByFilter({ kind: 'sequence', schema: 'public', name: 'scratch_id_seq' }, applied)).toBe(true);
    expect(leftOutByFilter({ kind: 'table', schema: 'public', name: 'items' }, applied)).toBe(false);
    expect(leftOutByFilter({ kind: 'table', schema: 'public', name: 'items' }, manifest)).toBe(false);
  });
});

describe('the editor check', () => {
  it('lists what each pattern matches and warns about one that matches nothing, naming the fix', () => {
    const check = matchDumpFilter(
      { ...source, excludeTableData: ['audit_*', 'logs'], excludeSchemas: ['tmp'], excludeTables: ['expensive'] },
      {
        schemas: ['public', 'app', 'other'],
        relations: [
          { schema: 'public', name: 'audit_log', hasData: true },
          { schema: 'other', name: 'logs', hasData: true },
          { schema: 'public', name: 'expensive', hasData: false },
        ],
      },
    );
    expect(check.patterns.map((p) => [p.pattern, p.count, p.matches])).toEqual([
      ['tmp', 0, []],
      ['expensive', 1, ['public.expensive']],
      ['audit_*', 1, ['public.audit_log']],
      ['logs', 0, []],
    ]);
    expect(check.warnings).toEqual([
      '--exclude-schema tmp matches no schema in shop. Check the spelling; names are folded to lower case unless "quoted".',
      '--exclude-table-data logs matches no table in shop. A name without a schema only finds tables in "app" or "public": write schema.table (or *.table) for others.',
    ]);
  });
});
