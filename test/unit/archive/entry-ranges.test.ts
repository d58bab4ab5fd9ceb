import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { ZipArchive } from 'archiver';
import yauzl from 'yauzl';
import { describe, expect, it } from 'vitest';
import { EntryRouter, locationList, type EntrySink, type ZipEntryLocation } from '../../../src/main/core/archive/entry-ranges';
import { AppError } from '../../../src/shared/errors';

interface Built {
  zip: Buffer;
  entries: Map<string, yauzl.Entry>;
}

/** A zip as the backup writer makes it (archiver, ZIP64 headers, data descriptors). */
async function buildZip(files: { name: string; data: Buffer; store?: boolean }[]): Promise<Built> {
  const archive = new ZipArchive({ zlib: { level: 6 }, forceZip64: true });
  const parts: Buffer[] = [];
  archive.on('data', (d: Buffer) => parts.push(d));
  const ended = new Promise<void>((resolve, reject) => {
    archive.on('end', () => resolve());
    archive.on('error', reject);
  });
  for (const f of files) archive.append(f.data, { name: f.name, store: f.store });
  await archive.finalize();
  await ended;
  const zip = Buffer.concat(parts);
  const entries = new Map<string, yauzl.Entry>();
  await new Promise<void>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: false }, (err, file) => {
      if (err) return reject(err);
      file!.on('entry', (e: yauzl.Entry) => entries.set(e.fileName, e));
      file!.on('end', () => resolve());
      file!.on('error', reject);
    }),
  );
  return { zip, entries };
}

function locationOf(entry: yauzl.Entry): ZipEntryLocation {
  return { name: entry.fileName, localHeaderOffset: entry.relativeOffsetOfLocalHeader, compressedSize: entry.compressedSize };
}

/** A sink that keeps what it is given (copied: the router lends the buffer) and logs its calls. */
function collector(log: string[], name: string, received: Map<string, Buffer[]>, failOnWrite = false): EntrySink {
  received.set(name, []);
  return {
    write(data) {
      if (failOnWrite) throw new AppError('FILE_CORRUPT', { detail: `sink for ${name}` });
      received.get(name)!.push(Buffer.from(data));
    },
    end: () => void log.push(`end ${name}`),
    destroy: () => void log.push(`destroy ${name}`),
  };
}

/** Pushes `payload` in pieces of the given sizes (cycled), reusing one buffer as the container does. */
async function pushInPieces(router: EntryRouter, payload: Buffer, sizes: number[]): Promise<void> {
  const scratch = Buffer.alloc(Math.max(...sizes));
  let offset = 0;
  for (let i = 0; offset < payload.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, payload.length - offset);
    payload.copy(scratch, 0, offset, offset + n);
    await router.push(scratch.subarray(0, n), offset);
    scratch.fill(0xee);
    offset += n;
  }
  await router.finish();
}

describe('entry router', () => {
  const files = [
    { name: 'databases/db1-shop.dump', data: crypto.randomBytes(70_000), store: true },
    { name: 'folders/f1/empty.txt', data: Buffer.alloc(0) },
    { name: 'folders/f1/empty-stored.bin', data: Buffer.alloc(0), store: true },
    { name: 'folders/f1/notes.txt', data: Buffer.from('hello\n'.repeat(5000)) },
    { name: 'folders/f1/ünïcode name.bin', data: crypto.randomBytes(3000) },
    { name: 'manifest.json', data: Buffer.from('{}') },
  ];

  it.each([[[1]], [[7, 1, 4096]], [[29, 31]], [[65_536]], [[1_000_000]]])(
    'hands every entry exactly its data, whatever the piece sizes (%j)',
    async (sizes) => {
      const { zip, entries } = await buildZip(files);
      const wanted = files.filter((f) => f.name !== 'manifest.json');
      const log: string[] = [];
      const received = new Map<string, Buffer[]>();
      const router = new EntryRouter(
        locationList(wanted.map((f) => locationOf(entries.get(f.name)!))),
        zip.length,
        (location) => collector(log, location.name, received),
      );
      await pushInPieces(router, zip, sizes);
      expect(router.failures).toEqual(new Map());
      // in archive order, each ended once
      expect(log).toEqual(wanted.map((f) => `end ${f.name}`));
      for (const f of wanted) {
        const raw = Buffer.concat(received.get(f.name)!);
        expect(raw.length, f.name).toBe(entries.get(f.name)!.compressedSize);
        const plain = entries.get(f.name)!.compressionMethod === 8 ? zlib.inflateRawSync(raw) : raw;
        expect(plain.equals(f.data), f.name).toBe(true);
      }
    },
  );

  it('reports a bad local header, an entry inside another and data past the end, and carries on with the rest', async () => {
    const { zip, entries } = await buildZip(files);
    const dump = locationOf(entries.get('databases/db1-shop.dump')!);
    const notes = locationOf(entries.get('folders/f1/notes.txt')!);
    const emptyStored = locationOf(entries.get('folders/f1/empty-stored.bin')!);
    const last = locationOf(entries.get('folders/f1/ünïcode name.bin')!);
    const damaged = Buffer.from(zip);
    damaged.writeUInt32LE(0x12345678, notes.localHeaderOffset);
    const log: string[] = [];
    const received = new Map<string, Buffer[]>();
    const router = new EntryRouter(
      locationList([
        dump,
        notes,
        { name: 'inside the dump', localHeaderOffset: dump.localHeaderOffset + 100, compressedSize: 10 },
        { ...emptyStored, name: 'too long', compressedSize: zip.length },
        last,
      ]),
      damaged.length,
      (location) => collector(log, location.name, received),
    );
    await pushInPieces(router, damaged, [4096]);
    const messages = new Map([...router.failures].map(([name, e]) => [name, (e as AppError).message]));
    expect([...messages.keys()].sort()).toEqual(['folders/f1/notes.txt', 'inside the dump', 'too long']);
    expect(messages.get('folders/f1/notes.txt')).toContain('invalid local file header signature: 0x12345678');
    expect(messages.get('inside the dump')).toContain('lies inside the entry before it');
    expect(messages.get('too long')).toContain('file data overflows file bounds');
    for (const e of router.failures.values()) expect((e as AppError).code).toBe('FILE_CORRUPT');
    expect(log).toEqual([`end ${dump.name}`, `end ${last.name}`]);
  });

  it('a sink that fails is destroyed and its entry reported; abort destroys the entry being read', async () => {
    const { zip, entries } = await buildZip(files);
    const dump = locationOf(entries.get('databases/db1-shop.dump')!);
    const notes = locationOf(entries.get('folders/f1/notes.txt')!);
    const log: string[] = [];
    const received = new Map<string, Buffer[]>();
    const router = new EntryRouter(locationList([dump, notes]), zip.length, (location) => collector(log, location.name, received, location === dump));
    await pushInPieces(router, zip, [1000]);
    expect([...router.failures.keys()]).toEqual([dump.name]);
    expect(log).toEqual([`destroy ${dump.name}`, `end ${notes.name}`]);

    const log2: string[] = [];
    const stopped = new EntryRouter(locationList([dump, notes]), zip.length, (location) => collector(log2, location.name, new Map()));
    await stopped.push(zip.subarray(0, dump.localHeaderOffset + 5000), 0);
    expect(stopped.current).toBe(dump.name);
    await stopped.abort();
    expect(log2).toEqual([`destroy ${dump.name}`]);
    expect(stopped.current).toBeNull();
  });

  it('takes the entries by number, in the order of their offsets, and makes each location only when its turn comes', async () => {
    const { zip, entries } = await buildZip(files);
    // given in reverse: the router sorts the numbers by offset
    const wanted = files.filter((f) => f.name !== 'manifest.json').reverse();
    const made: string[] = [];
    const log: string[] = [];
    const router = new EntryRouter(
      {
        count: wanted.length,
        offset: (i) => entries.get(wanted[i]!.name)!.relativeOffsetOfLocalHeader,
        location: (i) => {
          made.push(wanted[i]!.name);
          return { ...locationOf(entries.get(wanted[i]!.name)!), key: i };
        },
      },
      zip.length,
      (location) => {
        log.push(`${location.key} ${location.name}`);
        return collector([], location.name, new Map());
      },
    );
    expect(made).toEqual([]);
    const second = entries.get(wanted[wanted.length - 2]!.name)!;
    // up to the second entry's local header: the first two made, no more
    await router.push(zip.subarray(0, second.relativeOffsetOfLocalHeader + 1), 0);
    expect(made).toEqual([wanted[wanted.length - 1]!.name, wanted[wanted.length - 2]!.name]);
    await router.push(zip.subarray(second.relativeOffsetOfLocalHeader + 1), second.relativeOffsetOfLocalHeader + 1);
    await router.finish();
    expect(router.failures).toEqual(new Map());
    expect(log).toEqual(wanted.map((f, i) => `${i} ${f.name}`).reverse());
  });

  it('refuses pieces out of order', async () => {
    const router = new EntryRouter(locationList([]), 100, () => {
      throw new Error('no entries');
    });
    await router.push(Buffer.alloc(10), 0);
    await expect(router.push(Buffer.alloc(10), 20)).rejects.toThrow(/expected 10/);
  });
});
