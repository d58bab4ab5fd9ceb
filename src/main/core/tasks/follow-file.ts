/**
 * Reading a backup file while it is being written, so that a plan's copies upload during the
 * backup instead of after it (issue #15: "each copy is uploaded either from the same stream or
 * from the finished primary file"; here: from the primary file as it grows).
 *
 * The writer (archive/writer.ts) only ever appends to `<final>.part`, then fsyncs it and renames
 * it to the final name; a descriptor opened on the `.part` stays valid across that rename. So a
 * reader follows the file: it reads what is there, waits at the end while the writer goes on, and
 * ends once the writer says how long the file is (`finish`). The file is the buffer between the
 * two: a slow destination never slows the backup, and the reader holds no more than its stream's
 * high-water mark in memory.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { AppError } from '../../../shared/errors';

/** how much the reader asks the file for at once (also its stream's high-water mark) */
export const FOLLOW_CHUNK_BYTES = 1024 * 1024;
/** how often the reader looks for the file before it exists */
const OPEN_POLL_MS = 20;
/** how long the reader waits at the end of the file before it looks again (a notify() wakes it sooner) */
const TAIL_POLL_MS = 25;

export interface GrowingFileOptions {
  chunkBytes?: number;
  openPollMs?: number;
  tailPollMs?: number;
}

/** What the writer says once the file is complete: its length and SHA-256, and where it is now. */
export interface FinishedFile {
  size: number;
  /** hex SHA-256 of the whole file; when given, a file read with other bytes ends in an error instead */
  sha256?: string | null;
  /** the final path (the `.part` renamed): opened instead when the reader had not opened the `.part` yet */
  finalPath?: string;
}

/**
 * A Readable of a file that another writer is still appending to (`stream`). It opens `path` as
 * soon as it exists (looking every ~20 ms), reads it 1 MiB at a time from its own position, and
 * at the end of what is written waits for `notify()` or ~25 ms and reads again. It ends after
 * `finish()` once it has read exactly the finished size (with a SHA-256 check when given), and
 * is destroyed with the error by `fail()` (a destination then aborts the upload it feeds).
 */
export class GrowingFileReader {
  readonly stream: Readable;
  private fh: fs.promises.FileHandle | null = null;
  private position = 0;
  /** the file's size when last looked at: what can be read before looking again */
  private knownSize = 0;
  private finished: FinishedFile | null = null;
  private wake: (() => void) | null = null;
  private readonly hash = crypto.createHash('sha256');
  private readonly chunkBytes: number;
  private readonly openPollMs: number;
  private readonly tailPollMs: number;
  /** the read or open in flight, so that destroy closes the descriptor only after it */
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    options: GrowingFileOptions = {},
  ) {
    this.chunkBytes = options.chunkBytes ?? FOLLOW_CHUNK_BYTES;
    this.openPollMs = options.openPollMs ?? OPEN_POLL_MS;
    this.tailPollMs = options.tailPollMs ?? TAIL_POLL_MS;
    this.stream = new Readable({
      highWaterMark: this.chunkBytes,
      read: () => {
        this.pull().catch((error: unknown) => this.stream.destroy(error as Error));
      },
      destroy: (error, callback) => {
        this.wakeUp();
        this.busy
          .catch(() => undefined)
          .then(() => this.fh?.close())
          .catch(() => undefined)
          .then(() => {
            this.fh = null;
            callback(error);
          }, callback);
      },
    });
    // fail() may come when nobody reads the stream (the destination failed before it began): not an uncaught error
    this.stream.on('error', () => undefined);
  }

  /** The bytes read so far. */
  get bytesRead(): number {
    return this.position;
  }

  /** The writer wrote more: a reader waiting at the end reads again now. */
  notify(): void {
    this.wakeUp();
  }

  /** The file is complete: the reader ends once it has read `file.size` bytes. */
  finish(file: FinishedFile): void {
    if (this.finished) return;
    this.finished = file;
    this.wakeUp();
  }

  /** The writer failed (or the run was cancelled): the stream is destroyed with `error`. */
  fail(error: unknown): void {
    if (this.stream.destroyed) return;
    this.stream.destroy(error instanceof Error ? error : new AppError('DEST_FAILED', { detail: String(error) }));
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Opens the file once it exists; false while it does not yet. */
  private async open(): Promise<boolean> {
    // the final path is read after the first try: finish() may come while it is in flight
    for (const candidate of [() => this.path, () => this.finished?.finalPath]) {
      const file = candidate();
      if (!file) continue;
      try {
        this.fh = await fs.promises.open(file, 'r');
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    if (this.finished) throw new AppError('NOT_FOUND', { detail: `${this.path} went away before it could be read` });
    return false;
  }

  /** Reads the next chunk and pushes it (or ends the stream), waiting while the writer has not written it yet. */
  private async pull(): Promise<void> {
    for (;;) {
      if (this.stream.destroyed) return;
      if (!this.fh) {
        const step = this.open();
        this.busy = step;
        if (!(await step)) {
          await this.sleep(this.openPollMs);
          continue;
        }
        if (this.stream.destroyed) return;
      }
      const finished = this.finished;
      // what is there to read: the finished size, else the file's size now (a buffer is only
      // allocated for bytes that are there, so that waiting at the end makes no garbage)
      let available = (finished?.size ?? this.knownSize) - this.position;
      if (!finished && available <= 0) {
        const step = this.fh!.stat();
        this.busy = step;
        this.knownSize = (await step).size;
        if (this.stream.destroyed) return;
        available = this.knownSize - this.position;
      }
      if (finished && available <= 0) {
        this.end(finished);
        return;
      }
      if (available <= 0) {
        await this.sleep(this.tailPollMs);
        continue;
      }
      const want = Math.min(this.chunkBytes, available);
      const buffer = Buffer.allocUnsafe(want);
      const step = this.fh!.read(buffer, 0, want, this.position);
      this.busy = step;
      const { bytesRead } = await step;
      if (this.stream.destroyed) return;
      if (bytesRead > 0) {
        this.position += bytesRead;
        this.hash.update(buffer.subarray(0, bytesRead));
        this.stream.push(buffer.subarray(0, bytesRead));
        return;
      }
      if (finished) {
        throw new AppError('FILE_CORRUPT', { detail: `${this.path} ended at ${this.position} bytes, but the backup wrote ${finished.size}` });
      }
      await this.sleep(this.tailPollMs);
    }
  }

  private end(finished: FinishedFile): void {
    if (this.position > finished.size) {
      this.fail(new AppError('FILE_CORRUPT', { detail: `${this.path} is longer than the ${finished.size} bytes the backup wrote` }));
      return;
    }
    if (finished.sha256) {
      const read = this.hash.digest('hex');
      if (read !== finished.sha256.toLowerCase()) {
        this.fail(new AppError('FILE_CORRUPT', { detail: `the bytes read from ${this.path} have SHA-256 ${read}, the backup recorded ${finished.sha256}` }));
        return;
      }
    }
    this.stream.push(null);
  }
}
