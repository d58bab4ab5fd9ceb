import crypto from 'node:crypto';
import fs from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';

/** Passes bytes through unchanged while counting them and computing their SHA-256. */
export class HashStream extends Transform {
  private readonly hash = crypto.createHash('sha256');
  bytes = 0;

  constructor(private readonly onBytes?: (n: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    done(null, chunk);
  }

  /** The hex digest; call once, after the stream has ended. */
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** SHA-256 (hex) of a file, read as a stream in 1 MiB pieces; `onBytes` hears each piece's size. */
export async function hashFile(filePath: string | Buffer, signal?: AbortSignal, onBytes?: (n: number) => void): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(filePath, { signal, highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
  return hash.digest('hex');
}
