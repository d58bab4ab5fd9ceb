/**
 * The .lifeboat container: a plaintext header, then the payload cut into chunks that are each
 * sealed with AES-256-GCM (or, unencrypted, carry a SHA-256 check), then a 16-byte trailer.
 * Every chunk's nonce holds its index and a final flag, and every chunk authenticates a hash of
 * the header, so a flipped bit, a reordered or dropped chunk, a truncated file or an edited
 * header all fail authentication. Chunks have a fixed size, so any plaintext offset can be read
 * without decrypting what comes before it (the zip reader needs that). Since format 3 the header
 * also carries its own SHA-256, so a damaged header is told apart from a wrong passphrase before
 * any key is derived. See docs/FORMAT.md.
 */
import crypto from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../../../shared/errors';
import type { RandomAccessFile } from '../archive/random-access';
import { openBackupFile } from '../destinations/remote-open';
import { cachedKeys, deriveKeys, rememberKeys, type KdfParams, type KdfSetting, type Keys } from './keys';

export type { KdfParams, KdfSetting } from './keys';

export const MAGIC = Buffer.from('LIFEBOAT', 'ascii');
export const TRAILER_MAGIC = Buffer.from('LBFOOTER', 'ascii');
/**
 * 3: the header ends with a SHA-256 of the bytes before it (format 2: the key may be derived with
 * Argon2id; format 1: scrypt only; both are still read)
 */
export const FORMAT_VERSION = 3;
/** the first format whose header carries its own SHA-256 */
const HASHED_HEADER_FORMAT = 3;
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
const TAG_BYTES = 16;
const TRAILER_BYTES = 16;
const PREAMBLE_BYTES = 14; // magic(8) + version u16 + header length u32
const HEADER_HASH_BYTES = 32;
const MAX_HEADER_BYTES = 64 * 1024;
/**
 * How far before the end of a file without a valid trailer there to look for one: found, the file
 * has data appended after its end; not found, it is truncated. Covers block padding and a partly
 * appended copy without reading a whole (possibly huge, truncated) file backwards.
 */
const TRAILER_SEARCH_BYTES = 16 * 1024 * 1024;
const HEADER_DAMAGED = 'the file header is damaged';

/**
 * The key derivation new files use: Argon2id, 32 MiB, 3 passes, 4 lanes. That is RFC 9106's second
 * recommended setting with half its memory (64 MiB would lift a backup's peak RSS over its 150 MB
 * budget), and more memory with as many passes as OWASP's equal-strength Argon2id settings (e.g.
 * 12 MiB with 3 passes, 19 MiB with 2). It takes the same memory as format 1's scrypt (N = 2^15,
 * r = 8, p = 3) and, its lanes running in parallel, about 0.05 s instead of 0.3 s.
 * The setting is stored per file, so a later version can raise it and still read old files.
 */
export const DEFAULT_KDF: KdfSetting = { name: 'argon2id', m: 32 * 1024, t: 3, p: 4 };

/** At most 1 GiB of memory: a crafted header must not make opening a file exhaust the machine. */
const KDF_MAX_BYTES = 1024 ** 3;
const intIn = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const base64Of = (v: unknown, min: number, max: number): boolean => typeof v === 'string' && intIn(Buffer.from(v, 'base64').length, min, max);

/** Whether a header's `encryption` is one this version can use (checked before deriving anything). */
function usableEncryption(e: Record<string, unknown>): boolean {
  const kdf = e.kdf as Record<string, unknown> | null | undefined;
  if (e.cipher !== 'aes-256-gcm' || !base64Of(e.noncePrefix, 7, 7) || !base64Of(e.keyCheck, 16, 32)) return false;
  if (!kdf || !base64Of(kdf.salt, 8, 64)) return false;
  if (kdf.name === 'argon2id') {
    return intIn(kdf.p, 1, 64) && intIn(kdf.t, 1, 64) && intIn(kdf.m, 8 * kdf.p, KDF_MAX_BYTES / 1024);
  }
  if (kdf.name === 'scrypt') {
    return intIn(kdf.r, 1, 32) && intIn(kdf.p, 1, 16) && intIn(kdf.N, 2, KDF_MAX_BYTES / (128 * kdf.r)) && (kdf.N & (kdf.N - 1)) === 0;
  }
  return false;
}

/**
 * The most a header's key derivation may cost before the reader asks for `allowExpensiveKdf`
 * (the CLI's --allow-expensive-kdf): 4x the memory and 4x the passes of the most expensive setting
 * any version has written, Argon2id 32 MiB x 3 passes x 4 lanes (DEFAULT_KDF) and format 1's
 * scrypt N = 2^15, r = 8 (32 MiB), p = 3. A later version can so raise its default twice over and
 * its files still open here without asking, while a damaged or crafted header costs at most about
 * 128 MiB and a few seconds (16x the work of a normal open) before it is refused, instead of
 * minutes and 1 GiB. Lanes split Argon2id's memory rather than add to it; 16 lanes is 4x ours.
 */
export const KDF_LIMITS = {
  argon2id: { m: 4 * 32 * 1024, t: 4 * 3, p: 4 * 4 },
  /** scrypt's memory is 128 * N * r bytes; p is its number of passes */
  scrypt: { memoryBytes: 4 * 32 * 1024 ** 2, p: 4 * 3 },
} as const;

/** Whether a (usable) key derivation costs more than KDF_LIMITS allows. */
function isExpensiveKdf(kdf: KdfParams): boolean {
  if (kdf.name === 'argon2id') return kdf.m > KDF_LIMITS.argon2id.m || kdf.t > KDF_LIMITS.argon2id.t || kdf.p > KDF_LIMITS.argon2id.p;
  return 128 * kdf.N * kdf.r > KDF_LIMITS.scrypt.memoryBytes || kdf.p > KDF_LIMITS.scrypt.p;
}

function describeKdf(kdf: KdfParams): string {
  return kdf.name === 'argon2id' ? `Argon2id m = ${kdf.m} KiB, t = ${kdf.t}, p = ${kdf.p}` : `scrypt N = ${kdf.N}, r = ${kdf.r}, p = ${kdf.p}`;
}

let expensiveKdfAllowed = false;

/**
 * Lets every later open in this process accept a header whose key derivation is above KDF_LIMITS
 * (still at most 1 GiB), as `OpenOptions.allowExpensiveKdf` does for one open. The CLI sets it
 * from --allow-expensive-kdf; the restore and verify jobs open files deep inside, so a
 * process-wide switch is simpler than passing an option through every one of them.
 */
export function setExpensiveKdfAllowed(allowed: boolean): void {
  expensiveKdfAllowed = allowed;
}

export interface OpenOptions {
  /** accept a key derivation above KDF_LIMITS (default: the process-wide setExpensiveKdfAllowed) */
  allowExpensiveKdf?: boolean;
}

export interface ContainerHeader {
  format: number;
  createdAt: string;
  backupId: string;
  app: string;
  chunkSize: number;
  /** null: not encrypted, chunks carry a SHA-256 check instead of a GCM tag */
  encryption: null | {
    cipher: 'aes-256-gcm';
    kdf: KdfParams;
    /** 7 random bytes, base64: the nonce is prefix(7) | chunk index u32 BE | final flag u8 */
    noncePrefix: string;
    /** HMAC-SHA256(key, 'lifeboat key check'), first 16 bytes, base64: tells a wrong passphrase from damage */
    keyCheck: string;
  };
}

/**
 * The bytes before the first chunk: preamble, header JSON and the SHA-256 of both (which is also
 * the header hash every chunk authenticates). The header length counts the JSON and its hash.
 */
function encodeHeader(headerJson: Buffer): { bytes: Buffer; headerHash: Buffer } {
  const pre = Buffer.alloc(PREAMBLE_BYTES);
  MAGIC.copy(pre, 0);
  pre.writeUInt16BE(FORMAT_VERSION, 8);
  pre.writeUInt32BE(headerJson.length + HEADER_HASH_BYTES, 10);
  const headerHash = crypto.createHash('sha256').update(pre).update(headerJson).digest();
  return { bytes: Buffer.concat([pre, headerJson, headerHash]), headerHash };
}

/** Seals and opens chunks: AES-256-GCM, or a SHA-256 check when not encrypted. */
class ChunkCodec {
  constructor(
    private readonly headerHash: Buffer,
    private readonly key: Buffer | null,
    private readonly noncePrefix: Buffer | null,
  ) {}

  get encrypted(): boolean {
    return this.key !== null;
  }

  private aad(final: boolean, totalLength: bigint): Buffer {
    if (!final) return this.headerHash;
    // the final chunk also authenticates the payload length the trailer states
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(totalLength);
    return Buffer.concat([this.headerHash, len]);
  }

  private nonce(index: number, final: boolean): Buffer {
    const n = Buffer.alloc(12);
    (this.noncePrefix ?? Buffer.alloc(7)).copy(n, 0, 0, 7);
    n.writeUInt32BE(index, 7);
    n[11] = final ? 1 : 0;
    return n;
  }

  seal(plain: Buffer, index: number, final: boolean, totalLength: bigint): Buffer[] {
    const nonce = this.nonce(index, final);
    const aad = this.aad(final, totalLength);
    if (!this.key) {
      const check = crypto.createHash('sha256').update(aad).update(nonce).update(plain).digest().subarray(0, TAG_BYTES);
      return [plain, check];
    }
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(aad);
    const body = cipher.update(plain);
    cipher.final();
    return [body, cipher.getAuthTag()];
  }

  /** Returns the plaintext, or null when the chunk fails authentication. */
  open(sealed: Buffer, index: number, final: boolean, totalLength: bigint): Buffer | null {
    const body = sealed.subarray(0, sealed.length - TAG_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    const nonce = this.nonce(index, final);
    const aad = this.aad(final, totalLength);
    if (!this.key) {
      const check = crypto.createHash('sha256').update(aad).update(nonce).update(body).digest().subarray(0, TAG_BYTES);
      return crypto.timingSafeEqual(check, tag) ? body : null;
    }
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, nonce);
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      const plain = decipher.update(body);
      decipher.final();
      return plain;
    } catch {
      return null;
    }
  }
}

export interface SealOptions {
  backupId: string;
  app: string;
  /** null writes an unencrypted (but still checksummed) container */
  passphrase: string | null;
  chunkSize?: number;
  /** the key derivation (default DEFAULT_KDF; tests use cheap settings) */
  kdf?: KdfSetting;
  now?: Date;
}

/**
 * A Transform that turns the payload into a complete container: header, sealed chunks,
 * trailer. Keeps at most one chunk in memory.
 */
export class SealStream extends Transform {
  private readonly buffer: Buffer;
  private filled = 0;
  private index = 0;
  private total = 0n;

  private constructor(
    private readonly codec: ChunkCodec,
    headerBytes: Buffer,
    readonly header: ContainerHeader,
  ) {
    super();
    this.buffer = Buffer.allocUnsafe(header.chunkSize);
    this.push(headerBytes);
  }

  /** Derives the key (if encrypting) and returns a stream ready to take the payload. */
  static async create(options: SealOptions): Promise<SealStream> {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    let keys: Keys | null = null;
    let encryption: ContainerHeader['encryption'] = null;
    let noncePrefix: Buffer | null = null;
    if (options.passphrase !== null) {
      const kdf: KdfParams = { ...(options.kdf ?? DEFAULT_KDF), salt: crypto.randomBytes(16).toString('base64') };
      keys = await deriveKeys(options.passphrase, kdf);
      rememberKeys(options.passphrase, kdf, keys);
      noncePrefix = crypto.randomBytes(7);
      encryption = {
        cipher: 'aes-256-gcm',
        kdf,
        noncePrefix: noncePrefix.toString('base64'),
        keyCheck: keys.keyCheck.toString('base64'),
      };
    }
    const header: ContainerHeader = {
      format: FORMAT_VERSION,
      createdAt: (options.now ?? new Date()).toISOString(),
      backupId: options.backupId,
      app: options.app,
      chunkSize,
      encryption,
    };
    const { bytes, headerHash } = encodeHeader(Buffer.from(JSON.stringify(header), 'utf8'));
    return new SealStream(new ChunkCodec(headerHash, keys?.dataKey ?? null, noncePrefix), bytes, header);
  }

  // `data` is copied, never kept: ArchiveWriter reuses a buffer once the stream has taken it
  override _transform(data: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let offset = 0;
    while (offset < data.length) {
      // a full chunk is sealed only once more data arrives: the last chunk must carry the final flag
      if (this.filled === this.buffer.length) this.sealBuffered(false);
      const n = Math.min(data.length - offset, this.buffer.length - this.filled);
      data.copy(this.buffer, this.filled, offset, offset + n);
      this.filled += n;
      offset += n;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.sealBuffered(true);
    const trailer = Buffer.alloc(TRAILER_BYTES);
    TRAILER_MAGIC.copy(trailer, 0);
    trailer.writeBigUInt64BE(this.total, 8);
    this.push(trailer);
    done();
  }

  private sealBuffered(final: boolean): void {
    const filled = this.buffer.subarray(0, this.filled);
    // encrypting reads the buffer into a new ciphertext; a plain chunk is pushed itself, so it must be a copy
    const plain = this.codec.encrypted ? filled : Buffer.from(filled);
    this.total += BigInt(this.filled);
    for (const part of this.codec.seal(plain, this.index, final, this.total)) this.push(part);
    this.index++;
    this.filled = 0;
  }
}

/**
 * Reads a container's header without a passphrase; `headerBytes` is where the first chunk starts.
 * `file`: a path or an s3://, azure://, sftp:// URL (destinations/remote-open.ts; a remote one is
 * read with a ranged read), or a file already open (left open). Throws NOT_A_BACKUP,
 * UNSUPPORTED_VERSION, FILE_TRUNCATED or FILE_CORRUPT (a damaged header), and for a path or URL
 * what opening it throws.
 */
export async function readContainerHeader(file: string | RandomAccessFile): Promise<{ header: ContainerHeader; headerBytes: number; fileSize: number }> {
  const fh = typeof file === 'string' ? await openBackupFile(file) : file;
  try {
    const { header, headerBytes } = await readHeaderFrom(fh);
    return { header, headerBytes, fileSize: fh.size };
  } finally {
    if (typeof file === 'string') await fh.close();
  }
}

/** Whether the file ends with a trailer's magic: a Lifeboat file, however damaged its header. */
async function endsWithTrailerMagic(fh: RandomAccessFile): Promise<boolean> {
  const { size } = fh;
  if (size < TRAILER_BYTES) return false;
  const magic = Buffer.alloc(TRAILER_MAGIC.length);
  await fh.read(magic, 0, magic.length, size - TRAILER_BYTES);
  return magic.equals(TRAILER_MAGIC);
}

/** The `format` a header JSON states, when it parses and names a format this version reads. */
function knownFormatIn(json: Buffer): number | null {
  try {
    const format = (JSON.parse(json.toString('utf8')) as { format?: unknown } | null)?.format;
    return intIn(format, 1, FORMAT_VERSION) ? format : null;
  } catch {
    return null;
  }
}

/**
 * Reads and checks the header. A format 3 header is checked against its own SHA-256 before
 * anything in it is used, so any damage to it is FILE_CORRUPT, never a wrong passphrase. Format 1
 * and 2 headers have no hash: only the chunks (and the key check) notice damage to them.
 */
async function readHeaderFrom(fh: RandomAccessFile): Promise<{ header: ContainerHeader; headerBytes: number; headerHash: Buffer }> {
  const pre = Buffer.alloc(PREAMBLE_BYTES);
  const { bytesRead } = await fh.read(pre, 0, PREAMBLE_BYTES, 0);
  if (bytesRead < PREAMBLE_BYTES) throw new AppError('NOT_A_BACKUP');
  if (!pre.subarray(0, 8).equals(MAGIC)) {
    if (await endsWithTrailerMagic(fh)) throw new AppError('FILE_CORRUPT', { detail: `${HEADER_DAMAGED}: its first bytes` });
    throw new AppError('NOT_A_BACKUP');
  }
  const version = pre.readUInt16BE(8);
  const known = version >= 1 && version <= FORMAT_VERSION;
  const length = pre.readUInt32BE(10);
  const hashBytes = version >= HASHED_HEADER_FORMAT ? HEADER_HASH_BYTES : 0;
  if (length <= hashBytes || length > MAX_HEADER_BYTES) {
    if (!known) throw new AppError('UNSUPPORTED_VERSION', { detail: `format ${version}` });
    throw new AppError('FILE_CORRUPT', { detail: `${HEADER_DAMAGED}: its length field` });
  }
  const body = Buffer.alloc(length);
  const read = await fh.read(body, 0, length, PREAMBLE_BYTES);
  if (read.bytesRead < length) {
    // a header longer than the file: its length is damaged if the file is whole, else the file was cut short
    if (await endsWithTrailerMagic(fh)) throw new AppError('FILE_CORRUPT', { detail: `${HEADER_DAMAGED}: its length field` });
    throw new AppError('FILE_TRUNCATED', { detail: 'header' });
  }
  if (!known) {
    // a damaged version field, not a newer file, when the header itself names a format we know
    const stated = knownFormatIn(body) ?? knownFormatIn(body.subarray(0, Math.max(0, length - HEADER_HASH_BYTES)));
    if (stated !== null) throw new AppError('FILE_CORRUPT', { detail: `${HEADER_DAMAGED}: its preamble says format ${version}, its JSON format ${stated}` });
    throw new AppError('UNSUPPORTED_VERSION', { detail: `format ${version}` });
  }
  const json = body.subarray(0, length - hashBytes);
  const headerHash = crypto.createHash('sha256').update(pre).update(json).digest();
  if (hashBytes && !headerHash.equals(body.subarray(length - hashBytes))) {
    throw new AppError('FILE_CORRUPT', { detail: `${HEADER_DAMAGED}: its SHA-256 does not match` });
  }
  let header: ContainerHeader;
  try {
    header = JSON.parse(json.toString('utf8')) as ContainerHeader;
  } catch (cause) {
    throw new AppError('FILE_CORRUPT', { detail: `${HEADER_DAMAGED}: it is not readable JSON`, cause });
  }
  if (typeof header !== 'object' || header === null || header.format !== version) {
    throw new AppError('FILE_CORRUPT', { detail: `${HEADER_DAMAGED}: its format does not match the preamble's` });
  }
  if (!Number.isInteger(header.chunkSize) || header.chunkSize < 1024 || header.chunkSize > 64 * 1024 * 1024) {
    throw new AppError('FILE_CORRUPT', { detail: 'header chunk size' });
  }
  // checked before a key is derived with them: a format 1/2 header is only authenticated by the chunks
  if (header.encryption !== null && (typeof header.encryption !== 'object' || !usableEncryption(header.encryption as unknown as Record<string, unknown>))) {
    throw new AppError('FILE_CORRUPT', { detail: 'header: unknown or out-of-range encryption or key derivation parameters' });
  }
  return { header, headerBytes: PREAMBLE_BYTES + length, headerHash };
}

/**
 * The payload length the trailer states, once the trailer is found where that length puts it: at
 * the end of the file. Otherwise FILE_CORRUPT when a valid trailer sits earlier (data was appended
 * after the end of the backup) or the one at the end disagrees with the file length, and
 * FILE_TRUNCATED when there is no trailer at all.
 */
async function readPayloadLength(fh: RandomAccessFile, headerBytes: number, chunkSize: number, fileSize: number): Promise<number> {
  /** whether `trailer`, read at offset `at`, states the payload length that puts a trailer there */
  const endsAt = (trailer: Buffer, at: number): boolean => {
    if (!trailer.subarray(0, 8).equals(TRAILER_MAGIC)) return false;
    const size = trailer.readBigUInt64BE(8);
    if (size > BigInt(Number.MAX_SAFE_INTEGER)) return false;
    return headerBytes + Number(size) + Math.max(1, Math.ceil(Number(size) / chunkSize)) * TAG_BYTES === at;
  };
  const last = Buffer.alloc(TRAILER_BYTES);
  await fh.read(last, 0, TRAILER_BYTES, fileSize - TRAILER_BYTES);
  if (endsAt(last, fileSize - TRAILER_BYTES)) return Number(last.readBigUInt64BE(8));

  // look back for the trailer of a complete file followed by other bytes
  const from = Math.max(headerBytes + TAG_BYTES, fileSize - TRAILER_BYTES - TRAILER_SEARCH_BYTES);
  const window = Buffer.alloc(Math.max(0, fileSize - 1 - from));
  await fh.read(window, 0, window.length, from);
  for (let i = window.lastIndexOf(TRAILER_MAGIC); i >= 0; i = i > 0 ? window.lastIndexOf(TRAILER_MAGIC, i - 1) : -1) {
    if (i + TRAILER_BYTES <= window.length && endsAt(window.subarray(i, i + TRAILER_BYTES), from + i)) {
      const extra = fileSize - (from + i + TRAILER_BYTES);
      throw new AppError('FILE_CORRUPT', { detail: `${extra} bytes of data after the end of the backup` });
    }
  }
  if (last.subarray(0, 8).equals(TRAILER_MAGIC)) throw new AppError('FILE_CORRUPT', { detail: 'file length does not match its trailer' });
  throw new AppError('FILE_TRUNCATED');
}

/**
 * An open container: random access to its plaintext, each chunk authenticated as it is read.
 * Throws WRONG_PASSPHRASE, PASSPHRASE_REQUIRED, NOT_A_BACKUP, UNSUPPORTED_VERSION, FILE_TRUNCATED
 * or FILE_CORRUPT (also for a header whose key derivation is above KDF_LIMITS, unless allowed).
 */
/** chunks an OpenContainer keeps decrypted (OpenContainer.readChunk) */
const CACHED_CHUNKS = 2;

export class OpenContainer {
  /** the last chunks decrypted, newest first: readers moving through the file in step need the one before the newest too */
  private cache: { index: number; plain: Buffer }[] = [];
  /** chunks being read and decrypted now */
  private readonly loading = new Map<number, Promise<Buffer>>();
  /** buffers sealed chunks are read into, kept for the next read: fresh memory is costly to fault in */
  private readonly sealedBuffers: Buffer[] = [];

  private constructor(
    private readonly fh: RandomAccessFile,
    readonly header: ContainerHeader,
    private readonly headerBytes: number,
    /** payload length in bytes */
    readonly size: number,
    readonly fileSize: number,
    private readonly codec: ChunkCodec,
  ) {}

  /**
   * `filePath`: a path, or an s3://, azure://, sftp:// URL read with ranged reads through the
   * process's remote opener (destinations/remote-open.ts), which throws its own errors
   * (NOT_FOUND, DEST_*, HOST_KEY_*, VALIDATION).
   */
  static async open(filePath: string, passphrase: string | null, options: OpenOptions = {}): Promise<OpenContainer> {
    let fh: RandomAccessFile;
    try {
      fh = await openBackupFile(filePath);
    } catch (cause) {
      if (cause instanceof AppError) throw cause;
      throw new AppError('NOT_FOUND', { detail: filePath, cause });
    }
    try {
      const { header, headerBytes, headerHash } = await readHeaderFrom(fh);
      const fileSize = fh.size;
      if (fileSize < headerBytes + TAG_BYTES + TRAILER_BYTES) throw new AppError('FILE_TRUNCATED');
      const size = await readPayloadLength(fh, headerBytes, header.chunkSize, fileSize);
      let key: Buffer | null = null;
      let noncePrefix: Buffer | null = null;
      if (header.encryption) {
        const kdf = header.encryption.kdf;
        // refused at once: deriving first would cost minutes and a gigabyte, then blame the passphrase
        if (isExpensiveKdf(kdf) && !(options.allowExpensiveKdf ?? expensiveKdfAllowed)) {
          throw new AppError('FILE_CORRUPT', {
            detail:
              `the header asks for an unusually expensive key derivation (${describeKdf(kdf)}), more than any Lifeboat writes; ` +
              'if you trust this file, open it with the command-line option --allow-expensive-kdf',
          });
        }
        if (passphrase === null || passphrase === '') throw new AppError('PASSPHRASE_REQUIRED');
        const keys = cachedKeys(passphrase, kdf) ?? (await deriveKeys(passphrase, kdf));
        if (!crypto.timingSafeEqual(keys.keyCheck, Buffer.from(header.encryption.keyCheck, 'base64').subarray(0, 16))) {
          throw new AppError('WRONG_PASSPHRASE');
        }
        rememberKeys(passphrase, kdf, keys);
        key = keys.dataKey;
        noncePrefix = Buffer.from(header.encryption.noncePrefix, 'base64');
      }
      return new OpenContainer(fh, header, headerBytes, size, fileSize, new ChunkCodec(headerHash, key, noncePrefix));
    } catch (error) {
      await fh.close();
      throw error;
    }
  }

  get chunkCount(): number {
    return Math.max(1, Math.ceil(this.size / this.header.chunkSize));
  }

  /** Decrypts and authenticates chunk `index`. */
  async readChunk(index: number): Promise<Buffer> {
    const cached = this.cache.find((c) => c.index === index);
    if (cached) return cached.plain;
    // readers running side by side (a restore's files in flight) often want the same chunk:
    // it is read and decrypted once for all of them
    let loading = this.loading.get(index);
    if (!loading) {
      loading = this.loadChunk(index).finally(() => this.loading.delete(index));
      this.loading.set(index, loading);
    }
    return loading;
  }

  private async loadChunk(index: number): Promise<Buffer> {
    const buffer = this.sealedBuffers.pop() ?? Buffer.allocUnsafe(this.header.chunkSize + TAG_BYTES);
    let plain: Buffer;
    try {
      ({ plain } = await this.openSealedChunk(index, buffer));
    } finally {
      // decryption copies the plaintext out, so the buffer can be read into again; an unencrypted
      // chunk's plaintext is a view of it and keeps it
      if (this.codec.encrypted && this.sealedBuffers.length < 2) this.sealedBuffers.push(buffer);
    }
    this.cache = [{ index, plain }, ...this.cache.filter((c) => c.index !== index)].slice(0, CACHED_CHUNKS);
    return plain;
  }

  /** Reads and authenticates chunk `index` into `sealed` (a buffer of chunkSize + 16 bytes); returns the plaintext. */
  private async openSealedChunk(index: number, sealed: Buffer): Promise<{ view: Buffer; plain: Buffer }> {
    const { chunkSize } = this.header;
    const final = index === this.chunkCount - 1;
    const length = (final ? this.size - index * chunkSize : chunkSize) + TAG_BYTES;
    const view = sealed.subarray(0, length);
    const { bytesRead } = await this.fh.read(view, 0, length, this.headerBytes + index * (chunkSize + TAG_BYTES));
    if (bytesRead < length) throw new AppError('FILE_TRUNCATED', { detail: `chunk ${index}` });
    const plain = this.codec.open(view, index, final, BigInt(this.size));
    if (!plain) throw new AppError('FILE_CORRUPT', { detail: `chunk ${index} of ${this.chunkCount} fails authentication` });
    return { view, plain };
  }

  /**
   * Reads the whole file once, in order: hashes every byte (the whole-file SHA-256) and
   * authenticates every chunk on the way. Throws FILE_CORRUPT/FILE_TRUNCATED at the first bad one.
   * `onPlain` gets each chunk's plaintext and its payload offset, in order, and is awaited (the
   * buffer is only valid during the call).
   */
  async scan(
    options: {
      signal?: AbortSignal;
      onChunk?: (plainBytes: number) => void;
      onPlain?: (plain: Buffer, offset: number) => void | Promise<void>;
    } = {},
  ): Promise<string> {
    const hash = crypto.createHash('sha256');
    const head = Buffer.allocUnsafe(this.headerBytes);
    await this.fh.read(head, 0, head.length, 0);
    hash.update(head);
    const sealed = Buffer.allocUnsafe(this.header.chunkSize + TAG_BYTES);
    for (let index = 0; index < this.chunkCount; index++) {
      if (options.signal?.aborted) throw options.signal.reason;
      const { view, plain } = await this.openSealedChunk(index, sealed);
      hash.update(view);
      if (options.onPlain) await options.onPlain(plain, index * this.header.chunkSize);
      options.onChunk?.(plain.length);
    }
    const trailer = Buffer.allocUnsafe(TRAILER_BYTES);
    await this.fh.read(trailer, 0, TRAILER_BYTES, this.fileSize - TRAILER_BYTES);
    hash.update(trailer);
    return hash.digest('hex');
  }

  /**
   * Authenticates the chunks whose index `include` accepts, in order, without hashing the file.
   * Throws FILE_CORRUPT/FILE_TRUNCATED at the first bad one; returns how many were checked.
   */
  async authenticateChunks(include: (index: number) => boolean, options: { signal?: AbortSignal } = {}): Promise<number> {
    const sealed = Buffer.allocUnsafe(this.header.chunkSize + TAG_BYTES);
    let checked = 0;
    for (let index = 0; index < this.chunkCount; index++) {
      if (!include(index)) continue;
      if (options.signal?.aborted) throw options.signal.reason;
      await this.openSealedChunk(index, sealed);
      checked++;
    }
    return checked;
  }

  /** Reads `length` payload bytes at `offset`. */
  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, offset + length);
    const parts: Buffer[] = [];
    let pos = offset;
    while (pos < end) {
      const index = Math.floor(pos / this.header.chunkSize);
      const chunk = await this.readChunk(index);
      const from = pos - index * this.header.chunkSize;
      const to = Math.min(chunk.length, from + (end - pos));
      parts.push(chunk.subarray(from, to));
      pos += to - from;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /**
   * A stream of payload bytes [start, end), one chunk at a time, with the next chunk read and
   * decrypted while the consumer handles the current one.
   */
  createReadStream(start = 0, end = this.size): Readable {
    const { chunkSize } = this.header;
    let pos = start;
    let ahead: Promise<Buffer> | null = null;
    const slice = (at: number): Promise<Buffer> => {
      const index = Math.floor(at / chunkSize);
      return this.readChunk(index).then((chunk) => {
        const from = at - index * chunkSize;
        return chunk.subarray(from, Math.min(chunk.length, from + (end - at)));
      });
    };
    const stream: Readable = new Readable({
      highWaterMark: chunkSize,
      read: () => {
        if (pos >= end) {
          stream.push(null);
          return;
        }
        const current = ahead ?? slice(pos);
        ahead = null;
        current.then(
          (buf) => {
            pos += buf.length;
            if (pos < end) {
              ahead = slice(pos);
              ahead.catch(() => undefined);
            }
            // chunk buffers are never written to after decryption, so no copy is needed
            stream.push(buf);
            if (pos >= end) stream.push(null);
          },
          (error: Error) => stream.destroy(error),
        );
      },
    });
    return stream;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
