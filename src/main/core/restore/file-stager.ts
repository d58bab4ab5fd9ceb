/**
 * Small restored files written into the staging folder by worker threads: create, write, owner,
 * mode, mtime (and fsync where each file is synced), with plain synchronous calls, a batch of
 * files per message. Through fs.promises each of those is a round trip through libuv's thread
 * pool and a promise: for a tree of small files those round trips, not the bytes, were most of a
 * restore's time (40k files: ~7 per file, half the main thread's work). The backup side reads
 * small files the same way (archive/small-file-pool.ts).
 *
 * The commit's renames (staged file -> its place) go through the same workers.
 *
 * The main thread has already read the file's bytes and checked them against the manifest; a
 * worker only writes. Batches form by themselves: a file goes out at once when a worker is idle,
 * else it waits with the others until one is free.
 *
 * The worker's code is a plain JavaScript string run with `eval: true` (as in small-file-pool.ts):
 * the same source works under the tests, the command line's bundle and the app's bundle.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import zlib from 'node:zlib';
import { METHOD_DEFLATE, METHOD_STORE, METHOD_ZSTD } from '../archive/zip-writer';

/** The code of a write whose bytes do not decompress to the size and SHA-256 expected (StagedWrite.expect). */
export const CONTENT_MISMATCH = 'CONTENT_MISMATCH';

/** A job for a worker: create and write a file, or rename one. */
type Job = { write: StagedWrite; rename?: undefined } | { rename: { from: string | Buffer; to: string | Buffer }; write?: undefined };

/** One file to create (it must not exist) and write. */
export interface StagedWrite {
  /** where to create it (in a staging folder) */
  path: string;
  data: Buffer;
  /** the mode to set (after the owner) */
  mode: number;
  /** the owner to set, or null to leave the one it is created with */
  owner: { uid: number; gid: number } | null;
  /** mtime (and atime) as fs.futimes takes it: seconds, as a decimal string (utimesArg) */
  time: string;
  /** fsync before closing */
  sync: boolean;
  /**
   * `data` is the entry's stored bytes, to decompress (`method`: a zip method the worker can
   * decompress, see FileStager.decompresses) and check against the manifest's size and SHA-256
   * before the file is created; a mismatch fails the write with code CONTENT_MISMATCH.
   */
  expect?: { method: number; size: number; sha256: string };
}

const WORKER_SOURCE = String.raw`
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const { O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
const asPath = (p) => (typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.length));
const mismatch = (message) => Object.assign(new Error(message), { code: 'CONTENT_MISMATCH' });
function content(file) {
  const expected = file.expect;
  if (!expected) return file.data;
  let data = file.data;
  try {
    // one byte more than expected is enough to tell it is wrong
    if (expected.method === 8) data = zlib.inflateRawSync(data, { maxOutputLength: expected.size + 1 });
    else if (expected.method === 93) data = zlib.zstdDecompressSync(data, { maxOutputLength: expected.size + 1 });
    else if (expected.method !== 0) throw new Error('unsupported compression method ' + expected.method);
  } catch (error) {
    throw mismatch('does not decompress: ' + error.message);
  }
  if (data.length !== expected.size || crypto.createHash('sha256').update(data).digest('hex') !== expected.sha256) throw mismatch('does not match its SHA-256 in the manifest');
  return data;
}
function write(file) {
  const data = content(file);
  let fd = fs.openSync(file.path, O_WRONLY | O_CREAT | O_EXCL, 0o600);
  try {
    for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, data.length - done);
    if (file.owner) fs.fchownSync(fd, file.owner.uid, file.owner.gid);
    fs.fchmodSync(fd, file.mode);
    fs.futimesSync(fd, file.time, file.time);
    if (file.sync) fs.fsyncSync(fd);
  } catch (error) {
    try { fs.closeSync(fd); } catch {}
    throw error;
  }
  fs.closeSync(fd);
}
parentPort.on('message', ({ id, jobs }) => {
  const results = [];
  for (const job of jobs) {
    try {
      if (job.rename) fs.renameSync(asPath(job.rename.from), asPath(job.rename.to));
      else write(job.write);
      results.push(null);
    } catch (error) {
      results.push({ message: error.message, code: error.code, syscall: error.syscall });
    }
  }
  parentPort.postMessage({ id, results });
});
`;

/** a worker's garbage is a batch of buffers at a time */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };
/** at most this many jobs, or bytes, in one message */
const BATCH_JOBS = 64;
const BATCH_BYTES = 8 * 1024 * 1024;

interface Waiting {
  job: Job;
  /** the job's buffer, handed over to the worker */
  transfer: ArrayBuffer | undefined;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Worker threads that create and write staged files and rename them into place; `close` when the restore is done with it. */
export class FileStager {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly sent = new Map<number, Waiting[]>();
  private queue: Waiting[] = [];
  private nextId = 0;
  private failure: Error | null = null;

  constructor(threads = Math.max(1, Math.min(4, os.availableParallelism()))) {
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: WORKER_LIMITS });
      worker.on('message', (message: { id: number; results: ({ message: string; code?: string; syscall?: string } | null)[] }) => this.received(worker, message));
      worker.on('error', (error) => this.fail(error));
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  /**
   * Creates and writes `file`; resolves once it is written, rejects with the system call's error
   * (its `code`, e.g. ENOSPC, EEXIST) otherwise. The bytes are copied: `file.data` stays the caller's.
   */
  write(file: StagedWrite): Promise<void> {
    // an exact copy, handed over (transferred): a Buffer is often a view of a larger one (a pool
    // slab, a decrypted chunk), which postMessage would copy whole
    const data = new Uint8Array(file.data.length);
    data.set(file.data);
    return this.run({ write: { ...file, data: data as Buffer } }, data.buffer);
  }

  /** Whether the workers decompress entries of zip `method` (FileStager.write's `expect`): stored, deflate, and zstd where the runtime has it. */
  static decompresses(method: number): boolean {
    return method === METHOD_STORE || method === METHOD_DEFLATE || (method === METHOD_ZSTD && typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function');
  }

  /** rename(2) `from` to `to` (replacing a file there, as rename does); rejects with the system call's error. */
  rename(from: string | Buffer, to: string | Buffer): Promise<void> {
    return this.run({ rename: { from, to } });
  }

  private run(job: Job, transfer?: ArrayBuffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ job, transfer, resolve, reject });
      this.send();
    });
  }

  /** Stops the workers; files not yet written are failed. */
  async close(): Promise<void> {
    this.fail(new Error('file stager closed'));
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  /** Sends waiting files to idle workers, a batch each. */
  private send(): void {
    while (this.queue.length > 0 && this.idle.length > 0) {
      const worker = this.idle.pop()!;
      let bytes = 0;
      let count = 0;
      const sizeOf = (waiting: Waiting) => waiting.job.write?.data.length ?? 0;
      while (count < this.queue.length && count < BATCH_JOBS && (count === 0 || bytes + sizeOf(this.queue[count]!) <= BATCH_BYTES)) {
        bytes += sizeOf(this.queue[count]!);
        count++;
      }
      const batch = this.queue.slice(0, count);
      this.queue = this.queue.slice(count);
      const id = this.nextId++;
      this.sent.set(id, batch);
      worker.postMessage({ id, jobs: batch.map(({ job }) => job) }, batch.flatMap(({ transfer }) => (transfer ? [transfer] : [])));
    }
  }

  private received(worker: Worker, message: { id: number; results: ({ message: string; code?: string; syscall?: string } | null)[] }): void {
    const batch = this.sent.get(message.id);
    this.sent.delete(message.id);
    this.idle.push(worker);
    batch?.forEach((waiting, i) => {
      const error = message.results[i];
      if (!error) waiting.resolve();
      else waiting.reject(Object.assign(new Error(error.message), { code: error.code, syscall: error.syscall }));
    });
    if (!this.failure) this.send();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const batch of this.sent.values()) for (const waiting of batch) waiting.reject(this.failure);
    this.sent.clear();
    for (const waiting of this.queue) waiting.reject(this.failure);
    this.queue = [];
  }
}
