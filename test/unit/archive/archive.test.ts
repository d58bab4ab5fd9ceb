import { afterEach, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ArchiveWriter } from '../../../src/main/core/archive/writer';
import { BackupReader } from '../../../src/main/core/archive/reader';
import type { BackupManifest } from '../../../src/shared/manifest';
import { bareManifest } from '../../support/manifests';
import { makeTempDir } from '../../support/temp-core';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const FAST = { chunkSize: 64 * 1024, kdf: { name: 'argon2id', m: 64, t: 1, p: 1 } } as const;

describe('archive writer and reader', () => {
  it('writes entries through the sealed container and reads them back byte for byte', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const finalPath = path.join(dir, 'x.lifeboat');
    const big = crypto.randomBytes(300_000);
    const writer = await ArchiveWriter.create({ finalPath, backupId: 'b1', appVersion: 't', passphrase: 'pw-123456', compressionLevel: 6, ...FAST });
    const a = await writer.addStream('databases/a.dump', Readable.from([big]), { store: true });
    const b = await writer.addStream('folders/f/hello.txt', Readable.from([Buffer.from('hello '.repeat(1000))]));
    expect(fs.existsSync(finalPath)).toBe(false);
    expect(fs.existsSync(writer.tempPath)).toBe(true);
    const done = await writer.finish(bareManifest([
      { name: 'databases/a.dump', kind: 'database-dump', sourceId: 'a', ...a },
      { name: 'folders/f/hello.txt', kind: 'file', sourceId: 'f', ...b },
    ]));
    expect(fs.existsSync(writer.tempPath)).toBe(false);
    expect(done.sizeBytes).toBe(fs.statSync(finalPath).size);
    expect(done.sha256).toBe(crypto.createHash('sha256').update(fs.readFileSync(finalPath)).digest('hex'));
    if (process.platform !== 'win32') expect(fs.statSync(finalPath).mode & 0o777).toBe(0o600);
    expect(a.sha256).toBe(crypto.createHash('sha256').update(big).digest('hex'));

    const reader = await BackupReader.open(finalPath, 'pw-123456');
    const manifest = await reader.readManifest();
    expect(manifest.entries.map((e) => e.name)).toEqual(['databases/a.dump', 'folders/f/hello.txt']);
    const parts: Buffer[] = [];
    for await (const p of await reader.openEntry('databases/a.dump')) parts.push(p as Buffer);
    expect(Buffer.concat(parts).equals(big)).toBe(true);
    await reader.close();
  });

  it('abort leaves no file behind', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const controller = new AbortController();
    const finalPath = path.join(dir, 'y.lifeboat');
    const writer = await ArchiveWriter.create({ finalPath, backupId: 'b', appVersion: 't', passphrase: null, compressionLevel: 1, signal: controller.signal, ...FAST });
    await writer.addStream('a.bin', Readable.from([crypto.randomBytes(100_000)]));
    controller.abort();
    await writer.abort();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('readSmallEntry gives the bytes openEntry streams, stored or compressed, across chunk boundaries; a missing entry is FILE_CORRUPT', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const finalPath = path.join(dir, 's.lifeboat');
    const writer = await ArchiveWriter.create({ finalPath, backupId: 'b1', appVersion: 't', passphrase: 'pw-123456', compressionLevel: 6, ...FAST });
    // 64 KiB chunks: the 100 kB entries span a chunk boundary
    const contents = new Map([
      ['text', Buffer.from('a line of text that compresses\n'.repeat(4000))],
      ['random', crypto.randomBytes(100_000)],
      ['empty', Buffer.alloc(0)],
    ]);
    const entries: BackupManifest['entries'] = [];
    for (const [name, content] of contents) {
      for (const store of [false, true]) {
        const added = await writer.addStream(`folders/f/${name}-${store}`, Readable.from([content]), { store });
        entries.push({ name: `folders/f/${name}-${store}`, kind: 'file', sourceId: 'f', ...added, mode: 0o644, mtimeMs: 0 });
      }
    }
    await writer.finish(bareManifest(entries));
    const reader = await BackupReader.open(finalPath, 'pw-123456');
    try {
      const methods = new Set<number>();
      for (const [name, content] of contents) {
        for (const store of [false, true]) {
          const entryName = `folders/f/${name}-${store}`;
          methods.add(reader.entries.get(entryName)!.compressionMethod);
          const streamed: Buffer[] = [];
          for await (const chunk of await reader.openEntry(entryName)) streamed.push(chunk as Buffer);
          const whole = await reader.readSmallEntry(entryName);
          expect(whole.equals(content), entryName).toBe(true);
          expect(whole.equals(Buffer.concat(streamed)), entryName).toBe(true);
        }
      }
      expect(methods.size).toBe(2); // stored and compressed entries both read
      await expect(reader.readSmallEntry('folders/f/none')).rejects.toMatchObject({ code: 'FILE_CORRUPT' });
    } finally {
      await reader.close();
    }
  });
});
