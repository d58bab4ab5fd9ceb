import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BLOCK_BYTES, deflateCodec, runtimeHasZstd, zstdCodec, type BlockCodec } from '../../../src/main/core/archive/codecs';
import { BackupReader } from '../../../src/main/core/archive/reader';
import { ArchiveWriter } from '../../../src/main/core/archive/writer';
import { FolderIndexWriter } from '../../../src/main/core/backup/folder-index';
import type { FolderIndexRecord } from '../../../src/shared/manifest';
import { bareManifest } from '../../support/manifests';
import { tempDirsPerTest } from '../../support/temp-core';

const tempDir = tempDirsPerTest('lb-index-');
const FAST = { chunkSize: 64 * 1024, kdf: { name: 'argon2id', m: 64, t: 1, p: 1 } } as const;

/** A folder node whose JSON line is about `bytes` long (its path padded), some of it outside ASCII. */
function node(i: number, bytes = 200): FolderIndexRecord {
  const padding = i % 5 === 0 ? 'é'.repeat(Math.max(0, bytes / 2 - 100)) : 'p'.repeat(Math.max(0, bytes - 200));
  const p = `d/${i}-${padding}`;
  return { node: { type: 'dir', rawPath: Buffer.from(p).toString('base64'), path: p, mode: 0o755, mtimeMs: i, mtimeNs: `${i}000000`, uid: 0, gid: 0 } } as FolderIndexRecord;
}

/** Writes `records` through a FolderIndexWriter into an archive and reads the entry back: the stored bytes and what writeInto said. */
async function roundTrip(records: FolderIndexRecord[], codec: BlockCodec | null): Promise<{ read: Buffer; added: { size: number; sha256: string }; crc32: number }> {
  const dir = tempDir();
  const finalPath = path.join(dir, 'i.lifeboat');
  const writer = await ArchiveWriter.create({ finalPath, backupId: 'b1', appVersion: 't', passphrase: 'pw-123456', compressionLevel: codec ? 1 : 0, codec, ...FAST });
  const index = await FolderIndexWriter.create(dir, codec);
  try {
    for (const record of records) await index.add(record);
    const added = await index.writeInto(writer, 'folders/f1.index');
    await writer.finish(bareManifest([{ name: added.name, kind: 'folder-index', sourceId: 'f1', size: added.size, sha256: added.sha256 }]));
  } finally {
    await index.close();
  }
  // nothing of the scratch file is left next to the backup
  expect(fs.readdirSync(dir)).toEqual(['i.lifeboat']);
  const reader = await BackupReader.open(finalPath, 'pw-123456');
  try {
    const parts: Buffer[] = [];
    // openEntry checks the size the zip directory states
    for await (const part of await reader.openEntry('folders/f1.index')) parts.push(part as Buffer);
    const manifest = await reader.readManifest();
    return { read: Buffer.concat(parts), added: manifest.entries[0]!, crc32: reader.entries.get('folders/f1.index')!.crc32 };
  } finally {
    await reader.close();
  }
}

const codecs: [string, () => BlockCodec | null][] = [
  ['deflate', () => deflateCodec(6)],
  ['stored', () => null],
  ...(runtimeHasZstd() ? [['zstd', () => zstdCodec(3)] as [string, () => BlockCodec]] : []),
];

describe('FolderIndexWriter', () => {
  it.each(codecs)('compresses the records block by block as they come (%s): the entry reads back as every line, in order', async (_name, codec) => {
    // ~3.5 blocks of lines, one line longer than two blocks, and lines with 2-byte characters across block ends
    const records = [...Array.from({ length: 9000 }, (_, i) => node(i)), node(9000, 2.5 * BLOCK_BYTES), ...Array.from({ length: 9000 }, (_, i) => node(9001 + i, 300))];
    const expected = Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
    expect(expected.length).toBeGreaterThan(6 * BLOCK_BYTES);
    const { read, added, crc32 } = await roundTrip(records, codec());
    expect(read.length).toBe(expected.length);
    expect(read.equals(expected)).toBe(true);
    expect(crc32).toBe(zlib.crc32(expected));
    expect(added.size).toBe(expected.length);
    expect(added.sha256).toBe(crypto.createHash('sha256').update(expected).digest('hex'));
  });

  it('fills a block exactly (the last block then holds the next record) and stores an index of no records as an empty entry', async () => {
    // lines of 1 KiB exactly: 1024 of them fill the first block
    const line = (i: number) => {
      const record = { ...node(i, 0), pad: '' };
      record.pad = 'x'.repeat(1023 - Buffer.byteLength(JSON.stringify(record)));
      return record as FolderIndexRecord;
    };
    const records = Array.from({ length: 1025 }, (_, i) => line(i + 1000));
    const expected = Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
    expect(expected.length).toBe(1025 * 1024);
    const { read, crc32 } = await roundTrip(records, deflateCodec(1));
    expect(read.equals(expected)).toBe(true);
    expect(crc32).toBe(zlib.crc32(expected));
    const empty = await roundTrip([], deflateCodec(1));
    expect(empty.read.length).toBe(0);
    expect(empty.added.sha256).toBe(crypto.createHash('sha256').digest('hex'));
  });
});
