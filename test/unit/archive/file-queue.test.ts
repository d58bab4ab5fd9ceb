/**
 * FileQueue with real files, workers and a real archive: outcomes in push order, a file gone or
 * grown since the walk, steps between files, and a pool that dies (the run fails, not the files).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileQueue, type FileOutcome, type QueuedFile } from '../../../src/main/core/archive/file-queue';
import { BackupReader } from '../../../src/main/core/archive/reader';
import { ArchiveWriter } from '../../../src/main/core/archive/writer';
import { bareManifest } from '../../support/manifests';
import { tempDirsPerTest } from '../../support/temp-core';

const PASS = 'queue passphrase';
const FAST = { chunkSize: 256 * 1024, kdf: { name: 'argon2id', m: 64, t: 1, p: 1 } } as const;
const tempDir = tempDirsPerTest();

/** `count` files of varied sizes (some compressible) in `dir`, as a walk would have queued them. */
function makeFiles(dir: string, count: number): { queued: QueuedFile; content: Buffer }[] {
  return Array.from({ length: count }, (_, i) => {
    const content = i % 3 === 0 ? Buffer.alloc(50 + i * 37, `line ${i}\n`) : crypto.randomBytes(i % 500);
    const abs = path.join(dir, `f${i}.txt`);
    fs.writeFileSync(abs, content);
    return { queued: { name: `e/${i}`, absPath: Buffer.from(abs), baseName: `f${i}.txt`, size: content.length, mode: 0o644, date: new Date(2026, 0, 1) }, content };
  });
}

describe('FileQueue', () => {
  it('hears every outcome in push order: a file gone since the walk is an error and the rest go on; one grown past a block is stored whole', async () => {
    const dir = tempDir();
    const files = makeFiles(dir, 600);
    // after the walk: one file is gone, one has grown from a few bytes to 1.5 MiB (past a block)
    fs.rmSync(files[10]!.queued.absPath.toString());
    const grown = crypto.randomBytes(1536 * 1024);
    fs.writeFileSync(files[20]!.queued.absPath.toString(), grown);
    files[20]!.content = grown;

    const writer = await ArchiveWriter.create({ finalPath: path.join(dir, 'q.lifeboat'), backupId: 'q1', appVersion: 't', passphrase: PASS, compressionLevel: 1, ...FAST });
    const queue = new FileQueue(writer, { signal: new AbortController().signal });
    const heard: (string | FileOutcome)[] = [];
    let waits = 0;
    for (const [i, { queued }] of files.entries()) {
      if (i % 50 === 0) {
        const wait = queue.after(() => void heard.push(`step ${i}`));
        if (wait) await wait;
      }
      const wait = queue.push(queued, (outcome) => void heard.push(outcome));
      if (wait) {
        waits++;
        await wait;
      }
    }
    await queue.drain();
    await queue.close();
    // the window filled now and then, but most files went in without waiting
    expect(waits).toBeGreaterThan(0);
    expect(waits).toBeLessThan(files.length / 4);

    // push order: each step before the 50 files that follow it
    expect(heard.length).toBe(files.length + 12);
    const outcomes = heard.filter((h): h is FileOutcome => typeof h !== 'string');
    heard.forEach((h, at) => {
      if (typeof h === 'string') expect(h).toBe(`step ${(at / 51) * 50}`);
    });
    expect(outcomes[10]!.error).toMatchObject({ code: 'ENOENT' });
    expect(outcomes.filter((o) => o.error)).toHaveLength(1);
    expect(outcomes[20]!.stored?.size).toBe(grown.length);

    await writer.finish(bareManifest([], 'q1'));
    const reader = await BackupReader.open(path.join(dir, 'q.lifeboat'), PASS);
    try {
      for (const [i, { queued, content }] of files.entries()) {
        if (i === 10) continue;
        const stored = outcomes[i]!.stored!;
        expect(stored.sha256).toBe(crypto.createHash('sha256').update(content).digest('hex'));
        const chunks: Buffer[] = [];
        for await (const chunk of await reader.openEntry(queued.name)) chunks.push(chunk as Buffer);
        expect(Buffer.concat(chunks).equals(content)).toBe(true);
      }
    } finally {
      await reader.close();
    }
  });

  it('a pool that dies fails the run, not the files: nothing waiting is skipped, the next push and drain throw', async () => {
    const dir = tempDir();
    const files = makeFiles(dir, 200);
    const writer = await ArchiveWriter.create({ finalPath: path.join(dir, 'q.lifeboat'), backupId: 'q1', appVersion: 't', passphrase: PASS, compressionLevel: 1, ...FAST });
    const queue = new FileQueue(writer, { signal: new AbortController().signal });
    const errors: Error[] = [];
    for (const { queued } of files.slice(0, 150)) {
      const wait = queue.push(queued, (outcome) => void (outcome.error && errors.push(outcome.error)));
      if (wait) await wait;
    }
    // the workers stop while files wait for them
    await queue.close();
    await expect(queue.drain()).rejects.toThrow(/pool is closed/);
    expect(() => queue.push(files[150]!.queued, () => undefined)).toThrow(/pool is closed/);
    expect(errors).toEqual([]);
    await writer.abort();
  });
});
