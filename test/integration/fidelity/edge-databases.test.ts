/**
 * Restore fidelity for databases that are not UTF-8 with the server's locale: a LATIN1 database
 * (template0, C locale) with non-ASCII text, a SQL_ASCII one holding bytes that are not valid
 * UTF-8, one with an ICU locale (when the server has ICU), and one using contrib extensions
 * (citext, hstore: when the server has them). Each goes backup -> verify -> drill -> restore into
 * a new database -> compare with the source (schema with owners and ACLs, data, sequences, large
 * objects, encoding, collate/ctype, locale provider). And the cases that cannot be supported,
 * refused clearly with nothing changed: SQL_ASCII bytes over a UTF8 database (never transcoded
 * silently), a locale the target server does not have.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupReader, readManifest } from '../../../src/main/core/archive/reader';
import { ArchiveWriter } from '../../../src/main/core/archive/writer';
import { restoreDatabase } from '../../../src/main/core/restore/restore-database';
import { safetyBackupStep } from '../../../src/main/core/tasks/safety-backup';
import type { BackupManifest, ManifestDatabaseSource } from '../../../src/shared/manifest';
import type { DatabaseSource } from '../../../src/shared/plan';
import { databaseTargetSchema, type DatabaseTargetInput, type ServerTarget } from '../../../src/shared/restore';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { FAST_CONTAINER, PASSPHRASE, appError, backupNow, databaseNames, finished, invoke, planInput, savePlan, testContext, userTables } from '../restore/support';
import { databaseLevel, fidelityOf } from './support';

const LATIN1_SQL = `
SET client_encoding = 'UTF8';
CREATE TABLE words (id serial PRIMARY KEY, word text NOT NULL, note varchar(40));
INSERT INTO words (word, note) VALUES ('Grüße', 'German'), ('façade', 'French'), ('niño', 'Spanish'), ('smørrebrød', 'Danish'), ('½ £ © ÿ', 'symbols');
INSERT INTO words (word, note) SELECT 'Zürich ' || g || ' Ærø', CASE WHEN g % 3 = 0 THEN 'élan ' || g END FROM generate_series(1, 2500) g;
CREATE INDEX words_word_idx ON words (word);
`;

/** Bytes 0x80-0xff followed by 0xff: never valid UTF-8. */
const SQL_ASCII_SQL = `
CREATE TABLE raw_text (id int PRIMARY KEY, t text NOT NULL);
INSERT INTO raw_text SELECT g, convert_from(('\\x' || to_hex(128 + g % 128) || 'ff41' || to_hex(128 + g % 100))::bytea, 'SQL_ASCII') FROM generate_series(1, 3000) g;
CREATE SEQUENCE raw_seq START 10 INCREMENT 10;
SELECT nextval('raw_seq') FROM generate_series(1, 3);
`;

const ICU_SQL = `
CREATE TABLE names (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO names VALUES (1, 'Äpfel'), (2, 'Zebra'), (3, 'apfel'), (4, 'Österreich'), (5, 'ozean');
INSERT INTO names SELECT g, 'Name ' || g FROM generate_series(6, 1500) g;
`;

const EXTENSIONS_SQL = `
CREATE EXTENSION citext;
CREATE EXTENSION hstore;
CREATE TABLE users (email citext PRIMARY KEY, attrs hstore NOT NULL DEFAULT '');
INSERT INTO users SELECT 'User' || g || '@Example.org', hstore(ARRAY['plan', 'seats'], ARRAY[CASE WHEN g % 2 = 0 THEN 'pro' ELSE 'free' END, (g % 9)::text])
  FROM generate_series(1, 2000) g;
CREATE INDEX users_attrs_idx ON users USING gin (attrs);
-- a privilege changed on an extension's own function (pg_dump keeps such changes)
REVOKE EXECUTE ON FUNCTION hstore_to_json(hstore) FROM PUBLIC;
`;

let cluster: PgCluster;
let core: ReturnType<typeof makeTestCore>;
let work: string;
let backupFile: string;
let backupJobId: string;
let manifest: BackupManifest;
let server: ServerTarget;
let hasIcu = false;
let extensionsMissing: string[] = [];
const databases: string[] = [];

const sourceOf = (db: string) => manifest.sources.find((s): s is ManifestDatabaseSource => s.kind === 'database' && s.database === db)!;
const target = (input: Omit<DatabaseTargetInput, 'server'>) => databaseTargetSchema.parse({ server, ...input });

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.psql("CREATE DATABASE latin TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C';");
  await cluster.psql(LATIN1_SQL, 'latin');
  await cluster.psql("CREATE DATABASE rawbytes TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C';");
  await cluster.psql(SQL_ASCII_SQL, 'rawbytes');
  databases.push('latin', 'rawbytes');
  hasIcu = (await cluster.psql("SELECT count(*) > 0 FROM pg_collation WHERE collprovider = 'i'")).trim() === 't';
  if (hasIcu) {
    await cluster.psql("CREATE DATABASE icu_db TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'de-DE' LOCALE 'C.UTF-8';");
    await cluster.psql(ICU_SQL, 'icu_db');
    databases.push('icu_db');
  }
  const available = (await cluster.psql("SELECT name FROM pg_available_extensions WHERE name IN ('citext', 'hstore') ORDER BY 1")).trim().split('\n').filter(Boolean);
  extensionsMissing = ['citext', 'hstore'].filter((e) => !available.includes(e));
  if (extensionsMissing.length === 0) {
    await cluster.createDatabase('ext');
    await cluster.psql(EXTENSIONS_SQL, 'ext');
    databases.push('ext');
  }
  work = makeTempDir('lifeboat-fidelity-edge-');
  core = makeTestCore({ containerOptions: FAST_CONTAINER });
  server = { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable', password: cluster.password };
  const sources: DatabaseSource[] = databases.map((db) => cluster.source(db));
  const plan = await savePlan(
    core,
    planInput({ name: 'Edge databases', databases: sources, destination: path.join(work, 'backups') }),
    { dbPasswords: Object.fromEntries(sources.map((s) => [s.id, cluster.password])), passphrase: PASSPHRASE },
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

describe('backup, verify and drill', () => {
  it('records each encoding and locale, verifies, and the drill makes each database again the same way', async () => {
    expect(sourceOf('latin').databaseState).toMatchObject({ encoding: 'LATIN1', collate: 'C', ctype: 'C', localeProvider: 'libc' });
    expect(sourceOf('rawbytes').databaseState).toMatchObject({ encoding: 'SQL_ASCII', collate: 'C', ctype: 'C' });
    if (hasIcu) expect(sourceOf('icu_db').databaseState).toMatchObject({ encoding: 'UTF8', localeProvider: 'icu', locale: 'de-DE' });
    const verify = await invoke(core, 'verify/run', { jobId: backupJobId });
    expect((await finished(core, verify.jobId)).status).toBe('success');
    const drill = await invoke(core, 'verify/drill', { backupJobId, server });
    const job = await finished(core, drill.jobId);
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect(job.sources.map((s) => s.status)).toEqual(databases.map(() => 'success'));
    expect((await databaseNames(cluster)).filter((d) => d.startsWith('lifeboat_drill_'))).toEqual([]);
  });
});

describe('restore into a new database', () => {
  it('a LATIN1 database comes back as LATIN1 with the C locale and the same text', async () => {
    await restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'latin_copy', sourceId: sourceOf('latin').id }), password: cluster.password }, testContext());
    expect(await fidelityOf(cluster, 'latin_copy')).toEqual(await fidelityOf(cluster, 'latin'));
    expect(await databaseLevel(cluster, 'latin_copy')).toMatchObject({ encoding: 'LATIN1', collate: 'C', ctype: 'C' });
    const word = await cluster.psql("SET client_encoding = 'UTF8'; SELECT word FROM words WHERE id = 1", 'latin_copy');
    expect(word.trim()).toBe('Grüße');
  });

  it('a SQL_ASCII database with bytes that are not UTF-8 comes back as SQL_ASCII, byte for byte', async () => {
    await restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'raw_copy', sourceId: sourceOf('rawbytes').id }), password: cluster.password }, testContext());
    expect(await fidelityOf(cluster, 'raw_copy')).toEqual(await fidelityOf(cluster, 'rawbytes'));
    expect((await databaseLevel(cluster, 'raw_copy')).encoding).toBe('SQL_ASCII');
    const bytes = "SELECT count(*) || ':' || md5(string_agg(convert_to(t, 'SQL_ASCII')::text, '' ORDER BY id)) FROM raw_text WHERE position('\\xff'::bytea IN convert_to(t, 'SQL_ASCII')) > 0";
    const copied = (await cluster.psql(bytes, 'raw_copy')).trim();
    expect(copied).toMatch(/^3000:/);
    expect(copied).toBe((await cluster.psql(bytes, 'rawbytes')).trim());
  });

  it('an ICU database comes back with its ICU locale', async (ctx) => {
    if (!hasIcu) ctx.skip('this PostgreSQL server was built without ICU (no ICU collations), so there is no ICU database to test');
    await restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'icu_copy', sourceId: sourceOf('icu_db').id }), password: cluster.password }, testContext());
    expect(await fidelityOf(cluster, 'icu_copy')).toEqual(await fidelityOf(cluster, 'icu_db'));
    expect(await databaseLevel(cluster, 'icu_copy')).toMatchObject({ provider: 'i', icu: 'de-DE' });
    const order = "SELECT string_agg(name, ',' ORDER BY name) FROM names WHERE id <= 5";
    expect((await cluster.psql(order, 'icu_copy')).trim()).toBe((await cluster.psql(order, 'icu_db')).trim());
  });

  it('a database using contrib extensions (citext, hstore) comes back with them, and with the privilege changed on one of their functions', async (ctx) => {
    if (extensionsMissing.length) ctx.skip(`the contrib extensions ${extensionsMissing.join(', ')} are not installed on this server (pg_available_extensions)`);
    await restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target({ database: 'ext_copy', sourceId: sourceOf('ext').id }), password: cluster.password }, testContext());
    const copy = await fidelityOf(cluster, 'ext_copy');
    expect(copy).toEqual(await fidelityOf(cluster, 'ext'));
    expect((copy.schema as string[]).some((l) => l.startsWith('REVOKE ALL ON FUNCTION public.hstore_to_json(public.hstore) FROM PUBLIC'))).toBe(true);
    expect((await cluster.psql("SELECT count(*) FROM users WHERE email = 'user7@example.ORG' AND attrs -> 'plan' = 'free'", 'ext_copy')).trim()).toBe('1');
  });
});

describe('what cannot be restored faithfully is refused, changing nothing', () => {
  it('SQL_ASCII bytes over a UTF8 database (which COPY would take unchecked): refused before the safety backup, the preview says so first', async () => {
    await cluster.createDatabase('utf8_target');
    await cluster.psql('CREATE TABLE keep (v text); INSERT INTO keep VALUES (\'mine\');', 'utf8_target');
    const preview = await invoke(core, 'restore/preview', {
      backupJobId,
      database: { server, database: 'utf8_target', mode: 'existing', sourceId: sourceOf('rawbytes').id },
    });
    expect(preview.database!.databaseState).toContain("Refused: the backup's database is SQL_ASCII");
    const error = await appError(
      restoreDatabase(
        {
          filePath: backupFile,
          passphrase: PASSPHRASE,
          target: target({ database: 'utf8_target', mode: 'existing', sourceId: sourceOf('rawbytes').id }),
          password: cluster.password,
          safety: safetyBackupStep({ destination: path.join(work, 'safety'), passphrase: PASSPHRASE, appVersion: 'test', containerOptions: FAST_CONTAINER }),
        },
        testContext(),
      ),
    );
    expect(error.code).toBe('RESTORE_ENCODING_MISMATCH');
    expect(error.message).toContain('"utf8_target" on 127.0.0.1');
    expect(error.message).toContain('Restore into a new database');
    expect(fs.existsSync(path.join(work, 'safety'))).toBe(false);
    expect(await userTables(cluster, 'utf8_target')).toEqual(['public.keep']);
    expect((await cluster.psql('SELECT v FROM keep', 'utf8_target')).trim()).toBe('mine');
  });

  it('a LATIN1 backup over a UTF8 database keeps the target encoding and converts the text, not garbling it', async () => {
    await cluster.createDatabase('utf8_words');
    await restoreDatabase(
      {
        filePath: backupFile,
        passphrase: PASSPHRASE,
        target: target({ database: 'utf8_words', mode: 'existing', sourceId: sourceOf('latin').id }),
        password: cluster.password,
        safety: safetyBackupStep({ destination: path.join(work, 'safety2'), passphrase: PASSPHRASE, appVersion: 'test', containerOptions: FAST_CONTAINER }),
      },
      testContext(),
    );
    expect((await databaseLevel(cluster, 'utf8_words')).encoding).toBe('UTF8');
    // the text as UTF-8 bytes on both sides (convert_to), whatever each database stores
    const all = "SELECT md5(convert_to(string_agg(word || coalesce(note, ''), '|' ORDER BY id), 'UTF8')) FROM words";
    expect((await cluster.psql(all, 'utf8_words')).trim()).toBe((await cluster.psql(all, 'latin')).trim());
    expect((await cluster.psql('SELECT word FROM words WHERE id = 1', 'utf8_words')).trim()).toBe('Grüße');
  });

  it('a locale the target server does not have: refused before a database exists, naming the locale and the ways out', async () => {
    // the same backup, its manifest saying the database used a locale this server lacks
    const crafted = path.join(work, 'crafted', 'locale.lifeboat');
    fs.mkdirSync(path.dirname(crafted), { recursive: true });
    const reader = await BackupReader.open(backupFile, PASSPHRASE);
    const writer = await ArchiveWriter.create({ finalPath: crafted, backupId: manifest.backupId, appVersion: 'test', passphrase: PASSPHRASE, compressionLevel: 1, ...FAST_CONTAINER });
    try {
      for (const e of manifest.entries) await writer.addStream(e.name, await reader.openEntry(e.name), { store: true });
      const sources = manifest.sources.map((s) =>
        s.kind === 'database' && s.database === 'latin' ? { ...s, databaseState: { ...s.databaseState!, encoding: 'UTF8', collate: 'xx_XX.UTF-8', ctype: 'xx_XX.UTF-8' } } : s,
      );
      await writer.finish({ ...manifest, sources });
    } finally {
      await reader.close();
    }
    const error = await appError(
      restoreDatabase({ filePath: crafted, passphrase: PASSPHRASE, target: target({ database: 'never_xx', sourceId: sourceOf('latin').id }), password: cluster.password }, testContext()),
    );
    expect(error.code).toBe('RESTORE_LOCALE_UNAVAILABLE');
    expect(error.message).toContain('xx_XX.UTF-8');
    expect(error.message).toContain('Install that locale on the server');
    expect(await databaseNames(cluster)).not.toContain('never_xx');
  });
});
