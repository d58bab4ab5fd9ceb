/**
 * Verification of a real backup file (database dump + folder) and of damaged copies of it: a
 * flipped byte, a truncation and a wrong passphrase are each reported with their own code, and
 * an intact file passes every layer, pg_restore --list included. A copy re-sealed around a
 * changed payload (every chunk authenticates) shows that each entry is checked on its own.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupReader, readManifest } from '../../../src/main/core/archive/reader';
import { SealStream } from '../../../src/main/core/crypto/container';
import { verifyBackupFile } from '../../../src/main/core/verify/verify-backup';
import { FAST_CONTAINER, PASSPHRASE, planInput, runPlan, savePlan } from '../../support/backup-fixtures';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

let cluster: PgCluster;
let work: string;
let core: ReturnType<typeof makeTestCore>;
let backupFile: string;
let checksum: string;

/** The zip entry of a folder file: format 2 names entries by number, the manifest has the path. */
async function entryOf(rel: string): Promise<string> {
  return (await readManifest(backupFile, PASSPHRASE)).entries.find((e) => e.path === rel)!.name;
}

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('shop');
  await cluster.psql(
    `CREATE TABLE orders (id int PRIMARY KEY, customer text, total numeric(10,2));
     INSERT INTO orders SELECT g, 'customer ' || g, g * 1.5 FROM generate_series(1, 3000) g;
     CREATE TABLE "Line Items" (order_id int REFERENCES orders, sku text);
     INSERT INTO "Line Items" SELECT g % 3000 + 1, md5(g::text) FROM generate_series(1, 5000) g;`,
    'shop',
  );
  work = makeTempDir('lifeboat-verify-');
  const folder = path.join(work, 'files');
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'random.bin'), crypto.randomBytes(1024 * 1024));
  fs.writeFileSync(path.join(folder, 'notes.txt'), 'hello\n'.repeat(1000));
  // compressible and over 16 MiB: verify inflates it as a stream (random.bin is stored: incompressible)
  fs.writeFileSync(path.join(folder, 'big-notes.txt'), Array.from({ length: 400_000 }, (_, i) => `line ${i} of a log\n`).join('').repeat(3));
  // small chunks: the file has many, so the damage lands in one of them, not in the only one
  core = makeTestCore({ containerOptions: { ...FAST_CONTAINER, chunkSize: 64 * 1024 } });
  const destination = path.join(work, 'backups');
  const source = cluster.source('shop');
  const plan = await savePlan(
    core,
    planInput({ name: 'Shop', destination, databases: [source], folders: [{ id: 'files', path: folder }] }),
    { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
  );
  const job = await runPlan(core, plan);
  if (job.status !== 'success') throw new Error(`backup failed: ${job.displayMessage}`);
  backupFile = job.filePath!;
  checksum = job.checksum!;
});

afterAll(async () => {
  await core?.cleanup();
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function damagedCopy(name: string, damage: (bytes: Buffer) => Buffer): string {
  const copy = path.join(work, name);
  fs.writeFileSync(copy, damage(fs.readFileSync(backupFile)));
  return copy;
}

/**
 * A copy whose payload is changed by `edit` (given the payload and the offset of each entry's
 * data) and sealed again with the same backup id: every chunk authenticates, so only the entry
 * checks can notice.
 */
async function resealedCopy(name: string, edit: (payload: Buffer, dataStart: (entry: string) => number) => void): Promise<string> {
  const reader = await BackupReader.open(backupFile, PASSPHRASE);
  const starts = new Map<string, number>();
  let payload: Buffer;
  try {
    for (const [entryName, entry] of reader.entries) {
      const local = await reader.container.read(entry.relativeOffsetOfLocalHeader, 30);
      starts.set(entryName, entry.relativeOffsetOfLocalHeader + 30 + local.readUInt16LE(26) + local.readUInt16LE(28));
    }
    payload = Buffer.from(await reader.container.read(0, reader.container.size));
    edit(payload, (entry) => starts.get(entry)!);
    const sealer = await SealStream.create({
      backupId: reader.container.header.backupId,
      app: reader.container.header.app,
      passphrase: PASSPHRASE,
      chunkSize: reader.container.header.chunkSize,
      kdf: FAST_CONTAINER.kdf,
    });
    const copy = path.join(work, name);
    await pipeline(Readable.from([payload]), sealer, fs.createWriteStream(copy));
    return copy;
  } finally {
    await reader.close();
  }
}

describe('verifying a backup file', () => {
  it('passes an intact file on every layer, pg_restore --list included', async () => {
    const report = await verifyBackupFile(backupFile, PASSPHRASE, { expectedSha256: checksum });
    expect(report.status, report.reasons.join('\n')).toBe('passed');
    expect(report.errorCode).toBeNull();
    expect(report.reasons).toEqual([]);
    expect(report.fileSha256).toBe(checksum);
    expect(report.checks).toEqual(
      expect.arrayContaining([
        'file present',
        'whole-file SHA-256 matches the catalog',
        expect.stringMatching(/^\d{2,} chunks decrypt and authenticate$/),
        'archive structure reads',
        // the dump, its role definitions, three folder files and the folder's index
        '6 entries match their SHA-256',
        expect.stringMatching(/^dump of shop@127\.0\.0\.1:\d+ readable by pg_restore \(\d+ items\)$/),
        'manifest consistent',
      ]),
    );
    expect(report.manifest?.sources.find((s) => s.kind === 'database')).toMatchObject({
      tables: [
        { name: 'Line Items', rows: 5000 },
        { name: 'orders', rows: 3000 },
      ],
    });
  });

  it('fails a file with one flipped byte in the middle: FILE_CORRUPT, the chunk named', async () => {
    const copy = damagedCopy('flipped.lifeboat', (bytes) => {
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
      return bytes;
    });
    // no catalog checksum: the chunk authentication alone must catch it
    const report = await verifyBackupFile(copy, PASSPHRASE);
    expect(report.status).toBe('failed');
    expect(report.errorCode).toBe('FILE_CORRUPT');
    expect(report.reasons).toEqual([expect.stringMatching(/damaged.*\(chunk \d+ of \d+ fails authentication\)/)]);
    expect(report.checks).not.toContainEqual(expect.stringMatching(/chunks decrypt/));

    const withCatalog = await verifyBackupFile(copy, PASSPHRASE, { expectedSha256: checksum });
    expect(withCatalog.errorCode).toBe('FILE_CORRUPT');
    expect(withCatalog.reasons.join('\n')).toContain('whole-file SHA-256 differs');
  });

  it('fails a truncated file with FILE_TRUNCATED', async () => {
    for (const keep of [0.5, 0.999]) {
      const copy = damagedCopy(`truncated-${keep}.lifeboat`, (bytes) => bytes.subarray(0, Math.floor(bytes.length * keep)));
      const report = await verifyBackupFile(copy, PASSPHRASE);
      expect(report.status).toBe('failed');
      expect(report.errorCode, `kept ${keep}`).toBe('FILE_TRUNCATED');
      expect(report.reasons[0]).toContain('Copy it again');
    }
  });

  it('fails a wrong passphrase with WRONG_PASSPHRASE, and a missing one with PASSPHRASE_REQUIRED', async () => {
    const wrong = await verifyBackupFile(backupFile, `${PASSPHRASE}!`);
    expect(wrong.status).toBe('failed');
    expect(wrong.errorCode).toBe('WRONG_PASSPHRASE');
    expect(wrong.reasons[0]).toContain('Enter the passphrase that was set');
    expect(wrong.manifest).toBeNull();

    const none = await verifyBackupFile(backupFile, null);
    expect(none.errorCode).toBe('PASSPHRASE_REQUIRED');
  });

  it('reports progress of the one pass up to its total, and throws when cancelled', async () => {
    const seen: { done: number; total: number; item: string }[] = [];
    const report = await verifyBackupFile(backupFile, PASSPHRASE, { onProgress: (done, total, item) => seen.push({ done, total, item }) });
    expect(report.status, report.reasons.join('\n')).toBe('passed');
    expect(seen.length).toBeGreaterThan(10);
    const total = seen[0]!.total;
    expect(seen.every((p, i) => p.total === total && p.done <= total && (i === 0 || p.done > seen[i - 1]!.done))).toBe(true);
    expect(seen.at(-1)!.done).toBe(total);
    expect(seen.map((p) => p.item)).toEqual(expect.arrayContaining([expect.stringMatching(/^databases\/.*\.dump$/), await entryOf('random.bin')]));

    const controller = new AbortController();
    const cancelled = verifyBackupFile(backupFile, PASSPHRASE, {
      signal: controller.signal,
      onProgress: (done, all) => done > all / 3 && controller.abort(new Error('stop')),
    });
    await expect(cancelled).rejects.toThrow('stop');
  });

  it('fails an entry whose bytes differ from the manifest even though every chunk authenticates', async () => {
    const dump = (await verifyBackupFile(backupFile, PASSPHRASE)).manifest!.entries.find((e) => e.kind === 'database-dump')!;
    const copy = await resealedCopy('edited-dump.lifeboat', (payload, dataStart) => {
      // past the dump's table of contents: only the entry's SHA-256 can tell
      payload[dataStart(dump.name) + dump.size - 10]! ^= 0x01;
    });
    const report = await verifyBackupFile(copy, PASSPHRASE);
    expect(report.status).toBe('failed');
    expect(report.errorCode).toBe('FILE_CORRUPT');
    expect(report.reasons).toEqual([`Entry ${dump.name} does not match its size and SHA-256 in the manifest.`]);
    expect(report.checks).toEqual(expect.arrayContaining([expect.stringMatching(/chunks decrypt and authenticate$/), 'archive structure reads', 'manifest consistent']));
    expect(report.checks).not.toContainEqual(expect.stringMatching(/entries match/));
  });

  it('fails a deflated entry that no longer inflates, and names it (small: inflated at once; large: streamed)', async () => {
    for (const name of [await entryOf('notes.txt'), await entryOf('big-notes.txt')]) {
      const copy = await resealedCopy(`edited-${path.basename(name)}.lifeboat`, (payload, dataStart) => {
        const at = dataStart(name);
        payload.fill(0xff, at, at + 8);
      });
      const report = await verifyBackupFile(copy, PASSPHRASE);
      expect(report.status).toBe('failed');
      expect(report.errorCode).toBe('FILE_CORRUPT');
      expect(report.reasons).toHaveLength(1);
      // 0xff starts a deflate block of the reserved type 3
      expect(report.reasons[0]).toContain(`Entry ${name}: `);
      expect(report.reasons[0]).toContain('does not inflate: invalid block type');
    }
  });
});
