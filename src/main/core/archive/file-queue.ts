/**
 * Folder files into the archive, several at a time and written in order. A small file (under
 * 256 KiB) is read, hashed and compressed whole by a worker thread (SmallFilePool, a batch of
 * files per message); a larger one is opened and its first block (1 MiB) read and compressed on
 * libuv's thread pool. Either starts as soon as the file is pushed, while earlier files are still
 * being written; the main thread hashes what the workers did not, seals and writes the files one
 * after the other in the order pushed. A larger file's further blocks are read and compressed a
 * few ahead of the one being written.
 * At most WINDOW_FILES files and WINDOW_BYTES of first blocks wait at a time, so memory does not
 * grow with the number or the size of the files.
 *
 * The first block is also the trial that decides a file's method: a name that says the file is
 * compressed already (photos, videos, archives) is stored without a trial, and a first block
 * that compression does not shrink by 8 % stores the whole file.
 */
import crypto from 'node:crypto';
import type fs from 'node:fs';
import { open } from 'node:fs/promises';
import zlib from 'node:zlib';
import { BLOCK_BYTES, compressionPays, isCompressedByName, WORTH_IT, type BlockCodec } from './codecs';
import { SmallFilePool, type SmallFileResult } from './small-file-pool';
import type { ArchiveWriter } from './writer';
import { METHOD_STORE, type ZipMethod } from './zip-writer';

const WINDOW_FILES = 256;
/** below this a file is read whole in one call */
const SMALL_FILE_BYTES = 256 * 1024;
/** below this compression cannot gain what the zip's per-entry bytes cost: stored */
const MIN_COMPRESS_BYTES = 128;
const WINDOW_BYTES = 16 * 1024 * 1024;
/** blocks of one large file read (and compressed) ahead of the one being written */
const READ_AHEAD = 3;

/** A file to store, as the walk saw it. */
export interface QueuedFile {
  /** the zip entry's name */
  name: string;
  /** the bytes of the absolute path */
  absPath: Buffer;
  /** the file's name (for the compressed-format test) */
  baseName: string;
  /** size at walk time (the bytes actually read are what is stored) */
  size: number;
  mode: number;
  date: Date;
}

/** What was stored for a file. */
export interface StoredFile {
  size: number;
  sha256: string;
  method: ZipMethod;
}

/** The result of one pushed file, in push order: stored, or why it could not be read (skipped). */
export type FileOutcome = { stored: StoredFile; error?: undefined } | { stored?: undefined; error: Error };

/** A small file read, hashed and (maybe) compressed whole by the pool. */
interface WholeFile {
  whole: SmallFileResult & { error?: undefined; grown?: undefined };
}

interface FirstBlock {
  raw: Buffer;
  /** the compressed first block, when compression pays */
  compressed: Buffer | null;
  /** the file goes on after the first block (its handle is still open) */
  more: boolean;
  handle: fs.promises.FileHandle | null;
}

/** A file to write, or (file null) a step to run in its place in the order. */
interface Pending {
  file: QueuedFile | null;
  first: Promise<FirstBlock | WholeFile> | null;
  /** the pool's batch a small file is in (-1: none) */
  batch: number;
  bytes: number;
  done: (outcome: FileOutcome) => void | Promise<void>;
  /** settles once this file is written (or skipped) */
  written: Promise<void>;
}

/** Reads up to `length` bytes at `position`; fewer only at the end of the file. */
async function readBlock(handle: fs.promises.FileHandle, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

export class FileQueue {
  private readonly waiting: Pending[] = [];
  private waitingBytes = 0;
  private writing: Promise<void> = Promise.resolve();
  private pool: SmallFilePool | null = null;
  private failure: unknown = null;

  constructor(
    private readonly writer: ArchiveWriter,
    private readonly options: { signal: AbortSignal; onBytes?: (n: number) => void },
  ) {}

  private get codec(): BlockCodec | null {
    return this.writer.codec;
  }

  /**
   * Starts reading `file` and queues it to be written after the files pushed before it; `done`
   * hears its outcome, in push order. Waits while the window is full. Throws once writing failed
   * (destination, cancellation).
   */
  async push(file: QueuedFile, done: (outcome: FileOutcome) => void | Promise<void>): Promise<void>;
  async push(file: null, done: () => void | Promise<void>): Promise<void>;
  async push(file: QueuedFile | null, done: Pending['done']): Promise<void> {
    while (this.waiting.length >= WINDOW_FILES || this.waitingBytes >= WINDOW_BYTES) {
      // the oldest is being written (or next): room frees up when it is done
      await this.waiting[0]!.written;
      this.throwIfFailed();
    }
    this.throwIfFailed();
    const pending = { file, first: null, batch: -1, bytes: file ? Math.min(file.size, BLOCK_BYTES) : 0, done } as Pending;
    if (file && file.size < SMALL_FILE_BYTES && !this.writer.codecInjected) {
      this.pool ??= new SmallFilePool({ method: this.codec?.method ?? METHOD_STORE, level: this.writer.compressionLevel, blockBytes: BLOCK_BYTES, worthIt: WORTH_IT });
      const { result, batch } = this.pool.read({ absPath: file.absPath, compress: this.worthTrying(file, file.size) });
      pending.batch = batch;
      pending.first = this.readSmall(file, result);
    } else if (file) {
      pending.first = this.readLarge(file);
    }
    pending.first?.catch(() => undefined);
    this.waiting.push(pending);
    this.waitingBytes += pending.bytes;
    this.writing = pending.written = this.writing.then(() => this.writeNext());
  }

  /**
   * Queues `step` to run after the files pushed before it are written (and their `done` ran):
   * what the caller records in walk order between files (folders, links, unchanged files).
   */
  async after(step: () => void | Promise<void>): Promise<void> {
    await this.push(null, step);
  }

  /** Waits until every pushed file is written; throws what stopped the writing. */
  async drain(): Promise<void> {
    await this.writing;
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** A small file as the pool read it; one that has grown past a block since the walk is read as a large one. */
  private async readSmall(file: QueuedFile, read: Promise<SmallFileResult>): Promise<FirstBlock | WholeFile> {
    const result = await read;
    if (result.error) throw result.error;
    if (!result.grown) return { whole: result };
    // it has grown past a block since the walk: read as a large file
    return this.readLarge(file);
  }

  /** Opens a larger file and reads (and compresses) its first block; the handle stays open for the rest. */
  private async readLarge(file: QueuedFile): Promise<FirstBlock> {
    const handle = await open(file.absPath, 'r');
    try {
      // one byte more than the walk saw tells at once whether the file has grown since
      const wanted = Math.min(file.size + 1, BLOCK_BYTES);
      const raw = await readBlock(handle, wanted, 0);
      const more = raw.length === wanted;
      const compressed = await this.trial(file, raw, !more);
      if (!more) await handle.close();
      return { raw, compressed, more, handle: more ? handle : null };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  /** Whether a file of `size` bytes is worth a compression trial (not tiny, not a compressed format by its name). */
  private worthTrying(file: QueuedFile, size: number): boolean {
    return this.codec !== null && size >= MIN_COMPRESS_BYTES && !isCompressedByName(file.baseName);
  }

  /** The compressed first block when compressing the file pays, else null (stored). */
  private async trial(file: QueuedFile, raw: Buffer, last: boolean): Promise<Buffer | null> {
    if (!this.worthTrying(file, raw.length)) return null;
    const compressed = await this.codec!.compress(raw, last);
    return compressionPays(raw.length, compressed.length) ? compressed : null;
  }

  /** Writes the oldest waiting file (its outcome to its `done`). */
  private async writeNext(): Promise<void> {
    const pending = this.waiting.shift()!;
    try {
      if (this.failure) {
        const first = await pending.first?.catch(() => null);
        if (first && 'handle' in first) await first.handle?.close().catch(() => undefined);
        return;
      }
      if (!pending.first) {
        await (pending.done as () => void | Promise<void>)();
        return;
      }
      let first: FirstBlock | WholeFile;
      // its batch may still be waiting to fill up: the writer needs it now
      if (pending.batch >= 0) this.pool?.flush(pending.batch);
      try {
        first = await pending.first;
      } catch (error) {
        // vanished or unreadable since the walk: the caller skips it and says so
        await pending.done({ error: error as Error });
        return;
      }
      const stored = 'whole' in first ? await this.writeWhole(pending.file!, first.whole) : await this.writeFile(pending.file!, first);
      await pending.done({ stored });
    } catch (error) {
      this.failure ??= error;
    } finally {
      this.waitingBytes -= pending.bytes;
    }
  }

  /** Writes a small file the pool read, hashed and compressed: at once when it fits in the zip writer's buffers (most do), else waiting for a write. */
  private writeWhole(file: QueuedFile, whole: WholeFile['whole']): StoredFile | Promise<StoredFile> {
    const writer = this.writer;
    if (this.options.signal.aborted) throw this.options.signal.reason;
    const start = { name: file.name, method: whole.method, mode: file.mode, date: file.date };
    const end = { crc32: whole.crc32, size: whole.size };
    const stored = { size: whole.size, sha256: whole.sha256, method: whole.method };
    if (writer.zip.tryEntry(start, whole.data, end)) {
      this.options.onBytes?.(whole.size);
      return stored;
    }
    return writer.toZip(() => writer.zip.entry(start, whole.data, end)).then(() => {
      this.options.onBytes?.(whole.size);
      return stored;
    });
  }

  /** Stops the pool's workers; call once the queue is drained (or abandoned). */
  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
  }

  private async writeFile(file: QueuedFile, first: FirstBlock): Promise<StoredFile> {
    const { signal, onBytes } = this.options;
    const method: ZipMethod = first.compressed ? this.codec!.method : METHOD_STORE;
    const hash = crypto.createHash('sha256');
    const writer = this.writer;
    let crc = 0;
    let size = 0;
    const take = async (raw: Buffer, out: Buffer) => {
      if (signal.aborted) throw signal.reason;
      hash.update(raw);
      crc = zlib.crc32(raw, crc);
      size += raw.length;
      onBytes?.(raw.length);
      if (out.length) await writer.toZip(() => writer.zip.data(out));
    };
    try {
      await writer.toZip(() => writer.zip.begin({ name: file.name, method, mode: file.mode, date: file.date }));
      await take(first.raw, first.compressed ?? first.raw);
      if (first.more) await this.writeRest(first.handle!, first.raw.length, method, take);
      await writer.toZip(() => writer.zip.end({ crc32: crc, size }));
    } finally {
      await first.handle?.close().catch(() => undefined);
    }
    return { size, sha256: hash.digest('hex'), method };
  }

  /** The blocks after the first, read and compressed READ_AHEAD ahead, taken in order. */
  private async writeRest(handle: fs.promises.FileHandle, from: number, method: ZipMethod, take: (raw: Buffer, out: Buffer) => Promise<void>): Promise<void> {
    const codec = method === METHOD_STORE ? null : this.codec;
    let position = from;
    let ended = false;
    const ahead: Promise<{ raw: Buffer; out: Buffer }>[] = [];
    const next = () => {
      const at = position;
      position += BLOCK_BYTES;
      const block = readBlock(handle, BLOCK_BYTES, at).then(async (raw) => {
        const last = raw.length < BLOCK_BYTES;
        return { raw, out: codec ? await codec.compress(raw, last) : raw };
      });
      block.catch(() => undefined);
      ahead.push(block);
    };
    try {
      while (!ended) {
        while (ahead.length < READ_AHEAD) next();
        const { raw, out } = await ahead.shift()!;
        // a short block is the last; a full one followed by nothing ends the stream with an empty final block
        ended = raw.length < BLOCK_BYTES;
        await take(raw, out);
      }
    } finally {
      await Promise.allSettled(ahead);
    }
  }
}
