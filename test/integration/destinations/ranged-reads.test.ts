/**
 * Verify, inspect, preview and restore straight from a remote copy, with ranged reads (issue #15,
 * point 4), against a real S3 server (s3rver) and a real sshd, each behind a TCP proxy that counts
 * the bytes the server sent: a ~200 MB backup (a folder of incompressible files and a small
 * database) is uploaded, then read through its s3:// (or sftp://) URL as the command line reads
 * it (credentials from the environment, destinations/url.ts; the remote opener of
 * destinations/remote-open.ts).
 * - inspecting it (header, zip directory, manifest) fetches < 2 MB;
 * - restoring one small table, or one small file, fetches < 10 % of it;
 * - verify reads it all, in a few dozen requests, and passes; a copy with one byte flipped fails
 *   with FILE_CORRUPT, a truncated copy with FILE_TRUNCATED;
 * - an incremental whose unchanged files are in its base finds that base at the same prefix.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupReader } from '../../../src/main/core/archive/reader';
import { readContainerHeader } from '../../../src/main/core/crypto/container';
import type { Destination } from '../../../src/main/core/destinations/destination';
import { openDestination } from '../../../src/main/core/destinations/open';
import { makeDestinationOpener, setRemoteOpener, type DestinationOpener } from '../../../src/main/core/destinations/remote-open';
import { destinationFromEnv, parseDestinationUrl } from '../../../src/main/core/destinations/url';
import { previewBackup } from '../../../src/main/core/restore/preview';
import { restoreDatabase } from '../../../src/main/core/restore/restore-database';
import { restoreFiles } from '../../../src/main/core/restore/restore-files';
import { verifyBackupFile } from '../../../src/main/core/verify/verify-backup';
import { databaseTargetSchema, type ServerTarget } from '../../../src/shared/restore';
import { startCountingProxy, type CountingProxy } from '../../support/counting-proxy';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { startS3Server, type S3TestServer } from '../../support/s3-server';
import { startSftpServer, type SftpServer } from '../../support/sftp-server';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { PASSPHRASE, appError, backupNow, filesSpec, headerBytes, planInput, savePlan, sha256, tableFingerprint, testContext, writeAt } from '../restore/support';

/** the default 1 MiB container chunks (what users' files have), a cheap key derivation */
const CONTAINER = { kdf: { name: 'argon2id', m: 64, t: 1, p: 1 } } as const;
const BUCKET = 'offsite';
const MB = 1_000_000;

let work: string;
let cluster: PgCluster;
let core: ReturnType<typeof makeTestCore>;
let s3: S3TestServer;
let proxy: CountingProxy;
let sftp: SftpServer;
let sftpProxy: CountingProxy;
let sftpUrl: string;
let opener: DestinationOpener;
/** the uploader: straight to s3rver, not through the proxy */
let uploader: Destination;
let source: string;
let backupFile: string;
let backupSize: number;
let backupUrl: string;
let server: ServerTarget;

/** The credentials and endpoint as the command line takes them from its environment. */
const env = () => ({ AWS_ENDPOINT_URL: proxy.url, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region });

/** Uploads a local file as `s3://offsite/<key>`; returns its URL. */
async function upload(file: string, key: string): Promise<string> {
  await uploader.write(key, fs.createReadStream(file), { size: fs.statSync(file).size });
  return `s3://${BUCKET}/${key}`;
}

/** What the server sent (bytes on the wire, headers included) while `fn` ran. */
async function served<T>(fn: () => Promise<T>, through: CountingProxy = proxy): Promise<{ result: T; bytes: number }> {
  through.resetCounts();
  const result = await fn();
  return { result, bytes: through.bytesToClient };
}

beforeAll(async () => {
  work = makeTempDir('lifeboat-ranged-reads-');
  cluster = await startPgCluster();
  await cluster.createDatabase('shop');
  await cluster.psql(
    `CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL);
     INSERT INTO note SELECT g, 'note ' || g FROM generate_series(1, 25) g;
     CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric NOT NULL, placed timestamptz NOT NULL);
     INSERT INTO orders SELECT g, 'customer ' || (g % 997), g * 1.25, '2024-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 100000) g;`,
    'shop',
  );
  server = { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable', password: cluster.password };

  // ~200 MB that does not compress: 50 files of 4 MB, and a few small ones
  source = path.join(work, 'source');
  for (let i = 0; i < 50; i++) writeAt(source, `media/clip-${String(i).padStart(2, '0')}.bin`, crypto.randomBytes(4_000_000));
  writeAt(source, 'docs/readme.txt', 'what this folder holds\n');
  for (let i = 0; i < 20; i++) writeAt(source, `docs/page-${i}.txt`, `page ${i}\n`.repeat(100 + i));

  core = makeTestCore({ containerOptions: CONTAINER });
  const db = cluster.source('shop');
  const plan = await savePlan(
    core,
    planInput({ name: 'Ranged', databases: [db], folders: [{ id: 'f1', path: source }], destination: path.join(work, 'backups'), options: { compressionLevel: 1 } }),
    { dbPasswords: { [db.id]: cluster.password }, passphrase: PASSPHRASE },
  );
  backupFile = (await backupNow(core, plan)).filePath!;
  backupSize = fs.statSync(backupFile).size;
  expect(backupSize).toBeGreaterThan(200 * MB);

  s3 = await startS3Server({ buckets: [BUCKET] });
  proxy = await startCountingProxy({ port: s3.port });
  const direct = destinationFromEnv(parseDestinationUrl(`s3://${BUCKET}`).config, {
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
  });
  uploader = await openDestination(direct.config, direct.openOptions);
  backupUrl = await upload(backupFile, `site-a/${path.basename(backupFile)}`);

  // as the command line does it (cli/remote-options.ts): every s3:// URL of the process is read through this
  sftp = await startSftpServer();
  sftpProxy = await startCountingProxy({ port: sftp.port });
  fs.copyFileSync(backupFile, path.join(sftp.root, path.basename(backupFile)));
  sftpUrl = `sftp://${sftp.user}@127.0.0.1:${sftpProxy.port}${sftp.root}/${path.basename(backupFile)}`;

  opener = makeDestinationOpener(async (config) => {
    const resolved = destinationFromEnv(config, env(), { sshKey: sftp.userKeyFile, acceptHostKey: sftp.hostKeyFingerprint, homeDir: work });
    return openDestination(resolved.config, resolved.openOptions);
  });
  setRemoteOpener(opener);
}, 600_000);

afterAll(async () => {
  setRemoteOpener(null);
  await opener?.close();
  await uploader?.close();
  await proxy?.close();
  await s3?.close();
  await sftpProxy?.close();
  await sftp?.stop();
  await core?.cleanup();
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('inspecting and previewing a remote backup reads only its header, directory and manifest', () => {
  it('BackupReader.open + readManifest of the 200 MB backup: < 2 MB from the server, the same manifest as the local file', async () => {
    const local = await BackupReader.open(backupFile, PASSPHRASE);
    const expected = await local.readManifest();
    await local.close();

    const { result: manifest, bytes } = await served(async () => {
      const reader = await BackupReader.open(backupUrl, PASSPHRASE);
      try {
        return await reader.readManifest();
      } finally {
        await reader.close();
      }
    });
    expect(manifest).toEqual(expected);
    expect(manifest.sources.map((s) => s.kind).sort()).toEqual(['database', 'folder']);
    expect(bytes).toBeGreaterThan(1000);
    expect(bytes, `inspect fetched ${bytes} bytes of ${backupSize}`).toBeLessThan(2 * MB);
  });

  it('the header alone (as list --remote reads it) is one small ranged read', async () => {
    const { result, bytes } = await served(() => readContainerHeader(backupUrl));
    expect(result.header.backupId).toBe((await readContainerHeader(backupFile)).header.backupId);
    expect(result.fileSize).toBe(backupSize);
    expect(bytes).toBeLessThan(100_000);
  });

  it('the restore preview of the remote backup (files and tables) reads < 2 MB', async () => {
    const { result: preview, bytes } = await served(() => previewBackup(backupUrl, PASSPHRASE, { files: { folder: path.join(work, 'preview'), conflict: 'skip' } }));
    expect(preview.header.fileSize).toBe(backupSize);
    expect(preview.folders[0]!.totalFiles).toBe(71);
    expect(preview.files!.items.length).toBeGreaterThanOrEqual(71);
    expect(preview.databases[0]!.tables.map((t) => t.name).sort()).toEqual(['note', 'orders']);
    expect(bytes).toBeLessThan(2 * MB);
  });
});

describe('restoring part of a remote backup reads only the chunks that hold it', () => {
  it('restore --tables of one small table: < 10 % of the file, and the table is as in the source', async () => {
    const target = databaseTargetSchema.parse({ server, database: 'note_back', tables: [{ schema: 'public', name: 'note' }] });
    const { result, bytes } = await served(() => restoreDatabase({ filePath: backupUrl, passphrase: PASSPHRASE, target, password: cluster.password }, testContext()));
    expect(result.mismatches).toEqual([]);
    expect(result.tables.map((t) => t.name)).toEqual(['note']);
    expect(await tableFingerprint(cluster, 'note_back', { schema: 'public', name: 'note' })).toBe(await tableFingerprint(cluster, 'shop', { schema: 'public', name: 'note' }));
    expect(bytes, `restore of one table fetched ${bytes} bytes of ${backupSize}`).toBeLessThan(backupSize / 10);
  });

  it('restore of one small file: < 10 % of the file, byte for byte', async () => {
    const target = path.join(work, 'one-file');
    const { result, bytes } = await served(() =>
      restoreFiles(filesSpec(backupUrl, { folder: target, paths: ['docs/readme.txt', 'media/clip-07.bin'] }), testContext()),
    );
    expect(result.counts.create).toBe(2);
    expect(fs.readFileSync(path.join(target, 'docs/readme.txt'), 'utf8')).toBe('what this folder holds\n');
    expect(sha256(fs.readFileSync(path.join(target, 'media/clip-07.bin')))).toBe(sha256(fs.readFileSync(path.join(source, 'media/clip-07.bin'))));
    expect(bytes, `restore of two files fetched ${bytes} bytes of ${backupSize}`).toBeLessThan(backupSize / 10);
  });
});

describe('verifying a remote backup', () => {
  it('reads it all in a few dozen requests and passes, with the whole-file SHA-256 of the local file', async () => {
    const before = { bytes: opener.bytesFetched, requests: opener.requests };
    const { result: report, bytes } = await served(() => verifyBackupFile(backupUrl, PASSPHRASE));
    expect(report.reasons).toEqual([]);
    expect(report.status).toBe('passed');
    expect(report.fileSha256).toBe(sha256(fs.readFileSync(backupFile)));
    const fetched = opener.bytesFetched - before.bytes;
    // read ahead in ranges of up to 4 MiB: ~50 requests for 200 MB, not one per 1 MiB chunk or 64 KiB block
    const requests = opener.requests - before.requests;
    expect(requests).toBeGreaterThan(10);
    expect(requests).toBeLessThan(80);
    // every byte once, and not much more (the read-ahead stops at the end of the file)
    expect(fetched).toBeGreaterThanOrEqual(backupSize);
    expect(fetched).toBeLessThan(backupSize * 1.05 + 4 * MB);
    expect(bytes).toBeLessThan(backupSize * 1.05 + 4 * MB);
  });

  it('a remote copy with one byte flipped fails with FILE_CORRUPT', async () => {
    const data = fs.readFileSync(backupFile);
    const at = headerBytes(backupFile) + Math.floor(data.length / 2);
    data[at] = data[at]! ^ 0x01;
    const damaged = path.join(work, 'damaged.lifeboat');
    fs.writeFileSync(damaged, data);
    const url = await upload(damaged, 'damaged/copy.lifeboat');
    fs.rmSync(damaged);
    const report = await verifyBackupFile(url, PASSPHRASE);
    expect(report.status).toBe('failed');
    expect(report.errorCode).toBe('FILE_CORRUPT');
    expect(report.fileSha256).not.toBe(sha256(fs.readFileSync(backupFile)));
  });

  it('a truncated remote copy fails with FILE_TRUNCATED (verify, and opening it)', async () => {
    const truncated = path.join(work, 'truncated.lifeboat');
    const fd = fs.openSync(backupFile, 'r');
    const part = Buffer.alloc(Math.floor(backupSize * 0.4));
    fs.readSync(fd, part, 0, part.length, 0);
    fs.closeSync(fd);
    fs.writeFileSync(truncated, part);
    const url = await upload(truncated, 'truncated/copy.lifeboat');
    fs.rmSync(truncated);
    expect((await appError(BackupReader.open(url, PASSPHRASE))).code).toBe('FILE_TRUNCATED');
    const report = await verifyBackupFile(url, PASSPHRASE);
    expect(report.errorCode).toBe('FILE_TRUNCATED');
  });

  it('a missing remote object is NOT_FOUND, naming its URL', async () => {
    const report = await verifyBackupFile(`s3://${BUCKET}/site-a/nothing-here.lifeboat`, PASSPHRASE);
    expect(report.errorCode).toBe('NOT_FOUND');
    const error = await appError(BackupReader.open(`s3://${BUCKET}/site-a/nothing-here.lifeboat`, PASSPHRASE));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(`s3://${BUCKET}/site-a/nothing-here.lifeboat`);
  });
});

describe('an incremental backup at a remote prefix', () => {
  it('finds its base next to it (by listing the prefix) and restores its unchanged files from there', async () => {
    const folder = path.join(work, 'chain-source');
    writeAt(folder, 'kept.txt', 'unchanged since the full backup\n');
    writeAt(folder, 'changed.txt', 'first version\n');
    const plan = await savePlan(
      core,
      planInput({ name: 'Chain', type: 'incremental', folders: [{ id: 'c1', path: folder }], destination: path.join(work, 'chain') }),
      { passphrase: PASSPHRASE },
    );
    const full = (await backupNow(core, plan)).filePath!;
    writeAt(folder, 'changed.txt', 'second version\n');
    const incremental = (await backupNow(core, plan)).filePath!;
    expect(incremental).not.toBe(full);
    await upload(full, `chain/${path.basename(full)}`);
    const url = await upload(incremental, `chain/${path.basename(incremental)}`);

    const target = path.join(work, 'chain-restored');
    // no catalog: the base is found only by reading the headers of the objects at the same prefix
    const result = await restoreFiles(filesSpec(url, { folder: target }), testContext());
    expect(result.counts.create).toBe(2);
    expect(fs.readFileSync(path.join(target, 'kept.txt'), 'utf8')).toBe('unchanged since the full backup\n');
    expect(fs.readFileSync(path.join(target, 'changed.txt'), 'utf8')).toBe('second version\n');

    // and a base that is not there is BASE_BACKUP_MISSING, naming the prefix it looked at
    const alone = await upload(incremental, `alone/${path.basename(incremental)}`);
    const missing = await appError(restoreFiles(filesSpec(alone, { folder: path.join(work, 'alone') }), testContext()));
    expect(missing.code).toBe('BASE_BACKUP_MISSING');
    expect(missing.message).toContain(`s3://${BUCKET}/alone`);
  });
});

describe('the same over SFTP (a real sshd)', () => {
  it('inspect reads < 2 MB, restore of one table < 10 % of the file', async () => {
    const { result: manifest, bytes } = await served(async () => {
      const reader = await BackupReader.open(sftpUrl, PASSPHRASE);
      try {
        return await reader.readManifest();
      } finally {
        await reader.close();
      }
    }, sftpProxy);
    expect(manifest.sources).toHaveLength(2);
    expect(bytes, `inspect over SFTP fetched ${bytes} bytes`).toBeLessThan(2 * MB);

    const target = databaseTargetSchema.parse({ server, database: 'note_sftp', tables: [{ schema: 'public', name: 'note' }] });
    const restored = await served(() => restoreDatabase({ filePath: sftpUrl, passphrase: PASSPHRASE, target, password: cluster.password }, testContext()), sftpProxy);
    expect(restored.result.mismatches).toEqual([]);
    expect(await tableFingerprint(cluster, 'note_sftp', { schema: 'public', name: 'note' })).toBe(await tableFingerprint(cluster, 'shop', { schema: 'public', name: 'note' }));
    expect(restored.bytes, `restore of one table over SFTP fetched ${restored.bytes} bytes of ${backupSize}`).toBeLessThan(backupSize / 10);
  });
});
