/**
 * Database restores against a real PostgreSQL cluster, with real pg_dump and pg_restore: backups
 * made by the engine, restored into new databases, over existing ones (after a safety backup),
 * table by table; damaged, truncated and wrongly unlocked files refused, leaving no new database
 * behind and an existing one unchanged (and not even backed up); a dump checked against the
 * manifest while pg_restore reads it, which cannot commit before that check; a cancel that
 * drops the half-made database; the restore drill; the CLI.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/main/cli/index';
import { BackupReader, readManifest } from '../../../src/main/core/archive/reader';
import { ArchiveWriter } from '../../../src/main/core/archive/writer';
import { readContainerHeader } from '../../../src/main/core/crypto/container';
import { buildPgRestoreInvocation, spawnPgRestore } from '../../../src/main/core/postgres/restore';
import { feedDump, restoreDatabase, type SafetyBackupInfo } from '../../../src/main/core/restore/restore-database';
import { safetyBackupStep } from '../../../src/main/core/tasks/safety-backup';
import { verifyBackupFile } from '../../../src/main/core/verify/verify-backup';
import type { DatabaseTargetInput, ServerTarget } from '../../../src/shared/restore';
import { databaseTargetSchema } from '../../../src/shared/restore';
import type { BackupManifest } from '../../../src/shared/manifest';
import type { Plan } from '../../../src/shared/plan';
import { freePort, startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import {
  FAST_CONTAINER,
  PASSPHRASE,
  appError,
  backupNow,
  databaseNames,
  finished,
  flippedCopy,
  invoke,
  pgRestorePids,
  planInput,
  savePlan,
  tableFingerprint,
  testContext,
  truncatedCopy,
  userTables,
} from './support';

const SEED_SQL = `
CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL UNIQUE, price numeric(10,2));
CREATE INDEX items_price_idx ON items (price);
INSERT INTO items (name, price) SELECT 'item ' || g, g * 1.25 FROM generate_series(1, 3000) g;
CREATE TABLE orders (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, item_id int NOT NULL REFERENCES items(id), qty int CHECK (qty > 0), note text);
INSERT INTO orders (item_id, qty, note) SELECT (g % 3000) + 1, (g % 7) + 1, CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g END FROM generate_series(1, 5000) g;
CREATE TABLE blobs (id int PRIMARY KEY, data bytea);
INSERT INTO blobs VALUES (1, decode(repeat('00ff10', 2000), 'hex')), (2, NULL), (3, '');
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Mixed ""Case"" T" (v text, j jsonb);
INSERT INTO "Odd Schema"."Mixed ""Case"" T" VALUES ('Grüße aus Zürich — 東京', '{"a": [1, 2]}'), (NULL, NULL), (E'tab\\there', '{}');
CREATE TABLE empty_one (x int);
CREATE VIEW expensive AS SELECT * FROM items WHERE price > 100;
`;

let cluster: PgCluster;
let core: ReturnType<typeof makeTestCore>;
let work: string;
let plan: Plan;
let backupFile: string;
let backupJobId: string;
let manifest: BackupManifest;
let server: ServerTarget;

function target(input: Omit<DatabaseTargetInput, 'server'>) {
  return databaseTargetSchema.parse({ server, ...input });
}

function safetyOptions(onWritten?: (info: SafetyBackupInfo) => void | Promise<void>, destination = path.join(work, 'safety')) {
  return safetyBackupStep({ destination, passphrase: PASSPHRASE, appVersion: 'test', containerOptions: FAST_CONTAINER, onWritten });
}

async function expectSameAsSource(
  db: string,
  tables: { schema: string; name: string }[] = manifest.sources.flatMap((s) => (s.kind === 'database' ? s.tables : [])),
): Promise<void> {
  for (const table of tables) {
    expect(await tableFingerprint(cluster, db, table), `${table.schema}.${table.name} in ${db}`).toBe(await tableFingerprint(cluster, 'shop', table));
  }
}

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('shop');
  await cluster.psql(SEED_SQL, 'shop');
  work = makeTempDir('lifeboat-restore-db-');
  core = makeTestCore({ containerOptions: FAST_CONTAINER });
  server = { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable', password: cluster.password };
  const source = cluster.source('shop');
  plan = await savePlan(
    core,
    planInput({ name: 'Shop', databases: [source], destination: path.join(work, 'backups') }),
    { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
  );
  const job = await backupNow(core, plan);
  backupFile = job.filePath!;
  backupJobId = job.id;
  manifest = await readManifest(backupFile, PASSPHRASE);
});

afterAll(async () => {
  await core?.cleanup();
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('restore into a new database', () => {
  it('gives every table the same rows and content, with sequences, keys and indexes', async () => {
    const preview = await invoke(core, 'restore/preview', { backupJobId, database: { server, database: 'copy1' } });
    expect(preview.database?.action).toBe('create');
    expect(preview.database?.tables.map((t) => `${t.schema}.${t.name}`).sort()).toEqual(
      ['Odd Schema.Mixed "Case" T', 'public.blobs', 'public.empty_one', 'public.items', 'public.orders'].sort(),
    );
    expect(preview.databases[0]!.tables.find((t) => t.name === 'orders')?.rows).toBe(5000);

    // a catalog backup: the passphrase comes from the plan's keychain entry, not the request
    const { jobId } = await invoke(core, 'restore/start', { backupJobId, database: { server, database: 'copy1' } });
    const job = await finished(core, jobId);
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect(job.kind).toBe('restore');
    expect(job.displayMessage).toContain('row counts match');
    await expectSameAsSource('copy1');
    // the sequences went along: new rows get fresh ids
    expect((await cluster.psql(`INSERT INTO items (name, price) VALUES ('new', 1) RETURNING id`, 'copy1')).trim()).toBe('3001');
    const indexes = (await cluster.psql(`SELECT indexname FROM pg_indexes WHERE tablename = 'items' ORDER BY 1`, 'copy1')).trim().split('\n');
    expect(indexes).toEqual(['items_name_key', 'items_pkey', 'items_price_idx']);

    const history = await invoke(core, 'restore/list', {});
    const row = history.items.find((r) => r.jobId === jobId)!;
    expect(row.status).toBe('success');
    expect(row.target).toMatchObject({ database: { database: 'copy1', mode: 'new', server: { host: cluster.host, port: cluster.port } } });
    expect(JSON.stringify(row)).not.toContain(cluster.password);
    expect(JSON.stringify(core.audit.list(1, 200))).not.toContain(cluster.password);
  });

  it('with checkRows off, restores the same content and says the row counts were not compared', async () => {
    const result = await restoreDatabase(
      { filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'nocount1', checkRows: false }), password: cluster.password },
      testContext(),
    );
    expect(result.rowsChecked).toBe(false);
    expect(result.mismatches).toEqual([]);
    expect(result.tables.length).toBeGreaterThan(0);
    expect(result.tables.every((t) => t.actual === null && t.expected >= 0)).toBe(true);
    await expectSameAsSource('nocount1');
    const counted = await restoreDatabase(
      { filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'count1' }), password: cluster.password },
      testContext(),
    );
    expect(counted.rowsChecked).toBe(true);
    expect(counted.tables.find((t) => t.name === 'orders')).toMatchObject({ expected: 5000, actual: 5000 });
  });

  it('restores only the selected tables, with their keys and indexes; the others are absent', async () => {
    const selected = [
      { schema: 'public', name: 'items' },
      { schema: 'Odd Schema', name: 'Mixed "Case" T' },
    ];
    const result = await restoreDatabase(
      { filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'partial1', tables: selected }), password: cluster.password },
      testContext(),
    );
    expect(result.mismatches).toEqual([]);
    expect(await userTables(cluster, 'partial1')).toEqual(['Odd Schema.Mixed "Case" T', 'public.items']);
    await expectSameAsSource('partial1', selected);
    const indexes = (await cluster.psql(`SELECT indexname FROM pg_indexes WHERE tablename = 'items' ORDER BY 1`, 'partial1')).trim().split('\n');
    expect(indexes).toEqual(['items_name_key', 'items_pkey', 'items_price_idx']);
    // orders references items, but orders was not selected: no view, no foreign key came along
    expect((await cluster.psql(`SELECT count(*) FROM pg_views WHERE schemaname = 'public'`, 'partial1')).trim()).toBe('0');
  });

  it('refuses a name that already exists, and leaves that database alone', async () => {
    await cluster.createDatabase('taken');
    await cluster.psql('CREATE TABLE mine (v int); INSERT INTO mine VALUES (7);', 'taken');
    const preview = await invoke(core, 'restore/preview', { backupJobId, database: { server, database: 'taken' } });
    expect(preview.database?.action).toBe('conflict');
    const error = await appError(
      restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'taken' }), password: cluster.password }, testContext()),
    );
    expect(error.code).toBe('PG_DATABASE_EXISTS');
    expect(error.message).toContain('Choose another name');
    expect(await userTables(cluster, 'taken')).toEqual(['public.mine']);
  });
});

describe('restore over an existing database', () => {
  it('takes a valid safety backup before changing anything, then makes the data equal the backup', async () => {
    await restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'live' }), password: cluster.password }, testContext());
    await cluster.psql(
      `DELETE FROM orders WHERE id > 100; UPDATE items SET name = name || ' (changed)' WHERE id <= 10;
       CREATE TABLE extra (x int); INSERT INTO extra VALUES (42);`,
      'live',
    );
    const preview = await invoke(core, 'restore/preview', { backupJobId, database: { server, database: 'live', mode: 'existing' } });
    const actions = Object.fromEntries(preview.database!.tables.map((t) => [`${t.schema}.${t.name}`, t.action]));
    expect(actions).toMatchObject({ 'public.items': 'replace', 'public.orders': 'replace', 'public.extra': 'leave' });
    expect(preview.database!.safetyBackup).toBe(true);

    let seenBeforeChange: { verified: string; orders: string; extra: string } | null = null;
    const result = await restoreDatabase(
      {
        filePath: backupFile,
        passphrase: PASSPHRASE,
        target: target({ database: 'live', mode: 'existing' }),
        password: cluster.password,
        safety: safetyOptions(async (info) => {
          // at this point the safety backup is complete and the target is still untouched
          expect(fs.existsSync(info.filePath)).toBe(true);
          const report = await verifyBackupFile(info.filePath, PASSPHRASE);
          seenBeforeChange = {
            verified: report.status,
            orders: (await cluster.psql('SELECT count(*) FROM orders', 'live')).trim(),
            extra: (await cluster.psql('SELECT count(*) FROM extra', 'live')).trim(),
          };
        }),
      },
      testContext(),
    );
    expect(seenBeforeChange).toEqual({ verified: 'passed', orders: '100', extra: '1' });
    expect(result.mismatches).toEqual([]);
    expect(result.safetyBackup?.filePath).toMatch(/safety-live-.*\.lifeboat$/);
    await expectSameAsSource('live');
    // a table the backup does not have is left alone
    expect((await cluster.psql('SELECT x FROM extra', 'live')).trim()).toBe('42');
    // and the safety backup really holds the state before: restore it somewhere and look
    await restoreDatabase(
      { filePath: result.safetyBackup!.filePath, passphrase: PASSPHRASE, target: target({ database: 'live_before' }), password: cluster.password },
      testContext(),
    );
    expect((await cluster.psql('SELECT count(*) FROM orders', 'live_before')).trim()).toBe('100');
    expect((await cluster.psql("SELECT count(*) FROM items WHERE name LIKE '%(changed)'", 'live_before')).trim()).toBe('10');
  });

  it('as a job: records the safety backup in the catalog and the restore in the history', async () => {
    await restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'live_job' }), password: cluster.password }, testContext());
    await cluster.psql('DELETE FROM blobs;', 'live_job');
    const { jobId } = await invoke(core, 'restore/start', { filePath: backupFile, passphrase: PASSPHRASE, database: { server, database: 'live_job', mode: 'existing' } });
    const job = await finished(core, jobId);
    expect(job.status, job.displayMessage ?? '').toBe('success');
    const safety = core.jobs.all({ kind: 'backup', search: 'Safety backup of live_job' });
    expect(safety).toHaveLength(1);
    expect(safety[0]!.status).toBe('success');
    expect(fs.existsSync(safety[0]!.filePath!)).toBe(true);
    expect(safety[0]!.filePath!.startsWith(path.join(core.dataDir, 'safety'))).toBe(true);
    expect((await verifyBackupFile(safety[0]!.filePath!, PASSPHRASE, { expectedSha256: safety[0]!.checksum })).status).toBe('passed');
    expect(job.displayMessage).toContain(safety[0]!.filePath!);
    await expectSameAsSource('live_job');
    const row = (await invoke(core, 'restore/list', {})).items.find((r) => r.jobId === jobId)!;
    expect((row.details as { database: { safetyBackup: { backupId: string } } }).database.safetyBackup.backupId).toBe(safety[0]!.id);
  });

  it('replaces only the selected tables and leaves the others as they are', async () => {
    await restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'live2' }), password: cluster.password }, testContext());
    await cluster.psql('DELETE FROM blobs WHERE id = 1; DELETE FROM orders WHERE id > 10;', 'live2');
    const result = await restoreDatabase(
      {
        filePath: backupFile,
        passphrase: PASSPHRASE,
        target: target({ database: 'live2', mode: 'existing', tables: [{ schema: 'public', name: 'blobs' }] }),
        password: cluster.password,
        safety: safetyOptions(),
      },
      testContext(),
    );
    expect(result.tables.map((t) => t.name)).toEqual(['blobs']);
    await expectSameAsSource('live2', [{ schema: 'public', name: 'blobs' }]);
    expect((await cluster.psql('SELECT count(*) FROM orders', 'live2')).trim()).toBe('10');
  });

  it('refuses a table other tables reference before anything runs, and rolls back completely when a reload fails', async () => {
    await restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'live3' }), password: cluster.password }, testContext());
    await cluster.psql("UPDATE items SET name = 'mine ' || id WHERE id <= 5;", 'live3');
    const items = { schema: 'public', name: 'items' };
    const orders = { schema: 'public', name: 'orders' };
    const before = await tableFingerprint(cluster, 'live3', items);
    const restoreOver = (tables: { schema: string; name: string }[]) =>
      restoreDatabase(
        { filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'live3', mode: 'existing', tables }), password: cluster.password, safety: safetyOptions() },
        testContext(),
      );
    // emptying items would break the orders that reference it
    const refused = await appError(restoreOver([items]));
    expect(refused.code).toBe('RESTORE_SELECTION_INCOMPLETE');
    expect(refused.message).toContain('restore these tables together: public.items, public.orders');
    // the two together, into a table whose rules the backup's rows break: nothing is left half done
    await cluster.psql('ALTER TABLE items ADD CONSTRAINT cheap CHECK (price < 100) NOT VALID;', 'live3');
    const ordersBefore = await tableFingerprint(cluster, 'live3', orders);
    const error = await appError(restoreOver([items, orders]));
    expect(error.code).toBe('PG_RESTORE_FAILED');
    expect(error.message).toContain('cheap');
    expect(error.message).not.toContain(cluster.password);
    expect(await tableFingerprint(cluster, 'live3', items)).toBe(before);
    expect(await tableFingerprint(cluster, 'live3', orders)).toBe(ordersBefore);
    expect((await cluster.psql(`SELECT count(*) FROM pg_constraint WHERE conname = 'orders_item_id_fkey'`, 'live3')).trim()).toBe('1');
  });
});

describe('a bad backup is refused and leaves no trace in the target', () => {
  const cases: { name: string; make: (out: string) => void; passphrase: string; code: string[]; verifyCode: string[] }[] = [
    ...[1, 2, 3].map((seed) => ({
      name: `flipped bytes (seed ${seed})`,
      make: (out: string) => void flippedCopy(backupFile, out, 4, seed * 7919),
      passphrase: PASSPHRASE,
      code: ['FILE_CORRUPT'],
      verifyCode: ['FILE_CORRUPT'],
    })),
    { name: 'truncated', make: (out) => truncatedCopy(backupFile, out, 0.6), passphrase: PASSPHRASE, code: ['FILE_TRUNCATED'], verifyCode: ['FILE_TRUNCATED'] },
    { name: 'wrong passphrase', make: (out) => fs.copyFileSync(backupFile, out), passphrase: 'not the passphrase', code: ['WRONG_PASSPHRASE'], verifyCode: ['WRONG_PASSPHRASE'] },
  ];

  for (const [i, c] of cases.entries()) {
    it(`${c.name}: verify fails, restore into a new database creates nothing, over an existing one changes nothing`, async () => {
      const bad = path.join(work, `bad-${i}.lifeboat`);
      c.make(bad);
      const report = await verifyBackupFile(bad, c.passphrase);
      expect(report.status).toBe('failed');
      expect(c.verifyCode).toContain(report.errorCode);

      const newName = `never_${i}`;
      const error = await appError(
        restoreDatabase({ filePath: bad, passphrase: c.passphrase, target: target({ database: newName }), password: cluster.password }, testContext()),
      );
      expect(c.code).toContain(error.code);
      expect(error.message.length).toBeGreaterThan(40);
      expect(await databaseNames(cluster)).not.toContain(newName);

      const existing = `intact_${i}`;
      await cluster.createDatabase(existing);
      await cluster.psql('CREATE TABLE items (id int); INSERT INTO items VALUES (1), (2);', existing);
      const safetyDir = path.join(work, `safety-bad-${i}`);
      const again = await appError(
        restoreDatabase(
          {
            filePath: bad,
            passphrase: c.passphrase,
            target: target({ database: existing, mode: 'existing' }),
            password: cluster.password,
            safety: safetyOptions(undefined, safetyDir),
          },
          testContext(),
        ),
      );
      expect(again.code).toBe(error.code);
      expect(await userTables(cluster, existing)).toEqual(['public.items']);
      expect((await cluster.psql('SELECT count(*) FROM items', existing)).trim()).toBe('2');
      // refused before the safety backup: nothing was written there either
      expect(fs.existsSync(safetyDir)).toBe(false);
    });
  }
});

describe('into a new database the file is read once, and checked on the way', () => {
  /** A backup whose chunks all authenticate but whose manifest states another SHA-256 for the dump (a writer bug, not an attack). */
  async function mismatchedBackup(): Promise<{ file: string; entry: { name: string; size: number; sha256: string } }> {
    const good = await BackupReader.open(backupFile, PASSPHRASE);
    const goodManifest = await good.readManifest();
    const source = goodManifest.sources.find((s) => s.kind === 'database')!;
    const dumpEntry = goodManifest.entries.find((e) => e.name === (source as { entry: string }).entry)!;
    const backupId = crypto.randomUUID();
    const file = path.join(work, 'crafted-db', 'mismatch.lifeboat');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const writer = await ArchiveWriter.create({ finalPath: file, backupId, appVersion: 'test', passphrase: PASSPHRASE, compressionLevel: 1, ...FAST_CONTAINER });
    const added = await writer.addStream(dumpEntry.name, await good.openEntry(dumpEntry.name), { store: true });
    await good.close();
    expect(added.sha256).toBe(dumpEntry.sha256);
    const wrong = `${added.sha256[0] === '0' ? '1' : '0'}${added.sha256.slice(1)}`;
    const entry = { ...dumpEntry, sha256: wrong };
    await writer.finish({ ...goodManifest, backupId, entries: goodManifest.entries.map((e) => (e.name === entry.name ? entry : e)) });
    return { file, entry };
  }

  it('a dump that does not match its manifest SHA-256 is refused and the new database dropped', async () => {
    const { file } = await mismatchedBackup();
    const error = await appError(
      restoreDatabase({ filePath: file, passphrase: PASSPHRASE, target: target({ database: 'mismatch1' }), password: cluster.password }, testContext()),
    );
    expect(error.code).toBe('FILE_CORRUPT');
    expect(error.message).toContain('does not match its size and SHA-256');
    expect(await databaseNames(cluster)).not.toContain('mismatch1');
    // the same file is refused by verify as well
    const report = await verifyBackupFile(file, PASSPHRASE);
    expect(report.status).toBe('failed');
  });

  it('pg_restore gets the whole dump but its last piece, and cannot commit until the SHA-256 matches', async () => {
    const { file, entry } = await mismatchedBackup();
    await cluster.createDatabase('gate1');
    const reader = await BackupReader.open(file, PASSPHRASE);
    const stop = new AbortController();
    let fed = 0;
    try {
      const restore = spawnPgRestore(
        buildPgRestoreInvocation({ pgRestorePath: path.join(cluster.binDir, 'pg_restore'), target: cluster.source('gate1'), password: cluster.password }),
        { signal: stop.signal, password: cluster.password, target: cluster.source('gate1') },
      );
      const error = await appError(
        feedDump(reader, entry, 'shop', restore, stop, { verify: true, signal: new AbortController().signal, onBytes: (n) => (fed = n) }),
      );
      expect(error.code).toBe('FILE_CORRUPT');
    } finally {
      await reader.close();
    }
    // all but the last piece went to pg_restore, and nothing was committed: its single transaction was killed before its end
    expect(fed).toBeGreaterThan(entry.size - FAST_CONTAINER.chunkSize - 1);
    expect(fed).toBeLessThan(entry.size);
    expect(await userTables(cluster, 'gate1')).toEqual([]);
    expect(pgRestorePids(cluster.port)).toEqual([]);
  });

  it('damage in another part of the file (a folder file) refuses the database restore too', async () => {
    const docs = path.join(work, 'mixed-docs');
    fs.mkdirSync(docs, { recursive: true });
    fs.writeFileSync(path.join(docs, 'big.bin'), crypto.randomBytes(600 * 1024));
    const source = cluster.source('shop');
    const mixedPlan = await savePlan(
      core,
      planInput({ name: 'Mixed', databases: [source], folders: [{ id: 'docs', path: docs }], destination: path.join(work, 'mixed-backups') }),
      { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    const mixedFile = (await backupNow(core, mixedPlan)).filePath!;
    const reader = await BackupReader.open(mixedFile, PASSPHRASE);
    const mixedManifest = await reader.readManifest();
    const fileEntry = mixedManifest.entries.find((e) => e.kind === 'file')!;
    const dumpEntry = mixedManifest.entries.find((e) => e.kind === 'database-dump')!;
    const inFile = await reader.entryChunks(fileEntry.name);
    const inDump = await reader.entryChunks(dumpEntry.name);
    await reader.close();
    const victim = [...Array(inFile.last - inFile.first + 1).keys()].map((i) => i + inFile.first).find((i) => i < inDump.first || i > inDump.last)!;
    expect(victim).toBeDefined();
    const { headerBytes } = await readContainerHeader(mixedFile);
    const bytes = fs.readFileSync(mixedFile);
    bytes[headerBytes + victim * (FAST_CONTAINER.chunkSize + 16) + 1000] ^= 0x08;
    const damaged = path.join(work, 'mixed-damaged.lifeboat');
    fs.writeFileSync(damaged, bytes);

    const error = await appError(
      restoreDatabase({ filePath: damaged, passphrase: PASSPHRASE, target: target({ database: 'mixed1' }), password: cluster.password }, testContext()),
    );
    expect(error.code).toBe('FILE_CORRUPT');
    expect(error.message).toContain(`chunk ${victim}`);
    expect(await databaseNames(cluster)).not.toContain('mixed1');
    // the undamaged file restores
    const ok = await restoreDatabase({ filePath: mixedFile, passphrase: PASSPHRASE, target: target({ database: 'mixed2' }), password: cluster.password }, testContext());
    expect(ok.mismatches).toEqual([]);
  });
});

describe('cancel', () => {
  it('cancelling mid-restore stops pg_restore and drops the half-made database', async () => {
    await cluster.createDatabase('big');
    await cluster.psql(
      `CREATE TABLE filler AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) AS payload FROM generate_series(1, 200000) g;`,
      'big',
    );
    const source = cluster.source('big');
    const bigPlan = await savePlan(
      core,
      planInput({ name: 'Big', databases: [source], destination: path.join(work, 'big-backups'), options: { destination: path.join(work, 'big-backups'), compressionLevel: 0 } }),
      { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    const bigFile = (await backupNow(core, bigPlan)).filePath!;
    const controller = new AbortController();
    let fedAtCancel = 0;
    let pidsAtCancel: number[] = [];
    const error = await appError(
      restoreDatabase(
        { filePath: bigFile, passphrase: PASSPHRASE, target: target({ database: 'big_restored' }), password: cluster.password },
        testContext(controller.signal, (update) => {
          if (update.phase === 'restore') fedAtCancel = -1;
          if (fedAtCancel === -1 && (update.bytesDone ?? 0) > 2 * 1024 * 1024 && !controller.signal.aborted) {
            fedAtCancel = update.bytesDone!;
            pidsAtCancel = pgRestorePids(cluster.port);
            controller.abort();
          }
        }),
      ),
    );
    expect(error.code).toBe('CANCELLED');
    expect(fedAtCancel).toBeGreaterThan(2 * 1024 * 1024);
    // pg_restore was running when the cancel came, and is gone now
    expect(pidsAtCancel.length).toBe(1);
    expect(pgRestorePids(cluster.port)).toEqual([]);
    expect(await databaseNames(cluster)).not.toContain('big_restored');
  });
});

describe('restore drill', () => {
  it('passes on a good backup, drops its database and is recorded as proven restorable', async () => {
    const { jobId } = await invoke(core, 'verify/drill', { backupJobId, server });
    const job = await finished(core, jobId);
    expect(job.kind).toBe('drill');
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect(job.displayMessage).toContain('Proven restorable');
    expect((await databaseNames(cluster)).filter((d) => d.startsWith('lifeboat_drill_'))).toEqual([]);
    const list = await invoke(core, 'verify/list', { backupJobId, drill: true });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ status: 'passed', drill: true, jobId, backupJobId });
    expect(list.stats.lastProvenAt).toBe(list.items[0]!.createdAt);
  });

  it('fails on a damaged backup, says why, records it, and leaves no database behind', async () => {
    const bad = path.join(work, 'drill-bad.lifeboat');
    flippedCopy(backupFile, bad, 3, 4242);
    const { jobId } = await invoke(core, 'verify/drill', { filePath: bad, passphrase: PASSPHRASE, server });
    const job = await finished(core, jobId);
    expect(job.status).toBe('failed');
    expect(job.errorCode).toBe('FILE_CORRUPT');
    expect(job.displayMessage).toContain('damaged');
    const all = await invoke(core, 'verify/list', {});
    expect(all.items.find((v) => v.jobId === jobId)).toMatchObject({ status: 'failed', drill: true, filePath: bad });
    expect(all.stats.failed).toBeGreaterThanOrEqual(1);
    expect((await databaseNames(cluster)).filter((d) => d.startsWith('lifeboat_drill_'))).toEqual([]);
  });

  it('a wrong password names the drill form it was typed in, not the plan', async () => {
    const { jobId } = await invoke(core, 'verify/drill', { backupJobId, server: { ...server, password: 'not the password' } });
    const job = await finished(core, jobId);
    expect(job.status).toBe('failed');
    expect(job.errorCode).toBe('PG_AUTH_FAILED');
    expect(job.displayMessage).toContain('in the restore drill form');
    expect(job.displayMessage).not.toContain('in the plan');
  });
});

describe('restore drill after every backup (plan option)', () => {
  const drillDatabases = async () => (await databaseNames(cluster)).filter((d) => d.startsWith('lifeboat_drill_'));

  it("on the database's own server, with the plan's credentials: the run is proven restorable", async () => {
    const source = cluster.source('shop');
    const drilled = await savePlan(
      core,
      planInput({ name: 'Shop drilled', databases: [source], destination: path.join(work, 'drilled'), options: { drillAfter: true } }),
      { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    expect(drilled.options).toMatchObject({ drillAfter: true, drillServer: null });
    const job = await backupNow(core, drilled);
    expect(job.displayMessage).toContain('Proven restorable');
    expect(await drillDatabases()).toEqual([]);
    const drills = await invoke(core, 'verify/list', { backupJobId: job.id, drill: true });
    expect(drills.items).toHaveLength(1);
    expect(drills.items[0]).toMatchObject({ status: 'passed', drill: true, jobId: job.id, backupJobId: job.id });
    expect(drills.items[0]!.reasons.join(' ')).toContain('every row count matches the manifest');
    // History and the Dashboard read it from the job rows
    const listed = await invoke(core, 'jobs/list', { planId: drilled.id, kind: 'backup' });
    expect(listed.items[0]).toMatchObject({ id: job.id, provenAt: drills.items[0]!.createdAt });
    expect((await invoke(core, 'jobs/export-csv', { planId: drilled.id })).csv).toContain(drills.items[0]!.createdAt);
  });

  it('on a drill server whose password the keychain keeps (never the plan)', async () => {
    const source = cluster.source('shop');
    const drillServer = { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable' as const };
    const input = planInput({
      name: 'Shop drilled elsewhere',
      databases: [source],
      destination: path.join(work, 'drilled-elsewhere'),
      options: { drillAfter: true, drillServer },
    });
    const drilled = await savePlan(core, input, { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE, drillPassword: cluster.password });
    expect(drilled.options.drillServer).toMatchObject({ ...drillServer, hasPassword: true });
    expect(JSON.stringify(core.plans.get(drilled.id))).not.toContain(cluster.password);
    const job = await backupNow(core, drilled);
    expect(job.displayMessage).toContain('Proven restorable');
    expect(core.jobs.get(job.id)!.provenAt).toBeTruthy();
    expect(await drillDatabases()).toEqual([]);

    // back to each database's own server: the drill password leaves the keychain
    const again = await savePlan(core, { ...input, id: drilled.id, options: { ...input.options, drillServer: null } }, { dbPasswords: {} });
    expect(again.options.drillServer).toBeNull();
    expect(await core.secrets.get(`drill:${drilled.id}`)).toBeNull();
  });

  it('a drill that cannot run fails the run, says it was the drill, records it, and keeps the file', async () => {
    const source = cluster.source('shop');
    const closed = await freePort();
    const drilled = await savePlan(
      core,
      planInput({
        name: 'Shop drill unreachable',
        databases: [source],
        destination: path.join(work, 'drill-unreachable'),
        options: { drillAfter: true, drillServer: { host: '127.0.0.1', port: closed, user: cluster.user, sslMode: 'disable' } },
      }),
      { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    const started = core.startPlanBackup(drilled, 'manual');
    const job = await finished(core, started.id);
    expect(job.status).toBe('failed');
    expect(job.errorCode).toBe('PG_UNREACHABLE');
    expect(job.displayMessage).toContain('restore drill failed');
    expect(job.displayMessage).toContain('Cannot reach the PostgreSQL server');
    expect(job.provenAt).toBeNull();
    // the backup file itself is fine and stays for inspection
    expect(fs.existsSync(job.filePath!)).toBe(true);
    expect((await verifyBackupFile(job.filePath!, PASSPHRASE)).status).toBe('passed');
    const drills = await invoke(core, 'verify/list', { backupJobId: job.id, drill: true });
    expect(drills.items[0]).toMatchObject({ status: 'failed', drill: true });
  });
});

describe('command line', () => {
  function io(home: string) {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: {
        out: (t: string) => out.push(t),
        err: (t: string) => err.push(t),
        env: { ...process.env, PGPASSWORD: cluster.password, LIFEBOAT_HOME: home, LIFEBOAT_PASSPHRASE: '' },
        isTty: false,
      },
    };
  }

  it('restore --to-db restores into a new database; a password in the URL is refused', async () => {
    const home = makeTempDir('lifeboat-cli-home-');
    const passFile = path.join(home, 'pass.txt');
    fs.writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    const url = `postgres://${cluster.user}@127.0.0.1:${cluster.port}/cli_restored?sslmode=disable`;
    const run = io(home);
    const code = await runCli(['restore', backupFile, '--to-db', url, '--tables', 'items,orders', '--no-row-check', '--passphrase-file', passFile, '--json'], run.io);
    expect(code, run.out.join('\n') + run.err.join('\n')).toBe(0);
    const printed = JSON.parse(run.out.join('\n'));
    expect(printed).toMatchObject({ kind: 'restore', status: 'success' });
    expect(JSON.stringify(printed)).toContain('row counts were not compared');
    expect(await userTables(cluster, 'cli_restored')).toEqual(['public.items', 'public.orders']);
    await expectSameAsSource('cli_restored', [
      { schema: 'public', name: 'items' },
      { schema: 'public', name: 'orders' },
    ]);

    const leaky = io(home);
    const withPassword = `postgres://${cluster.user}:${encodeURIComponent(cluster.password)}@127.0.0.1:${cluster.port}/cli_never?sslmode=disable`;
    expect(await runCli(['restore', backupFile, '--to-db', withPassword, '--passphrase-file', passFile], leaky.io)).toBe(2);
    expect(leaky.err.join('\n')).toContain('PGPASSWORD');
    expect(leaky.err.join('\n')).not.toContain(cluster.password);
    expect(await databaseNames(cluster)).not.toContain('cli_never');
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('verify --drill --server proves the backup restorable, non-zero exit for a damaged one', async () => {
    const home = makeTempDir('lifeboat-cli-home-');
    const passFile = path.join(home, 'pass.txt');
    fs.writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    const serverUrl = `postgres://${cluster.user}@127.0.0.1:${cluster.port}?sslmode=disable`;
    const good = io(home);
    expect(await runCli(['verify', backupFile, '--drill', '--server', serverUrl, '--passphrase-file', passFile], good.io)).toBe(0);
    expect(good.out.join('\n')).toContain('Proven restorable');

    const bad = path.join(home, 'bad.lifeboat');
    flippedCopy(backupFile, bad, 2, 99);
    const failing = io(home);
    expect(await runCli(['verify', bad, '--drill', '--server', serverUrl, '--passphrase-file', passFile], failing.io)).toBe(1);
    expect(failing.out.join('\n')).toContain('FAIL');
    expect((await databaseNames(cluster)).filter((d) => d.startsWith('lifeboat_drill_'))).toEqual([]);
    fs.rmSync(home, { recursive: true, force: true });
  });
});
