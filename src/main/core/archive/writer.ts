import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { AppError } from '../../../shared/errors';
import { MANIFEST_ENTRY, type BackupManifest } from '../../../shared/manifest';
import { SealStream, type KdfSetting } from '../crypto/container';
import { BLOCK_BYTES, codecForLevel, type BlockCodec } from './codecs';
import { HashStream } from './hash-stream';
import { Spool } from './spool';
import { METHOD_STORE, COPIED_PIECE_BYTES, ZipWriter, type ZipMethod } from './zip-writer';

export interface ArchiveWriterOptions {
  /** final path of the .lifeboat file; written as `<finalPath>.part` until complete */
  finalPath: string;
  backupId: string;
  appVersion: string;
  passphrase: string | null;
  /** compression level for folder files (0 = store); database dumps come compressed from pg_dump */
  compressionLevel: number;
  /** tests: the codec instead of the level's (null: store everything) */
  codec?: BlockCodec | null;
  signal?: AbortSignal;
  /** test hook: smaller chunks and cheaper KDF */
  chunkSize?: number;
  kdf?: KdfSetting;
}

export interface AddedEntry {
  size: number;
  sha256: string;
}

export interface FinishedArchive {
  path: string;
  sizeBytes: number;
  sha256: string;
}

/**
 * What the file stream holds before the sealer must wait: the ciphertext is written (on libuv's
 * thread pool) while the main thread seals the next chunks. At one chunk (1 MiB) the two took
 * turns, and a backup of large incompressible files ran ~40 % slower (5 x 400 MB: 12 s against
 * 8 s at 8 MiB; 4 MiB fell between, 16 MiB gained nothing more).
 */
const WRITE_BUFFER_BYTES = 8 * 1024 * 1024;

/** The name a backup is written under until it is complete: `<final>.part`. */
export function tempPathFor(finalPath: string): string {
  return `${finalPath}.part`;
}

/** Maps a file-system error at the destination to the error the user can act on. */
export function destinationError(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new AppError('DEST_NO_SPACE', { cause: error });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new AppError('DEST_NOT_WRITABLE', { cause: error });
  return error;
}

/**
 * Writes one .lifeboat file in a single streaming pass: zip entries (ZipWriter) -> container
 * chunks (sealed) -> whole-file SHA-256 -> `<name>.part` (owner-only), then fsync and rename.
 * Nothing is ever written under the final name until the file is complete and flushed. The zip's
 * central directory waits in a scratch file next to it (Spool), not in memory.
 */
export class ArchiveWriter {
  readonly tempPath: string;
  /** the zip being written; FileQueue writes folder files into it */
  readonly zip: ZipWriter;
  /** how folder files and compressed entries are compressed (null: stored) */
  readonly codec: BlockCodec | null;
  /** the codec's level */
  readonly compressionLevel: number;
  /** a test gave the codec: everything is compressed with it on this thread (the workers only know the runtime's) */
  readonly codecInjected: boolean;
  private readonly sealer: SealStream;
  private readonly fileHash = new HashStream();
  private written!: Promise<void>;
  private aborting: Promise<void> | null = null;
  /** why the pipeline to the destination failed, once it has */
  private failed: unknown = null;

  private constructor(
    private readonly options: ArchiveWriterOptions,
    sealer: SealStream,
    private readonly central: Spool,
  ) {
    this.tempPath = tempPathFor(options.finalPath);
    this.sealer = sealer;
    this.codec = options.codec !== undefined ? options.codec : codecForLevel(options.compressionLevel);
    this.compressionLevel = options.compressionLevel;
    this.codecInjected = options.codec !== undefined;
    this.zip = new ZipWriter({ write: (data) => this.sinkWrite(data) }, central);
  }

  static async create(options: ArchiveWriterOptions): Promise<ArchiveWriter> {
    const sealer = await SealStream.create({
      backupId: options.backupId,
      app: `Lifeboat ${options.appVersion}`,
      passphrase: options.passphrase,
      chunkSize: options.chunkSize,
      kdf: options.kdf,
    });
    const tempPath = tempPathFor(options.finalPath);
    let central: Spool;
    try {
      // create it now, owner-only, so that an unwritable destination fails here with a clear error
      await (await fs.promises.open(tempPath, 'wx', 0o600)).close();
      central = await Spool.create(path.dirname(options.finalPath));
    } catch (error) {
      await fs.promises.rm(tempPath, { force: true });
      throw destinationError(error);
    }
    const writer = new ArchiveWriter(options, sealer, central);
    const out = fs.createWriteStream(writer.tempPath, { flags: 'r+', highWaterMark: WRITE_BUFFER_BYTES });
    writer.written = pipeline(sealer, writer.fileHash, out).catch((error) => {
      throw destinationError(error);
    });
    // kept for the steps that fail after it, and no unhandled rejection before someone awaits it
    writer.written.catch((error: unknown) => {
      writer.failed = error;
    });
    options.signal?.addEventListener('abort', () => void writer.abort(), { once: true });
    return writer;
  }

  /**
   * Appends an entry from a stream (or any iterable of buffers) and resolves when it is fully in
   * the archive: stored with `store` (a pg_dump custom-format dump is compressed already), else
   * compressed with the writer's codec, block by block.
   */
  async addStream(
    name: string,
    source: AsyncIterable<Buffer> | Iterable<Buffer>,
    opts: { store?: boolean; mode?: number; date?: Date; onBytes?: (n: number) => void } = {},
  ): Promise<AddedEntry> {
    const entry = await this.beginEntry(name, opts);
    let block: Buffer[] = [];
    let blockBytes = 0;
    // an error of the source (pg_dump's pipe, a file) propagates as it is; the zip's are the destination's
    for await (const data of source) {
      this.throwIfAborted();
      opts.onBytes?.(data.length);
      if (!entry.compressed) {
        await entry.add(data, false);
        continue;
      }
      block.push(data);
      blockBytes += data.length;
      if (blockBytes < BLOCK_BYTES) continue;
      await entry.add(block.length === 1 ? block[0]! : Buffer.concat(block, blockBytes), false);
      block = [];
      blockBytes = 0;
    }
    if (entry.compressed) await entry.add(Buffer.concat(block, blockBytes), true);
    return entry.end();
  }

  /**
   * Appends what `spool` holds as the entry `name`, whose content is compressed already with
   * `content.method` (a folder's index, compressed as its records went by): `content` says what
   * the uncompressed bytes are.
   */
  async addCompressed(name: string, spool: Spool, content: { method: ZipMethod; size: number; crc32: number; sha256: string }): Promise<AddedEntry> {
    this.throwIfAborted();
    await this.toZip(() => this.zip.begin({ name, method: content.method }));
    // pieces the zip writer copies (it keeps larger ones, and the spool reuses its buffer)
    await spool.readEach(COPIED_PIECE_BYTES, (piece) => {
      this.throwIfAborted();
      return this.toZip(() => this.zip.data(piece));
    });
    await this.toZip(() => this.zip.end({ crc32: content.crc32, size: content.size }));
    this.throwIfAborted();
    return { size: content.size, sha256: content.sha256 };
  }

  /**
   * Starts an entry; `add` puts its content in, a block or a chunk at a time (a compressed entry's
   * last block with `last`: deflate ends its stream there), and `end` closes it.
   */
  private async beginEntry(
    name: string,
    opts: { store?: boolean; mode?: number; date?: Date },
  ): Promise<{ compressed: boolean; add(data: Buffer, last: boolean): Promise<void>; end(): Promise<AddedEntry> }> {
    this.throwIfAborted();
    const codec = opts.store ? null : this.codec;
    const hash = crypto.createHash('sha256');
    let crc = 0;
    let size = 0;
    await this.toZip(() => this.zip.begin({ name, method: codec?.method ?? METHOD_STORE, mode: opts.mode, date: opts.date }));
    return {
      compressed: codec !== null,
      add: async (data, last) => {
        this.throwIfAborted();
        hash.update(data);
        crc = zlib.crc32(data, crc);
        size += data.length;
        const out = codec ? await codec.compress(data, last) : data;
        await this.toZip(() => this.zip.data(out));
      },
      end: async () => {
        await this.toZip(() => this.zip.end({ crc32: crc, size }));
        this.throwIfAborted();
        return { size, sha256: hash.digest('hex') };
      },
    };
  }

  /** Writes the manifest as the last entry, finalizes, fsyncs and renames into place. */
  async finish(manifest: BackupManifest): Promise<FinishedArchive> {
    this.throwIfAborted();
    try {
      await this.addStream(MANIFEST_ENTRY, [Buffer.from(JSON.stringify(manifest, null, 1))], { date: new Date() });
      await this.toZip(async () => {
        await this.zip.finish();
        this.sealer.end();
        await this.written;
      });
    } finally {
      await this.central.close();
    }
    this.throwIfAborted();
    try {
      // fsync flushes the file (inode), whichever descriptor asks
      const fh = await fs.promises.open(this.tempPath, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.promises.rename(this.tempPath, this.options.finalPath);
      await syncDir(path.dirname(this.options.finalPath));
    } catch (error) {
      await fs.promises.rm(this.tempPath, { force: true });
      throw destinationError(error);
    }
    return { path: this.options.finalPath, sizeBytes: this.fileHash.bytes, sha256: this.fileHash.digest() };
  }

  /** Stops writing and removes the temp file; safe to call more than once. */
  abort(): Promise<void> {
    this.aborting ??= (async () => {
      this.sealer.destroy();
      this.fileHash.destroy();
      await this.written.catch(() => undefined);
      await this.central.close();
      await fs.promises.rm(this.tempPath, { force: true });
    })();
    return this.aborting;
  }

  /** Throws the job's cancellation once the writer is aborting. */
  throwIfAborted(): void {
    if (this.aborting) throw this.options.signal?.reason ?? new AppError('CANCELLED');
  }

  /**
   * Runs a step of the zip (which writes to the destination) and turns its failure into what it
   * means for the user: the cancellation when aborting, the pipeline's own error when the
   * destination failed (DEST_NO_SPACE...), else the raw error mapped the same way.
   */
  async toZip<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (this.aborting) throw this.options.signal?.reason ?? new AppError('CANCELLED');
      throw this.failed ?? destinationError(error);
    }
  }

  /**
   * Hands payload bytes to the sealer, waiting while it is full; rejects once the pipeline failed.
   * True when the sealer no longer holds `data`: it copies what it takes into its chunk, so once
   * nothing waits in its queue (or it has drained) the caller may reuse the buffer.
   */
  private async sinkWrite(data: Buffer): Promise<boolean> {
    this.throwIfAborted();
    if (this.failed) throw this.failed;
    if (this.sealer.write(data)) return this.sealer.writableLength === 0;
    await Promise.race([once(this.sealer, 'drain'), this.written.then(() => Promise.reject(new Error('archive closed early')))]);
    return true;
  }
}

/** fsync a directory so the rename survives a power loss (not possible on Windows; ignored there). */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await fs.promises.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
