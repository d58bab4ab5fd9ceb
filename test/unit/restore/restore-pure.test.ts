import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServerUrl, parseTablesJson, resolveTableNames } from '../../../src/main/cli/restore-commands';
import {
  buildPgRestoreInvocation,
  conninfoValue,
  mapPgRestoreFailure,
  parseTocList,
} from '../../../src/main/core/postgres/restore';
import { indexToc, planTableSelection, type TargetState } from '../../../src/main/core/postgres/toc-plan';
import { folderFiles, isSelected, summarizeManifest, targetRoots } from '../../../src/main/core/restore/backup-index';
import { countActions, listedItems, type PlannedFile } from '../../../src/main/core/restore/plan-files';
import { keepBothName, resolveInside, unsafeReason } from '../../../src/main/core/restore/safe-paths';
import { AppError } from '../../../src/shared/errors';
import type { BackupManifest, ManifestFolderSource } from '../../../src/shared/manifest';
import type { FileAction } from '../../../src/shared/restore';

/** `pg_restore --list --verbose` of a real dump (PostgreSQL 15), with dependencies. */
const TOC = `;
; Archive created at 2026-11-24 23:57:48 UTC
;     dbname: shop
;
3371; 0 0 ENCODING - ENCODING 
3374; 1262 16385 DATABASE - shop postgres
6; 2615 16414 SCHEMA - Odd Schema postgres
220; 1259 16415 TABLE Odd Schema Mixed "Case" T postgres
;	depends on: 6
216; 1259 16387 TABLE public items postgres
3375; 0 0 COMMENT public TABLE items postgres
;	depends on: 216
215; 1259 16386 SEQUENCE public items_id_seq postgres
;	depends on: 216
3376; 0 0 SEQUENCE OWNED BY public items_id_seq postgres
;	depends on: 215
218; 1259 16399 TABLE public orders postgres
217; 1259 16398 SEQUENCE public orders_id_seq postgres
;	depends on: 218
219; 1259 16410 VIEW public v postgres
;	depends on: 216 216
3211; 2604 16390 DEFAULT public items id postgres
;	depends on: 215 216 216
3368; 0 16415 TABLE DATA Odd Schema Mixed "Case" T postgres
;	depends on: 220
3365; 0 16387 TABLE DATA public items postgres
;	depends on: 216
3367; 0 16399 TABLE DATA public orders postgres
;	depends on: 218
3377; 0 0 SEQUENCE SET public items_id_seq postgres
;	depends on: 215
3378; 0 0 SEQUENCE SET public orders_id_seq postgres
;	depends on: 217
3214; 2606 16396 CONSTRAINT public items items_name_key postgres
;	depends on: 216
3217; 2606 16394 CONSTRAINT public items items_pkey postgres
;	depends on: 216
3219; 2606 16404 CONSTRAINT public orders orders_pkey postgres
;	depends on: 218
3215; 1259 16397 INDEX public items_name_lower postgres
;	depends on: 216 216
3220; 2606 16405 FK CONSTRAINT public orders orders_item_id_fkey postgres
;	depends on: 218 216 3217
`;

describe('table of contents', () => {
  const entries = parseTocList(TOC);
  // a manifest from before table oids were recorded: tables are found by their printed names
  const manifestTables = [
    { schema: 'Odd Schema', name: 'Mixed "Case" T', rows: 3, bytes: 1 },
    { schema: 'public', name: 'items', rows: 3000, bytes: 1 },
    { schema: 'public', name: 'orders', rows: 5000, bytes: 1 },
  ];
  const plan = (tables: { schema: string; name: string }[], target: TargetState | null = null) => planTableSelection(indexToc(entries, manifestTables), tables, target);
  const selectTocEntries = (tables: { schema: string; name: string }[], target: TargetState | null = null) => plan(tables, target).entries;

  it('parses ids, multi-word descs, names with spaces and dependencies', () => {
    expect(entries.find((e) => e.id === 3368)).toMatchObject({ desc: 'TABLE DATA', rest: 'Odd Schema Mixed "Case" T postgres', deps: [220] });
    expect(entries.find((e) => e.id === 3220)).toMatchObject({ desc: 'FK CONSTRAINT', deps: [218, 216, 3217] });
    expect(entries.find((e) => e.id === 3376)?.desc).toBe('SEQUENCE OWNED BY');
    expect(entries.find((e) => e.id === 216)?.line).toBe('216; 1259 16387 TABLE public items postgres');
  });

  it('takes a table with its data, sequence, default, constraints and index; not views or foreign keys to unselected tables', () => {
    const ids = selectTocEntries([{ schema: 'public', name: 'items' }]).map((e) => e.id);
    expect(ids.sort()).toEqual([215, 216, 3211, 3214, 3215, 3217, 3365, 3375, 3376, 3377].sort());
    expect(ids).not.toContain(219); // the view
    expect(ids).not.toContain(3220); // orders' foreign key: orders is not selected
  });

  it('takes a foreign key once every table it links is selected', () => {
    const ids = selectTocEntries([
      { schema: 'public', name: 'orders' },
      { schema: 'public', name: 'items' },
    ]).map((e) => e.id);
    expect(ids).toContain(3220);
    expect(ids).toContain(3378);
    // orders alone: its rows reference items, which a new database would not have
    const onlyOrders = plan([{ schema: 'public', name: 'orders' }]);
    expect(onlyOrders.entries.map((e) => e.id).sort()).toEqual([217, 218, 3219, 3367, 3378].sort());
    expect(onlyOrders.problems).toEqual(['public.orders has a foreign key to public.items, which is not restored']);
    expect(onlyOrders.minimalSet).toEqual([
      { schema: 'public', name: 'orders' },
      { schema: 'public', name: 'items' },
    ]);
  });

  it('creates the schemas the target lacks, and refuses a table the dump lacks', () => {
    const odd = { schema: 'Odd Schema', name: 'Mixed "Case" T' };
    expect(selectTocEntries([odd]).map((e) => e.id)).toEqual([6, 220, 3368]);
    const withSchema: TargetState = { relations: [], foreignKeys: [], triggers: [], objects: [{ family: 'schema', schema: null, tag: 'Odd Schema' }] };
    expect(selectTocEntries([odd], withSchema).map((e) => e.id)).toEqual([220, 3368]);
    expect(() => selectTocEntries([{ schema: 'public', name: 'nope' }])).toThrow(AppError);
  });
});

describe('pg_restore invocation', () => {
  const target = { id: 't', host: 'db.local', port: 5433, user: 'admin', database: "x' host=evil", sslMode: 'require' as const, hasPassword: true };

  it('keeps the password in the environment and the database name a quoted conninfo value', () => {
    const inv = buildPgRestoreInvocation({ pgRestorePath: '/usr/bin/pg_restore', target, password: 's3cret pass', clean: true, env: { PGPASSWORD: 'old', PATH: '/bin' } });
    expect(inv.args.join(' ')).not.toContain('s3cret');
    expect(inv.env.PGPASSWORD).toBe('s3cret pass');
    expect(inv.env.PGHOST).toBe('db.local');
    expect(inv.env.PGSSLMODE).toBe('require');
    expect(inv.args).toContain(`--dbname=dbname='x\\' host=evil'`);
    expect(inv.args).toEqual(expect.arrayContaining(['--single-transaction', '--clean', '--if-exists']));
    // owners and privileges are kept unless asked otherwise
    expect(inv.args).not.toContain('--no-owner');
    expect(inv.args).not.toContain('--no-privileges');
    const noPassword = buildPgRestoreInvocation({ pgRestorePath: 'pg_restore', target, password: null, noOwner: true, noPrivileges: true, env: { PGPASSWORD: 'inherited' } });
    expect(noPassword.env.PGPASSWORD).toBeUndefined();
    expect(noPassword.args).toEqual(expect.arrayContaining(['--no-owner', '--no-privileges']));
    expect(buildPgRestoreInvocation({ pgRestorePath: 'pg_restore', target, password: null, noOwner: true }).args).not.toContain('--no-privileges');
    expect(conninfoValue('a\\b')).toBe("'a\\\\b'");
  });

  it('maps tool output to codes that name the fix', () => {
    expect(mapPgRestoreFailure('pg_restore: error: unsupported version (1.16) in file header', target, { code: 1, signal: null }).code).toBe('PG_RESTORE_TOO_OLD');
    expect(mapPgRestoreFailure('FATAL:  password authentication failed for user "admin"', target, { code: 1, signal: null }).code).toBe('PG_AUTH_FAILED');
    const dep = mapPgRestoreFailure('ERROR:  cannot drop table public.items because other objects depend on it', target, { code: 1, signal: null });
    expect(dep.code).toBe('PG_RESTORE_FAILED');
    expect(dep.message).toContain('restore into a new database');
  });
});

describe('safe paths', () => {
  const root = path.resolve('/restore/target');

  it('refuses traversal, absolute paths, drive letters, backslashes and empty segments', () => {
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'C:/Windows/x', 'c:x', 'a\\..\\x', 'a//b', './a', 'a/.', '', 'a\0b']) {
      expect(unsafeReason(bad), bad).not.toBeNull();
      expect(() => resolveInside(root, bad), bad).toThrow(expect.objectContaining({ code: 'UNSAFE_PATH' }));
    }
    expect(resolveInside(root, 'a/b c/ünï.txt')).toBe(path.join(root, 'a', 'b c', 'ünï.txt'));
    expect(resolveInside(root, '..hidden/x..y')).toBe(path.join(root, '..hidden', 'x..y'));
  });

  it('keep-both names keep the extension and never repeat an existing name', () => {
    const day = new Date('2026-11-24T12:00:00Z');
    expect(keepBothName('/t/report.pdf', day, () => false)).toBe(path.join('/t', 'report (restored 2026-11-24).pdf'));
    expect(keepBothName('/t/.bashrc', day, () => false)).toBe(path.join('/t', '.bashrc (restored 2026-11-24)'));
    const taken = new Set([path.join('/t', 'a (restored 2026-11-24).txt'), path.join('/t', 'a (restored 2026-11-24 2).txt')]);
    expect(keepBothName('/t/a.txt', day, (c) => taken.has(c))).toBe(path.join('/t', 'a (restored 2026-11-24 3).txt'));
  });
});

describe('backup index', () => {
  const folder: ManifestFolderSource = {
    kind: 'folder',
    id: 'f1',
    label: '/home/me/docs',
    status: 'success',
    error: null,
    root: '/home/me/docs',
    excludes: [],
    entryPrefix: 'folders/f1/',
    files: 1,
    bytes: 3,
    unchanged: [{ path: 'old/kept.txt', size: 5, mtimeMs: 1, mode: 0o600, sha256: 'b'.repeat(64), storedIn: 'base-1' }],
  };
  const manifest: BackupManifest = {
    format: 1,
    backupId: 'inc-2',
    app: { name: 'Lifeboat', version: 't' },
    createdAt: '2026-11-24T00:00:00.000Z',
    finishedAt: '2026-11-24T00:00:01.000Z',
    plan: null,
    type: 'incremental',
    baseBackupId: 'base-1',
    encrypted: true,
    compressionLevel: 1,
    host: 'h',
    sources: [folder],
    entries: [{ name: 'folders/f1/new/a.txt', kind: 'file', sourceId: 'f1', size: 3, sha256: 'a'.repeat(64), mode: 0o644, mtimeMs: 2 }],
  };

  it('lists stored and unchanged files with where each one lives', () => {
    expect(folderFiles(manifest, folder).map((f) => [f.path, f.storedIn])).toEqual([
      ['new/a.txt', 'inc-2'],
      ['old/kept.txt', 'base-1'],
    ]);
    const summary = summarizeManifest(manifest).folders[0]!;
    expect(summary.totalFiles).toBe(2);
    expect(summary.totalBytes).toBe(8);
    expect(summary.needsBackups).toEqual(['base-1']);
    expect(summary.files.map((f) => f.inThisBackup)).toEqual([true, false]);
    expect(summary.dirs).toEqual([
      { path: '', files: 2, bytes: 8 },
      { path: 'new', files: 1, bytes: 3 },
      { path: 'old', files: 1, bytes: 5 },
    ]);
  });

  it('selects paths exactly or by folder, and places several folders in named subfolders', () => {
    expect(isSelected('a/b/c.txt', ['a/b'])).toBe(true);
    expect(isSelected('a/bc.txt', ['a/b'])).toBe(false);
    expect(isSelected('x', undefined)).toBe(true);
    const two = [folder, { ...folder, id: 'f2', root: '/srv/docs' }];
    const roots = targetRoots(two, '/restore');
    expect(roots.get('f1')).toBe(path.join('/restore', 'docs'));
    expect(roots.get('f2')).toBe(path.join('/restore', 'docs-f2'));
    expect(targetRoots([folder], '/restore').get('f1')).toBe(path.resolve('/restore'));
    expect(targetRoots([folder], undefined).get('f1')).toBe(path.resolve('/home/me/docs'));
  });

  it('a result lists the first items only (folders only when skipped); the counts cover every file', () => {
    const planned = (type: 'file' | 'dir', p: string, action: FileAction) =>
      ({ sourceId: 'f1', path: p, target: `/r/${p}`, action, size: 1, reason: null, ref: { type } }) as unknown as PlannedFile;
    const items = [planned('dir', 'd', 'create'), planned('file', 'd/a', 'create'), planned('dir', 'e', 'skip'), planned('file', 'd/b', 'same'), planned('file', 'd/c', 'create')];
    expect(listedItems(items).map((i) => i.path)).toEqual(['d/a', 'e', 'd/b', 'd/c']);
    expect(listedItems(items, 2)).toEqual([
      { sourceId: 'f1', path: 'd/a', target: '/r/d/a', action: 'create', size: 1, reason: null },
      { sourceId: 'f1', path: 'e', target: '/r/e', action: 'skip', size: 1, reason: null },
    ]);
    expect(countActions(items)).toEqual({ create: 2, replace: 0, same: 1, 'keep-both': 0, skip: 0 });
  });
});

describe('command line arguments', () => {
  it('reads a server URL without a database as the postgres maintenance database', () => {
    expect(parseServerUrl('postgres://admin@db.local:5433?sslmode=require', { PGPASSWORD: 'pw' })).toEqual({
      host: 'db.local',
      port: 5433,
      user: 'admin',
      sslMode: 'require',
      password: 'pw',
      maintenanceDatabase: 'postgres',
    });
    expect(() => parseServerUrl('postgres://admin:pw@db.local/x', {})).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });

  it('resolves --tables names against the backup, naming the choices when it cannot', () => {
    const manifest = {
      sources: [
        {
          kind: 'database',
          tables: [
            { schema: 'public', name: 'items', rows: 1, bytes: 1 },
            { schema: 'public', name: 'dup', rows: 1, bytes: 1 },
            { schema: 'other', name: 'dup', rows: 1, bytes: 1 },
          ],
        },
      ],
    } as unknown as BackupManifest;
    expect(resolveTableNames(manifest, ['items', 'other.dup'])).toEqual([
      { schema: 'public', name: 'items' },
      { schema: 'other', name: 'dup' },
    ]);
    expect(() => resolveTableNames(manifest, ['dup'])).toThrow(/several schemas/);
    expect(() => resolveTableNames(manifest, ['nope'])).toThrow(/public\.items/);
  });

  it('matches names exactly (a trailing space, a newline), trims only when the exact name is not there, and takes --tables-json', () => {
    const manifest = {
      sources: [
        {
          kind: 'database',
          tables: [
            { schema: 'public', name: 'a b ', rows: 1, bytes: 1 },
            { schema: 'public', name: 'a b', rows: 1, bytes: 1 },
            { schema: 'public', name: 'x\ny', rows: 1, bytes: 1 },
            { schema: 'public', name: 'x y', rows: 1, bytes: 1 },
            { schema: 'public', name: 'c, d', rows: 1, bytes: 1 },
          ],
        },
      ],
    } as unknown as BackupManifest;
    expect(resolveTableNames(manifest, ['public.a b ', ' public.a b', 'x\ny', 'x y'])).toEqual([
      { schema: 'public', name: 'a b ' },
      { schema: 'public', name: 'a b' },
      { schema: 'public', name: 'x\ny' },
      { schema: 'public', name: 'x y' },
    ]);
    expect(parseTablesJson(manifest, '[{"schema":"public","name":"c, d"},{"schema":"public","name":"x\\ny"},"a b "]')).toEqual([
      { schema: 'public', name: 'c, d' },
      { schema: 'public', name: 'x\ny' },
      { schema: 'public', name: 'a b ' },
    ]);
    expect(() => parseTablesJson(manifest, '[{"schema":"public","name":"c,d"}]')).toThrow(/"c,d" is not in the backup/);
    expect(() => parseTablesJson(manifest, '{"table":"x"}')).toThrow(/--tables-json takes/);
    expect(() => parseTablesJson(manifest, '[oops')).toThrow(/not JSON/);
    expect(() => resolveTableNames(manifest, ['nope'])).toThrow(/--tables-json/);
  });
});
