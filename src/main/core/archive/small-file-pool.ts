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
import { DirLister, LISTER_LIMITS, LISTER_SOURCE } from '../folders/dir-lister';
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

/** numbers per file in a batch's answer: size, CRC-32, method, offset and length of its data, state (0 read, 1 grown, 2 error) */
const META = 6;

const READER_SOURCE = String.raw`
(() => {
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const { method, level, blockBytes, worthIt } = workerData;
const compress = method === 93
  ? (buf) => zlib.zstdCompressSync(buf, { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } })
  : method === 8 ? (buf) => zlib.deflateRawSync(buf, { level }) : null;
parentPort.on('message', ({ kind, id, files }) => {
  if (kind !== 'read') return;
  const n = files.length;
  // per file: size, CRC-32, method, offset and length of its data, state (0 read, 1 grown, 2 error)
  const meta = new Float64Array(n * ${META});
  const hashes = new Uint8Array(n * 32);
  const errors = [];
  const outs = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const file = files[i];
    let data;
    try {
      data = fs.readFileSync(Buffer.from(file.absPath, 'latin1'));
    } catch (error) {
      meta[i * ${META} + 5] = 2;
      errors.push([i, error.message, error.code]);
      continue;
    }
    if (data.length >= blockBytes) {
      meta[i * ${META} + 5] = 1;
      continue;
    }
    hashes.set(crypto.createHash('sha256').update(data).digest(), i * 32);
    let out = data;
    let used = 0;
    if (compress && file.compress) {
      const packed = compress(data);
      if (packed.length < data.length * worthIt) {
        out = packed;
        used = method;
      }
    }
    meta[i * ${META}] = data.length;
    meta[i * ${META} + 1] = zlib.crc32(data);
    meta[i * ${META} + 2] = used;
    meta[i * ${META} + 3] = total;
    meta[i * ${META} + 4] = out.length;
    outs.push(out);
    total += out.length;
  }
  // the batch's data in one buffer that is handed over (transferred), not one per file, and its
  // results in typed arrays, not an object and a string per file: a tree of small files would
  // otherwise leave hundreds of thousands of them for the main thread to free
  const all = new Uint8Array(total);
  let at = 0;
  for (const out of outs) {
    all.set(out, at);
    at += out.length;
  }
  parentPort.postMessage({ kind, id, meta, hashes, errors, data: all }, [meta.buffer, hashes.buffer, all.buffer]);
});
})();
`;

/** Every worker can also list folders for the walk (DirLister): a backup's walk uses the first one's thread. */
const WORKER_SOURCE = READER_SOURCE + LISTER_SOURCE;

/** the lister's: a small young generation, as the garbage of either is a few batches of buffers */
const WORKER_LIMITS = LISTER_LIMITS;

/** What a worker sends back for a batch (see WORKER_SOURCE: META numbers and 32 hash bytes per file). */
interface BatchMessage {
  kind: 'read';
  id: number;
  meta: Float64Array;
  hashes: Uint8Array;
  errors: [number, string, string | undefined][];
  data: Uint8Array;
}

/**
 * A batch of files sent to one worker. Its results come back together: `ready` settles once they
 * are in (it rejects when the pool failed), then `result(i)` gives file i's. One promise per
 * batch, not one per file: a tree of small files would otherwise leave several promises and
 * closures per file for the collector.
 */
export class SmallFileBatch {
  readonly files: SmallFileRequest[] = [];
  readonly ready: Promise<void>;
  private message: BatchMessage | null = null;
  private settle!: (error: Error | null) => void;

  constructor(readonly id: number) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error ? reject(error) : resolve());
    });
    // a batch the writer never waits for (the run failed first) must not be an unhandled rejection
    this.ready.catch(() => undefined);
  }

  /** Whether the results are in (`result` may be called). */
  get settled(): boolean {
    return this.message !== null;
  }

  /** File i's result; only once `settled`. */
  result(i: number): SmallFileResult {
    const { meta, hashes, errors, data } = this.message!;
    const state = meta[i * META + 5];
    if (state === 2) {
      const [, message, code] = errors.find(([at]) => at === i)!;
      return { error: Object.assign(new Error(message), { code }) };
    }
    if (state === 1) return { grown: true };
    return {
      size: meta[i * META]!,
      sha256: Buffer.from(hashes.buffer, hashes.byteOffset + i * 32, 32).toString('hex'),
      crc32: meta[i * META + 1]!,
      method: meta[i * META + 2] as ZipMethod,
      data: Buffer.from(data.buffer, data.byteOffset + meta[i * META + 3]!, meta[i * META + 4]!),
    };
  }

  /** @internal the worker's answer */
  received(message: BatchMessage): void {
    this.message = message;
    this.settle(null);
  }

  /** @internal the pool failed */
  failed(error: Error): void {
    this.settle(error);
  }
}

/** Worker threads that read, hash and compress small files; `close` when the backup is done. */
export class SmallFilePool {
  private readonly workers: Worker[] = [];
  private readonly busy = new Map<Worker, number>();
  private readonly sent = new Map<number, SmallFileBatch>();
  private current: SmallFileBatch | null = null;
  private nextId = 0;
  private failure: Error | null = null;

  /**
   * `method` and `level`: how to compress (METHOD_STORE: only read and hash); `worthIt`: the
   * share of its size a compressed file must stay under to be kept compressed.
   */
  constructor(private readonly options: { method: ZipMethod; level: number; blockBytes: number; worthIt: number; threads?: number; batchFiles?: number }) {
    this.cores = os.availableParallelism();
    this.maxThreads = options.threads ?? Math.max(1, Math.min(4, this.cores));
    this.batchFiles = options.batchFiles ?? 32;
  }

  /** at most this many workers; the first starts with the first file (or the lister), the others when they fall behind (`waited`) */
  private readonly maxThreads: number;
  private readonly cores: number;

  private spawn(): void {
    const options = this.options;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: WORKER_LIMITS,
      workerData: { method: options.method === METHOD_ZSTD ? 93 : options.method === METHOD_STORE ? 0 : 8, level: options.level, blockBytes: options.blockBytes, worthIt: options.worthIt },
    });
    worker.on('message', (message: { kind?: string }) => {
      if (message.kind === 'read') this.received(worker, message as BatchMessage);
    });
    worker.on('error', (error) => this.fail(error));
    this.workers.push(worker);
    this.busy.set(worker, 0);
    // counted from the new worker's first answer: starting one takes a few tens of milliseconds
    this.since = 0;
  }

  /**
   * The writer waited `ms` for a batch. When the workers hold the backup back, one more starts (up
   * to the limit): when the writer has waited more than 60 % of its time since the last worker's
   * first answer (over 500 ms at least), or more than a tenth while a core is left over. On two
   * cores a tree of tiny files keeps the main thread busy ~60 % of the time with one worker, and a
   * second one only takes CPU from it (same time, ~12 MB more memory); files that take compressing
   * keep it waiting ~75 % of the time and get them all.
   */
  waited(ms: number): void {
    if (this.failure || this.workers.length >= this.maxThreads || this.since === 0) return;
    this.waitedMs += ms;
    const span = performance.now() - this.since;
    const spareCore = this.cores > this.workers.length + 1;
    if (span < 500 || this.waitedMs < span * (spareCore ? 0.1 : 0.6)) return;
    this.spawn();
  }

  /** time the writer waited for batches since `since` (the last worker's first answer; 0 before it) */
  private waitedMs = 0;
  private since = 0;

  private readonly batchFiles: number;

  /**
   * A folder lister on the first worker's thread (the walk of the folder whose files the pool
   * reads): one thread and V8 isolate fewer. Close it before the pool. Throws once the pool has
   * failed (or was closed).
   */
  lister(): DirLister {
    if (this.failure) throw this.failure;
    if (this.workers.length === 0) this.spawn();
    const worker = this.workers[0]!;
    return new DirLister({
      worker,
      // a folder of large files only never sends the pool a file: its worker goes with the walk
      release: async () => {
        if (this.nextId > 0 || this.workers[0] !== worker) return;
        this.workers.shift();
        this.busy.delete(worker);
        await worker.terminate();
      },
    });
  }

  /** Workers started so far. */
  get threads(): number {
    return this.workers.length;
  }

  /**
   * Queues a file into the current batch, which goes out when full or on `flush(batch)`; returns
   * the batch and the file's place in it. Throws once the pool has failed.
   */
  read(file: SmallFileRequest): { batch: SmallFileBatch; index: number } {
    if (this.failure) throw this.failure;
    if (this.workers.length === 0) this.spawn();
    this.current ??= new SmallFileBatch(this.nextId++);
    const batch = this.current;
    const index = batch.files.push(file) - 1;
    if (batch.files.length >= this.batchFiles) this.flush(batch);
    return { batch, index };
  }

  /** Sends `batch` now if it is still filling up (someone waits for one of its files). */
  flush(batch: SmallFileBatch): void {
    if (this.current !== batch) return;
    this.current = null;
    // the least busy worker
    let worker = this.workers[0]!;
    for (const w of this.workers) if (this.busy.get(w)! < this.busy.get(worker)!) worker = w;
    this.busy.set(worker, this.busy.get(worker)! + 1);
    this.sent.set(batch.id, batch);
    // the path's bytes as a latin1 string: a Buffer would be cloned with the whole pool slab under it
    worker.postMessage({ kind: 'read', id: batch.id, files: batch.files.map((f) => ({ absPath: f.absPath.toString('latin1'), compress: f.compress })) });
    batch.files.length = 0;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.fail(new Error('the small-file pool is closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private received(worker: Worker, message: BatchMessage): void {
    this.busy.set(worker, this.busy.get(worker)! - 1);
    if (this.since === 0) {
      this.since = performance.now();
      this.waitedMs = 0;
    }
    const batch = this.sent.get(message.id);
    if (!batch) return;
    this.sent.delete(message.id);
    batch.received(message);
  }

  /** A worker died (or the pool closed): every batch waiting fails with it (the run, not the file). */
  private fail(error: Error): void {
    this.failure ??= error;
    const pending = [...this.sent.values(), ...(this.current ? [this.current] : [])];
    this.sent.clear();
    this.current = null;
    for (const batch of pending) batch.failed(error);
  }
}
