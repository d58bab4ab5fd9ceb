/**
 * A backup file read at any offset, wherever it is: a local file (a file handle), or an object
 * on a destination (S3, Azure Blob, SFTP, another folder) read with ranged requests. The
 * container (crypto/container.ts) reads only through this, so inspecting a remote backup fetches
 * its header, the end of its payload (the zip's directory and the manifest) and nothing else,
 * and restoring one table or file fetches only the chunks that hold it.
 */
import fs from 'node:fs';
import { AppError } from '../../../shared/errors';
import type { Destination } from '../destinations/destination';

export interface RandomAccessFile {
  /** the file's length in bytes, as it was when opened */
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; fewer at the end of the file. */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** Opens a local file (fs errors as they are: the caller names what is missing). */
export async function openLocalFile(filePath: string): Promise<RandomAccessFile> {
  const fh = await fs.promises.open(filePath, 'r');
  try {
    const { size } = await fh.stat();
    return {
      size,
      read: (buffer, offset, length, position) => fh.read(buffer, offset, length, position),
      close: () => fh.close(),
    };
  } catch (error) {
    await fh.close();
    throw error;
  }
}

/** A remote file that counts what it fetched (the tests' and the benchmark's measure). */
export interface DestinationFile extends RandomAccessFile {
  /** bytes received from the destination so far */
  readonly bytesFetched: number;
  /** ranged requests made so far */
  readonly requests: number;
}

export interface DestinationFileOptions {
  /** the object's size when already known (from a listing): saves the stat */
  size?: number;
  /** the cache's unit: reads fetch whole aligned blocks (default 64 KiB) */
  blockSize?: number;
  /** the most a sequential reader is read ahead of (default 4 MiB) */
  maxReadAhead?: number;
  /** how many bytes of blocks are kept (default 16 MiB) */
  cacheBytes?: number;
}

const DEFAULT_BLOCK = 64 * 1024;
const DEFAULT_READ_AHEAD = 4 * 1024 * 1024;
const DEFAULT_CACHE = 16 * 1024 * 1024;

/**
 * Opens object `key` of a destination for random access: NOT_FOUND when there is none. Reads go
 * through a small cache of aligned blocks (64 KiB: small enough that reading a header costs
 * little more than the header, large enough that the zip reader's many small reads near each
 * other cost one request), and a reader that goes on where its last read ended (verify's full
 * pass, a restore streaming an entry) is read ahead in growing ranges of up to 4 MiB, fetched
 * while it works on what it has, so a full pass is a few dozen requests, not thousands.
 */
export async function openDestinationFile(destination: Destination, key: string, options: DestinationFileOptions = {}): Promise<DestinationFile> {
  let size = options.size;
  if (size === undefined) {
    const info = await destination.stat(key);
    if (!info) throw new AppError('NOT_FOUND', { detail: `no object at ${destination.urlOf(key)}` });
    size = info.size;
  }
  return new BlockCachedFile(destination, key, size, options);
}

class BlockCachedFile implements DestinationFile {
  bytesFetched = 0;
  requests = 0;
  private readonly blockSize: number;
  private readonly maxAheadBlocks: number;
  private readonly capacity: number;
  /** block index -> its bytes (the last block may be shorter); Map order is least recently used first */
  private readonly blocks = new Map<number, Promise<Buffer>>();
  /** where the last read ended, and how many reads in a row started there */
  private lastEnd = -1;
  private streak = 0;
  private closed = false;

  constructor(
    private readonly destination: Destination,
    private readonly key: string,
    readonly size: number,
    options: DestinationFileOptions,
  ) {
    this.blockSize = options.blockSize ?? DEFAULT_BLOCK;
    this.maxAheadBlocks = Math.max(1, Math.floor((options.maxReadAhead ?? DEFAULT_READ_AHEAD) / this.blockSize));
    this.capacity = Math.max(2 * this.maxAheadBlocks + 2, Math.floor((options.cacheBytes ?? DEFAULT_CACHE) / this.blockSize));
  }

  private get blockCount(): number {
    return Math.ceil(this.size / this.blockSize);
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (this.closed) throw new AppError('INTERNAL', { detail: `${this.destination.urlOf(this.key)} was read after it was closed` });
    const end = Math.min(this.size, position + length);
    if (length <= 0 || position >= end) return { bytesRead: 0 };
    const B = this.blockSize;
    const first = Math.floor(position / B);
    const last = Math.floor((end - 1) / B);

    const sequential = position === this.lastEnd;
    this.streak = sequential ? this.streak + 1 : 0;
    this.lastEnd = end;
    // read ahead of a sequential reader: twice what it read, doubling with each read in a row
    const ahead = sequential ? Math.min(this.maxAheadBlocks, (last - first + 1) * 2 ** Math.min(this.streak, 8)) : 0;
    const aheadEnd = Math.min(this.blockCount - 1, last + ahead);

    // what is needed now, in runs of missing blocks, one request each (the last run also takes the read-ahead)
    let index = first;
    while (index <= last) {
      if (this.blocks.has(index)) {
        index++;
        continue;
      }
      let runEnd = index;
      while (runEnd + 1 <= last && !this.blocks.has(runEnd + 1)) runEnd++;
      if (runEnd === last) {
        while (runEnd + 1 <= aheadEnd && !this.blocks.has(runEnd + 1)) runEnd++;
      }
      this.fetch(index, runEnd);
      index = runEnd + 1;
    }
    // and what the reader will want next, fetched while it works on this: once half the read-ahead
    // is missing, a whole read-ahead's worth in one request
    if (ahead > 0) {
      let from = last + 1;
      while (from <= aheadEnd && this.blocks.has(from)) from++;
      if (from <= aheadEnd && (aheadEnd - from + 1 >= ahead / 2 || aheadEnd === this.blockCount - 1)) {
        const limit = Math.min(this.blockCount - 1, from + ahead - 1);
        let to = from;
        while (to + 1 <= limit && !this.blocks.has(to + 1)) to++;
        this.fetch(from, to);
      }
    }

    const parts: Promise<Buffer>[] = [];
    for (let i = first; i <= last; i++) parts.push(this.touch(i));
    const data = await Promise.all(parts);
    let copied = 0;
    for (let i = first; i <= last; i++) {
      const block = data[i - first]!;
      const from = i === first ? position - i * B : 0;
      const want = Math.min(block.length, (i === last ? end - i * B : B)) - from;
      if (want <= 0) break;
      block.copy(buffer, offset + copied, from, from + want);
      copied += want;
      // a block shorter than it should be: the object shrank since it was opened
      if (block.length < Math.min(B, this.size - i * B)) break;
    }
    this.evict();
    return { bytesRead: copied };
  }

  /** The block's promise, marked as just used. */
  private touch(index: number): Promise<Buffer> {
    const block = this.blocks.get(index)!;
    this.blocks.delete(index);
    this.blocks.set(index, block);
    return block;
  }

  /** Starts one ranged request for blocks [first, last]. */
  private fetch(first: number, last: number): void {
    const B = this.blockSize;
    const start = first * B;
    const length = Math.min(this.size, (last + 1) * B) - start;
    const whole = this.destination.read(this.key, start, length).then((data) => {
      this.bytesFetched += data.length;
      return data;
    });
    this.requests++;
    for (let i = first; i <= last; i++) {
      const block = whole.then((data) => data.subarray((i - first) * B, (i - first + 1) * B));
      // a failed request is forgotten, so that a later read asks again (and gets the error itself)
      block.catch(() => {
        if (this.blocks.get(i) === block) this.blocks.delete(i);
      });
      this.blocks.set(i, block);
    }
  }

  private evict(): void {
    for (const index of this.blocks.keys()) {
      if (this.blocks.size <= this.capacity) break;
      this.blocks.delete(index);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.blocks.clear();
  }
}
