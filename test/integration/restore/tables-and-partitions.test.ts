/**
 * Restore fidelity for what real schemas hold (real PostgreSQL, real pg_dump and pg_restore):
 * partitioned tables with primary keys and their partitions' own indexes, a partition tree two
 * levels deep referenced by a foreign key, inheritance, foreign keys, enums, domains, trigger
 * functions and functions in defaults, and table names with a trailing space, a newline, a comma.
 * - over an existing database, a whole restore puts a drifted row back and leaves every partition
 *   attached, every index valid, every row count and checksum equal to the source;
 * - a table selection restores what its tables need; a partitioned table brings its partitions;
 *   one partition over an existing database is reloaded in place and stays attached; an
 *   inheritance parent's own rows compare like with like;
 * - a selection that cannot be restored alone is refused before anything runs, naming the
 *   smallest set that can, and the preview says so first;
 * - any name can be chosen: through the handler map by exact {schema, name}, in the CLI by an
 *   exact --tables item or --tables-json.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/main/cli/index';
import { BackupReader, readManifest } from '../../../src/main/core/archive/reader';
import { ArchiveWriter } from '../../../src/main/core/archive/writer';
import { buildPsqlInvocation, spawnScriptRestore } from '../../../src/main/core/postgres/psql-restore';
import { buildPgRestoreInvocation } from '../../../src/main/core/postgres/restore';
import { feedDump, readToc, restoreDatabase, type SafetyBackupStep } from '../../../src/main/core/restore/restore-database';
import { planSelection } from '../../../src/main/core/restore/table-selection';
import { safetyBackupStep } from '../../../src/main/core/tasks/safety-backup';
import type { BackupManifest, ManifestDatabaseSource } from '../../../src/shared/manifest';
import type { Plan } from '../../../src/shared/plan';
import { databaseTargetSchema, type DatabaseTargetInput, type ServerTarget, type TableRef } from '../../../src/shared/restore';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { FAST_CONTAINER, PASSPHRASE, appError, backupNow, databaseNames, finished, invoke, planInput, savePlan, tableFingerprint, testContext, userTables } from './support';

const SCHEMA_SQL = `
CREATE TYPE mpaa AS ENUM ('G', 'PG', 'PG-13', 'R');
CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
CREATE FUNCTION last_updated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.last_update = now(); RETURN NEW; END $$;
CREATE FUNCTION film_code(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(left(t, 3)) $$;

CREATE TABLE customer (customer_id serial PRIMARY KEY, name text NOT NULL, last_update timestamptz NOT NULL DEFAULT now());
CREATE TRIGGER last_updated BEFORE UPDATE ON customer FOR EACH ROW EXECUTE FUNCTION last_updated();

CREATE TABLE film (
  film_id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title text NOT NULL,
  code text NOT NULL DEFAULT film_code('new') CHECK (code = upper(code)),
  release_year year,
  rating mpaa DEFAULT 'G',
  last_update timestamptz NOT NULL DEFAULT now());
CREATE TRIGGER last_updated BEFORE UPDATE ON film FOR EACH ROW EXECUTE FUNCTION last_updated();
CREATE INDEX film_title_idx ON film (lower(title));

CREATE TABLE payment (
  payment_id serial,
  customer_id int NOT NULL REFERENCES customer,
  amount numeric(8,2) NOT NULL,
  payment_date timestamptz NOT NULL,
  PRIMARY KEY (payment_date, payment_id)) PARTITION BY RANGE (payment_date);
CREATE TABLE payment_p2022_01 PARTITION OF payment FOR VALUES FROM ('2022-01-01 00:00+00') TO ('2022-02-01 00:00+00');
CREATE TABLE payment_p2022_02 PARTITION OF payment FOR VALUES FROM ('2022-02-01 00:00+00') TO ('2022-03-01 00:00+00');
CREATE TABLE payment_p2022_03 PARTITION OF payment FOR VALUES FROM ('2022-03-01 00:00+00') TO ('2022-04-01 00:00+00');
CREATE INDEX payment_customer_idx ON payment (customer_id);
CREATE INDEX payment_p2022_01_amount_idx ON payment_p2022_01 (amount);
CREATE TABLE payment_audit (payment_id int, at timestamptz DEFAULT now());
CREATE FUNCTION audit_payment() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.payment_audit (payment_id) VALUES (NEW.payment_id); RETURN NEW; END $$;
CREATE TRIGGER payment_audit AFTER INSERT ON payment FOR EACH ROW EXECUTE FUNCTION audit_payment();

CREATE SCHEMA sales;
CREATE TABLE sales.region (code text PRIMARY KEY);
CREATE TABLE sales.orders (id int, region text NOT NULL REFERENCES sales.region, at date NOT NULL, amount numeric,
  PRIMARY KEY (id, region, at)) PARTITION BY LIST (region);
CREATE TABLE sales.orders_eu PARTITION OF sales.orders FOR VALUES IN ('eu') PARTITION BY RANGE (at);
CREATE TABLE sales.orders_eu_2022 PARTITION OF sales.orders_eu FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
CREATE TABLE sales.orders_eu_2023 PARTITION OF sales.orders_eu FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE sales.orders_us PARTITION OF sales.orders FOR VALUES IN ('us');
CREATE INDEX orders_amount_idx ON sales.orders (amount);
CREATE TABLE sales.order_note (order_id int, region text, at date, note text,
  FOREIGN KEY (order_id, region, at) REFERENCES sales.orders);

CREATE TABLE log (id int, msg text);
CREATE TABLE log_2022 (extra text) INHERITS (log);
CREATE TABLE log_2023 () INHERITS (log);

CREATE TABLE "trailing " (v int);
CREATE TABLE "new
line" (v int);
CREATE TABLE "new line" (v int);
CREATE TABLE "a, b" (v int);
`;

const DATA_SQL = `
INSERT INTO customer (name) SELECT 'customer ' || g FROM generate_series(1, 50) g;
INSERT INTO film (title, code, release_year, rating) SELECT 'Film ' || g, 'F' || g, 1990 + g, (ARRAY['G','PG','PG-13','R'])[1 + g % 4]::mpaa FROM generate_series(1, 20) g;
INSERT INTO payment (customer_id, amount, payment_date)
  SELECT 1 + g % 50, (g % 97) + 0.99, '2022-01-01 00:00+00'::timestamptz + (g * interval '2 hours') FROM generate_series(1, 1000) g;
INSERT INTO sales.region VALUES ('eu'), ('us');
INSERT INTO sales.orders SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, date '2022-06-01' + (g % 400), g * 1.5 FROM generate_series(1, 300) g;
INSERT INTO sales.order_note SELECT id, region, at, 'note ' || id FROM sales.orders WHERE id % 10 = 0;
INSERT INTO log VALUES (1, 'parent one'), (2, 'parent two'), (3, 'parent three');
INSERT INTO log_2022 SELECT g, 'child ' || g, 'x' FROM generate_series(10, 14) g;
INSERT INTO log_2023 SELECT g, 'child ' || g FROM generate_series(20, 23) g;
INSERT INTO "trailing " VALUES (1), (2);
INSERT INTO "new
line" VALUES (10), (20), (30);
INSERT INTO "new line" VALUES (99);
INSERT INTO "a, b" VALUES (5);
`;

const SOURCE = 'fid';
const t = (schema: string, name: string): TableRef => ({ schema, name });

let cluster: PgCluster;
let core: ReturnType<typeof makeTestCore>;
let work: string;
let plan: Plan;
let backupFile: string;
let backupJobId: string;
let manifest: BackupManifest;
let tables: ManifestDatabaseSource['tables'];
let server: ServerTarget;

function target(input: Omit<DatabaseTargetInput, 'server'>) {
  return databaseTargetSchema.parse({ server, ...input });
}

/** A safety backup step that records that it ran. */
function recordingSafety(calls: string[]): SafetyBackupStep {
  const step = safetyBackupStep({ destination: path.join(work, 'safety'), passphrase: PASSPHRASE, appVersion: 'test', containerOptions: FAST_CONTAINER });
  return async (tgt, ctx) => {
    calls.push(tgt.database);
    return step(tgt, ctx);
  };
}

async function restoreWhole(db: string): Promise<void> {
  const result = await restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: db }), password: cluster.password }, testContext());
  expect(result.mismatches).toEqual([]);
}

async function sameAs(db: string, table: TableRef): Promise<void> {
  expect(await tableFingerprint(cluster, db, table), `${table.schema}.${JSON.stringify(table.name)} in ${db}`).toBe(await tableFingerprint(cluster, SOURCE, table));
}

async function rows(db: string, sql: string): Promise<string[]> {
  return (await cluster.psql(sql, db)).trim().split('\n').filter(Boolean);
}

/** Partitions and inheritance children with their parents, every index with its validity, every user trigger with its state. */
async function structure(db: string): Promise<Record<string, string[]>> {
  return {
    parents: await rows(
      db,
      `SELECT c.oid::regclass || ' ' || CASE WHEN c.relispartition THEN 'partition of ' ELSE 'inherits ' END || p.oid::regclass
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent ORDER BY 1`,
    ),
    indexes: await rows(
      db,
      `SELECT i.indexrelid::regclass || ' on ' || i.indrelid::regclass || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'sales') ORDER BY 1`,
    ),
    constraints: await rows(
      db,
      `SELECT conrelid::regclass || ' ' || conname || ' ' || contype::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname IN ('public', 'sales') ORDER BY 1`,
    ),
    triggers: await rows(db, `SELECT tgrelid::regclass || ' ' || tgname || ' ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`),
  };
}

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase(SOURCE);
  await cluster.psql(SCHEMA_SQL, SOURCE);
  await cluster.psql(DATA_SQL, SOURCE);
  work = makeTempDir('lifeboat-restore-fidelity-');
  core = makeTestCore({ containerOptions: FAST_CONTAINER });
  server = { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable', password: cluster.password };
  const source = cluster.source(SOURCE);
  plan = await savePlan(core, planInput({ name: 'Fidelity', databases: [source], destination: path.join(work, 'backups') }), {
    dbPasswords: { [source.id]: cluster.password },
    passphrase: PASSPHRASE,
  });
  const job = await backupNow(core, plan);
  backupFile = job.filePath!;
  backupJobId = job.id;
  manifest = await readManifest(backupFile, PASSPHRASE);
  tables = (manifest.sources[0] as ManifestDatabaseSource).tables;
});

afterAll(async () => {
  await core?.cleanup();
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the manifest', () => {
  it("records each table's kind and parents, and counts each table's own rows", () => {
    const find = (schema: string, name: string) => tables.find((x) => x.schema === schema && x.name === name)!;
    expect(find('public', 'payment')).toMatchObject({ kind: 'partitioned', rows: 0 });
    expect(find('public', 'payment_p2022_02')).toMatchObject({ kind: 'table', partitionOf: t('public', 'payment') });
    expect(find('sales', 'orders_eu')).toMatchObject({ kind: 'partitioned', partitionOf: t('sales', 'orders'), rows: 0 });
    expect(find('sales', 'orders_eu_2022')).toMatchObject({ kind: 'table', partitionOf: t('sales', 'orders_eu') });
    // the parent's own three rows, not its children's nine
    expect(find('public', 'log')).toMatchObject({ kind: 'table', rows: 3 });
    expect(find('public', 'log_2022')).toMatchObject({ kind: 'table', inherits: [t('public', 'log')], rows: 5 });
    expect(find('public', 'new\nline')).toMatchObject({ rows: 3 });
    expect(tables.every((x) => typeof x.oid === 'number' && x.oid > 0)).toBe(true);
    expect(tables.map((x) => x.rows).reduce((a, b) => a + b, 0)).toBe(50 + 20 + 1000 + 1000 + 2 + 300 + 30 + 3 + 5 + 4 + 2 + 3 + 1 + 1);
  });
});

describe('over an existing database', () => {
  it('a whole restore works with partitioned tables with keys, partition indexes, inheritance and foreign keys, and puts drifted rows back', async () => {
    await restoreWhole('live');
    const before = await structure(SOURCE);
    expect(await structure('live')).toEqual(before);
    await cluster.psql(
      `UPDATE payment SET amount = 0 WHERE payment_id IN (5, 700);
       DELETE FROM payment WHERE payment_id = 6;
       UPDATE sales.orders SET amount = -1 WHERE id = 2;
       DELETE FROM log_2022 WHERE id = 10;
       INSERT INTO log VALUES (4, 'drifted');
       UPDATE "new
line" SET v = 0;
       CREATE TABLE payment_p2022_04 PARTITION OF payment FOR VALUES FROM ('2022-04-01 00:00+00') TO ('2022-05-01 00:00+00');
       INSERT INTO payment (customer_id, amount, payment_date) VALUES (1, 1, '2022-04-02 00:00+00');`,
      'live',
    );
    // the partition made since goes with its partitioned table, and the preview says so
    const preview = await invoke(core, 'restore/preview', { backupJobId, database: { server, database: 'live', mode: 'existing' } });
    expect(preview.database!.message).toContain('Partitions the backup does not have are dropped with their partitioned table (the safety backup keeps them): public.payment_p2022_04');
    expect(preview.database!.tables.find((x) => x.name === 'payment_p2022_04')).toBeUndefined();
    const safetyCalls: string[] = [];
    const result = await restoreDatabase(
      { filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'live', mode: 'existing' }), password: cluster.password, safety: recordingSafety(safetyCalls) },
      testContext(),
    );
    expect(safetyCalls).toEqual(['live']);
    expect(result.mismatches).toEqual([]);
    expect(result.tables.find((x) => x.name === 'log')).toMatchObject({ expected: 3, actual: 3 });
    for (const table of tables) await sameAs('live', table);
    // partitions attached, indexes valid, constraints and triggers as in the source
    expect(await structure('live')).toEqual(before);
    expect(await rows('live', 'SELECT count(*) FROM payment')).toEqual(await rows(SOURCE, 'SELECT count(*) FROM payment'));
  });
});

describe('a table selection', () => {
  it('a partitioned table brings its partitions (into a new database), once the table it references comes too', async () => {
    const preview = await invoke(core, 'restore/preview', { backupJobId, database: { server, database: 'pay_new', tables: [t('public', 'payment')] } });
    expect(preview.database!.selection!.minimalSet).toEqual([t('public', 'payment'), t('public', 'customer')]);
    expect(preview.database!.selection!.problems.join(' ')).toContain('public.payment has a foreign key to public.customer');
    expect(preview.database!.message).toContain('public.payment, public.customer');
    const refused = await appError(
      restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'pay_new', tables: [t('public', 'payment')] }), password: cluster.password }, testContext()),
    );
    expect(refused.code).toBe('RESTORE_SELECTION_INCOMPLETE');
    expect(refused.message).toContain('restore these tables together: public.payment, public.customer');
    expect(await databaseNames(cluster)).not.toContain('pay_new');

    const chosen = [t('public', 'payment'), t('public', 'customer')];
    const ok = await invoke(core, 'restore/preview', { backupJobId, database: { server, database: 'pay_new', tables: chosen } });
    expect(ok.database!.selection!.problems).toEqual([]);
    expect(ok.database!.selection!.tables.filter((x) => x.via).map((x) => x.name)).toEqual(['payment_p2022_01', 'payment_p2022_02', 'payment_p2022_03']);
    const result = await restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'pay_new', tables: chosen }), password: cluster.password }, testContext());
    expect(result.mismatches).toEqual([]);
    expect(result.tables.map((x) => x.name).sort()).toEqual(['customer', 'payment', 'payment_p2022_01', 'payment_p2022_02', 'payment_p2022_03']);
    for (const table of [...chosen, t('public', 'payment_p2022_01'), t('public', 'payment_p2022_02'), t('public', 'payment_p2022_03')]) await sameAs('pay_new', table);
    const parents = `SELECT c.relname || ' ' || p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
                      WHERE c.relkind IN ('r', 'p') ORDER BY 1`;
    expect(await rows('pay_new', parents)).toEqual(['payment_p2022_01 payment', 'payment_p2022_02 payment', 'payment_p2022_03 payment']);
    expect(await rows('pay_new', `SELECT count(*) FROM pg_index WHERE NOT indisvalid`)).toEqual(['0']);
    expect(await rows('pay_new', `SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'payment_p2022_01'::regclass ORDER BY 1`)).toEqual([
      'payment_p2022_01_amount_idx',
      'payment_p2022_01_customer_id_idx',
      'payment_p2022_01_pkey',
    ]);
  });

  it('one partition over an existing database is reloaded in place: it stays attached and its parent shows its rows', async () => {
    await restoreWhole('live_part');
    const feb = `SELECT count(*) || ':' || sum(amount) FROM payment WHERE payment_date >= '2022-02-01 00:00+00' AND payment_date < '2022-03-01 00:00+00'`;
    await cluster.psql(
      `DELETE FROM payment_p2022_02 WHERE payment_id % 3 = 0;
       UPDATE payment_p2022_02 SET amount = 1 WHERE payment_id % 5 = 0;
       INSERT INTO payment (customer_id, amount, payment_date) VALUES (1, 42, '2022-03-15 00:00+00');`,
      'live_part',
    );
    const auditBefore = await rows('live_part', 'SELECT count(*) FROM payment_audit');
    const chosen = [t('public', 'payment_p2022_02')];
    const preview = await invoke(core, 'restore/preview', { backupJobId, database: { server, database: 'live_part', mode: 'existing', tables: chosen } });
    expect(preview.database!.selection).toMatchObject({ tables: [{ name: 'payment_p2022_02', how: 'in-place' }], problems: [], minimalSet: null });
    const result = await restoreDatabase(
      { filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'live_part', mode: 'existing', tables: chosen }), password: cluster.password, safety: recordingSafety([]) },
      testContext(),
    );
    expect(result.mismatches).toEqual([]);
    await sameAs('live_part', t('public', 'payment_p2022_02'));
    expect(await rows('live_part', `SELECT relispartition || ' ' || (SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = 'payment_p2022_02'::regclass) FROM pg_class WHERE oid = 'payment_p2022_02'::regclass`)).toEqual([
      'true payment',
    ]);
    // the parent shows the partition's rows again; the other partitions are as they were
    expect(await rows('live_part', feb)).toEqual(await rows(SOURCE, feb));
    expect(await rows('live_part', `SELECT count(*) FROM payment_p2022_03 WHERE amount = 42`)).toEqual(['1']);
    // the reload fired no trigger (as pg_restore loads rows before it creates triggers), and the trigger is back on
    expect(await rows('live_part', 'SELECT count(*) FROM payment_audit')).toEqual(auditBefore);
    expect(await rows('live_part', `SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'payment_p2022_02'::regclass AND tgname = 'payment_audit'`)).toEqual(['O']);
    expect(await rows('live_part', `SELECT count(*) FROM pg_index WHERE NOT indisvalid`)).toEqual(['0']);
  });

  it('a table using an enum, a domain, a trigger function and a function in its default gets them all (into a new database)', async () => {
    const preview = await invoke(core, 'restore/preview', { backupJobId, database: { server, database: 'film_new', tables: [t('public', 'film')] } });
    expect(preview.database!.selection!.objects).toEqual(expect.arrayContaining(['TYPE public mpaa', 'DOMAIN public year', 'FUNCTION public last_updated()', 'FUNCTION public film_code(text)']));
    const result = await restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'film_new', tables: [t('public', 'film')] }), password: cluster.password }, testContext());
    expect(result.mismatches).toEqual([]);
    await sameAs('film_new', t('public', 'film'));
    expect(await rows('film_new', `SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relnamespace = 'public'::regnamespace`)).toEqual(['film']);
    expect(await rows('film_new', `SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'film'::regclass ORDER BY 1`)).toEqual(['film_pkey', 'film_title_idx']);
    // the trigger, the default and the identity work
    await cluster.psql(`UPDATE film SET title = title WHERE film_id = 1; INSERT INTO film (title) VALUES ('Later');`, 'film_new');
    expect(await rows('film_new', `SELECT (last_update > now() - interval '1 minute') FROM film WHERE film_id = 1`)).toEqual(['t']);
    expect(await rows('film_new', `SELECT film_id || ' ' || code FROM film WHERE title = 'Later'`)).toEqual(['21 NEW']);
  });

  it('a table missing from an existing database is created there with what it needs (types that are there are not made again)', async () => {
    await restoreWhole('live_film');
    await cluster.psql('DROP TABLE film;', 'live_film');
    const result = await restoreDatabase(
      { filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'live_film', mode: 'existing', tables: [t('public', 'film')] }), password: cluster.password, safety: recordingSafety([]) },
      testContext(),
    );
    expect(result.mismatches).toEqual([]);
    await sameAs('live_film', t('public', 'film'));
    expect(await rows('live_film', `SELECT tgname FROM pg_trigger WHERE tgrelid = 'film'::regclass AND NOT tgisinternal`)).toEqual(['last_updated']);

    // and now that it is there, reloaded in place: identity values as in the backup, its sequence not moved back
    await cluster.psql(`DELETE FROM film WHERE film_id > 15; UPDATE film SET title = 'changed'; INSERT INTO film (title) VALUES ('newer');`, 'live_film');
    const again = await restoreDatabase(
      { filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'live_film', mode: 'existing', tables: [t('public', 'film')] }), password: cluster.password, safety: recordingSafety([]) },
      testContext(),
    );
    expect(again.tables).toEqual([{ schema: 'public', name: 'film', expected: 20, actual: 20 }]);
    await sameAs('live_film', t('public', 'film'));
    expect(await rows('live_film', `SELECT last_value FROM film_film_id_seq`)).toEqual(['21']);
  });

  it('an inheritance parent compares its own rows: no false mismatch, alone or with its children', async () => {
    const alone = await restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'log_new', tables: [t('public', 'log')] }), password: cluster.password }, testContext());
    expect(alone.mismatches).toEqual([]);
    expect(alone.tables).toEqual([{ schema: 'public', name: 'log', expected: 3, actual: 3 }]);

    // a child brings its parent's definition, without the parent's rows
    const preview = await invoke(core, 'restore/preview', { backupJobId, database: { server, database: 'log_child', tables: [t('public', 'log_2022')] } });
    expect(preview.database!.selection!.definitionsOnly).toEqual([t('public', 'log')]);
    const child = await restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'log_child', tables: [t('public', 'log_2022')] }), password: cluster.password }, testContext());
    expect(child.mismatches).toEqual([]);
    await sameAs('log_child', t('public', 'log_2022'));
    expect(await rows('log_child', 'SELECT count(*) FROM ONLY log')).toEqual(['0']);

    // over an existing database: the parent's own rows are reloaded, its children left alone
    await restoreWhole('live_log');
    await cluster.psql(`DELETE FROM ONLY log WHERE id = 1; INSERT INTO log_2023 VALUES (99, 'kept');`, 'live_log');
    const over = await restoreDatabase(
      { filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'live_log', mode: 'existing', tables: [t('public', 'log')] }), password: cluster.password, safety: recordingSafety([]) },
      testContext(),
    );
    expect(over.mismatches).toEqual([]);
    expect(await rows('live_log', 'SELECT count(*) FROM ONLY log')).toEqual(['3']);
    expect(await rows('live_log', 'SELECT count(*) FROM log_2023')).toEqual(['5']);
  });

  it('a selection that cannot be restored alone is refused before anything runs, naming the smallest set; the preview shows it', async () => {
    // into a new database: a note's rows reference orders, whose rows reference regions
    const note = [t('sales', 'order_note')];
    const preview = await invoke(core, 'restore/preview', { backupJobId, database: { server, database: 'notes_new', tables: note } });
    expect(preview.database!.selection!.minimalSet).toEqual([t('sales', 'order_note'), t('sales', 'orders'), t('sales', 'region')]);
    const refused = await appError(
      restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'notes_new', tables: note }), password: cluster.password }, testContext()),
    );
    expect(refused.code).toBe('RESTORE_SELECTION_INCOMPLETE');
    expect(refused.message).toContain('sales.order_note, sales.orders, sales.region');
    expect(await databaseNames(cluster)).not.toContain('notes_new');

    // over an existing database: emptying regions would break the orders that reference them, and those the notes
    await restoreWhole('live_sales');
    await cluster.psql(`UPDATE sales.orders SET amount = 0 WHERE region = 'eu'; DELETE FROM sales.order_note WHERE order_id = 10;`, 'live_sales');
    const region = [t('sales', 'region')];
    const over = await invoke(core, 'restore/preview', { backupJobId, database: { server, database: 'live_sales', mode: 'existing', tables: region } });
    const minimal = [t('sales', 'region'), t('sales', 'orders'), t('sales', 'order_note')];
    expect(over.database!.selection!.minimalSet).toEqual(minimal);
    expect(over.database!.selection!.problems.join(' ')).toContain('sales.orders has a foreign key to sales.region, which is emptied and reloaded');
    const safetyCalls: string[] = [];
    const refusedOver = await appError(
      restoreDatabase(
        { filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'live_sales', mode: 'existing', tables: region }), password: cluster.password, safety: recordingSafety(safetyCalls) },
        testContext(),
      ),
    );
    expect(refusedOver.code).toBe('RESTORE_SELECTION_INCOMPLETE');
    expect(refusedOver.message).toContain('sales.region, sales.orders, sales.order_note');
    expect(safetyCalls).toEqual([]);

    // the set the refusal named restores: in place, partitions attached two levels deep
    const result = await restoreDatabase(
      { filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'live_sales', mode: 'existing', tables: minimal }), password: cluster.password, safety: recordingSafety(safetyCalls) },
      testContext(),
    );
    expect(result.mismatches).toEqual([]);
    for (const table of tables.filter((x) => x.schema === 'sales')) await sameAs('live_sales', table);
    expect(await structure('live_sales')).toEqual(await structure(SOURCE));
  });
});

describe('any table name can be chosen', () => {
  it('through the handler map by exact {schema, name}: a trailing space and a newline', async () => {
    const chosen = [t('public', 'trailing '), t('public', 'new\nline')];
    const { jobId } = await invoke(core, 'restore/start', { backupJobId, database: { server, database: 'odd_names', tables: chosen } });
    const job = await finished(core, jobId);
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect(await rows('odd_names', `SELECT to_json(relname)::text FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1`)).toEqual([
      '"new\\nline"',
      '"trailing "',
    ]);
    for (const table of chosen) await sameAs('odd_names', table);
  });

  it('in the CLI by an exact --tables item or --tables-json, over an existing database too', async () => {
    const home = makeTempDir('lifeboat-cli-home-');
    const passFile = path.join(home, 'pass.txt');
    fs.writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      out: (x: string) => out.push(x),
      err: (x: string) => err.push(x),
      env: { ...process.env, PGPASSWORD: cluster.password, LIFEBOAT_HOME: home, LIFEBOAT_PASSPHRASE: '' },
      isTty: false,
    };
    const url = (db: string) => `postgres://${cluster.user}@127.0.0.1:${cluster.port}/${db}?sslmode=disable`;
    const code = await runCli(
      ['restore', backupFile, '--to-db', url('odd_cli'), '--tables', 'public.trailing ', '--tables-json', '[{"schema":"public","name":"new\\nline"},{"schema":"public","name":"a, b"}]', '--passphrase-file', passFile, '--json'],
      io,
    );
    expect(code, out.join('\n') + err.join('\n')).toBe(0);
    expect(await rows('odd_cli', `SELECT to_json(relname)::text FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1`)).toEqual([
      '"a, b"',
      '"new\\nline"',
      '"trailing "',
    ]);
    for (const table of [t('public', 'trailing '), t('public', 'new\nline'), t('public', 'a, b')]) await sameAs('odd_cli', table);

    // over an existing database, the one that prints like it ("new line") is left alone
    await cluster.psql(`UPDATE "new\nline" SET v = -1; CREATE TABLE "new line" (v int); INSERT INTO "new line" VALUES (-5);`, 'odd_cli');
    const over = await runCli(
      ['restore', backupFile, '--to-db', url('odd_cli'), '--over-existing', '--tables-json', '[{"schema":"public","name":"new\\nline"}]', '--passphrase-file', passFile, '--json'],
      io,
    );
    expect(over, out.join('\n') + err.join('\n')).toBe(0);
    await sameAs('odd_cli', t('public', 'new\nline'));
    expect(await rows('odd_cli', `SELECT v FROM "new line"`)).toEqual(['-5']);

    // a name that is not in the backup is refused, naming the way to write such names
    const bad = await runCli(['restore', backupFile, '--to-db', url('odd_never'), '--tables', 'public.nope', '--passphrase-file', passFile], io);
    expect(bad).toBe(2);
    expect(err.join('\n')).toContain('--tables-json');
    fs.rmSync(home, { recursive: true, force: true });
  });
});

describe('through psql, the COMMIT waits for the dump to pass its check', () => {
  /** A copy of the backup whose manifest states another SHA-256 for the dump (every chunk still authenticates). */
  async function mismatched(): Promise<{ file: string; entry: { name: string; size: number; sha256: string } }> {
    const good = await BackupReader.open(backupFile, PASSPHRASE);
    const goodManifest = await good.readManifest();
    const dumpEntry = goodManifest.entries.find((e) => e.name === (goodManifest.sources[0] as ManifestDatabaseSource).entry)!;
    const backupId = crypto.randomUUID();
    const file = path.join(work, 'crafted', `${backupId}.lifeboat`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const writer = await ArchiveWriter.create({ finalPath: file, backupId, appVersion: 'test', passphrase: PASSPHRASE, compressionLevel: 1, ...FAST_CONTAINER });
    await writer.addStream(dumpEntry.name, await good.openEntry(dumpEntry.name), { store: true });
    await good.close();
    const entry = { ...dumpEntry, sha256: `${dumpEntry.sha256[0] === '0' ? '1' : '0'}${dumpEntry.sha256.slice(1)}` };
    await writer.finish({ ...goodManifest, backupId, entries: goodManifest.entries.map((e) => (e.name === entry.name ? entry : e)) });
    return { file, entry };
  }

  /** Runs pg_restore's script of `entries` (all when null) through psql into `db`, after a prelude that makes a marker table. */
  async function scriptRestore(file: string, entry: { name: string; size: number; sha256: string }, db: string, selection: TableRef[] | null) {
    const reader = await BackupReader.open(file, PASSPHRASE);
    const listDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-gate-'));
    const stop = new AbortController();
    let fed = 0;
    try {
      const pgRestorePath = path.join(cluster.binDir, 'pg_restore');
      let listFile: string | undefined;
      if (selection) {
        const toc = await readToc(reader, entry, 'fid', pgRestorePath, process.env, new AbortController().signal);
        listFile = path.join(listDir, 'toc.list');
        fs.writeFileSync(listFile, `${planSelection(toc, manifest.sources[0] as ManifestDatabaseSource, selection, null).entries.map((e) => e.line).join('\n')}\n`);
      }
      const tgt = cluster.source(db);
      const restore = spawnScriptRestore({
        pgRestore: buildPgRestoreInvocation({ pgRestorePath, target: tgt, password: cluster.password, listFile, script: true }),
        psql: buildPsqlInvocation(path.join(cluster.binDir, 'psql'), tgt, cluster.password),
        target: tgt,
        password: cluster.password,
        prelude: 'CREATE TABLE public.gate_marker (x int);',
        // pg_restore's script empties the search path: Lifeboat's SQL names everything in full
        postlude: 'INSERT INTO public.gate_marker VALUES (1);',
        signal: stop.signal,
      });
      const outcome = await feedDump(reader, entry, 'fid', restore, stop, { verify: true, signal: new AbortController().signal, onBytes: (n) => (fed = n) }).then(
        () => null,
        (e: unknown) => e,
      );
      return { outcome, fed };
    } finally {
      await reader.close();
      fs.rmSync(listDir, { recursive: true, force: true });
    }
  }

  it('a cancel before the end commits nothing', async () => {
    await cluster.createDatabase('gate_cancel');
    const tgt = cluster.source('gate_cancel');
    const stop = new AbortController();
    const restore = spawnScriptRestore({
      pgRestore: buildPgRestoreInvocation({ pgRestorePath: path.join(cluster.binDir, 'pg_restore'), target: tgt, password: cluster.password, script: true }),
      psql: buildPsqlInvocation(path.join(cluster.binDir, 'psql'), tgt, cluster.password),
      target: tgt,
      password: cluster.password,
      prelude: 'CREATE TABLE public.gate_marker (x int);',
      postlude: '',
      signal: stop.signal,
    });
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    const error = await appError(restore.done);
    expect(error.code).toBe('CANCELLED');
    expect(await userTables(cluster, 'gate_cancel')).toEqual([]);
  });

  it('a whole script and a selection whose pg_restore stops reading early: nothing commits when the check fails, all does when it passes', async () => {
    const { file, entry } = await mismatched();
    for (const [db, selection] of [
      ['gate_all', null],
      ['gate_some', [t('public', 'a, b')]],
    ] as const) {
      await cluster.createDatabase(db);
      const { outcome } = await scriptRestore(file, entry, db, selection ? [...selection] : null);
      expect((outcome as { code?: string }).code, String(outcome)).toBe('FILE_CORRUPT');
      // not even Lifeboat's own prelude committed
      expect(await userTables(cluster, db)).toEqual([]);
    }
    const good = manifest.entries.find((e) => e.name === (manifest.sources[0] as ManifestDatabaseSource).entry)!;
    await cluster.createDatabase('gate_ok');
    const { outcome, fed } = await scriptRestore(backupFile, good, 'gate_ok', [t('public', 'a, b')]);
    expect(outcome).toBeNull();
    expect(fed).toBeGreaterThan(0);
    expect(await userTables(cluster, 'gate_ok')).toEqual(['public.a, b', 'public.gate_marker']);
    expect(await rows('gate_ok', 'SELECT x FROM gate_marker')).toEqual(['1']);
    await sameAs('gate_ok', t('public', 'a, b'));
  });
});
