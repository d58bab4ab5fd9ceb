/**
 * A local folder as a Destination (today's behaviour): `<key>.part`, fsync, rename; a mounted
 * share is a local folder too.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { LocalDestinationConfig } from '../../../shared/destination';
import { AppError } from '../../../shared/errors';
import { HashStream } from '../archive/hash-stream';
import type { Destination, ObjectInfo, WriteOptions, WriteResult } from './destination';
import { checkKey } from './keys';

function fsError(error: unknown, where: string): AppError {
  if (error instanceof AppError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new AppError('DEST_FULL', { detail: where, cause: error });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new AppError('DEST_NOT_WRITABLE', { detail: where, cause: error });
  if (code === 'ENOENT') return new AppError('NOT_FOUND', { detail: where, cause: error });
  if ((error as Error).name === 'AbortError') return new AppError('CANCELLED', { cause: error });
  return new AppError('DEST_FAILED', { detail: `${where}: ${(error as Error).message}`, cause: error });
}

export class LocalDestination implements Destination {
  readonly kind = 'local' as const;
  readonly url: string;

  constructor(private readonly root: string) {
    this.url = root;
  }

  static fromConfig(config: LocalDestinationConfig): LocalDestination {
    return new LocalDestination(config.path);
  }

  urlOf(key: string): string {
    return path.join(this.root, checkKey(key));
  }

  async write(key: string, source: Readable, options: WriteOptions = {}): Promise<WriteResult> {
    const final = this.urlOf(key);
    const part = `${final}.part`;
    const count = new HashStream(() => options.onProgress?.(count.bytes));
    try {
      await fs.promises.mkdir(path.dirname(final), { recursive: true });
      await pipeline(source, count, fs.createWriteStream(part, { mode: 0o600 }), { signal: options.signal });
      if (options.size !== undefined && options.size !== count.bytes) {
        throw new AppError('DEST_FAILED', { detail: `${final}: wrote ${count.bytes} of ${options.size} bytes` });
      }
      const fh = await fs.promises.open(part, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.promises.rename(part, final);
    } catch (error) {
      await fs.promises.rm(part, { force: true }).catch(() => undefined);
      throw options.signal?.aborted ? new AppError('CANCELLED', { cause: error }) : fsError(error, final);
    }
    return { size: count.bytes, sha256: count.digest() };
  }

  async list(prefix = ''): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && rel !== '') return;
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('DEST_MISSING', { detail: this.root, cause: error });
        throw fsError(error, dir);
      }
      for (const entry of entries) {
        const key = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), key);
        else if (entry.isFile() && key.startsWith(prefix) && !key.endsWith('.part')) {
          const info = await this.stat(key);
          if (info) out.push(info);
        }
      }
    };
    await walk(this.root, '');
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const st = await fs.promises.stat(this.urlOf(key));
      return st.isFile() ? { key, size: st.size, modifiedAt: st.mtime } : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw fsError(error, this.urlOf(key));
    }
  }

  async read(key: string, start: number, length: number): Promise<Buffer> {
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(this.urlOf(key), 'r');
    } catch (error) {
      throw fsError(error, this.urlOf(key));
    }
    try {
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buffer, 0, length, start);
      return buffer.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  readStream(key: string, start = 0, end?: number, signal?: AbortSignal): Readable {
    return fs.createReadStream(this.urlOf(key), { start, end: end === undefined ? undefined : end - 1, signal });
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.urlOf(key), { force: true });
  }

  async close(): Promise<void> {
    // nothing held open
  }
}
