/**
 * An append-only scratch file for what a backup must write at the end but must not hold in
 * memory while the files go by: the ZIP central directory and each folder's item index (its
 * compressed blocks). Small appends are gathered into one buffer; reading back is sequential, a
 * piece at a time into one buffer. On POSIX the file is unlinked as soon as it is open, so a
 * crash (even kill -9) leaves nothing behind.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const FLUSH_AT = 256 * 1024;

export class Spool {
  /** what is appended is copied here and written FLUSH_AT at a time */
  private pending: Buffer = Buffer.allocUnsafeSlow(FLUSH_AT);
  private pendingBytes = 0;
  /**
   * the buffer of the last flush, free again once written: the next flush fills it instead of a
   * new one. A buffer per flush would live until V8's next full collection (it is kept while it
   * fills, so it is promoted): for the index of a million files, hundreds of MB of them.
   */
  private spare: Buffer | null = null;
  private written = 0;
  private closed = false;

  private constructor(
    private readonly handle: fs.promises.FileHandle,
    private readonly filePath: string | null,
  ) {}

  /** Creates an empty spool in `dir` (default: the system's temp folder), owner-only. */
  static async create(dir = os.tmpdir()): Promise<Spool> {
    const filePath = path.join(dir, `.lifeboat-spool-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
    const handle = await fs.promises.open(filePath, 'wx+', 0o600);
    if (process.platform === 'win32') return new Spool(handle, filePath);
    await fs.promises.unlink(filePath).catch(() => undefined);
    return new Spool(handle, null);
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.written + this.pendingBytes;
  }

  /** Appends `data` (copied when it is kept back; the caller may reuse its buffer). */
  async append(data: Buffer): Promise<void> {
    if (this.pendingBytes + data.length > FLUSH_AT) await this.flush();
    if (data.length >= FLUSH_AT) {
      await this.writeOut(data);
      return;
    }
    data.copy(this.pending, this.pendingBytes);
    this.pendingBytes += data.length;
  }

  /** Whether `bytes` more fit without a write (appendSync). */
  hasRoom(bytes: number): boolean {
    return this.pendingBytes + bytes <= FLUSH_AT;
  }

  /** Appends `data` (copied) when it fits without a write (hasRoom); throws otherwise. */
  appendSync(data: Buffer): void {
    if (!this.hasRoom(data.length)) throw new Error('spool: no room without a write');
    data.copy(this.pending, this.pendingBytes);
    this.pendingBytes += data.length;
  }

  /**
   * Calls `each` with every appended byte, in order, in pieces of `pieceBytes` (the last one may
   * be shorter; an empty spool gives one empty piece, `last` on the final one). The pieces are read
   * into one buffer: a piece is valid only until its `each` has resolved.
   */
  async readEach(pieceBytes: number, each: (piece: Buffer, last: boolean) => Promise<void> | void): Promise<void> {
    await this.flush();
    const buffer = Buffer.allocUnsafeSlow(Math.max(1, Math.min(pieceBytes, this.written)));
    let at = 0;
    do {
      const length = Math.min(buffer.length, this.written - at);
      for (let filled = 0; filled < length; ) {
        const { bytesRead } = await this.handle.read(buffer, filled, length - filled, at + filled);
        if (bytesRead === 0) throw new Error('spool: the scratch file ended early');
        filled += bytesRead;
      }
      at += length;
      await each(buffer.subarray(0, length), at === this.written);
    } while (at < this.written);
  }

  /** Closes and removes the scratch file; safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pendingBytes = 0;
    await this.handle.close().catch(() => undefined);
    if (this.filePath) await fs.promises.rm(this.filePath, { force: true });
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const full = this.pending;
    // an append while this one is written goes to the other buffer
    this.pending = this.spare ?? Buffer.allocUnsafeSlow(FLUSH_AT);
    this.spare = null;
    const data = full.subarray(0, this.pendingBytes);
    this.pendingBytes = 0;
    await this.writeOut(data);
    this.spare = full;
  }

  /** Writes `data` after everything before it (its place taken at once, so writes never overlap). */
  private async writeOut(data: Buffer): Promise<void> {
    const position = this.written;
    this.written += data.length;
    for (let at = 0; at < data.length; ) {
      const { bytesWritten } = await this.handle.write(data, at, data.length - at, position + at);
      at += bytesWritten;
    }
  }
}
