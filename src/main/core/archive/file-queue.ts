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
 * One loop writes the waiting files, and a small file's result comes with its batch's: per file
 * there is no promise, closure or chained step, which for a tree of small files were most of the
 * main thread's garbage (and, alive for the whole window, were promoted and freed only by full
 * collections).
 *
 * The first block is also the trial that decides a file's method: a name that says the file is
 * compressed already (photos, videos, archives) is stored without a trial, and a first block
 * that compression does not shrink by 8 % stores the whole file.
 */
import crypto from 'node:crypto';
import type fs from 'node:fs';
import { open } from 'node:fs/promises';
import zlib from 'node:zlib';
import type { DirLister } from '../folders/dir-lister';
import { BLOCK_BYTES, compressionPays, isCompressedByName, WORTH_IT, type BlockCodec } from './codecs';
import { SmallFileBatch, SmallFilePool, type SmallFileResult } from './small-file-pool';
import type { ArchiveWriter } from './writer';
import { METHOD_STORE, type ZipMethod } from './zip-writer';

const WINDOW_FILES = 256;
/** a push waiting for room goes on once this many files have been written: a run of pushes without a wait each */
const ROOM_FILES = 32;
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
type WholeFile = SmallFileResult & { error?: undefined; grown?: undefined };

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
  done: (outcome: FileOutcome) => void | Promise<void>;
  bytes: number;
  /** a small file: the pool's batch it is in, and its place there */
  batch: SmallFileBatch | null;
  index: number;
  /** a larger file: its first block, being read */
  first: Promise<FirstBlock> | null;
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
  /** the loop writing the waiting files, while there are any */
  private writing: Promise<void> | null = null;
  /** a push waiting for room */
  private roomFor: (() => void) | null = null;
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
   * hears its outcome, in push order. Returns a promise only when it has to wait for room (await
   * it before the next push). Throws once writing failed (destination, cancellation).
   */
  push(file: QueuedFile, done: (outcome: FileOutcome) => void | Promise<void>): Promise<void> | void;
  push(file: null, done: () => void | Promise<void>): Promise<void> | void;
  push(file: QueuedFile | null, done: Pending['done']): Promise<void> | void {
    this.throwIfFailed();
    if (this.full()) return this.pushWhenRoom(file, done);
    this.enqueue(file, done);
  }

  /**
   * Queues `step` to run after the files pushed before it are written (and their `done` ran):
   * what the caller records in walk order between files (folders, links, unchanged files).
   */
  after(step: () => void | Promise<void>): Promise<void> | void {
    return this.push(null, step);
  }

  /** Waits until every pushed file is written; throws what stopped the writing. */
  async drain(): Promise<void> {
    while (this.writing) await this.writing;
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private full(): boolean {
    return this.waiting.length >= WINDOW_FILES || this.waitingBytes >= WINDOW_BYTES;
  }

  private async pushWhenRoom(file: QueuedFile | null, done: Pending['done']): Promise<void> {
    while (this.full()) {
      // the writing loop runs while the window is full: it makes room (or fails)
      await new Promise<void>((resolve) => (this.roomFor = resolve));
      this.throwIfFailed();
    }
    this.enqueue(file, done);
  }

  private enqueue(file: QueuedFile | null, done: Pending['done']): void {
    const pending: Pending = { file, done, bytes: file ? Math.min(file.size, BLOCK_BYTES) : 0, batch: null, index: 0, first: null };
    if (file && file.size < SMALL_FILE_BYTES && !this.writer.codecInjected) {
      const at = this.smallFilePool().read({ absPath: file.absPath, compress: this.worthTrying(file, file.size) });
      pending.batch = at.batch;
      pending.index = at.index;
    } else if (file) {
      pending.first = this.readLarge(file);
      pending.first.catch(() => undefined);
    }
    this.waiting.push(pending);
    this.waitingBytes += pending.bytes;
    this.writing ??= this.writeAll();
  }

  private smallFilePool(): SmallFilePool {
    this.pool ??= new SmallFilePool({ method: this.codec?.method ?? METHOD_STORE, level: this.writer.compressionLevel, blockBytes: BLOCK_BYTES, worthIt: WORTH_IT });
    return this.pool;
  }

  /**
   * A folder lister for the walk that feeds this queue, on the thread of the pool's first worker
   * (SmallFilePool.lister): the walk lists while the files it found are read. Close it before
   * the queue.
   */
  lister(): DirLister {
    return this.smallFilePool().lister();
  }

  /** Writes the waiting files in order until none is left; a failure is kept for push and drain. */
  private async writeAll(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const pending = this.waiting[0]!;
        try {
          if (this.failure) await abandon(pending);
          else await this.writeOne(pending);
        } catch (error) {
          this.failure ??= error;
        }
        this.waiting.shift();
        this.waitingBytes -= pending.bytes;
        if (this.roomFor && (this.failure || this.waiting.length <= WINDOW_FILES - ROOM_FILES) && this.waitingBytes < WINDOW_BYTES) this.wake();
      }
    } finally {
      this.writing = null;
      this.wake();
    }
  }

  private wake(): void {
    const resolve = this.roomFor;
    this.roomFor = null;
    resolve?.();
  }

  /** Writes one waiting file (its outcome to its `done`), or runs a step. */
  private async writeOne(pending: Pending): Promise<void> {
    const file = pending.file;
    if (!file) {
      await (pending.done as () => void | Promise<void>)();
      return;
    }
    const read = await this.readOf(pending, file);
    if ('unreadable' in read) {
      // vanished or unreadable since the walk: the caller skips it and says so
      await pending.done({ error: read.unreadable });
      return;
    }
    const written = 'whole' in read ? this.writeWhole(file, read.whole) : this.writeFile(file, read);
    const recorded = pending.done({ stored: written instanceof Promise ? await written : written });
    if (recorded) await recorded;
  }

  /**
   * What was read of a file: a small one as the pool read it (one that has grown past a block
   * since the walk is read as a large one), a larger one's first block, or why it could not be
   * read. Throws when the pool failed (the run fails, not the file).
   */
  private async readOf(pending: Pending, file: QueuedFile): Promise<FirstBlock | { whole: WholeFile } | { unreadable: Error }> {
    const batch = pending.batch;
    if (!batch) return pending.first!.catch((error: Error) => ({ unreadable: error }));
    if (!batch.settled) {
      // its batch may still be filling up: the writer needs it now
      this.pool?.flush(batch);
      const since = performance.now();
      await batch.ready;
      this.pool?.waited(performance.now() - since);
    }
    const result = batch.result(pending.index);
    if (result.error) return { unreadable: result.error };
    if (!result.grown) return { whole: result };
    return this.readLarge(file).catch((error: Error) => ({ unreadable: error }));
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

  /** Writes a small file the pool read, hashed and compressed: at once when it fits in the zip writer's buffers (most do), else waiting for a write. */
  private writeWhole(file: QueuedFile, whole: WholeFile): StoredFile | Promise<StoredFile> {
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

/** A waiting file after the writing failed: a larger file's handle is closed, nothing is written. */
async function abandon(pending: Pending): Promise<void> {
  const first = await pending.first?.catch(() => null);
  await first?.handle?.close().catch(() => undefined);
}
