/**
 * Routing a zip payload that is read once, from start to end, to the entries it holds. For each
 * entry asked for, the router finds the entry's local file header in the stream, skips its name
 * and extra field, and hands exactly the entry's `compressedSize` data bytes to that entry's sink.
 * Verification uses it to check every entry during the same pass that authenticates the
 * container's chunks, instead of reading the file a second time through the zip reader's random
 * access. Where entries start and how long they are come from the central directory (yauzl).
 */
import { AppError } from '../../../shared/errors';

export const LOCAL_HEADER_BYTES = 30;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;

/**
 * Reads a zip local file header (its first 30 bytes, at payload offset `at`): the offset where
 * the entry's data starts, or an error naming a bad signature.
 */
export function localHeaderDataStart(header: Buffer, at: number): number | AppError {
  const signature = header.length >= LOCAL_HEADER_BYTES ? header.readUInt32LE(0) : 0;
  if (signature !== LOCAL_HEADER_SIGNATURE) return structureError(`invalid local file header signature: 0x${signature.toString(16)}`);
  return at + LOCAL_HEADER_BYTES + header.readUInt16LE(26) + header.readUInt16LE(28);
}

/** Where an entry is in the payload, as the zip's central directory says. */
export interface ZipEntryLocation {
  name: string;
  /** offset of the entry's local file header in the payload */
  localHeaderOffset: number;
  /** bytes of (compressed) data after the local header, name and extra field */
  compressedSize: number;
}

/** Takes one entry's data. The router awaits every call, so a slow sink slows the pass down. */
export interface EntrySink {
  /** The next piece of the entry's data; `data` is only valid during the call. */
  write(data: Buffer): void | Promise<void>;
  /** All of the entry's data has been written. Throwing marks the entry failed. */
  end(): void | Promise<void>;
  /** The pass stops before the entry's end (damage found, cancelled) or a write failed. */
  destroy(): void | Promise<void>;
}

/** FILE_CORRUPT for a zip whose structure does not hold (the chunks authenticated, so not damage: a writer bug). */
export function structureError(detail: string): AppError {
  return new AppError('FILE_CORRUPT', { detail: `archive structure: ${detail}` });
}

interface OpenEntry {
  location: ZipEntryLocation;
  /** payload offset of the next data byte to hand over */
  next: number;
  end: number;
  /** null once a write failed: the rest of the entry's data is skipped */
  sink: EntrySink | null;
}

/**
 * Feed it the payload in order with `push`, then call `finish`. Entries that cannot be read (a
 * bad local header, data beyond the payload, an entry inside another, a sink that threw) end
 * up in `failures` with the error; the others have had their sink's `end` called.
 */
export class EntryRouter {
  /** entry name -> why it could not be read */
  readonly failures = new Map<string, unknown>();
  private readonly queue: ZipEntryLocation[];
  private index = 0;
  private readonly header = Buffer.alloc(LOCAL_HEADER_BYTES);
  private headerFilled = 0;
  private open: OpenEntry | null = null;
  /** nothing of a later entry may start before this offset */
  private boundary = 0;
  private expected = 0;

  constructor(
    entries: Iterable<ZipEntryLocation>,
    private readonly payloadSize: number,
    private readonly openSink: (location: ZipEntryLocation) => EntrySink,
  ) {
    this.queue = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  }

  /** The name of the entry whose data is being read, for progress. */
  get current(): string | null {
    return this.open?.location.name ?? null;
  }

  /** Routes the payload bytes at `offset`; calls must cover the payload in order, without gaps. */
  async push(data: Buffer, offset: number): Promise<void> {
    if (offset !== this.expected) throw new Error(`entry router: got payload offset ${offset}, expected ${this.expected}`);
    const end = offset + data.length;
    this.expected = end;
    while (this.index < this.queue.length) {
      if (this.open) {
        const entry = this.open;
        if (entry.next >= end) return;
        const to = Math.min(end, entry.end);
        await this.write(entry, data.subarray(entry.next - offset, to - offset));
        entry.next = to;
        if (to < entry.end) return;
        await this.complete(entry);
        continue;
      }
      const location = this.queue[this.index];
      if (this.headerFilled === 0) {
        const problem = this.placementProblem(location);
        if (problem) {
          this.skip(location, structureError(problem));
          continue;
        }
      }
      const at = location.localHeaderOffset + this.headerFilled;
      if (at >= end) return;
      if (at < offset) throw new Error(`entry router: passed the local header of ${location.name}`);
      const take = Math.min(LOCAL_HEADER_BYTES - this.headerFilled, end - at);
      data.copy(this.header, this.headerFilled, at - offset, at - offset + take);
      this.headerFilled += take;
      if (this.headerFilled < LOCAL_HEADER_BYTES) return;
      this.headerFilled = 0;
      await this.startData(location);
    }
  }

  /** Call after the last `push`: entries whose data never came are failures. */
  async finish(): Promise<void> {
    const missing = this.queue.slice(this.index);
    await this.abort();
    for (const location of missing) this.failures.set(location.name, structureError(`the data of ${location.name} ends early`));
  }

  /** Stops the pass: the entry being read, if any, has its sink destroyed (and the list of entries is let go). */
  async abort(): Promise<void> {
    const sink = this.open?.sink;
    this.open = null;
    this.queue.length = 0;
    this.index = 0;
    if (sink) await Promise.resolve(sink.destroy()).catch(() => undefined);
  }

  private placementProblem(location: ZipEntryLocation): string | null {
    if (location.localHeaderOffset < this.boundary) {
      return `the local header of ${location.name} at ${location.localHeaderOffset} lies inside the entry before it`;
    }
    if (location.localHeaderOffset + LOCAL_HEADER_BYTES > this.payloadSize) return `the local header of ${location.name} is past the end`;
    return null;
  }

  /** The local header is in `this.header`: checks it and opens the entry's data. */
  private async startData(location: ZipEntryLocation): Promise<void> {
    const headerEnd = location.localHeaderOffset + LOCAL_HEADER_BYTES;
    this.boundary = headerEnd;
    const start = localHeaderDataStart(this.header, location.localHeaderOffset);
    if (start instanceof AppError) {
      this.skip(location, start);
      return;
    }
    const end = start + location.compressedSize;
    if (end > this.payloadSize) {
      this.skip(location, structureError(`file data overflows file bounds: ${start} + ${location.compressedSize} > ${this.payloadSize}`));
      return;
    }
    this.boundary = end;
    let sink: EntrySink;
    try {
      sink = this.openSink(location);
    } catch (error) {
      this.skip(location, error);
      return;
    }
    this.open = { location, next: start, end, sink };
    if (start === end) await this.complete(this.open);
  }

  private async write(entry: OpenEntry, data: Buffer): Promise<void> {
    if (!entry.sink || data.length === 0) return;
    try {
      await entry.sink.write(data);
    } catch (error) {
      this.failures.set(entry.location.name, error);
      const sink = entry.sink;
      entry.sink = null;
      await Promise.resolve(sink.destroy()).catch(() => undefined);
    }
  }

  private async complete(entry: OpenEntry): Promise<void> {
    this.open = null;
    this.index++;
    if (!entry.sink) return;
    try {
      await entry.sink.end();
    } catch (error) {
      this.failures.set(entry.location.name, error);
    }
  }

  private skip(location: ZipEntryLocation, error: unknown): void {
    this.failures.set(location.name, error);
    this.index++;
    this.headerFilled = 0;
  }
}
