import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { AppError } from '../../../shared/errors';
import { MANIFEST_ENTRY, type BackupManifest } from '../../../shared/manifest';
import { OpenContainer, type OpenOptions } from '../crypto/container';
import { LOCAL_HEADER_BYTES, localHeaderDataStart } from './entry-ranges';

/** Lets yauzl read the zip inside a container: every range is decrypted and authenticated. */
class ContainerReader extends yauzl.RandomAccessReader {
  constructor(private readonly container: OpenContainer) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return this.container.createReadStream(start, end);
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
    readonly entries: Map<string, yauzl.Entry>,
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
      const entries = new Map<string, yauzl.Entry>();
      await new Promise<void>((resolve, reject) => {
        zip.on('entry', (entry: yauzl.Entry) => {
          entries.set(entry.fileName, entry);
          zip.readEntry();
        });
        zip.on('end', () => resolve());
        zip.on('error', (err) => reject(zipError(err)));
        zip.readEntry();
      });
      return new BackupReader(container, zip, entries);
    } catch (error) {
      await container.close();
      throw error;
    }
  }

  /** A stream of one entry's uncompressed bytes. */
  async openEntry(name: string): Promise<Readable> {
    const entry = this.entries.get(name);
    if (!entry) throw new AppError('FILE_CORRUPT', { detail: `entry ${name} is missing` });
    return new Promise((resolve, reject) =>
      this.zip.openReadStream(entry, (err, stream) => (err ? reject(zipError(err)) : resolve(stream!))),
    );
  }

  /**
   * The container chunks [first, last] that hold an entry: its local header, its data and (when
   * it starts in them) its data descriptor. Reads the local header (one chunk, authenticated).
   */
  async entryChunks(name: string): Promise<{ first: number; last: number }> {
    const entry = this.entries.get(name);
    if (!entry) throw new AppError('FILE_CORRUPT', { detail: `entry ${name} is missing` });
    const start = entry.relativeOffsetOfLocalHeader;
    const dataStart = localHeaderDataStart(await this.container.read(start, LOCAL_HEADER_BYTES), start);
    if (dataStart instanceof AppError) throw dataStart;
    const end = dataStart + entry.compressedSize;
    const { chunkSize } = this.container.header;
    return { first: Math.floor(start / chunkSize), last: Math.floor(Math.max(start, end - 1) / chunkSize) };
  }

  async readManifest(): Promise<BackupManifest> {
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

/** Opens a backup, reads its manifest and closes it again. */
export async function readManifest(filePath: string, passphrase: string | null, options?: OpenOptions): Promise<BackupManifest> {
  const reader = await BackupReader.open(filePath, passphrase, options);
  try {
    return await reader.readManifest();
  } finally {
    await reader.close();
  }
}
