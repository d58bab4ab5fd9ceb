/**
 * Every item of a folder source as a manifest records it, in one shape for both formats: format 1
 * lists files only (entries named by their path, plus an incremental's unchanged list); format 2
 * adds raw names, nanosecond mtimes, owners, and nodes for folders, links and special files. What
 * comes out is untrusted until safe-paths has checked it.
 */
import { AppError } from '../../../shared/errors';
import type { BackupManifest, FolderIndexRecord, ManifestEntry, ManifestFolderNode, ManifestFolderSource, ManifestUnchangedFile } from '../../../shared/manifest';
import { decodeRaw, displayPath, rawKey } from '../folders/raw-path';
import type { BackupReader } from '../archive/reader';
import type { UnrestorableCheck } from './safe-paths';

export type FolderItemType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo' | 'socket' | 'device';

/** A folder item of a backup and, for a file, where its content lives. */
export interface FolderFileRef {
  sourceId: string;
  type: FolderItemType;
  /** relative to the folder, forward slashes, for display and selection; untrusted until checked (safe-paths) */
  path: string;
  /** the bytes of the relative path ('/' between names): what is created */
  raw: Buffer;
  size: number;
  mtimeMs: number;
  /** nanoseconds since 1970 (format 1: mtimeMs in ns) */
  mtimeNs: bigint;
  mode: number;
  /** the owner at backup time (format 2), restored when the restore runs as root */
  uid: number | null;
  gid: number | null;
  sha256: string;
  /** the backup that holds the content */
  storedIn: string;
  /** the zip entry of the content when this manifest stores it (null: unchanged, found in storedIn) */
  entry: string | null;
  /** restore with holes (format 2 `sparse`) */
  sparse: boolean;
  /** symlink: the target's bytes */
  linkTarget: Buffer | null;
  /** hardlink: the path of the file it shares its content with */
  linkTo: Buffer | null;
  /** the manifest format it comes from: format 1 paths follow format 1's rules (safe-paths) */
  format: number;
  /** why the manifest's record of it is unusable (damaged or crafted), or null */
  problem: string | null;
}

function nsOf(mtimeNs: unknown, mtimeMs: number): bigint {
  if (typeof mtimeNs === 'string' && /^-?\d{1,30}$/.test(mtimeNs)) return BigInt(mtimeNs);
  return BigInt(Math.round(mtimeMs)) * 1_000_000n;
}

/** The raw path of a format 2 record (its rawPath) or a format 1 one (the UTF-8 of its path). */
function rawOf(record: { rawPath?: unknown }, path: string, format: number): { raw: Buffer; problem: string | null } {
  if (format < 2 || record.rawPath === undefined) return { raw: Buffer.from(path, 'utf8'), problem: format < 2 ? null : 'no rawPath' };
  const raw = decodeRaw(record.rawPath);
  return raw ? { raw, problem: null } : { raw: Buffer.from(path, 'utf8'), problem: 'rawPath is not base64' };
}

/**
 * Every item of a folder source at backup time (for incrementals: stored entries plus unchanged
 * files kept in earlier backups), files before the rest, each group in byte order of the paths.
 * Throws UNSAFE_PATH for a format 1 entry outside its folder's prefix.
 */
export function folderItems(manifest: BackupManifest, source: ManifestFolderSource): FolderFileRef[] {
  const format = formatOf(manifest);
  const files: FolderFileRef[] = [];
  for (const entry of manifest.entries) {
    if (entry.kind !== 'file' || entry.sourceId !== source.id) continue;
    files.push(storedRef(manifest, source, entry, format));
  }
  for (const unchanged of source.unchanged ?? []) files.push(unchangedRef(source, unchanged, format));
  files.sort(byRaw);
  const fileByKey = new Map(files.map((f) => [rawKey(f.raw), f]));
  const nodes: FolderFileRef[] = [];
  for (const node of format >= 2 ? (source.nodes ?? []) : []) {
    const item = nodeRef(manifest, source, node, format);
    if (item.type === 'hardlink') linkToFirst(item, item.linkTo ? fileByKey.get(rawKey(item.linkTo)) : undefined);
    nodes.push(item);
  }
  nodes.sort(byRaw);
  return [...files, ...nodes];
}

const byRaw = (a: FolderFileRef, b: FolderFileRef) => Buffer.compare(a.raw, b.raw);

/** A hard link has the content (and so the metadata) of the file it shares it with, its `first`. */
function linkToFirst(item: FolderFileRef, first: FolderFileRef | undefined): void {
  if (!first) {
    item.problem ??= 'a hard link to a file the backup does not hold';
    return;
  }
  item.size = first.size;
  item.sha256 = first.sha256;
  item.storedIn = first.storedIn;
  item.entry = first.entry;
  item.sparse = first.sparse;
  item.mode = first.mode;
  item.mtimeMs = first.mtimeMs;
  item.mtimeNs = first.mtimeNs;
  item.uid = first.uid;
  item.gid = first.gid;
}

/**
 * folderItems for a folder whose index (format 3) is read as a stream: every item is checked by
 * the restore's rule (`check`, whose problems() the caller reads), and only the items `keep`
 * wants are kept, in folderItems' order and shape. A restore of a few files out of a million
 * holds those few; a whole tree, its items without the index's records beside them; verify, none
 * (it hears of each stored file with `onFile`). `records` opens the index; it is read a second
 * time only when a kept hard link's first file was not kept. Throws UNSAFE_PATH for an entry
 * outside its folder's prefix, and what reading the index throws.
 */
export async function streamFolderItems(
  manifest: BackupManifest,
  source: ManifestFolderSource,
  records: () => AsyncIterable<FolderIndexRecord[]>,
  check: UnrestorableCheck,
  keep: (ref: FolderFileRef) => boolean,
  onFile?: (entry: ManifestEntry) => void,
): Promise<FolderFileRef[]> {
  const format = formatOf(manifest);
  const files: FolderFileRef[] = [];
  const nodes: FolderFileRef[] = [];
  // a hard link is checked with its first file's mode, which is checked with that file (and may come later)
  const checked = (item: FolderFileRef, look: (item: FolderFileRef) => void) => {
    if (item.type !== 'hardlink' || !item.linkTo) return look(item);
    const { mode } = item;
    item.mode = 0o644;
    look(item);
    item.mode = mode;
  };
  for await (const batch of records()) {
    for (const record of batch) {
      if ('file' in record) onFile?.(record.file);
      const item = recordRef(manifest, source, format, record);
      if (!item) continue;
      checked(item, (i) => check.add(i));
      if (item.type === 'hardlink' && item.linkTo) check.pendingLink(item, item.linkTo);
      if (keep(item)) (item.type === 'file' ? files : nodes).push(item);
    }
  }
  if (check.needsAnotherLook) {
    // an item that is not a folder came after items below it (a crafted order): each is looked at again
    for await (const batch of records()) {
      for (const record of batch) {
        const item = recordRef(manifest, source, format, record);
        if (item) checked(item, (i) => check.lookAgain(i));
      }
    }
  }
  const links = nodes.filter((n) => n.type === 'hardlink');
  if (links.length > 0) {
    // only the first files the kept links name (not a key per file of a whole tree)
    const named = new Set(links.filter((n) => n.linkTo).map((n) => rawKey(n.linkTo!)));
    const firsts = new Map<string, FolderFileRef>();
    for (const f of files) if (named.has(rawKey(f.raw))) firsts.set(rawKey(f.raw), f);
    if (firsts.size < named.size) {
      for (const [key, file] of await firstFiles(manifest, source, records(), named)) if (!firsts.has(key)) firsts.set(key, file);
    }
    for (const link of links) linkToFirst(link, link.linkTo ? firsts.get(rawKey(link.linkTo)) : undefined);
  }
  files.sort(byRaw);
  nodes.sort(byRaw);
  return [...files, ...nodes];
}

/**
 * The items of a folder's index (format 3), read as a stream in index order (the walk's), a
 * batch at a time, each in folderItems' shape; a hard link takes its first file's content from
 * `firsts` (firstFiles), or gets a problem. Throws UNSAFE_PATH for an entry outside its folder's
 * prefix, and what reading the index throws.
 */
export async function* indexItems(
  manifest: BackupManifest,
  source: ManifestFolderSource,
  records: AsyncIterable<FolderIndexRecord[]>,
  firsts: ReadonlyMap<string, FolderFileRef>,
): AsyncGenerator<FolderFileRef[]> {
  const format = formatOf(manifest);
  for await (const batch of records) {
    const items: FolderFileRef[] = [];
    for (const record of batch) {
      const item = recordRef(manifest, source, format, record);
      if (!item) continue;
      if (item.type === 'hardlink' && item.linkTo) linkToFirst(item, firsts.get(rawKey(item.linkTo)));
      items.push(item);
    }
    yield items;
  }
}

/** The files of a folder's index whose paths (rawKey) are in `keys`: the first files hard links name. */
export async function firstFiles(
  manifest: BackupManifest,
  source: ManifestFolderSource,
  records: AsyncIterable<FolderIndexRecord[]>,
  keys: ReadonlySet<string>,
): Promise<Map<string, FolderFileRef>> {
  const firsts = new Map<string, FolderFileRef>();
  if (keys.size === 0) return firsts;
  const format = formatOf(manifest);
  for await (const batch of records) {
    for (const record of batch) {
      if ('node' in record) continue;
      const file = recordRef(manifest, source, format, record)!;
      const key = rawKey(file.raw);
      if (keys.has(key) && !firsts.has(key)) firsts.set(key, file);
    }
  }
  return firsts;
}

/** The item an index record names (a hard link without its first file's content: linkToFirst), or null for a record of no item. */
function recordRef(manifest: BackupManifest, source: ManifestFolderSource, format: number, record: FolderIndexRecord): FolderFileRef | null {
  if ('file' in record) return storedRef(manifest, source, record.file, format);
  if ('unchanged' in record) return unchangedRef(source, record.unchanged, format);
  if ('node' in record) return nodeRef(manifest, source, record.node, format);
  return null;
}

/**
 * The files a backup stores for a folder, by `rawKey` of their path: the entry holding each and
 * its SHA-256, for the keys in `wanted` only. A folder's index (format 3) is read from `reader` as
 * a stream. Throws UNSAFE_PATH for an entry outside its folder's prefix, and what reading the
 * index throws.
 */
export async function storedEntries(
  manifest: BackupManifest,
  source: ManifestFolderSource,
  reader: Pick<BackupReader, 'folderIndex'>,
  wanted: ReadonlySet<string>,
): Promise<Map<string, { name: string; sha256: string }>> {
  const held = new Map<string, { name: string; sha256: string }>();
  const take = (f: FolderFileRef) => {
    const key = rawKey(f.raw);
    if (f.type === 'file' && f.entry && wanted.has(key)) held.set(key, { name: f.entry, sha256: f.sha256 });
  };
  if (!source.index) {
    for (const f of folderItems(manifest, source)) take(f);
    return held;
  }
  const format = formatOf(manifest);
  for await (const record of reader.folderIndex(manifest, source)) if ('file' in record) take(storedRef(manifest, source, record.file, format));
  return held;
}

function formatOf(manifest: BackupManifest): number {
  return typeof manifest.format === 'number' ? manifest.format : 1;
}

// every field is written out in each literal below, never spread from a shared object: built
// with a spread, the 40k refs of a large folder took ~1.8 s instead of ~0.1 s (V8 gives such
// objects a slow shape), and every file restore and preview builds them

/** A file this backup stores (an entry of the manifest or a `file` record of the index). */
function storedRef(manifest: BackupManifest, source: ManifestFolderSource, entry: ManifestEntry, format: number): FolderFileRef {
  if (!entry.name.startsWith(source.entryPrefix)) {
    throw new AppError('UNSAFE_PATH', { detail: `entry ${JSON.stringify(entry.name)} is outside its folder's prefix ${source.entryPrefix}` });
  }
  const mtimeMs = entry.mtimeMs ?? Date.parse(manifest.createdAt);
  const { raw, problem } = rawOf(entry, entry.name.slice(source.entryPrefix.length), format);
  return {
    sourceId: source.id,
    type: 'file',
    path: format < 2 ? entry.name.slice(source.entryPrefix.length) : displayPath(raw),
    raw,
    size: entry.size,
    mtimeMs,
    mtimeNs: nsOf(entry.mtimeNs, mtimeMs),
    mode: entry.mode ?? 0o644,
    uid: entry.uid ?? null,
    gid: entry.gid ?? null,
    sha256: entry.sha256,
    storedIn: manifest.backupId,
    entry: entry.name,
    sparse: entry.sparse === true,
    linkTarget: null,
    linkTo: null,
    format,
    problem,
  };
}

/** A file an earlier backup holds (an incremental's unchanged file). */
function unchangedRef(source: ManifestFolderSource, unchanged: ManifestUnchangedFile, format: number): FolderFileRef {
  const { raw, problem } = rawOf(unchanged, unchanged.path, format);
  return {
    sourceId: source.id,
    type: 'file',
    path: format < 2 ? unchanged.path : displayPath(raw),
    raw,
    size: unchanged.size,
    mtimeMs: unchanged.mtimeMs,
    mtimeNs: nsOf(unchanged.mtimeNs, unchanged.mtimeMs),
    mode: unchanged.mode,
    uid: unchanged.uid ?? null,
    gid: unchanged.gid ?? null,
    sha256: unchanged.sha256,
    storedIn: unchanged.storedIn,
    entry: null,
    sparse: unchanged.sparse === true,
    linkTarget: null,
    linkTo: null,
    format,
    problem,
  };
}

/** A folder, link or special file (format 2); a hard link's content fields are its first file's, filled in by the caller. */
function nodeRef(manifest: BackupManifest, source: ManifestFolderSource, node: ManifestFolderNode, format: number): FolderFileRef {
  const { raw, problem } = rawOf(node, node.path, format);
  const item: FolderFileRef = {
    sourceId: source.id,
    type: node.type,
    path: displayPath(raw),
    raw,
    size: 0,
    mtimeMs: node.mtimeMs,
    mtimeNs: nsOf(node.mtimeNs, node.mtimeMs),
    mode: node.mode,
    uid: node.uid ?? null,
    gid: node.gid ?? null,
    sha256: '',
    storedIn: manifest.backupId,
    entry: null,
    sparse: false,
    linkTarget: null,
    linkTo: null,
    format,
    problem,
  };
  if (node.type === 'symlink') {
    item.linkTarget = decodeRaw(node.target);
    if (!item.linkTarget) item.problem ??= 'a symbolic link without a (base64) target';
  } else if (node.type === 'hardlink') {
    item.linkTo = decodeRaw(node.linkTo);
    if (!item.linkTo) item.problem ??= 'a hard link to a file the backup does not hold';
  }
  return item;
}
