/**
 * Small folder files read, hashed and compressed in worker threads, in batches. For a folder of
 * many small files the cost is per file, not per byte: an open, a read, a close, a hash and a
 * compressor's set-up each. Done on the main thread, those round trips leave both cores mostly
 * idle; a worker does them with plain synchronous calls, a batch of files per message, while the
 * main thread seals and writes what earlier batches returned. One worker per core.
 *
 * The worker's code is a plain JavaScript string run with `eval: true`: the same source then
 * works under the tests (tsx), the command line's single-file bundle and the app's bundle,
 * without a separate worker file for each bundler to find.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { METHOD_STORE, METHOD_ZSTD, type ZipMethod } from './zip-writer';

/** What the worker did with one file. */
export type SmallFileResult =
  | {
      size: number;
      sha256: string;
      crc32: number;
      /** the method `data` is in (stored when compression did not pay, or was not asked for) */
      method: ZipMethod;
      data: Buffer;
      error?: undefined;
      grown?: undefined;
    }
  /** the file is a block or more now (it grew since the walk): read it as a large file */
  | { grown: true; error?: undefined }
  | { error: Error; grown?: undefined };

export interface SmallFileRequest {
  /** the bytes of the absolute path */
  absPath: Buffer;
  /** try compressing it (false: a compressed format by its name, or too small to gain) */
  compress: boolean;
}

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const { method, level, blockBytes, worthIt } = workerData;
const compress = method === 93
  ? (buf) => zlib.zstdCompressSync(buf, { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } })
  : method === 8 ? (buf) => zlib.deflateRawSync(buf, { level }) : null;
parentPort.on('message', ({ id, files }) => {
  const results = [];
  const outs = [];
  let total = 0;
  for (const file of files) {
    let data;
    try {
      data = fs.readFileSync(Buffer.from(file.absPath, 'latin1'));
    } catch (error) {
      results.push({ error: { message: error.message, code: error.code } });
      continue;
    }
    if (data.length >= blockBytes) {
      results.push({ grown: true });
      continue;
    }
    const sha256 = crypto.createHash('sha256').update(data).digest('hex');
    const crc32 = zlib.crc32(data);
    let out = data;
    let used = 0;
    if (compress && file.compress) {
      const packed = compress(data);
      if (packed.length < data.length * worthIt) {
        out = packed;
        used = method;
      }
    }
    outs.push(out);
    results.push({ size: data.length, sha256, crc32, method: used, at: total, length: out.length });
    total += out.length;
  }
  // the batch's data in one buffer that is handed over (transferred), not one per file: a tree of
  // small files would otherwise leave hundreds of thousands of buffers for the main thread to free
  const all = new Uint8Array(total);
  let at = 0;
  for (const out of outs) {
    all.set(out, at);
    at += out.length;
  }
  parentPort.postMessage({ id, results, data: all }, [all.buffer]);
});
`;

const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 128 };

interface Batch {
  id: number;
  files: SmallFileRequest[];
  resolvers: { resolve: (result: SmallFileResult) => void; reject: (error: Error) => void }[];
}

/** Worker threads that read, hash and compress small files; `close` when the backup is done. */
export class SmallFilePool {
  private readonly workers: Worker[] = [];
  private readonly busy = new Map<Worker, number>();
  private readonly sent = new Map<number, Batch>();
  private current: Batch | null = null;
  private nextId = 0;
  private failure: Error | null = null;

  /**
   * `method` and `level`: how to compress (METHOD_STORE: only read and hash); `worthIt`: the
   * share of its size a compressed file must stay under to be kept compressed.
   */
  constructor(options: { method: ZipMethod; level: number; blockBytes: number; worthIt: number; threads?: number; batchFiles?: number }) {
    const threads = options.threads ?? Math.max(1, Math.min(4, os.availableParallelism()));
    this.batchFiles = options.batchFiles ?? 32;
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        // its garbage is a few batches of small buffers: a small young generation keeps its memory down
        resourceLimits: WORKER_LIMITS,
        workerData: { method: options.method === METHOD_ZSTD ? 93 : options.method === METHOD_STORE ? 0 : 8, level: options.level, blockBytes: options.blockBytes, worthIt: options.worthIt },
      });
      worker.on('message', (message: { id: number; results: unknown[]; data: Uint8Array }) => this.received(worker, message));
      worker.on('error', (error) => this.fail(error));
      this.workers.push(worker);
      this.busy.set(worker, 0);
    }
  }

  private readonly batchFiles: number;

  /**
   * Queues a file into the current batch, which goes out when full or on `flush(batch)`;
   * `batch` names the batch the file is in.
   */
  read(file: SmallFileRequest): { result: Promise<SmallFileResult>; batch: number } {
    if (this.failure) return { result: Promise.reject(this.failure), batch: -1 };
    this.current ??= { id: this.nextId++, files: [], resolvers: [] };
    const batch = this.current;
    const result = new Promise<SmallFileResult>((resolve, reject) => {
      batch.files.push(file);
      batch.resolvers.push({ resolve, reject });
    });
    if (batch.files.length >= this.batchFiles) this.flush(batch.id);
    return { result, batch: batch.id };
  }

  /** Sends batch `id` now if it is still filling up (someone waits for one of its files). */
  flush(id: number): void {
    const batch = this.current;
    if (!batch || batch.id !== id) return;
    this.current = null;
    // the least busy worker
    let worker = this.workers[0]!;
    for (const w of this.workers) if (this.busy.get(w)! < this.busy.get(worker)!) worker = w;
    this.busy.set(worker, this.busy.get(worker)! + 1);
    this.sent.set(batch.id, batch);
    // the path's bytes as a latin1 string: a Buffer would be cloned with the whole pool slab under it
    worker.postMessage({ id: batch.id, files: batch.files.map((f) => ({ absPath: f.absPath.toString('latin1'), compress: f.compress })) });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.fail(new Error('the small-file pool is closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private received(worker: Worker, message: { id: number; results: unknown[]; data: Uint8Array }): void {
    this.busy.set(worker, this.busy.get(worker)! - 1);
    const batch = this.sent.get(message.id);
    if (!batch) return;
    this.sent.delete(message.id);
    message.results.forEach((raw, i) => {
      const r = raw as { error?: { message: string; code?: string }; grown?: boolean; size: number; sha256: string; crc32: number; method: number; at: number; length: number };
      const { resolve } = batch.resolvers[i]!;
      if (r.error) resolve({ error: Object.assign(new Error(r.error.message), { code: r.error.code }) });
      else if (r.grown) resolve({ grown: true });
      else resolve({ size: r.size, sha256: r.sha256, crc32: r.crc32, method: r.method as ZipMethod, data: Buffer.from(message.data.buffer, message.data.byteOffset + r.at, r.length) });
    });
  }

  /** A worker died (or the pool closed): every file waiting fails with it (the run, not the file). */
  private fail(error: Error): void {
    this.failure ??= error;
    const pending = [...this.sent.values(), ...(this.current ? [this.current] : [])];
    this.sent.clear();
    this.current = null;
    for (const batch of pending) for (const { reject } of batch.resolvers) reject(error);
  }
}
