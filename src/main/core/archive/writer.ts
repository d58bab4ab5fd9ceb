import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import { AppError } from '../../../shared/errors';
import { MANIFEST_ENTRY, type BackupManifest } from '../../../shared/manifest';
import { SealStream, type KdfSetting } from '../crypto/container';
import { HashStream } from './hash-stream';

export interface ArchiveWriterOptions {
  /** final path of the .lifeboat file; written as `<finalPath>.part` until complete */
  finalPath: string;
  backupId: string;
  appVersion: string;
  passphrase: string | null;
  /** zlib level for folder files (0 = store); database dumps come compressed from pg_dump */
  compressionLevel: number;
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
 * Writes one .lifeboat file in a single streaming pass: zip entries -> container chunks (sealed)
 * -> whole-file SHA-256 -> `<name>.part` (owner-only), then fsync and rename into place. Nothing
 * is ever written under the final name until the file is complete and flushed.
 */
export class ArchiveWriter {
  readonly tempPath: string;
  private readonly zip: ZipArchive;
  private readonly fileHash = new HashStream();
  private written!: Promise<void>;
  private aborting: Promise<void> | null = null;

  private constructor(private readonly options: ArchiveWriterOptions) {
    this.tempPath = tempPathFor(options.finalPath);
    this.zip = new ZipArchive({
      zlib: { level: options.compressionLevel },
      forceZip64: true,
    });
  }

  static async create(options: ArchiveWriterOptions): Promise<ArchiveWriter> {
    const writer = new ArchiveWriter(options);
    const sealer = await SealStream.create({
      backupId: options.backupId,
      app: `Lifeboat ${options.appVersion}`,
      passphrase: options.passphrase,
      chunkSize: options.chunkSize,
      kdf: options.kdf,
    });
    try {
      // create it now, owner-only, so that an unwritable destination fails here with a clear error
      await (await fs.promises.open(writer.tempPath, 'wx', 0o600)).close();
    } catch (error) {
      throw destinationError(error);
    }
    const out = fs.createWriteStream(writer.tempPath, { flags: 'r+' });
    writer.written = pipeline(writer.zip, sealer, writer.fileHash, out).catch((error) => {
      throw destinationError(error);
    });
    // keep a failure from surfacing as an unhandled rejection before someone awaits it
    writer.written.catch(() => undefined);
    options.signal?.addEventListener('abort', () => void writer.abort(), { once: true });
    return writer;
  }

  /** Appends an entry from a stream and resolves when it is fully in the archive. */
  async addStream(
    name: string,
    source: Readable,
    opts: { store?: boolean; mode?: number; date?: Date; onBytes?: (n: number) => void } = {},
  ): Promise<AddedEntry> {
    this.throwIfAborted();
    const hash = new HashStream(opts.onBytes);
    source.on('error', (error) => hash.destroy(error));
    source.pipe(hash);
    const done = once(this.zip, 'entry');
    this.zip.append(hash, { name, store: opts.store, mode: opts.mode, date: opts.date ?? new Date() });
    try {
      await Promise.race([done, this.written.then(() => Promise.reject(new Error('archive closed early')))]);
    } catch (error) {
      // A failed write (ENOSPC...) reaches `once` first, raw, as the zip's 'error' event; the
      // pipeline, which rejects too, says what it means for the user (DEST_NO_SPACE...).
      throw await this.written.then(
        () => error,
        (failure: unknown) => failure,
      );
    }
    this.throwIfAborted();
    return { size: hash.bytes, sha256: hash.digest() };
  }

  /** Writes the manifest as the last entry, finalizes, fsyncs and renames into place. */
  async finish(manifest: BackupManifest): Promise<FinishedArchive> {
    this.throwIfAborted();
    this.zip.append(Buffer.from(JSON.stringify(manifest, null, 1)), { name: MANIFEST_ENTRY, date: new Date() });
    await this.zip.finalize();
    await this.written;
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
      this.zip.abort();
      this.fileHash.destroy();
      await this.written.catch(() => undefined);
      await fs.promises.rm(this.tempPath, { force: true });
    })();
    return this.aborting;
  }

  private throwIfAborted(): void {
    if (this.aborting) throw this.options.signal?.reason ?? new AppError('CANCELLED');
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
