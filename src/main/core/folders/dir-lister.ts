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
parentPort.on('message', ({ id, dir }) => {
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
  const bytes = Buffer.concat(names);
  const owned = new Uint8Array(bytes.length);
  owned.set(bytes);
  const ends = new Uint32Array(count);
  const numbers = new Float64Array(count * 4);
  const bigs = new BigInt64Array(count * 5);
  const links = [];
  const errors = [];
  let end = 0;
  for (let i = 0; i < count; i++) {
    const name = names[i];
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
    this.worker.postMessage({ id, dir: key });
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
