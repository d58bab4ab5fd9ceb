/**
 * What an incremental or differential run needs from its base backup: per folder source, every
 * file the base holds (stored in it, or unchanged since an earlier backup it names), with the
 * size, mtime and hash that decide whether a file changed.
 *
 * A format 3 base is read as a stream, side by side with the walk: its folder index lists the
 * items in walk order (walkOrder), so each lookup only moves a cursor forward and memory does not
 * grow with the number of files. Older bases (formats 1 and 2, with every file in manifest.json)
 * are indexed in a map.
 */
import type { BackupManifest, FolderIndexRecord, ManifestFolderSource, ManifestUnchangedFile } from '../../../shared/manifest';
import { BackupReader } from '../archive/reader';
import { rawKey } from '../folders/raw-path';

/** The files of one folder in the base, looked up in walk order. */
export interface BaseFiles {
  /** The base's record of the file at `raw` (the bytes of its relative path), or null. */
  lookup(raw: Buffer): Promise<ManifestUnchangedFile | null>;
}

/** Per folder source id, what the base holds. */
export type BaseIndex = Map<string, BaseFiles>;

/** A base backup opened for a run; `close` when the run is over. */
export interface OpenedBase {
  backupId: string;
  type: BackupManifest['type'];
  index: BaseIndex;
  /** per folder source id, what the folder held when the base was made (ManifestFolderSource.tree, where recorded) */
  trees: Map<string, FolderTree>;
  close(): Promise<void>;
}

/** A folder as a backup found it: where, with which excludes, and its regular files and bytes. */
export interface FolderTree {
  root: string;
  excludes: string[];
  files: number;
  bytes: number;
}

/** The folder trees a manifest records (ManifestFolderSource.tree), by source id. */
function treesOf(manifest: BackupManifest): Map<string, FolderTree> {
  const trees = new Map<string, FolderTree>();
  for (const source of manifest.sources) {
    if (source.kind === 'folder' && source.status === 'success' && source.tree) trees.set(source.id, { root: source.root, excludes: source.excludes, ...source.tree });
  }
  return trees;
}

/** The key of a base's file: its rawPath (format 2), or the bytes of its path (format 1). */
function keyOf(file: { path: string; rawPath?: string }): string {
  return file.rawPath ?? rawKey(Buffer.from(file.path, 'utf8'));
}

/** A stored file's entry as an unchanged record pointing at the backup that holds it. */
function heldIn(entry: NonNullable<BackupManifest['entries'][number]>, source: ManifestFolderSource, backupId: string): ManifestUnchangedFile {
  const { name: _name, kind: _kind, sourceId: _sourceId, method: _method, ...meta } = entry;
  const rel = entry.path ?? entry.name.slice(source.entryPrefix.length);
  return { ...meta, path: rel, mtimeMs: entry.mtimeMs ?? 0, mode: entry.mode ?? 0o644, storedIn: backupId };
}

/**
 * The order the walk yields items in (walkFolder): the items of one folder together, in byte
 * order of their names, and the folders in depth-first order of their paths, a folder's own
 * items before those of its subfolders.
 */
export function walkOrder(a: Buffer, b: Buffer): number {
  const aSlash = a.lastIndexOf(0x2f);
  const bSlash = b.lastIndexOf(0x2f);
  const aDir = aSlash < 0 ? null : a.subarray(0, aSlash);
  const bDir = bSlash < 0 ? null : b.subarray(0, bSlash);
  const byDir = compareFolders(aDir, bDir);
  if (byDir !== 0) return byDir;
  return Buffer.compare(a.subarray(aSlash + 1), b.subarray(bSlash + 1));
}

/** Depth-first order of two folder paths (null = the root): name by name, a folder before those inside it. */
function compareFolders(a: Buffer | null, b: Buffer | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  let i = 0;
  let j = 0;
  const endOf = (path: Buffer, from: number) => {
    const slash = path.indexOf(0x2f, from);
    return slash < 0 ? path.length : slash;
  };
  for (;;) {
    const aEnd = endOf(a, i);
    const bEnd = endOf(b, j);
    const byName = Buffer.compare(a.subarray(i, aEnd), b.subarray(j, bEnd));
    if (byName !== 0) return byName;
    const aDone = aEnd >= a.length;
    const bDone = bEnd >= b.length;
    if (aDone || bDone) return aDone === bDone ? 0 : aDone ? -1 : 1;
    i = aEnd + 1;
    j = bEnd + 1;
  }
}

/** A format 1/2 base's files in a map. */
class MappedFiles implements BaseFiles {
  constructor(private readonly files: Map<string, ManifestUnchangedFile>) {}

  lookup(raw: Buffer): Promise<ManifestUnchangedFile | null> {
    return Promise.resolve(this.files.get(rawKey(raw)) ?? null);
  }
}

/**
 * A format 3 base's folder index read alongside the walk. Lookups must come in walk order (they
 * do: the walk asks for its files as it goes); a base whose index is in another order only
 * finds fewer files unchanged, which stores them again: never wrong, only bigger.
 */
class StreamedFiles implements BaseFiles {
  private current: { raw: Buffer; file: ManifestUnchangedFile } | null = null;
  private done = false;

  constructor(
    private readonly records: AsyncGenerator<FolderIndexRecord>,
    private readonly source: ManifestFolderSource,
    private readonly backupId: string,
  ) {}

  async lookup(raw: Buffer): Promise<ManifestUnchangedFile | null> {
    for (;;) {
      if (!this.current && !(await this.advance())) return null;
      const order = walkOrder(this.current!.raw, raw);
      if (order > 0) return null;
      const found = this.current!;
      this.current = null;
      if (order === 0) return found.file;
    }
  }

  /** Moves to the base's next file; false at the end. */
  private async advance(): Promise<boolean> {
    while (!this.done) {
      let next: IteratorResult<FolderIndexRecord>;
      try {
        next = await this.records.next();
      } catch {
        // an unreadable rest of the base's index: its files are stored again, never wrongly kept
        next = { done: true, value: undefined };
      }
      if (next.done) {
        this.done = true;
        break;
      }
      const record = next.value;
      const file = 'file' in record ? heldIn(record.file, this.source, this.backupId) : 'unchanged' in record ? record.unchanged : null;
      if (!file) continue;
      this.current = { raw: Buffer.from(keyOf(file), 'base64'), file };
      return true;
    }
    return false;
  }
}

/**
 * Indexes the folder files of a format 1/2 base backup's manifest by folder source id and raw
 * relative path (rawKey). A format 1 base has no raw paths: its paths are UTF-8, which is what
 * they stand for.
 */
export function baseIndexOf(manifest: BackupManifest): BaseIndex {
  const index: BaseIndex = new Map();
  for (const source of manifest.sources) {
    if (source.kind !== 'folder') continue;
    const files = new Map<string, ManifestUnchangedFile>();
    for (const unchanged of source.unchanged) files.set(keyOf(unchanged), unchanged);
    for (const entry of manifest.entries) {
      if (entry.sourceId !== source.id || entry.kind !== 'file') continue;
      const file = heldIn(entry, source, manifest.backupId);
      files.set(keyOf(file), file);
    }
    index.set(source.id, new MappedFiles(files));
  }
  return index;
}

/**
 * Opens a backup as the base of a run: a format 3 one stays open and its folder indexes are
 * streamed as the walk asks; an older one is read whole and closed at once. Throws what
 * BackupReader throws (wrong passphrase, damage...).
 */
export async function openBaseBackup(filePath: string, passphrase: string | null): Promise<OpenedBase> {
  const reader = await BackupReader.open(filePath, passphrase);
  try {
    const manifest = await reader.readManifest({ items: false });
    const streamed = manifest.sources.some((s) => s.kind === 'folder' && s.index);
    if (!streamed) {
      const whole = await reader.readManifest();
      await reader.close();
      return { backupId: whole.backupId, type: whole.type, index: baseIndexOf(whole), trees: treesOf(whole), close: () => Promise.resolve() };
    }
    const index: BaseIndex = new Map();
    const generators: AsyncGenerator<FolderIndexRecord>[] = [];
    for (const source of manifest.sources) {
      if (source.kind !== 'folder' || !source.index) continue;
      const records = reader.folderIndex(manifest, source);
      generators.push(records);
      index.set(source.id, new StreamedFiles(records, source, manifest.backupId));
    }
    return {
      backupId: manifest.backupId,
      type: manifest.type,
      index,
      trees: treesOf(manifest),
      close: async () => {
        for (const records of generators) await records.return(undefined).catch(() => undefined);
        await reader.close();
      },
    };
  } catch (error) {
    await reader.close();
    throw error;
  }
}
