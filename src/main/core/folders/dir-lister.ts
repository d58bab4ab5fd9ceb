/**
 * Lists folders for the walk in a worker thread: readdir and an lstat of every name, with plain
 * synchronous calls, one message per folder. Asked from the main thread, each lstat is a round
 * trip through libuv's thread pool and a promise; a walk of a hundred thousand small files spent
 * most of its time on those. The walk asks for the next few folders ahead (`prefetch`), so the
 * worker lists them while the main thread works on the items it already has. What to exclude
 * stays the walk's decision, on the main thread.
 *
 * A backup's walk lists in the first worker of its small-file pool (which runs LISTER_SOURCE
 * next to its own code): a thread of its own cost about 10 MB for a V8 isolate that is idle most
 * of the time. Anything else walking (counting a folder, a preview) gets a worker of its own.
 */
import { Worker } from 'node:worker_threads';

/** numbers per name in PackedFolder: mode, uid, gid, nlink, size, mtime in whole ms (floor), 512-byte blocks */
const NUMBERS = 7;
/** BigInts per name: mtime in ns, dev, ino */
const BIGS = 3;

/**
 * A listed folder, packed: the names' bytes in one buffer and what lstat says of each in typed
 * arrays, as the worker sent them (transferred, not copied). The walk reads a name's fields
 * straight from them: a walk of many files would otherwise create a dozen objects per name that
 * are garbage a moment later.
 */
export class PackedFolder {
  constructor(
    readonly count: number,
    private readonly bytes: Buffer,
    private readonly ends: Uint32Array,
    private readonly numbers: Float64Array,
    private readonly bigs: BigInt64Array,
    private readonly links: Map<number, Buffer>,
    private readonly errors: Map<number, string>,
  ) {}

  /** The buffers under this folder's names and stats (DirLister.recycle hands them back to be filled again). */
  get buffers(): ArrayBuffer[] {
    return [this.bytes.buffer as ArrayBuffer, this.ends.buffer as ArrayBuffer, this.numbers.buffer as ArrayBuffer, this.bigs.buffer as ArrayBuffer];
  }

  /** The i-th name in byte order: a view of the folder's buffer, valid until the folder is recycled. */
  name(i: number): Buffer {
    return this.bytes.subarray(i === 0 ? 0 : this.ends[i - 1], this.ends[i]);
  }

  /** Why lstat (or readlink) of the i-th name failed; null when it did not. */
  error(i: number): string | null {
    return this.errors.size === 0 ? null : (this.errors.get(i) ?? null);
  }

  /** st_mode */
  mode(i: number): number {
    return this.numbers[i * NUMBERS]!;
  }

  uid(i: number): number {
    return this.numbers[i * NUMBERS + 1]!;
  }

  gid(i: number): number {
    return this.numbers[i * NUMBERS + 2]!;
  }

  nlink(i: number): number {
    return this.numbers[i * NUMBERS + 3]!;
  }

  /** st_size */
  size(i: number): number {
    return this.numbers[i * NUMBERS + 4]!;
  }

  /** the mtime in whole milliseconds, rounded down (worked out from the nanoseconds, exactly) */
  mtimeMs(i: number): number {
    return this.numbers[i * NUMBERS + 5]!;
  }

  /** st_blocks (512-byte units) */
  blocks(i: number): number {
    return this.numbers[i * NUMBERS + 6]!;
  }

  /** the mtime in nanoseconds since 1970 */
  mtimeNs(i: number): bigint {
    return this.bigs[i * BIGS]!;
  }

  /** `dev:ino`, the identity hard links share */
  inode(i: number): string {
    return `${this.bigs[i * BIGS + 1]!}:${this.bigs[i * BIGS + 2]!}`;
  }

  /** the target of a symbolic link */
  linkTarget(i: number): Buffer | null {
    return this.links.get(i) ?? null;
  }
}

export type ListedFolder = { folder: PackedFolder; error?: undefined } | { folder?: undefined; error: Error & { code?: string } };

/**
 * The worker's side: answers `{ kind: 'list' }` messages and leaves others to whatever else the
 * thread runs (a function of its own, so that it can sit in another worker's source).
 */
export const LISTER_SOURCE = String.raw`
(() => {
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
// buffers the walk is done with, handed back to be filled again (see DirLister.recycle)
const spares = [];
const MAX_SPARES = 16;
function take(bytes) {
  let best = -1;
  for (let i = 0; i < spares.length; i++) if (spares[i].byteLength >= bytes && (best < 0 || spares[i].byteLength < spares[best].byteLength)) best = i;
  if (best >= 0) return spares.splice(best, 1)[0];
  // a power of two (4 KiB at least), so that folders of other sizes can use it again
  return new ArrayBuffer(Math.max(4096, 2 ** Math.ceil(Math.log2(Math.max(1, bytes)))));
}
parentPort.on('message', ({ kind, id, dir, spare }) => {
  if (kind !== 'list') return;
  if (spare) for (const buffer of spare) if (spares.length < MAX_SPARES) spares.push(buffer);
  const abs = Buffer.from(dir, 'latin1');
  let names;
  try {
    names = fs.readdirSync(abs, { encoding: 'buffer' });
  } catch (error) {
    parentPort.postMessage({ kind, id, error: { message: error.message, code: error.code } });
    return;
  }
  names.sort(Buffer.compare);
  const sep = Buffer.from(path.sep);
  const count = names.length;
  let nameBytes = 0;
  for (const name of names) nameBytes += name.length;
  const owned = new Uint8Array(take(nameBytes), 0, nameBytes);
  const ends = new Uint32Array(take(count * 4), 0, count);
  const numbers = new Float64Array(take(count * ${NUMBERS * 8}), 0, count * ${NUMBERS});
  const bigs = new BigInt64Array(take(count * ${BIGS * 8}), 0, count * ${BIGS});
  const links = [];
  const errors = [];
  let end = 0;
  for (let i = 0; i < count; i++) {
    const name = names[i];
    owned.set(name, end);
    end += name.length;
    ends[i] = end;
    const full = Buffer.concat([abs, sep, name]);
    try {
      const s = fs.lstatSync(full, { bigint: true });
      // whole milliseconds, rounded down (BigInt division rounds towards zero: before 1970 it is one more)
      const q = s.mtimeNs / 1000000n;
      const n = i * ${NUMBERS};
      numbers[n] = Number(s.mode);
      numbers[n + 1] = Number(s.uid);
      numbers[n + 2] = Number(s.gid);
      numbers[n + 3] = Number(s.nlink);
      numbers[n + 4] = Number(s.size);
      numbers[n + 5] = Number(q * 1000000n > s.mtimeNs ? q - 1n : q);
      numbers[n + 6] = Number(s.blocks);
      bigs[i * ${BIGS}] = s.mtimeNs;
      bigs[i * ${BIGS} + 1] = s.dev;
      bigs[i * ${BIGS} + 2] = s.ino;
      if (s.isSymbolicLink()) links.push([i, fs.readlinkSync(full, { encoding: 'buffer' }).toString('latin1')]);
    } catch (error) {
      errors.push([i, error.message]);
    }
  }
  parentPort.postMessage({ kind, id, count, bytes: owned, ends, numbers, bigs, links, errors }, [owned.buffer, ends.buffer, numbers.buffer, bigs.buffer]);
});
})();
`;

/** What a worker running LISTER_SOURCE needs of its resource limits at least. */
export const LISTER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 };

interface FolderMessage {
  kind: 'list';
  id: number;
  error?: { message: string; code?: string };
  count: number;
  bytes: Uint8Array;
  ends: Uint32Array;
  numbers: Float64Array;
  bigs: BigInt64Array;
  links: [number, string][];
  errors: [number, string][];
}

/** Lists folders in a worker; `close` it when the walk is over. */
export class DirLister {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, (result: ListedFolder) => void>();
  private readonly cache = new Map<string, Promise<ListedFolder>>();
  private nextId = 0;
  private failure: Error | null = null;
  /** buffers of folders the walk is done with, to go back to the worker with the next request */
  private spare: ArrayBuffer[] = [];
  private readonly onMessage = (message: { kind?: string }) => {
    if (message.kind === 'list') this.received(message as FolderMessage);
  };
  private readonly onError = (error: Error) => this.fail(error);
  private readonly onExit = () => this.fail(new Error('the folder lister stopped'));
  private closed = false;

  /**
   * A worker of its own, or `shared`: a worker another part runs LISTER_SOURCE in, which stays
   * theirs (`close` stops listening to it and calls their `release`).
   */
  constructor(private readonly shared?: { worker: Worker; release: () => Promise<void> }) {
    this.worker = shared?.worker ?? new Worker(LISTER_SOURCE, { eval: true, resourceLimits: LISTER_LIMITS });
    this.worker.on('message', this.onMessage);
    this.worker.on('error', this.onError);
    this.worker.on('exit', this.onExit);
  }

  private received(message: FolderMessage): void {
    const resolve = this.waiting.get(message.id);
    this.waiting.delete(message.id);
    if (!resolve) return;
    if (message.error) {
      resolve({ error: Object.assign(new Error(message.error.message), { code: message.error.code }) });
      return;
    }
    const links = new Map(message.links.map(([i, target]) => [i, Buffer.from(target, 'latin1')]));
    const bytes = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.length);
    resolve({ folder: new PackedFolder(message.count, bytes, message.ends, message.numbers, message.bigs, links, new Map(message.errors)) });
  }

  /** The worker failed or stopped: every folder asked for (and any asked for later) fails with it. */
  private fail(error: Error): void {
    this.failure ??= error;
    for (const resolve of this.waiting.values()) resolve({ error: this.failure });
    this.waiting.clear();
  }

  /** Starts listing `dir` (the bytes of its absolute path) unless it is already being listed. */
  prefetch(dir: Buffer): void {
    const key = dir.toString('latin1');
    if (this.cache.has(key)) return;
    if (this.failure) {
      this.cache.set(key, Promise.resolve({ error: this.failure }));
      return;
    }
    const id = this.nextId++;
    this.cache.set(key, new Promise((resolve) => this.waiting.set(id, resolve)));
    const spare = this.spare;
    this.spare = [];
    this.worker.postMessage({ kind: 'list', id, dir: key, spare }, spare);
  }

  /**
   * The walk is done with `folder` (nothing may use its names any more: they are views of its
   * buffers, which go back to the worker to be filled again). Without this, every folder's buffers
   * were garbage for V8 to find, and the worker's memory grew with those not yet found (tens of MB
   * over a walk of a million files).
   */
  recycle(folder: PackedFolder): void {
    if (this.failure) return;
    this.spare.push(...folder.buffers);
  }

  /**
   * The names in `dir`, in byte order, each with its lstat, or why that folder could not be
   * listed. Throws when the lister itself failed (its worker died or was stopped): that says
   * nothing about the folder, and a walk must not skip the rest of the tree for it.
   */
  async list(dir: Buffer): Promise<ListedFolder> {
    this.prefetch(dir);
    const key = dir.toString('latin1');
    const listed = await this.cache.get(key)!;
    this.cache.delete(key);
    if (listed.error && listed.error === this.failure) throw listed.error;
    return listed;
  }

  /** Stops listing (a second call does nothing). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.worker.off('message', this.onMessage);
    this.worker.off('error', this.onError);
    this.worker.off('exit', this.onExit);
    if (this.shared) await this.shared.release();
    else await this.worker.terminate();
  }
}
