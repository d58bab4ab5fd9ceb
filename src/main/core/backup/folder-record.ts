/**
 * What a folder backup writes into its index for each walked item (formats 2 and 3, docs/FORMAT.md):
 * stored files with their raw path, nanosecond mtime and owner; folders, symbolic links, hard
 * links and special files as nodes; and whether an incremental's base already holds a file.
 */
import type { ManifestEntry, ManifestFolderNode, ManifestUnchangedFile } from '../../../shared/manifest';
import type { StoredFile } from '../archive/file-queue';
import { METHOD_DEFLATE, METHOD_STORE, METHOD_ZSTD } from '../archive/zip-writer';
import { rawKey } from '../folders/raw-path';
import type { WalkedItem } from '../folders/walk';

/** The manifest fields format 2 adds to every folder item. */
function itemMeta(item: WalkedItem) {
  return { path: item.relPath, rawPath: rawKey(item.raw), mtimeNs: item.mtimeNs.toString(), uid: item.uid, gid: item.gid };
}

const METHOD_NAMES: Record<number, ManifestEntry['method']> = { [METHOD_STORE]: 'stored', [METHOD_DEFLATE]: 'deflate', [METHOD_ZSTD]: 'zstd' };

/** A stored file's manifest entry. */
export function fileEntry(name: string, sourceId: string, item: WalkedItem, added: StoredFile): ManifestEntry {
  return {
    name,
    kind: 'file',
    sourceId,
    size: added.size,
    sha256: added.sha256,
    method: METHOD_NAMES[added.method],
    mode: item.mode,
    mtimeMs: item.mtimeMs,
    ...itemMeta(item),
    ...(item.sparse ? { sparse: true } : {}),
  };
}

/** An unchanged file of an incremental: its content stays where the base says, its metadata is today's. */
export function unchangedEntry(known: ManifestUnchangedFile, item: WalkedItem): ManifestUnchangedFile {
  const { sparse: _sparse, ...rest } = known;
  return { ...rest, size: item.size, mode: item.mode, mtimeMs: item.mtimeMs, ...itemMeta(item), ...(item.sparse ? { sparse: true } : {}) };
}

/**
 * Whether a base's file is the walked one unchanged by its metadata alone: same size and same
 * mtime (to the nanosecond when the base recorded it, else to the millisecond as format 1 did).
 * When this says no but the size matches, the caller compares content hashes.
 */
export function sameMtime(known: ManifestUnchangedFile, item: WalkedItem): boolean {
  if (known.size !== item.size) return false;
  return known.mtimeNs !== undefined ? known.mtimeNs === item.mtimeNs.toString() : known.mtimeMs === item.mtimeMs;
}

/** A folder item without content (folder, link, special file, or a second hard link to a file). */
export function folderNode(item: WalkedItem, linkTo: Buffer | null): ManifestFolderNode {
  return {
    type: linkTo || item.type === 'file' ? 'hardlink' : item.type,
    ...itemMeta(item),
    mode: item.mode,
    mtimeMs: item.mtimeMs,
    ...(item.linkTarget ? { target: item.linkTarget.toString('base64') } : {}),
    ...(linkTo ? { linkTo: rawKey(linkTo) } : {}),
  };
}

/**
 * Hard links within one folder: the first path of a set is stored (or kept unchanged) as a file,
 * every later one becomes a `hardlink` node naming it. A file whose first path could not be read
 * is stored itself and becomes the first of its set.
 */
export class HardLinks {
  private readonly first = new Map<string, Buffer>();

  /** The first path of the set `item` belongs to, when one was recorded before it. */
  firstOf(item: WalkedItem): Buffer | null {
    return item.type === 'file' && item.nlink > 1 ? (this.first.get(item.inode) ?? null) : null;
  }

  /** `item` is recorded with its content (stored or unchanged). */
  recorded(item: WalkedItem): void {
    if (item.nlink > 1 && !this.first.has(item.inode)) this.first.set(item.inode, item.raw);
  }

  /** `item` could not be stored after all: the next path of its set is stored itself. */
  forget(item: WalkedItem): void {
    if (this.first.get(item.inode)?.equals(item.raw)) this.first.delete(item.inode);
  }
}

/** Counts a folder's nodes by type, for the job's words on what it holds beyond its files. */
export class NodeCounts {
  private readonly counts = new Map<ManifestFolderNode['type'], number>();

  add(type: ManifestFolderNode['type']): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
  }

  /** "3 symbolic links, 2 hard links recorded. 1 special file (sockets, devices) recorded, not restored." or null. */
  summary(): string | null {
    const count = (type: ManifestFolderNode['type']) => this.counts.get(type) ?? 0;
    const parts: string[] = [];
    const links = count('symlink');
    const hard = count('hardlink');
    const fifos = count('fifo');
    const never = count('socket') + count('device');
    if (links) parts.push(`${links} symbolic link${links > 1 ? 's' : ''}`);
    if (hard) parts.push(`${hard} hard link${hard > 1 ? 's' : ''}`);
    if (fifos) parts.push(`${fifos} FIFO${fifos > 1 ? 's' : ''}`);
    const recorded = parts.length ? `${parts.join(', ')} recorded.` : '';
    const special = never ? `${never} special file${never > 1 ? 's' : ''} (sockets, devices) recorded, not restored.` : '';
    return [recorded, special].filter(Boolean).join(' ') || null;
  }
}
