/**
 * A streaming ZIP64 writer (APPNOTE 6.3.10) for the backup payload, written for what a backup
 * needs and archiver could not give: a compression method per entry (stored, deflate, zstd),
 * compressed data handed in already compressed (by other threads, in order), a few bytes of
 * bookkeeping per entry instead of a stream pipeline each, and a central directory that goes to
 * a scratch file as the entries go by instead of staying in memory (a million files would be
 * ~100 MB of it). Every entry has a local header with the ZIP64 extra field, flag 3 (sizes in a
 * ZIP64 data descriptor after the data) and flag 11 (UTF-8 name); the central directory and
 * the ZIP64 end records are always written, whatever the sizes.
 */
import type { Spool } from './spool';

export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;
/** APPNOTE 4.4.5: 93 - Zstandard (zstd) Compression */
export const METHOD_ZSTD = 93;
export type ZipMethod = typeof METHOD_STORE | typeof METHOD_DEFLATE | typeof METHOD_ZSTD;

const FLAGS = 0x0808; // bit 3: data descriptor; bit 11: UTF-8 names
const VERSION_NEEDED = 45; // ZIP64
const VERSION_MADE_BY = (3 << 8) | 45; // Unix: the external attributes hold st_mode
const U32_MAX = 0xffffffff;
const GATHER_BYTES = 256 * 1024;
/** a size of `data` pieces the writer copies (the caller may reuse its buffer): pieces of GATHER_BYTES or more are kept until written */
export const COPIED_PIECE_BYTES = GATHER_BYTES / 4;
/** a local header without its name: 30 bytes and the ZIP64 extra field (20) */
const LOCAL_HEADER_BYTES = 30 + 20;
/** the ZIP64 data descriptor */
const DESCRIPTOR_BYTES = 24;
/** a central directory record without its name: 46 bytes and the ZIP64 extra field (28) */
const CENTRAL_RECORD_BYTES = 46 + 28;

/**
 * Where the writer's bytes go; `write` resolves when the consumer can take more: to true when it
 * no longer holds `data` (it copied it), so that the buffer may be filled again, else to false.
 */
export interface ZipSink {
  write(data: Buffer): Promise<boolean>;
}

export interface EntryStart {
  name: string;
  method: ZipMethod;
  /** permission bits (st_mode & 0o7777); the entry is marked a regular file */
  mode?: number;
  date?: Date;
}

export interface EntryEnd {
  crc32: number;
  /** bytes before compression */
  size: number;
}

/** DOS date and time (local time, 2-second steps, 1980-01-01 at the earliest), as ZIP stores them. */
export function dosDateTime(date: Date): { time: number; date: number } {
  const d = Number.isNaN(date.getTime()) || date.getFullYear() < 1980 ? new Date(1980, 0, 1) : date;
  const year = Math.min(d.getFullYear(), 2107);
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

interface OpenEntry {
  name: Buffer;
  method: ZipMethod;
  mode: number;
  time: number;
  date: number;
  offset: number;
  compressed: number;
}

export class ZipWriter {
  private offset = 0;
  private count = 0;
  private open: OpenEntry | null = null;
  /**
   * Small pieces (headers, descriptors, small files' data) are copied into this buffer and
   * written together: no buffer of their own per piece (for a tree of small files, hundreds of
   * thousands of them that the collector must find and free).
   */
  private gather: Buffer = Buffer.allocUnsafeSlow(GATHER_BYTES);
  private gatheredBytes = 0;
  /** a gather buffer the sink has let go of: the next flush's (not a new one each, which V8 would free only at a full collection) */
  private spare: Buffer | null = null;
  /** where a central directory record is built before the spool copies it */
  private record = Buffer.allocUnsafeSlow(1024);

  constructor(
    private readonly sink: ZipSink,
    private readonly central: Spool,
  ) {}

  /** Payload bytes written so far (the offset of the next entry). */
  get bytesWritten(): number {
    return this.offset + this.gatheredBytes;
  }

  /** Writes an entry's local header; its data follows with `data`, then `end`. */
  async begin(entry: EntryStart): Promise<void> {
    if (this.open) throw new Error(`zip writer: ${this.open.name.toString()} is still open`);
    const name = Buffer.from(entry.name, 'utf8');
    const { time, date } = dosDateTime(entry.date ?? new Date());
    this.open = { name, method: entry.method, mode: entry.mode ?? 0o644, time, date, offset: this.bytesWritten, compressed: 0 };
    this.writeHeader(await this.room(LOCAL_HEADER_BYTES + name.length), this.open);
  }

  /** Appends (compressed) data to the open entry. */
  async data(chunk: Buffer): Promise<void> {
    if (!this.open) throw new Error('zip writer: no open entry');
    this.open.compressed += chunk.length;
    await this.emit(chunk);
  }

  /** Closes the open entry: its data descriptor now, its central directory record to the spool. */
  async end(result: EntryEnd): Promise<void> {
    const entry = this.open;
    if (!entry) throw new Error('zip writer: no open entry');
    this.open = null;
    this.writeDescriptor(await this.room(DESCRIPTOR_BYTES), entry, result);
    await this.central.append(this.centralRecord(entry, result));
    this.count++;
  }

  /** Writes an entry whose (compressed) data is all in hand, waiting for writes where needed (tryEntry first spares the waits). */
  async entry(start: EntryStart, data: Buffer, result: EntryEnd): Promise<void> {
    await this.begin(start);
    if (data.length) await this.data(data);
    await this.end(result);
  }

  /**
   * `entry` without waiting, when the whole entry fits in the gather buffer and its central
   * record in the spool's: true when written, false (nothing written) when it must wait, for
   * `entry`. A tree of small files is written this way, without an await per file.
   */
  tryEntry(start: EntryStart, data: Buffer, result: EntryEnd): boolean {
    if (this.open) throw new Error(`zip writer: ${this.open.name.toString()} is still open`);
    const name = Buffer.from(start.name, 'utf8');
    const bytes = LOCAL_HEADER_BYTES + name.length + data.length + DESCRIPTOR_BYTES;
    if (this.gatheredBytes + bytes > this.gather.length || !this.central.hasRoom(CENTRAL_RECORD_BYTES + name.length)) return false;
    const { time, date } = dosDateTime(start.date ?? new Date());
    const entry: OpenEntry = { name, method: start.method, mode: start.mode ?? 0o644, time, date, offset: this.bytesWritten, compressed: data.length };
    let at = this.gatheredBytes;
    this.gatheredBytes += bytes;
    this.writeHeader(at, entry);
    at += LOCAL_HEADER_BYTES + name.length;
    data.copy(this.gather, at);
    this.writeDescriptor(at + data.length, entry, result);
    this.central.appendSync(this.centralRecord(entry, result));
    this.count++;
    return true;
  }

  /** The local header (30 bytes, the name, a ZIP64 extra field of 20) at `at` in the gather buffer. */
  private writeHeader(at: number, entry: OpenEntry): void {
    const header = this.gather;
    header.writeUInt32LE(0x04034b50, at);
    header.writeUInt16LE(VERSION_NEEDED, at + 4);
    header.writeUInt16LE(FLAGS, at + 6);
    header.writeUInt16LE(entry.method, at + 8);
    header.writeUInt16LE(entry.time, at + 10);
    header.writeUInt16LE(entry.date, at + 12);
    // crc 0 (in the descriptor); sizes 0xffffffff: the ZIP64 extra field (zeros here) holds them
    header.writeUInt32LE(0, at + 14);
    header.writeUInt32LE(U32_MAX, at + 18);
    header.writeUInt32LE(U32_MAX, at + 22);
    header.writeUInt16LE(entry.name.length, at + 26);
    header.writeUInt16LE(20, at + 28);
    entry.name.copy(header, at + 30);
    const extra = at + 30 + entry.name.length;
    header.writeUInt16LE(0x0001, extra);
    header.writeUInt16LE(16, extra + 2);
    header.fill(0, extra + 4, extra + 20);
  }

  /** The ZIP64 data descriptor at `at` in the gather buffer. */
  private writeDescriptor(at: number, entry: OpenEntry, result: EntryEnd): void {
    const descriptor = this.gather;
    descriptor.writeUInt32LE(0x08074b50, at);
    descriptor.writeUInt32LE(result.crc32 >>> 0, at + 4);
    writeU64(descriptor, entry.compressed, at + 8);
    writeU64(descriptor, result.size, at + 16);
  }

  /** The entry's central directory record, in the reused record buffer (the spool copies it). */
  private centralRecord(entry: OpenEntry, result: EntryEnd): Buffer {
    const length = CENTRAL_RECORD_BYTES + entry.name.length;
    if (this.record.length < length) this.record = Buffer.allocUnsafeSlow(length);
    const record = this.record;
    record.fill(0, 0, length);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(VERSION_MADE_BY, 4);
    record.writeUInt16LE(VERSION_NEEDED, 6);
    record.writeUInt16LE(FLAGS, 8);
    record.writeUInt16LE(entry.method, 10);
    record.writeUInt16LE(entry.time, 12);
    record.writeUInt16LE(entry.date, 14);
    record.writeUInt32LE(result.crc32 >>> 0, 16);
    record.writeUInt32LE(U32_MAX, 20);
    record.writeUInt32LE(U32_MAX, 24);
    record.writeUInt16LE(entry.name.length, 28);
    record.writeUInt16LE(28, 30);
    // comment length, disk number, internal attributes: 0
    record.writeUInt32LE(((0o100000 | (entry.mode & 0o7777)) << 16) >>> 0, 38);
    record.writeUInt32LE(U32_MAX, 42);
    entry.name.copy(record, 46);
    const extra = 46 + entry.name.length;
    record.writeUInt16LE(0x0001, extra);
    record.writeUInt16LE(24, extra + 2);
    writeU64(record, result.size, extra + 4);
    writeU64(record, entry.compressed, extra + 12);
    writeU64(record, entry.offset, extra + 20);
    return record.subarray(0, length);
  }

  /** Writes the central directory (from the spool) and the ZIP64 end records, and flushes. */
  async finish(): Promise<void> {
    if (this.open) throw new Error(`zip writer: ${this.open.name.toString()} is still open`);
    const cdStart = this.bytesWritten;
    // pieces that emit copies (the spool reuses its buffer)
    await this.central.readEach(COPIED_PIECE_BYTES, (piece) => this.emit(piece));
    const cdSize = this.bytesWritten - cdStart;
    const eocd64At = this.bytesWritten;
    const end = Buffer.alloc(56 + 20 + 22);
    end.writeUInt32LE(0x06064b50, 0);
    end.writeBigUInt64LE(44n, 4);
    end.writeUInt16LE(VERSION_MADE_BY, 12);
    end.writeUInt16LE(VERSION_NEEDED, 14);
    // this disk and the central directory's disk: 0
    end.writeBigUInt64LE(BigInt(this.count), 24);
    end.writeBigUInt64LE(BigInt(this.count), 32);
    end.writeBigUInt64LE(BigInt(cdSize), 40);
    end.writeBigUInt64LE(BigInt(cdStart), 48);
    end.writeUInt32LE(0x07064b50, 56);
    end.writeBigUInt64LE(BigInt(eocd64At), 64);
    end.writeUInt32LE(1, 72);
    end.writeUInt32LE(0x06054b50, 76);
    end.writeUInt16LE(0xffff, 84);
    end.writeUInt16LE(0xffff, 86);
    end.writeUInt32LE(U32_MAX, 88);
    end.writeUInt32LE(U32_MAX, 92);
    await this.emit(end);
    await this.flush();
  }

  /** Small pieces are copied into the gather buffer and written together, large ones go straight through (the writer keeps `data` until written: never reuse it). */
  private async emit(data: Buffer): Promise<void> {
    if (data.length >= GATHER_BYTES) {
      await this.flush();
      this.offset += data.length;
      await this.sink.write(data);
      return;
    }
    // room() may replace the gather buffer: ask for the place first
    const at = await this.room(data.length);
    data.copy(this.gather, at);
  }

  /** Makes room for `bytes` (under GATHER_BYTES) in the gather buffer, flushing it when full; returns where they go. */
  private async room(bytes: number): Promise<number> {
    if (this.gatheredBytes + bytes > this.gather.length) await this.flush();
    const at = this.gatheredBytes;
    this.gatheredBytes += bytes;
    return at;
  }

  private async flush(): Promise<void> {
    if (this.gatheredBytes === 0) return;
    const full = this.gather;
    const data = full.subarray(0, this.gatheredBytes);
    // the sink may keep `data` until it is written: the next pieces go to another buffer
    this.gather = this.spare ?? Buffer.allocUnsafeSlow(GATHER_BYTES);
    this.spare = null;
    this.offset += this.gatheredBytes;
    this.gatheredBytes = 0;
    if (await this.sink.write(data)) this.spare = full;
  }
}

/** An unsigned 64-bit little-endian integer at `at` (from a safe integer, without a BigInt). */
function writeU64(buffer: Buffer, value: number, at: number): void {
  buffer.writeUInt32LE(value % 0x1_0000_0000, at);
  buffer.writeUInt32LE(Math.floor(value / 0x1_0000_0000), at + 4);
}
