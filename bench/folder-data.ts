/**
 * The folder benchmark's data sets, generated in a temp dir from fixed seeds, so every run (and
 * every tool in a run) backs up the same bytes. Content is produced in big blocks (an AES-CTR
 * keystream for incompressible bytes, slices of one word corpus for text), never byte by byte in
 * JS: generating 2.5 GB must take seconds, not minutes, or nobody runs the benchmark.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** One generated file: its path relative to the set's root (forward slashes) and its size. */
export interface GeneratedFile {
  rel: string;
  size: number;
}

/** A generated tree whose files are listed (the sets restores are checked against). */
export interface GeneratedSet {
  root: string;
  files: GeneratedFile[];
  bytes: number;
}

/** A generated tree too big to list in this process (a million files): only counted. */
export interface CountedSet {
  root: string;
  count: number;
  bytes: number;
}

/** mulberry32: a tiny seeded PRNG; the choices (sizes, kinds, folders) only need to repeat, not to be strong. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Incompressible, repeatable bytes: the AES-256-CTR keystream of a key derived from `seed`
 * (about 1-2 GB/s here, where a JS loop over bytes would be ~100x slower).
 */
class RandomBytes {
  private readonly cipher: crypto.Cipher;
  private zeros = Buffer.alloc(0);

  constructor(seed: string) {
    const key = crypto.createHash('sha256').update(seed).digest();
    this.cipher = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }

  next(size: number): Buffer {
    if (this.zeros.length < size) this.zeros = Buffer.alloc(size);
    return this.cipher.update(this.zeros.subarray(0, size));
  }
}

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were ' +
  'backup restore database table index folder file user config server client request response error warning value ' +
  'function return const let import export async await string number true false null undefined class interface type ' +
  'select insert update delete where order group limit join left right inner outer count sum avg min max date time ' +
  'customer invoice amount total price quantity product address city country email phone name status created updated ' +
  'report meeting project budget plan schedule team review draft final version release notes summary chapter section'
).split(' ');

let corpus: Buffer | null = null;

/**
 * A 32 MB text corpus of words with a skewed (Zipf-like) frequency, lines, numbers and some
 * JSON/CSV-like punctuation: compresses about like prose and source code do. Text files are
 * slices of it at random offsets; 32 MB is far larger than zstd's window, so a tar stream of
 * many slices does not compress unrealistically well by matching one file against the next.
 */
function textCorpus(): Buffer {
  if (corpus) return corpus;
  const random = seededRandom(0x7e47);
  const pieces: Buffer[] = [];
  let total = 0;
  while (total < 32 * 1024 * 1024) {
    const words: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const r = random();
      words.push(WORDS[Math.floor(r * r * WORDS.length)]!);
      const p = random();
      if (p < 0.06) words.push('\n');
      else if (p < 0.09) words.push(String(Math.floor(random() * 100000)));
      else if (p < 0.1) words.push(`"${WORDS[Math.floor(random() * WORDS.length)]}": ${Math.floor(random() * 1000)},`);
    }
    const piece = Buffer.from(words.join(' '));
    pieces.push(piece);
    total += piece.length;
  }
  corpus = Buffer.concat(pieces);
  return corpus;
}

function textBytes(random: () => number, size: number): Buffer {
  const text = textCorpus();
  const start = Math.floor(random() * (text.length - size));
  return text.subarray(start, start + size);
}

/** Writes `data` to `root/rel`, creating no folders (the generators create them first). */
function put(root: string, rel: string, data: Buffer | string): void {
  fs.writeFileSync(path.join(root, rel), data);
}

/**
 * `count` files of `size` incompressible bytes each (big-0.bin ...), written in 16 MB blocks.
 */
export function writeBigFiles(root: string, count: number, size: number, seed: string): GeneratedSet {
  fs.mkdirSync(root, { recursive: true });
  const random = new RandomBytes(seed);
  const files: GeneratedFile[] = [];
  const block = 16 * 1024 * 1024;
  for (let i = 0; i < count; i++) {
    const rel = `big-${i}.bin`;
    const fd = fs.openSync(path.join(root, rel), 'w');
    try {
      for (let done = 0; done < size; done += block) fs.writeSync(fd, random.next(Math.min(block, size - done)));
    } finally {
      fs.closeSync(fd);
    }
    files.push({ rel, size });
  }
  return { root, files, bytes: count * size };
}

const TEXT_EXT = ['txt', 'md', 'csv', 'json', 'ts', 'html', 'py', 'xml', 'yaml', 'sql'];
// names of already-compressed formats, and .bin/.dat whose content only a trial compression can judge
const RANDOM_EXT = ['jpg', 'png', 'zip', 'gz', 'mp4', 'pdf', 'bin', 'dat'];

/** A nested folder tree: 20 top folders, 8 below each, 5 below those (1,000 leaves + 180 inner). */
function folderTree(): string[] {
  const dirs: string[] = [];
  for (let a = 0; a < 20; a++) {
    const top = `area-${String(a).padStart(2, '0')}`;
    dirs.push(top);
    for (let b = 0; b < 8; b++) {
      const mid = `${top}/dir-${b}`;
      dirs.push(mid);
      for (let c = 0; c < 5; c++) dirs.push(`${mid}/sub-${c}`);
    }
  }
  return dirs;
}

/**
 * File sizes from a few bytes to 100 KB, log-uniform (most files small, most bytes in the
 * bigger ones, as in a home or project folder), then scaled towards `totalBytes`.
 */
function mixedSizes(random: () => number, count: number, totalBytes: number): number[] {
  const max = 100 * 1024;
  let sizes = Array.from({ length: count }, () => Math.round(Math.exp(Math.log(4) + random() * (Math.log(max) - Math.log(4)))));
  // a few passes: scaling up pushes some files over the cap, which the next pass makes up for
  for (let pass = 0; pass < 6; pass++) {
    const sum = sizes.reduce((s, v) => s + v, 0);
    const factor = totalBytes / sum;
    if (Math.abs(factor - 1) < 0.01) break;
    sizes = sizes.map((v) => Math.max(1, Math.min(max, Math.round(v * factor))));
  }
  return sizes;
}

/**
 * About `count` files totalling about `totalBytes` in a nested tree: four in five text-like
 * (compressible), one in five random under a media or archive name.
 */
export function writeSmallMix(root: string, count: number, totalBytes: number, seed: number): GeneratedSet {
  const random = seededRandom(seed);
  const noise = new RandomBytes(`small-${seed}`);
  const dirs = folderTree();
  for (const dir of dirs) fs.mkdirSync(path.join(root, dir), { recursive: true });
  const files: GeneratedFile[] = [];
  let bytes = 0;
  for (const [i, size] of mixedSizes(random, count, totalBytes).entries()) {
    const incompressible = random() < 0.2;
    const ext = incompressible ? RANDOM_EXT[Math.floor(random() * RANDOM_EXT.length)] : TEXT_EXT[Math.floor(random() * TEXT_EXT.length)];
    const rel = `${dirs[Math.floor(random() * dirs.length)]}/file-${i}.${ext}`;
    put(root, rel, incompressible ? noise.next(size) : textBytes(random, size));
    files.push({ rel, size });
    bytes += size;
  }
  return { root, files, bytes };
}

const COMPRESSED = new Set(RANDOM_EXT.map((e) => `.${e}`));

/**
 * Changes `fraction` of the set's files in place, as an editing session would: text files get
 * new content of a slightly different size, random ones new bytes of the same size (so only the
 * mtime tells them apart). Their mtime becomes now. Updates `set` and returns the changed files.
 */
export function changeSomeFiles(set: GeneratedSet, fraction: number, seed: number): GeneratedFile[] {
  const random = seededRandom(seed);
  const noise = new RandomBytes(`change-${seed}`);
  const changed: GeneratedFile[] = [];
  const wanted = Math.max(1, Math.round(set.files.length * fraction));
  const picked = new Set<number>();
  while (picked.size < wanted) picked.add(Math.floor(random() * set.files.length));
  for (const i of [...picked].sort((a, b) => a - b)) {
    const file = set.files[i]!;
    const incompressible = COMPRESSED.has(path.extname(file.rel));
    const size = incompressible ? file.size : Math.max(1, Math.min(100 * 1024, Math.round(file.size * (0.8 + random() * 0.4))));
    put(set.root, file.rel, incompressible ? noise.next(size) : textBytes(random, size));
    set.bytes += size - file.size;
    file.size = size;
    changed.push(file);
  }
  return changed;
}

/**
 * `count` tiny files (a few bytes each: "<n>\n"), 1,000 to a folder: the per-file cost of a
 * backup with almost no bytes to move. Returns only the count, so it scales to millions.
 */
export function writeTinyFiles(root: string, count: number): CountedSet {
  let bytes = 0;
  for (let dir = 0; dir * 1000 < count; dir++) {
    const folder = path.join(root, `d${String(dir).padStart(4, '0')}`);
    fs.mkdirSync(folder, { recursive: true });
    for (let i = dir * 1000; i < Math.min(count, (dir + 1) * 1000); i++) {
      const content = `${i}\n`;
      fs.writeFileSync(path.join(folder, `f${i}`), content);
      bytes += content.length;
    }
  }
  return { root, count, bytes };
}

/** SHA-256 of a file, hex. */
export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Counts the regular files below `root` and their bytes (symbolic links and folders not counted). */
export function countTree(root: string): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(abs);
      else if (entry.isFile()) {
        count++;
        bytes += fs.statSync(abs).size;
      }
    }
  };
  walk(root);
  return { count, bytes };
}
