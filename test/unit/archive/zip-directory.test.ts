import { describe, expect, it } from 'vitest';
import { ZipDirectory, type ZipEntryFields } from '../../../src/main/core/archive/zip-directory';

const fields = (fileName: string, i: number): ZipEntryFields => ({
  fileName,
  compressionMethod: i % 2 === 0 ? 8 : 0,
  compressedSize: 1000 + i,
  // sizes and offsets past 32 bits (zip64) come back whole
  uncompressedSize: 2 ** 33 + i,
  crc32: 0xfedcba98 - i,
  relativeOffsetOfLocalHeader: 2 ** 40 + i * 77,
  generalPurposeBitFlag: 0x808,
  externalFileAttributes: 0o100644 * 65536,
});

describe('ZipDirectory', () => {
  it('finds every entry by name with all its fields, past its first room, in the order added', () => {
    const directory = new ZipDirectory(0);
    const names = Array.from({ length: 20_000 }, (_, i) => `folders/f1/d${i % 97}/file-${i}.txt`);
    names.push('folders/f1/ünïcödé/日本語.txt', 'folders/f1/emoji-😀.bin', '');
    names.forEach((name, i) => directory.add(fields(name, i)));
    directory.trim();
    expect(directory.size).toBe(names.length);
    names.forEach((name, i) => {
      expect(directory.has(name)).toBe(true);
      expect({ ...directory.get(name)! }).toMatchObject(fields(name, i));
    });
    expect([...directory.keys()]).toEqual(names);
    expect([...directory.values()].map((e) => e.fileName)).toEqual(names);
    expect([...directory].slice(0, 2).map(([name, entry]) => [name, entry.compressedSize])).toEqual([
      [names[0], 1000],
      [names[1], 1001],
    ]);
  });

  it('a count that is not a power of two (the zip\'s own, and past it) finds every entry and tells a missing one', () => {
    for (const expected of [3, 42, 1000]) {
      const directory = new ZipDirectory(expected);
      for (let i = 0; i < expected * 3; i++) directory.add(fields(`e${i}`, i));
      expect(directory.size).toBe(expected * 3);
      for (let i = 0; i < expected * 3; i++) expect(directory.get(`e${i}`)!.compressedSize).toBe(1000 + i);
      expect(directory.has('missing')).toBe(false);
    }
  });

  it('tells a missing name, including a prefix or an extension of one that is there', () => {
    const directory = new ZipDirectory(4);
    directory.add(fields('a/b.txt', 0));
    for (const missing of ['a/b', 'a/b.txt2', 'A/b.txt', 'a/b.tx', 'b.txt']) {
      expect(directory.has(missing)).toBe(false);
      expect(directory.get(missing)).toBeUndefined();
    }
  });

  it('hands out a new entry each time (a caller changing one changes nothing kept)', () => {
    const directory = new ZipDirectory();
    directory.add(fields('x', 0));
    const first = directory.get('x')!;
    first.compressedSize = 1;
    expect(directory.get('x')!.compressedSize).toBe(1000);
    expect(directory.get('x')).not.toBe(directory.get('x'));
  });

  it('an entry added twice under one name keeps the later fields, counted once (as a Map would)', () => {
    const directory = new ZipDirectory();
    directory.add(fields('dup', 0));
    directory.add(fields('dup', 5));
    expect(directory.size).toBe(1);
    expect(directory.get('dup')!.compressedSize).toBe(1005);
    expect([...directory.keys()]).toEqual(['dup']);
  });

  it('takes more entries after trim, and a forged entry count does not make it allocate for it', () => {
    const directory = new ZipDirectory(2 ** 32 - 1);
    directory.add(fields('one', 1));
    directory.trim();
    for (let i = 0; i < 100; i++) directory.add(fields(`more-${i}`, i));
    expect(directory.size).toBe(101);
    expect(directory.get('one')!.crc32).toBe(0xfedcba98 - 1);
    expect(directory.get('more-99')!.relativeOffsetOfLocalHeader).toBe(2 ** 40 + 99 * 77);
  });
});
