/**
 * A whole backup through the real engine (plan saved through the handler map, real pg_dump, real
 * files, default KDF, verify after backup), then restored with the real pg_restore and compared
 * byte for byte. Also checks that neither the data nor any secret is readable where it must not be.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupReader, readManifest } from '../../../src/main/core/archive/reader';
import { DEFAULT_KDF, readContainerHeader } from '../../../src/main/core/crypto/container';
import type { BackupManifest, ManifestDatabaseSource, ManifestFolderSource } from '../../../src/shared/manifest';
import type { JobDetail } from '../../../src/shared/job';
import type { Plan } from '../../../src/shared/plan';
import {
  catalogFiles,
  containsSecret,
  listTree,
  makeFolderTree,
  pgRestoreFromStream,
  planInput,
  readEntry,
  runPlan,
  savePlan,
  sha256,
  tableFingerprint,
  type FolderFixture,
} from '../../support/backup-fixtures';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

const DB = 'roundtrip';
const ROW_NEEDLE = `LIFEBOAT-ROW-NEEDLE-${crypto.randomBytes(6).toString('hex')}`;
const FILE_NEEDLE = `LIFEBOAT-FILE-NEEDLE-${crypto.randomBytes(6).toString('hex')}`;
const PASSPHRASE = `pass-${crypto.randomBytes(9).toString('base64url')}-Ünï`;

const SEED_SQL = `
CREATE TABLE numbers (id int PRIMARY KEY, small smallint, big bigint, exact numeric(20,6), approx double precision);
INSERT INTO numbers SELECT g, (g % 32000)::smallint, g::bigint * 1000003, g / 7.0, g * 0.125 FROM generate_series(1, 2000) g;
INSERT INTO numbers VALUES (-1, NULL, NULL, NULL, NULL), (0, -32768, -9223372036854775808, 0, 'NaN');

CREATE TABLE texts (id serial PRIMARY KEY, body text, note varchar(50));
INSERT INTO texts (body, note) VALUES
  ('Grüße aus Zürich — 東京 🚀 ñ', 'unicode'),
  (E'tab\\there, newline\\nand a \\\\ backslash, ''quotes'' "double"', 'escapes'),
  ('', 'empty string'),
  (NULL, NULL),
  ('${ROW_NEEDLE}', 'needle');

CREATE TABLE blobs (id int PRIMARY KEY, data bytea);
INSERT INTO blobs VALUES
  (1, (SELECT string_agg(set_byte('\\x00'::bytea, 0, b), ''::bytea ORDER BY b) FROM generate_series(0, 255) b)),
  (2, NULL),
  (3, ''::bytea),
  (4, decode(repeat('deadbeef00ff', 20000), 'hex'));

CREATE TABLE "MixedCase ""Quoted"" Table" (id int, "Value" text);
INSERT INTO "MixedCase ""Quoted"" Table" VALUES (1, 'a'), (2, NULL), (3, 'ç');

CREATE TABLE events AS
  SELECT g AS id,
         timestamptz '2024-01-01 00:00:00+00' + g * interval '17 minutes' AS at,
         md5(g::text) AS h,
         (g % 13 = 0) AS flag,
         CASE WHEN g % 10 = 0 THEN NULL ELSE jsonb_build_object('n', g, 's', md5((g * 3)::text)) END AS payload
    FROM generate_series(1, 10000) g;
`;

let cluster: PgCluster;
let work: string;
let folder: FolderFixture;
let destination: string;
let core: ReturnType<typeof makeTestCore>;
let plan: Plan;
let job: JobDetail;
let manifest: BackupManifest;
let runMs = 0;

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase(DB);
  await cluster.psql(SEED_SQL, DB);
  work = makeTempDir('lifeboat-roundtrip-');
  folder = makeFolderTree(path.join(work, 'docs'), FILE_NEEDLE);
  destination = path.join(work, 'backups');
  // the default KDF here: the one users get
  core = makeTestCore();
  plan = await savePlan(
    core,
    planInput({
      name: 'Round trip',
      destination,
      databases: [cluster.source(DB)],
      folders: [{ id: 'docs', path: folder.root }],
      // level 0: pg_dump and zip store the bytes as they are, so only the encryption hides them
      options: { destination, encrypt: true, verifyAfter: true, compressionLevel: 0, retries: { count: 0, backoffSeconds: 1 } },
    }),
    { dbPasswords: { [cluster.source(DB).id]: cluster.password }, passphrase: PASSPHRASE },
  );
  const started = Date.now();
  job = await runPlan(core, plan);
  runMs = Date.now() - started;
  console.info(`round-trip backup: ${job.status} in ${runMs} ms, ${job.sizeBytes} bytes`);
  if (job.filePath) manifest = await readManifest(job.filePath, PASSPHRASE);
});

afterAll(async () => {
  await core?.cleanup();
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const dbSource = () => manifest.sources.find((s): s is ManifestDatabaseSource => s.kind === 'database')!;
const folderSource = () => manifest.sources.find((s): s is ManifestFolderSource => s.kind === 'folder')!;

describe('a full encrypted backup of a database and a folder', () => {
  it('succeeds, verified, into one owner-only file with nothing left beside it', async () => {
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect(job.errorCode).toBeNull();
    expect(job.displayMessage).toMatch(/Verified\./);
    expect(job.sources.map((s) => [s.kind, s.status])).toEqual([
      ['database', 'success'],
      ['folder', 'success'],
    ]);
    expect(job.filePath).toBe(path.join(destination, path.basename(job.filePath!)));
    expect(listTree(destination)).toEqual([path.basename(job.filePath!)]);
    const stat = fs.statSync(job.filePath!);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(job.sizeBytes).toBe(stat.size);
    expect(job.checksum).toBe(sha256(fs.readFileSync(job.filePath!)));
    expect(core.verifications.latestStatus(job.id)).toBe('passed');

    const { header } = await readContainerHeader(job.filePath!);
    expect(header.backupId).toBe(job.id);
    expect(header.encryption?.kdf).toMatchObject(DEFAULT_KDF);
    expect(manifest.encrypted).toBe(true);
    expect(manifest.type).toBe('full');
  });

  it('records in the manifest the exact row count of every table', async () => {
    const source = dbSource();
    expect(source.status).toBe('success');
    expect(source.serverVersion).toMatch(/^15/);
    const tables = source.tables.map((t) => `${t.schema}.${t.name}`).sort();
    expect(tables).toEqual(['public.MixedCase "Quoted" Table', 'public.blobs', 'public.events', 'public.numbers', 'public.texts']);
    for (const table of source.tables) {
      const counted = await cluster.psql(`SELECT count(*) FROM "${table.schema}"."${table.name.replaceAll('"', '""')}"`, DB);
      expect(table.rows, `${table.schema}.${table.name}`).toBe(Number(counted.trim()));
    }
    expect(source.tables.find((t) => t.name === 'events')!.rows).toBe(10000);
  });

  it('restores with pg_restore from the archive into a database equal to the source, table by table', async () => {
    const reader = await BackupReader.open(job.filePath!, PASSPHRASE);
    try {
      await pgRestoreFromStream(cluster, await reader.openEntry(dbSource().entry!), 'restored');
    } finally {
      await reader.close();
    }
    const restoredTables = (await cluster.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", 'restored'))
      .trim()
      .split('\n');
    expect(restoredTables).toHaveLength(5);
    for (const table of dbSource().tables) {
      const [source, restored] = [await tableFingerprint(cluster, DB, table), await tableFingerprint(cluster, 'restored', table)];
      expect(restored, table.name).toBe(source);
      expect(restored.startsWith(`${table.rows}:`)).toBe(true);
    }
    // the odd values survived as themselves, not only as equal checksums
    expect((await cluster.psql("SELECT body FROM texts WHERE note = 'unicode'", 'restored')).trim()).toBe('Grüße aus Zürich — 東京 🚀 ñ');
    expect((await cluster.psql('SELECT md5(data) FROM blobs WHERE id = 1', 'restored')).trim()).toBe(
      digestHex('md5', Buffer.from(Array.from({ length: 256 }, (_, i) => i))),
    );
  });

  it('stores every folder file byte for byte with its mode and mtime, and nothing the excludes leave out', async () => {
    const source = folderSource();
    const fileEntries = manifest.entries.filter((e) => e.kind === 'file');
    // format 2: entries are named by number under the prefix, the path is in the manifest
    expect(fileEntries.every((e) => /^\d+$/.test(e.name.slice(source.entryPrefix.length)))).toBe(true);
    const names = fileEntries.map((e) => e.path!).sort();
    expect(names).toEqual(folder.included);
    for (const excluded of folder.excluded) expect(names).not.toContain(excluded);
    expect(source.files).toBe(folder.included.length);

    const reader = await BackupReader.open(job.filePath!, PASSPHRASE);
    try {
      expect([...reader.entries.keys()].some((n) => n.includes('node_modules') || n.endsWith('.log'))).toBe(false);
      for (const rel of folder.included) {
        const abs = path.join(folder.root, ...rel.split('/'));
        const original = fs.readFileSync(abs);
        const stat = fs.statSync(abs);
        const entry = fileEntries.find((e) => e.path === rel)!;
        const stored = await readEntry(reader, entry.name);
        expect(sha256(stored), rel).toBe(sha256(original));
        expect(entry.sha256).toBe(sha256(original));
        expect(entry.size).toBe(original.length);
        expect(entry.mode, rel).toBe(stat.mode & 0o7777);
        expect(entry.mtimeMs, rel).toBe(Math.floor(stat.mtimeMs));
      }
    } finally {
      await reader.close();
    }
    const empty = fileEntries.find((e) => e.path!.endsWith('empty.txt'))!;
    expect(empty.size).toBe(0);
    expect(fileEntries.find((e) => e.path!.endsWith('bin/random.dat'))!.mode).toBe(0o640);
    expect(fileEntries.find((e) => e.path!.endsWith('a/b/c/deep.txt'))!.mtimeMs).toBe(Date.UTC(2020, 0, 2, 3, 4, 5, 500));
  });

  it('keeps the data and every secret out of the file, and the secrets out of the catalog', async () => {
    const file = fs.readFileSync(job.filePath!);
    for (const needle of [ROW_NEEDLE, FILE_NEEDLE, 'Grüße aus Zürich', PASSPHRASE, cluster.password]) {
      expect(containsSecret(file, needle), `"${needle}" in the backup file`).toBe(false);
    }

    // the same plan unencrypted does show the data: the check above can fail
    const plainDest = path.join(work, 'plain');
    const plainPlan = await savePlan(
      core,
      planInput({
        name: 'Round trip (unencrypted control)',
        destination: plainDest,
        databases: [cluster.source(DB)],
        folders: [{ id: 'docs', path: folder.root }],
        options: { destination: plainDest, encrypt: false, verifyAfter: false, compressionLevel: 0 },
      }),
      { dbPasswords: { [cluster.source(DB).id]: cluster.password } },
    );
    const plainJob = await runPlan(core, plainPlan);
    expect(plainJob.status).toBe('success');
    const plainFile = fs.readFileSync(plainJob.filePath!);
    expect(containsSecret(plainFile, ROW_NEEDLE)).toBe(true);
    expect(containsSecret(plainFile, FILE_NEEDLE)).toBe(true);
    expect(containsSecret(plainFile, cluster.password)).toBe(false);

    // the catalog: every file on disk, and everything the app can show about jobs and actions
    const jobsText = JSON.stringify([core.jobs.detail(job.id), core.jobs.detail(plainJob.id), core.jobs.all({})]);
    const auditText = JSON.stringify(core.audit.list(1, 1000));
    const plansText = JSON.stringify(core.plans.list());
    const files = catalogFiles(core.dataDir);
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(['catalog.sqlite', 'catalog.sqlite-wal']));
    // the scan reads real content: the rows are there, the plan name is in the files' bytes
    expect(jobsText).toContain(job.id);
    expect(files.some((f) => containsSecret(f.bytes, 'Round trip (unencrypted control)'))).toBe(true);
    for (const secret of [PASSPHRASE, cluster.password]) {
      for (const { name, bytes } of files) expect(containsSecret(bytes, secret), `secret in ${name}`).toBe(false);
      expect(jobsText.includes(secret) || jobsText.includes(JSON.stringify(secret).slice(1, -1))).toBe(false);
      expect(auditText.includes(secret)).toBe(false);
      expect(plansText.includes(secret)).toBe(false);
    }
  });
});

function digestHex(algorithm: string, data: Buffer): string {
  return crypto.createHash(algorithm).update(data).digest('hex');
}
