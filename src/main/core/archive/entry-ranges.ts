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
  /** the caller's number for the entry (verify: its place in the zip directory) */
  key?: number;
}

/**
 * The entries a router reads, by number (0 to count - 1): sorted by their offsets, each made a
 * ZipEntryLocation only when its turn comes. A verify of a million files hands the zip
 * directory's entries this way: an object (and a name) per entry held for the whole pass took
 * over 100 MB.
 */
export interface ZipEntryLocations {
  readonly count: number;
  /** entry i's local header offset */
  offset(i: number): number;
  location(i: number): ZipEntryLocation;
}

/** ZipEntryLocations of a list in hand. */
export function locationList(list: readonly ZipEntryLocation[]): ZipEntryLocations {
  return { count: list.length, offset: (i) => list[i]!.localHeaderOffset, location: (i) => list[i]! };
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
  /** the entries' numbers in the order of their offsets */
  private order: Uint32Array;
  private index = 0;
  /** the entry at `index`, once made */
  private nextLocation: ZipEntryLocation | null = null;
  private readonly header = Buffer.alloc(LOCAL_HEADER_BYTES);
  private headerFilled = 0;
  private open: OpenEntry | null = null;
  /** nothing of a later entry may start before this offset */
  private boundary = 0;
  private expected = 0;

  constructor(
    private readonly entries: ZipEntryLocations,
    private readonly payloadSize: number,
    private readonly openSink: (location: ZipEntryLocation) => EntrySink,
  ) {
    this.order = new Uint32Array(entries.count);
    for (let i = 0; i < entries.count; i++) this.order[i] = i;
    // stable: entries at one offset keep their order
    this.order.sort((a, b) => entries.offset(a) - entries.offset(b));
  }

  /** The entry whose turn it is (its local header or, with `open`, its data), or undefined when none is left. */
  private upcoming(): ZipEntryLocation | undefined {
    if (this.index >= this.order.length) return undefined;
    this.nextLocation ??= this.entries.location(this.order[this.index]!);
    return this.nextLocation;
  }

  /** The next entry's turn. */
  private advance(): void {
    this.index++;
    this.nextLocation = null;
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
    while (this.index < this.order.length) {
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
      const location = this.upcoming()!;
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
    for (let location = this.upcoming(); location; this.advance(), location = this.upcoming()) {
      this.failures.set(location.name, structureError(`the data of ${location.name} ends early`));
    }
    await this.abort();
  }

  /** Stops the pass: the entry being read, if any, has its sink destroyed (and the list of entries is let go). */
  async abort(): Promise<void> {
    const sink = this.open?.sink;
    this.open = null;
    this.order = new Uint32Array(0);
    this.index = 0;
    this.nextLocation = null;
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
    this.advance();
    if (!entry.sink) return;
    try {
      await entry.sink.end();
    } catch (error) {
      this.failures.set(entry.location.name, error);
    }
  }

  private skip(location: ZipEntryLocation, error: unknown): void {
    this.failures.set(location.name, error);
    this.advance();
    this.headerFilled = 0;
  }
}
