/**
 * A folder's index (manifest format 3): one JSON record per item, in walk order, compressed a
 * block at a time as the records go by into a scratch file, and stored as one entry once the
 * folder is done. However many files a folder holds, only the block being filled is in memory.
 *
 * The blocks are compressed as ArchiveWriter compresses any entry (BlockCodec: 1 MiB blocks,
 * independent, the last one ending the stream), so the entry is what it was when the whole index
 * was compressed at the end. Compressing it then left its garbage (a compressed piece and a
 * ciphertext chunk per block, outside V8's heap) for a phase in which hardly any JavaScript runs
 * and V8 collects little: the peak of a backup's memory came at its very end (about 15 MB for
 * 100k files, more for a million). Compressed as they go, the blocks' garbage is collected with
 * the rest of the run's.
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import type { FolderIndexRecord } from '../../../shared/manifest';
import { BLOCK_BYTES, type BlockCodec } from '../archive/codecs';
import { Spool } from '../archive/spool';
import type { AddedEntry, ArchiveWriter } from '../archive/writer';
import { METHOD_STORE } from '../archive/zip-writer';

export class FolderIndexWriter {
  /** records written so far */
  records = 0;
  /** the block being filled (reused: a new one per block would be promoted garbage) */
  private readonly block = Buffer.allocUnsafeSlow(BLOCK_BYTES);
  private filled = 0;
  /** of the uncompressed records, for the entry's CRC-32, size and the manifest's SHA-256 */
  private readonly hash = crypto.createHash('sha256');
  private crc = 0;
  private size = 0;

  private constructor(
    private readonly spool: Spool,
    private readonly codec: BlockCodec | null,
  ) {}

  /**
   * An empty index whose scratch file is in `dir` (the destination, which has the room),
   * compressed with `codec` (the archive writer's; null: stored).
   */
  static async create(dir: string, codec: BlockCodec | null): Promise<FolderIndexWriter> {
    return new FolderIndexWriter(await Spool.create(dir), codec);
  }

  /** Appends `record`; returns a promise only when a block is full and goes to the scratch file (most records do not). */
  add(record: FolderIndexRecord): Promise<void> | void {
    const line = `${JSON.stringify(record)}\n`;
    this.records++;
    // at most 3 bytes per UTF-16 unit: a cheap bound before counting exactly
    if (this.filled + line.length * 3 <= BLOCK_BYTES || this.filled + Buffer.byteLength(line, 'utf8') <= BLOCK_BYTES) {
      this.filled += this.block.write(line, this.filled, 'utf8');
      return;
    }
    return this.addAcross(Buffer.from(line, 'utf8'));
  }

  /** Stores the index as the entry `name`. */
  async writeInto(writer: ArchiveWriter, name: string): Promise<AddedEntry & { name: string }> {
    // the last block ends the stream (an index of no records: one empty block)
    await this.seal(true);
    const added = await writer.addCompressed(name, this.spool, { method: this.codec?.method ?? METHOD_STORE, size: this.size, crc32: this.crc, sha256: this.hash.digest('hex') });
    return { ...added, name };
  }

  async close(): Promise<void> {
    await this.spool.close();
  }

  /** A record that does not fit in the block: the block is sealed first (a record longer than a block spans several). */
  private async addAcross(line: Buffer): Promise<void> {
    for (let at = 0; at < line.length; ) {
      if (this.filled === BLOCK_BYTES || (at === 0 && this.filled > 0)) await this.seal(false);
      const n = Math.min(line.length - at, BLOCK_BYTES - this.filled);
      line.copy(this.block, this.filled, at, at + n);
      this.filled += n;
      at += n;
    }
  }

  /** Compresses the block into the scratch file and empties it. */
  private async seal(last: boolean): Promise<void> {
    const plain = this.block.subarray(0, this.filled);
    this.hash.update(plain);
    this.crc = zlib.crc32(plain, this.crc);
    this.size += plain.length;
    // the spool copies what it keeps back, and writes a larger piece before it resolves: the block can be filled again
    await this.spool.append(this.codec ? await this.codec.compress(plain, last) : plain);
    this.filled = 0;
  }
}
