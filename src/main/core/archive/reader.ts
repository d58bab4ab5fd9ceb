import { StringDecoder } from 'node:string_decoder';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import yauzl from 'yauzl';
import { AppError } from '../../../shared/errors';
import { MANIFEST_ENTRY, type BackupManifest, type FolderIndexRecord, type ManifestFolderSource } from '../../../shared/manifest';
import { OpenContainer, type OpenOptions } from '../crypto/container';
import zlib from 'node:zlib';
import { decompressAtOnce, decompressorFor } from './codecs';
import { LOCAL_HEADER_BYTES, localHeaderDataStart, structureError } from './entry-ranges';
import { HashStream } from './hash-stream';
import { ZipDirectory } from './zip-directory';
import { METHOD_STORE } from './zip-writer';

/** Passes an entry's content through and fails when it is not exactly the size the zip says. */
class ExactLength extends Transform {
  private seen = 0;

  constructor(
    private readonly expected: number,
    private readonly name: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expected) return done(new AppError('FILE_CORRUPT', { detail: `entry ${this.name} holds more than its ${this.expected} bytes` }));
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.seen === this.expected ? null : new AppError('FILE_CORRUPT', { detail: `entry ${this.name} holds ${this.seen} of its ${this.expected} bytes` }));
  }
}

/** Lets yauzl read the zip inside a container: every range is decrypted and authenticated. */
class ContainerReader extends yauzl.RandomAccessReader {
  constructor(private readonly container: OpenContainer) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return this.container.createReadStream(start, end);
  }

  /**
   * yauzl reads the central directory and local headers through this, two small reads per entry:
   * its default makes a stream for each, which for tens of thousands of entries cost seconds. A
   * direct read from the container (its last chunk is cached) costs a copy.
   */
  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (error: Error | null, bytesRead?: number) => void): void {
    this.container.read(position, length).then(
      (data) => {
        data.copy(buffer, offset);
        callback(null, data.length);
      },
      (error: Error) => callback(error),
    );
  }
}

/** Errors from yauzl become FILE_CORRUPT unless the container already said something better. */
export function zipError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/invalid relative path|absolute path/i.test(message)) return new AppError('UNSAFE_PATH', { detail: message, cause: error });
  return new AppError('FILE_CORRUPT', { detail: `archive structure: ${message}`, cause: error });
}

/**
 * An opened .lifeboat file: its entries, its manifest and a stream of any entry, read straight
 * from the encrypted file without a decrypted copy on disk.
 */
export class BackupReader {
  private constructor(
    readonly container: OpenContainer,
    private readonly zip: yauzl.ZipFile,
    /** the zip's directory (a compact table: a restore or verify of a million files holds it throughout) */
    readonly entries: ZipDirectory,
  ) {}

  /** `options` as for OpenContainer.open (e.g. allowExpensiveKdf). */
  static async open(filePath: string, passphrase: string | null, options?: OpenOptions): Promise<BackupReader> {
    const container = await OpenContainer.open(filePath, passphrase, options);
    try {
      const reader = new ContainerReader(container);
      const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
        yauzl.fromRandomAccessReader(
          reader,
          container.size,
          { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true },
          (err, zipfile) => (err ? reject(zipError(err)) : resolve(zipfile!)),
        ),
      );
      const entries = new ZipDirectory(zip.entryCount);
      await new Promise<void>((resolve, reject) => {
        zip.on('entry', (entry: yauzl.Entry) => {
          entries.add(entry);
          zip.readEntry();
        });
        zip.on('end', () => resolve());
        zip.on('error', (err) => reject(zipError(err)));
        zip.readEntry();
      });
      entries.trim();
      return new BackupReader(container, zip, entries);
    } catch (error) {
      await container.close();
      throw error;
    }
  }

  /** A stream of one entry's uncompressed bytes (stored, deflate or zstd). */
  async openEntry(name: string): Promise<Readable> {
    const entry = this.entries.get(name);
    if (!entry) throw new AppError('FILE_CORRUPT', { detail: `entry ${name} is missing` });
    if (entry.compressionMethod === METHOD_STORE) {
      return new Promise((resolve, reject) =>
        this.zip.openReadStream(entry, (err, stream) => (err ? reject(zipError(err)) : resolve(stream!))),
      );
    }
    let decompress: Transform;
    try {
      decompress = decompressorFor(entry.compressionMethod)!;
    } catch (cause) {
      throw new AppError('FILE_CORRUPT', { detail: `entry ${name}: ${(cause as Error).message}`, cause });
    }
    const raw = await new Promise<Readable>((resolve, reject) =>
      // yauzl 3's raw read (its types, @types/yauzl 2.10, predate the option)
      this.zip.openReadStream(entry, { decodeFileData: false } as unknown as yauzl.ZipFileOptions, (err, stream) => (err ? reject(zipError(err)) : resolve(stream!))),
    );
    const counted = new ExactLength(entry.uncompressedSize, name);
    raw.on('error', (error) => decompress.destroy(error));
    decompress.on('error', (error) => counted.destroy(zipError(error) as Error));
    return raw.pipe(decompress).pipe(counted);
  }

  /**
   * One entry's stored bytes (compressed by `method`) at once: two reads from the container
   * (local header, data). `data` may be a view of a decrypted chunk: copy what is kept.
   */
  async readStoredEntry(name: string): Promise<{ method: number; data: Buffer }> {
    const { entry, dataStart } = await this.locate(name);
    const data = await this.container.read(dataStart, entry.compressedSize);
    if (data.length !== entry.compressedSize) throw structureError(`${name}: its data runs past the end of the archive`);
    return { method: entry.compressionMethod, data };
  }

  /**
   * One entry's uncompressed bytes at once, for an entry small enough to hold (a restore's small
   * files): readStoredEntry and one decompression, instead of a stream and a decompressor per
   * entry, which for a tree of small files cost more than the bytes. Checks the size and CRC-32
   * the zip directory states (FILE_CORRUPT when they differ); the caller checks the SHA-256. The
   * result is the caller's own buffer.
   */
  async readSmallEntry(name: string): Promise<Buffer> {
    return this.decodeStoredEntry(name, await this.readStoredEntry(name));
  }

  /** readSmallEntry's second half, for stored bytes the caller has already read (readStoredEntry). */
  decodeStoredEntry(name: string, { method, data: stored }: { method: number; data: Buffer }): Buffer {
    const entry = this.entries.get(name)!;
    let data: Buffer;
    if (method === METHOD_STORE) {
      // a view into the container's cached chunk: copied, so that holding it does not hold the chunk
      data = Buffer.from(stored);
    } else {
      try {
        // one byte more than the directory says is enough to tell it was wrong
        data = decompressAtOnce(method, stored, entry.uncompressedSize + 1);
      } catch (error) {
        throw structureError(`${name} does not decompress: ${(error as Error).message}`);
      }
    }
    if (data.length !== entry.uncompressedSize) throw structureError(`${name} holds ${data.length} bytes, the zip directory says ${entry.uncompressedSize}`);
    if (zlib.crc32(data) >>> 0 !== entry.crc32 >>> 0) throw structureError(`${name}: CRC-32 does not match the zip directory`);
    return data;
  }

  /**
   * The records of a format 3 folder index, streamed line by line; its size and SHA-256 are
   * checked against the manifest's entry at the end (a mismatch is FILE_CORRUPT).
   */
  async *folderIndex(manifest: BackupManifest, source: ManifestFolderSource): AsyncGenerator<FolderIndexRecord> {
    for await (const batch of this.folderIndexBatches(manifest, source)) yield* batch;
  }

  /**
   * folderIndex a batch at a time: the records of each piece of the entry as it is read (one
   * await per piece instead of one per record, for a reader of a large index).
   */
  async *folderIndexBatches(manifest: BackupManifest, source: ManifestFolderSource): AsyncGenerator<FolderIndexRecord[]> {
    if (!source.index) return;
    const listed = manifest.entries.find((e) => e.name === source.index!.entry);
    if (!listed) throw new AppError('FILE_CORRUPT', { detail: `the index of ${source.label} is not listed` });
    const hash = new HashStream();
    const stream = (await this.openEntry(listed.name)).pipe(hash);
    // a piece may end inside a character (UTF-8) and inside a line: both wait for the next piece
    const decoder = new StringDecoder('utf8');
    let rest = '';
    let count = 0;
    const parse = (lines: string[]): FolderIndexRecord[] => {
      const records: FolderIndexRecord[] = [];
      for (const line of lines) {
        if (!line) continue;
        try {
          records.push(JSON.parse(line) as FolderIndexRecord);
        } catch (cause) {
          throw new AppError('FILE_CORRUPT', { detail: `the index of ${source.label} has an unreadable line ${count + 1}`, cause });
        }
        count++;
      }
      return records;
    };
    try {
      for await (const piece of stream) {
        const lines = (rest + decoder.write(piece as Buffer)).split('\n');
        rest = lines.pop()!;
        const records = parse(lines);
        if (records.length > 0) yield records;
      }
      const last = parse([rest + decoder.end()]);
      if (last.length > 0) yield last;
    } catch (error) {
      throw zipError(error);
    } finally {
      stream.destroy();
    }
    if (hash.bytes !== listed.size || hash.digest() !== listed.sha256 || count !== source.index.records) {
      throw new AppError('FILE_CORRUPT', { detail: `the index of ${source.label} does not match its manifest entry` });
    }
  }

  /** An entry, where its local header starts and where its data starts (read from the local header). */
  private async locate(name: string): Promise<{ entry: yauzl.Entry; start: number; dataStart: number }> {
    const entry = this.entries.get(name);
    if (!entry) throw new AppError('FILE_CORRUPT', { detail: `entry ${name} is missing` });
    const start = entry.relativeOffsetOfLocalHeader;
    const dataStart = localHeaderDataStart(await this.container.read(start, LOCAL_HEADER_BYTES), start);
    if (dataStart instanceof AppError) throw dataStart;
    return { entry, start, dataStart };
  }

  /**
   * The container chunks [first, last] that hold an entry: its local header, its data and (when
   * it starts in them) its data descriptor. Reads the local header (one chunk, authenticated).
   */
  async entryChunks(name: string): Promise<{ first: number; last: number }> {
    const { entry, start, dataStart } = await this.locate(name);
    const end = dataStart + entry.compressedSize;
    const { chunkSize } = this.container.header;
    return { first: Math.floor(start / chunkSize), last: Math.floor(Math.max(start, end - 1) / chunkSize) };
  }

  /**
   * The manifest. `items: false` leaves a format 3 manifest as stored (folder items only in their
   * index entries, for folderIndex); by default they are read into `entries`, `unchanged` and
   * `nodes`, so a reader sees the same shape in every format.
   */
  async readManifest(options: { items?: boolean } = {}): Promise<BackupManifest> {
    const manifest = await this.readManifestEntry();
    if (options.items === false) return manifest;
    for (const source of manifest.sources) {
      if (source.kind !== 'folder' || !source.index) continue;
      source.nodes ??= [];
      for await (const record of this.folderIndex(manifest, source)) {
        if ('file' in record) manifest.entries.push(record.file);
        else if ('unchanged' in record) source.unchanged.push(record.unchanged);
        else if ('node' in record) source.nodes.push(record.node);
      }
    }
    return manifest;
  }

  private async readManifestEntry(): Promise<BackupManifest> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of await this.openEntry(MANIFEST_ENTRY)) chunks.push(chunk as Buffer);
    } catch (error) {
      throw zipError(error);
    }
    try {
      const manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as BackupManifest;
      if (typeof manifest.format !== 'number' || !Array.isArray(manifest.entries)) throw new Error('missing fields');
      return manifest;
    } catch (cause) {
      throw new AppError('FILE_CORRUPT', { detail: 'manifest is not readable', cause });
    }
  }

  async close(): Promise<void> {
    this.zip.close();
    await this.container.close();
  }
}

/** Opens a backup, reads its manifest (`items: false`: without its folders' items, see BackupReader.readManifest) and closes it again. */
export async function readManifest(filePath: string, passphrase: string | null, options?: OpenOptions & { items?: boolean }): Promise<BackupManifest> {
  const reader = await BackupReader.open(filePath, passphrase, options);
  try {
    return await reader.readManifest({ items: options?.items });
  } finally {
    await reader.close();
  }
}
