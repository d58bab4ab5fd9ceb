/**
 * Lists folders for the walk in a worker thread: readdir and an lstat of every name, with plain
 * synchronous calls, one message per folder. Asked from the main thread, each lstat is a round
 * trip through libuv's thread pool and a promise; a walk of a hundred thousand small files spent
 * most of its time on those. The walk asks for the next few folders ahead (`prefetch`), so the
 * worker lists them while the main thread works on the items it already has. What to exclude
 * stays the walk's decision, on the main thread.
 */
import { Worker } from 'node:worker_threads';

/** What lstat says of one name in a folder (the fields the walk uses). */
export interface ListedName {
  name: Buffer;
  stat: {
    mode: number;
    size: bigint;
    mtimeNs: bigint;
    uid: number;
    gid: number;
    dev: bigint;
    ino: bigint;
    nlink: number;
    blocks: bigint;
  } | null;
  /** the target of a symbolic link */
  linkTarget: Buffer | null;
  /** why lstat (or readlink) failed */
  error: string | null;
}

/**
 * A listed folder, packed: the names' bytes in one buffer and the stats in typed arrays, as the
 * worker sent them (transferred, not copied). A walk of many files would otherwise create a dozen
 * objects per name here that live until the walk reaches them, and end up as garbage in the old
 * generation; `name(i)` builds one name's record when the walk gets to it.
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

  /** The i-th name in byte order, with its lstat. */
  name(i: number): ListedName {
    const name = this.bytes.subarray(i === 0 ? 0 : this.ends[i - 1], this.ends[i]);
    const error = this.errors.get(i) ?? null;
    if (error !== null) return { name, stat: null, linkTarget: null, error };
    const n = i * 4;
    const b = i * 5;
    return {
      name,
      stat: {
        mode: this.numbers[n]!,
        uid: this.numbers[n + 1]!,
        gid: this.numbers[n + 2]!,
        nlink: this.numbers[n + 3]!,
        size: this.bigs[b]!,
        mtimeNs: this.bigs[b + 1]!,
        dev: this.bigs[b + 2]!,
        ino: this.bigs[b + 3]!,
        blocks: this.bigs[b + 4]!,
      },
      linkTarget: this.links.get(i) ?? null,
      error: null,
    };
  }
}

export type ListedFolder = { folder: PackedFolder; error?: undefined } | { folder?: undefined; error: Error & { code?: string } };

const WORKER_SOURCE = String.raw`
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
parentPort.on('message', ({ id, dir, spare }) => {
  if (spare) for (const buffer of spare) if (spares.length < MAX_SPARES) spares.push(buffer);
  const abs = Buffer.from(dir, 'latin1');
  let names;
  try {
    names = fs.readdirSync(abs, { encoding: 'buffer' });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: error.message, code: error.code } });
    return;
  }
  names.sort(Buffer.compare);
  const sep = Buffer.from(path.sep);
  const count = names.length;
  let nameBytes = 0;
  for (const name of names) nameBytes += name.length;
  const owned = new Uint8Array(take(nameBytes), 0, nameBytes);
  const ends = new Uint32Array(take(count * 4), 0, count);
  const numbers = new Float64Array(take(count * 32), 0, count * 4);
  const bigs = new BigInt64Array(take(count * 40), 0, count * 5);
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
      numbers[i * 4] = Number(s.mode);
      numbers[i * 4 + 1] = Number(s.uid);
      numbers[i * 4 + 2] = Number(s.gid);
      numbers[i * 4 + 3] = Number(s.nlink);
      bigs[i * 5] = s.size;
      bigs[i * 5 + 1] = s.mtimeNs;
      bigs[i * 5 + 2] = s.dev;
      bigs[i * 5 + 3] = s.ino;
      bigs[i * 5 + 4] = s.blocks;
      if (s.isSymbolicLink()) links.push([i, fs.readlinkSync(full, { encoding: 'buffer' }).toString('latin1')]);
    } catch (error) {
      errors.push([i, error.message]);
    }
  }
  parentPort.postMessage({ id, count, bytes: owned, ends, numbers, bigs, links, errors }, [owned.buffer, ends.buffer, numbers.buffer, bigs.buffer]);
});
`;

interface FolderMessage {
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

/** One worker listing folders; `close` it when the walk is over. */
export class DirLister {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, (result: ListedFolder) => void>();
  private readonly cache = new Map<string, Promise<ListedFolder>>();
  private nextId = 0;
  private failure: Error | null = null;
  /** buffers of folders the walk is done with, to go back to the worker with the next request */
  private spare: ArrayBuffer[] = [];

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 } });
    this.worker.on('message', (message: FolderMessage) => {
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
    });
    this.worker.on('error', (error) => {
      this.failure = error;
      for (const resolve of this.waiting.values()) resolve({ error });
      this.waiting.clear();
    });
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
    this.worker.postMessage({ id, dir: key, spare }, spare);
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

  /** The names in `dir`, in byte order, each with its lstat. */
  async list(dir: Buffer): Promise<ListedFolder> {
    this.prefetch(dir);
    const key = dir.toString('latin1');
    const listed = await this.cache.get(key)!;
    this.cache.delete(key);
    return listed;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
