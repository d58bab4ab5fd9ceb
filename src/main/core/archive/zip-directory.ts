/**
 * A zip's central directory as a reader keeps it: per entry its name and the eight fields that
 * reading it needs, in typed arrays and one buffer of names, found by name through an
 * open-addressing hash table. About 80 bytes an entry, where a Map of entry objects took about
 * 250 (the object, its name string, its numbers, the map's slot): for a backup of a million
 * files, what every restore and verify of it holds from start to end.
 *
 * An entry is handed out as a new yauzl Entry each time it is asked for (get, values): a
 * caller keeps it as long as it needs it, the directory never does.
 */
import yauzl from 'yauzl';
import { fnv1a } from '../folders/raw-path';

/** The fields of an entry kept (yauzl's openReadStream, the reader and verify read no others). */
export interface ZipEntryFields {
  fileName: string;
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  relativeOffsetOfLocalHeader: number;
  generalPurposeBitFlag: number;
  externalFileAttributes: number;
}

/**
 * A zip entry with only the fields of ZipEntryFields, on yauzl's Entry prototype (what
 * openReadStream takes). A class, so that V8 keeps the fields in the object itself.
 */
class DirectoryEntry extends yauzl.Entry {
  constructor(fields: ZipEntryFields) {
    super();
    this.fileName = fields.fileName;
    this.compressionMethod = fields.compressionMethod;
    this.compressedSize = fields.compressedSize;
    this.uncompressedSize = fields.uncompressedSize;
    this.crc32 = fields.crc32;
    this.relativeOffsetOfLocalHeader = fields.relativeOffsetOfLocalHeader;
    this.generalPurposeBitFlag = fields.generalPurposeBitFlag;
    this.externalFileAttributes = fields.externalFileAttributes;
  }
}

/** An empty hash slot. */
const EMPTY = -1;

/** An empty hash table for `capacity` entries: a power of two (slots are found with a mask), at least twice as many. */
function slotsFor(capacity: number): Int32Array {
  let size = 32;
  while (size < capacity * 2) size *= 2;
  return new Int32Array(size).fill(EMPTY);
}

export class ZipDirectory {
  private count = 0;
  /** the entries' names (UTF-8) back to back; entry i's ends at nameEnds[i] */
  private names: Buffer;
  private namesLength = 0;
  private nameEnds: Uint32Array;
  private compressedSizes: Float64Array;
  private uncompressedSizes: Float64Array;
  private offsets: Float64Array;
  private crcs: Uint32Array;
  private attributes: Uint32Array;
  private methods: Uint16Array;
  private flags: Uint16Array;
  /** entry numbers by name hash, open addressing (linear probing), at most half full */
  private slots: Int32Array;

  /** `expected`: how many entries the zip says it has (a hint: the arrays grow past it, and a forged count cannot make them huge) */
  constructor(expected = 0) {
    const capacity = Math.max(16, Math.min(expected, 1 << 16));
    this.names = Buffer.allocUnsafe(capacity * 32);
    this.nameEnds = new Uint32Array(capacity);
    this.compressedSizes = new Float64Array(capacity);
    this.uncompressedSizes = new Float64Array(capacity);
    this.offsets = new Float64Array(capacity);
    this.crcs = new Uint32Array(capacity);
    this.attributes = new Uint32Array(capacity);
    this.methods = new Uint16Array(capacity);
    this.flags = new Uint16Array(capacity);
    this.slots = slotsFor(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds an entry; one with a name already there replaces it (as a Map's set would). */
  add(entry: ZipEntryFields): void {
    const name = Buffer.from(entry.fileName, 'utf8');
    let index = this.find(name);
    if (index === EMPTY) {
      if (this.count === this.nameEnds.length) this.grow();
      if (this.namesLength + name.length > this.names.length) {
        const names = Buffer.allocUnsafe(Math.max(this.names.length * 2, this.namesLength + name.length));
        this.names.copy(names, 0, 0, this.namesLength);
        this.names = names;
      }
      index = this.count++;
      name.copy(this.names, this.namesLength);
      this.namesLength += name.length;
      this.nameEnds[index] = this.namesLength;
      this.place(index);
    }
    this.compressedSizes[index] = entry.compressedSize;
    this.uncompressedSizes[index] = entry.uncompressedSize;
    this.offsets[index] = entry.relativeOffsetOfLocalHeader;
    this.crcs[index] = entry.crc32 >>> 0;
    this.attributes[index] = entry.externalFileAttributes >>> 0;
    this.methods[index] = entry.compressionMethod;
    this.flags[index] = entry.generalPurposeBitFlag;
  }

  /** Lets go of the room the arrays grew beyond the entries (once every entry is in). */
  trim(): void {
    const exact = <T extends Float64Array | Uint32Array | Uint16Array>(from: T): T => from.slice(0, this.count) as T;
    this.names = Buffer.from(this.names.subarray(0, this.namesLength));
    this.nameEnds = exact(this.nameEnds);
    this.compressedSizes = exact(this.compressedSizes);
    this.uncompressedSizes = exact(this.uncompressedSizes);
    this.offsets = exact(this.offsets);
    this.crcs = exact(this.crcs);
    this.attributes = exact(this.attributes);
    this.methods = exact(this.methods);
    this.flags = exact(this.flags);
  }

  has(name: string): boolean {
    return this.indexOf(name) !== -1;
  }

  /** The number of the entry named `name` (0 to size - 1, in the order added), or -1: a key for what a caller keeps per entry. */
  indexOf(name: string): number {
    return this.find(Buffer.from(name, 'utf8'));
  }

  /** The entry named `name` (a new object each time), or undefined. */
  get(name: string): yauzl.Entry | undefined {
    const index = this.find(Buffer.from(name, 'utf8'));
    return index === EMPTY ? undefined : this.entry(index, name);
  }

  /** The names, in the order the entries were added. */
  *keys(): IterableIterator<string> {
    for (let i = 0; i < this.count; i++) yield this.nameAt(i);
  }

  /** The entries (new objects), in the order they were added. */
  *values(): IterableIterator<yauzl.Entry> {
    for (let i = 0; i < this.count; i++) yield this.entry(i, this.nameAt(i));
  }

  /** [name, entry] pairs, as a Map iterates. */
  *[Symbol.iterator](): IterableIterator<[string, yauzl.Entry]> {
    for (let i = 0; i < this.count; i++) {
      const name = this.nameAt(i);
      yield [name, this.entry(i, name)];
    }
  }

  /** Where entry number `index`'s local header is in the payload. */
  offsetAt(index: number): number {
    return this.offsets[index]!;
  }

  /** The size of entry number `index`'s (compressed) data. */
  compressedSizeAt(index: number): number {
    return this.compressedSizes[index]!;
  }

  /** The name of entry number `index`. */
  nameAt(index: number): string {
    return this.names.toString('utf8', index === 0 ? 0 : this.nameEnds[index - 1]!, this.nameEnds[index]!);
  }

  private entry(index: number, fileName: string): yauzl.Entry {
    return new DirectoryEntry({
      fileName,
      compressionMethod: this.methods[index]!,
      compressedSize: this.compressedSizes[index]!,
      uncompressedSize: this.uncompressedSizes[index]!,
      crc32: this.crcs[index]!,
      relativeOffsetOfLocalHeader: this.offsets[index]!,
      generalPurposeBitFlag: this.flags[index]!,
      externalFileAttributes: this.attributes[index]!,
    });
  }

  /** The number of the entry named `name` (its UTF-8 bytes), or EMPTY. */
  private find(name: Buffer): number {
    const mask = this.slots.length - 1;
    for (let slot = fnv1a(name) & mask; ; slot = (slot + 1) & mask) {
      const index = this.slots[slot]!;
      if (index === EMPTY) return EMPTY;
      const start = index === 0 ? 0 : this.nameEnds[index - 1]!;
      const end = this.nameEnds[index]!;
      if (end - start === name.length && name.compare(this.names, start, end) === 0) return index;
    }
  }

  /** Puts entry `index` in its hash slot. */
  private place(index: number): void {
    const mask = this.slots.length - 1;
    const start = index === 0 ? 0 : this.nameEnds[index - 1]!;
    let slot = fnv1a(this.names, start, this.nameEnds[index]!) & mask;
    while (this.slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.slots[slot] = index;
  }

  /** Twice the room for entries (and the hash table rebuilt at twice its size). */
  private grow(): void {
    const capacity = Math.max(16, this.nameEnds.length * 2);
    const wider = <T extends Float64Array | Uint32Array | Uint16Array>(from: T, make: (n: number) => T): T => {
      const to = make(capacity);
      to.set(from);
      return to;
    };
    this.nameEnds = wider(this.nameEnds, (n) => new Uint32Array(n));
    this.compressedSizes = wider(this.compressedSizes, (n) => new Float64Array(n));
    this.uncompressedSizes = wider(this.uncompressedSizes, (n) => new Float64Array(n));
    this.offsets = wider(this.offsets, (n) => new Float64Array(n));
    this.crcs = wider(this.crcs, (n) => new Uint32Array(n));
    this.attributes = wider(this.attributes, (n) => new Uint32Array(n));
    this.methods = wider(this.methods, (n) => new Uint16Array(n));
    this.flags = wider(this.flags, (n) => new Uint16Array(n));
    this.slots = slotsFor(capacity);
    for (let i = 0; i < this.count; i++) this.place(i);
  }
}
