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

export type ListedFolder = { names: ListedName[]; error?: undefined } | { names?: undefined; error: Error & { code?: string } };

const WORKER_SOURCE = String.raw`
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
parentPort.on('message', ({ id, dir }) => {
  const abs = Buffer.from(dir, 'latin1');
  let dirents;
  try {
    dirents = fs.readdirSync(abs, { encoding: 'buffer' });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: error.message, code: error.code } });
    return;
  }
  const sep = Buffer.from(path.sep);
  const names = [];
  for (const name of dirents) {
    const full = Buffer.concat([abs, sep, name]);
    try {
      const s = fs.lstatSync(full, { bigint: true });
      const isLink = s.isSymbolicLink();
      names.push({
        name: name.toString('latin1'),
        stat: { mode: Number(s.mode), size: s.size, mtimeNs: s.mtimeNs, uid: Number(s.uid), gid: Number(s.gid), dev: s.dev, ino: s.ino, nlink: Number(s.nlink), blocks: s.blocks },
        linkTarget: isLink ? fs.readlinkSync(full, { encoding: 'buffer' }).toString('latin1') : null,
        error: null,
      });
    } catch (error) {
      names.push({ name: name.toString('latin1'), stat: null, linkTarget: null, error: error.message });
    }
  }
  parentPort.postMessage({ id, names });
});
`;

/** One worker listing folders; `close` it when the walk is over. */
export class DirLister {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, (result: ListedFolder) => void>();
  private readonly cache = new Map<string, Promise<ListedFolder>>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 } });
    this.worker.on('message', (message: { id: number; names?: RawName[]; error?: { message: string; code?: string } }) => {
      const resolve = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (!resolve) return;
      if (message.error) resolve({ error: Object.assign(new Error(message.error.message), { code: message.error.code }) });
      else resolve({ names: message.names!.map(decodeName) });
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

  /** The names in `dir`, sorted by their bytes, each with its lstat. */
  async list(dir: Buffer): Promise<ListedFolder> {
    this.prefetch(dir);
    const key = dir.toString('latin1');
    const listed = await this.cache.get(key)!;
    this.cache.delete(key);
    if (listed.names) listed.names.sort((a, b) => Buffer.compare(a.name, b.name));
    return listed;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

interface RawName {
  name: string;
  stat: ListedName['stat'];
  linkTarget: string | null;
  error: string | null;
}

function decodeName(raw: RawName): ListedName {
  return {
    name: Buffer.from(raw.name, 'latin1'),
    stat: raw.stat,
    linkTarget: raw.linkTarget === null ? null : Buffer.from(raw.linkTarget, 'latin1'),
    error: raw.error,
  };
}
