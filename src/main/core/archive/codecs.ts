/**
 * How folder files are compressed and read back. A file is cut into blocks of up to 1 MiB and
 * each block is compressed on its own, on libuv's thread pool (zlib's async calls), so several
 * blocks and files compress at once on every core while the main thread hashes, seals and
 * writes in order. Independent blocks concatenate into one valid stream: deflate blocks end
 * with a sync flush (the last with the final block), as pigz does; zstd blocks are frames,
 * and a zstd stream may hold several. Zstandard is used where the runtime's zlib has it (Node
 * 22.15+ / 23.8+, Electron 41), deflate otherwise (the Node 20 command line); both are read
 * everywhere: zstd with the runtime's decoder or, on Node 20, the pure-JS fzstd.
 */
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { decompress as fzstdDecompress, Decompress as FzstdDecompress } from 'fzstd';
import { METHOD_DEFLATE, METHOD_STORE, METHOD_ZSTD, type ZipMethod } from './zip-writer';

export const BLOCK_BYTES = 1024 * 1024;

/** Compresses one block of a file; `last` is the file's final block. */
export interface BlockCodec {
  readonly method: ZipMethod;
  compress(block: Buffer, last: boolean): Promise<Buffer>;
}

type ZstdZlib = typeof zlib & {
  zstdCompress?: (buf: Buffer, options: object, cb: (err: Error | null, out: Buffer) => void) => void;
  createZstdDecompress?: () => Transform;
  zstdDecompressSync?: (buf: Buffer, options?: { maxOutputLength?: number }) => Buffer;
  constants: typeof zlib.constants & { ZSTD_c_compressionLevel?: number };
};
const z = zlib as ZstdZlib;

const deflateRaw = promisify(zlib.deflateRaw) as (buf: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>;

/** Whether this runtime's zlib writes zstd. */
export function runtimeHasZstd(): boolean {
  return typeof z.zstdCompress === 'function' && z.constants.ZSTD_c_compressionLevel !== undefined;
}

/** Raw deflate at `level` (1-9), block by block. */
export function deflateCodec(level: number): BlockCodec {
  return {
    method: METHOD_DEFLATE,
    compress: (block, last) => deflateRaw(block, { level, finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH }),
  };
}

/** Zstandard at `level`, one frame per block (only where runtimeHasZstd()). */
export function zstdCodec(level: number): BlockCodec {
  const compress = promisify(z.zstdCompress!) as (buf: Buffer, options: object) => Promise<Buffer>;
  const params = { [z.constants.ZSTD_c_compressionLevel!]: level };
  return { method: METHOD_ZSTD, compress: (block) => compress(block, { params }) };
}

/**
 * The codec for a plan's compression level (0 = none: every file stored): zstd where the
 * runtime has it (its level 1-9 read as zstd's, which at those levels is both faster and smaller
 * than deflate's), deflate otherwise.
 */
export function codecForLevel(level: number, preferZstd = runtimeHasZstd()): BlockCodec | null {
  if (level <= 0) return null;
  return preferZstd ? zstdCodec(level) : deflateCodec(Math.min(9, level));
}

/**
 * File name extensions of formats that are compressed already: such a file is stored without a
 * trial. Lower case, without the dot.
 */
const COMPRESSED_EXTENSIONS = new Set(
  (
    'jpg jpeg png gif webp heic heif avif jxl jp2 mp4 m4v mov mkv webm avi wmv flv mpg mpeg ts m2ts 3gp ' +
    'mp3 m4a aac ogg oga opus flac wma ' +
    'zip gz tgz bz2 tbz xz txz zst tzst lz4 lzma 7z rar cab arj lz br ' +
    'jar war apk aab ipa xpi crx whl nupkg deb rpm snap appimage dmg msi ' +
    'docx xlsx pptx odt ods odp epub pdf woff woff2 ' +
    'lifeboat dump'
  ).split(' '),
);

/** Whether a file's name says it is compressed already (so it is stored, not compressed again). */
export function isCompressedByName(name: string): boolean {
  const ext = path.extname(name).slice(1).toLowerCase();
  return ext !== '' && COMPRESSED_EXTENSIONS.has(ext);
}

/** A compressed first block that saves less than this share is not worth it: the file is stored. */
export const WORTH_IT = 0.92;

/** Whether the compressed first block pays for compressing the file (the trial). */
export function compressionPays(raw: number, compressed: number): boolean {
  return compressed < raw * WORTH_IT;
}

/** A Transform that decompresses a zstd stream (one or more frames). */
export function createZstdDecompress(): Transform {
  if (typeof z.createZstdDecompress === 'function') return z.createZstdDecompress();
  return new FzstdTransform();
}

/** zstd decoding on runtimes without it in zlib (Node 20): fzstd, pure JavaScript. */
class FzstdTransform extends Transform {
  private readonly decoder = new FzstdDecompress((data) => {
    if (data.length) this.push(Buffer.from(data.buffer, data.byteOffset, data.length));
  });

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.decoder.push(chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      done();
    } catch (error) {
      done(error as Error);
    }
  }
}

/** The Transform that turns an entry's stored bytes back into its content, or null when stored. */
export function decompressorFor(method: number): Transform | null {
  if (method === METHOD_STORE) return null;
  // larger pieces than zlib's 16 KiB: a large entry (a folder's index, a big file) takes an eighth of the callbacks
  if (method === METHOD_DEFLATE) return zlib.createInflateRaw({ chunkSize: 128 * 1024 });
  if (method === METHOD_ZSTD) return createZstdDecompress();
  throw new Error(`unsupported compression method ${method}`);
}

/**
 * Decompresses a small entry in one call (deflate or zstd); more than `maxOutput` bytes of
 * output throws ERR_BUFFER_TOO_LARGE as zlib does.
 */
export function decompressAtOnce(method: number, compressed: Buffer, maxOutput: number): Buffer {
  if (method === METHOD_DEFLATE) return zlib.inflateRawSync(compressed, { maxOutputLength: maxOutput });
  if (method !== METHOD_ZSTD) throw new Error(`unsupported compression method ${method}`);
  if (typeof z.zstdDecompressSync === 'function') return z.zstdDecompressSync(compressed, { maxOutputLength: maxOutput });
  const out = fzstdDecompress(compressed);
  if (out.length > maxOutput) throw Object.assign(new Error('more output than expected'), { code: 'ERR_BUFFER_TOO_LARGE' });
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}
