/**
 * Restoring folder files: whole tree or selected paths, to the original place or another
 * folder, with a conflict policy. Order of work, so that a bad backup never touches the target:
 * 1. plan every file and check every path (UNSAFE_PATH refuses the lot);
 * 2. find the earlier backups an incremental needs (BASE_BACKUP_MISSING names the one missing);
 * 3. authenticate every chunk of every backup involved (wrong passphrase, damage, truncation);
 * 4. only then write: each file to a temp name in its folder, checked against its SHA-256,
 *    fsynced, given its mode and mtime, and renamed into place. No half-written file ever has
 *    the target's name.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import type { JobProgress } from '../../../shared/job';
import type { BackupManifest, ManifestFolderSource } from '../../../shared/manifest';
import type { FileAction, FilePreviewItem, FilesTarget } from '../../../shared/restore';
import { BackupReader } from '../archive/reader';
import { HashStream } from '../archive/hash-stream';
import { destinationError } from '../archive/writer';
import { cancelledError } from './cancel';
import type { BackupLocator } from './locate';
import { planFileRestore, WRITING_ACTIONS, type PlannedFile } from './plan-files';
import { keepBothName } from './safe-paths';

export interface FilesRestoreSpec {
  filePath: string;
  passphrase: string | null;
  target: FilesTarget;
  /** finds the earlier backups an incremental's unchanged files are in */
  locate: BackupLocator;
  /** the passphrase of another backup of the chain (default: the same as this one) */
  passphraseFor?: (backupId: string) => Promise<string | null>;
  /** the date in keep-both names */
  now?: Date;
}

export interface FilesRestoreContext {
  signal: AbortSignal;
  progress(update: Partial<JobProgress>): void;
  setTempPath(path: string | null): void;
}

export interface FilesRestoreResult {
  items: FilePreviewItem[];
  counts: Record<FileAction, number>;
  bytesWritten: number;
  roots: string[];
}

interface OpenBackup {
  reader: BackupReader;
  manifest: BackupManifest;
}

const TEMP_PREFIX = '.lifeboat-restore-';

/**
 * Restores files; see the module comment for the order of work. Throws UNSAFE_PATH,
 * RESTORE_SELECTION_MISSING, RESTORE_TARGET_INVALID, BASE_BACKUP_MISSING, WRONG_PASSPHRASE,
 * PASSPHRASE_REQUIRED, FILE_CORRUPT, FILE_TRUNCATED, DEST_NOT_WRITABLE, DEST_NO_SPACE or
 * CANCELLED. After a failure in step 4 the files already renamed into place stay (each is
 * complete and checked); nothing half-written does.
 */
export async function restoreFiles(spec: FilesRestoreSpec, ctx: FilesRestoreContext): Promise<FilesRestoreResult> {
  const { signal } = ctx;
  const now = spec.now ?? new Date();
  ctx.progress({ phase: 'verify', percent: 0, currentItem: spec.filePath });
  const opened = new Map<string, OpenBackup>();
  try {
    const main = await BackupReader.open(spec.filePath, spec.passphrase);
    const manifest = await main.readManifest().catch(async (error: unknown) => {
      await main.close();
      throw error;
    });
    opened.set(manifest.backupId, { reader: main, manifest });
    if (manifest.backupId !== main.container.header.backupId) {
      throw new AppError('FILE_CORRUPT', { detail: 'the manifest belongs to another backup than the file header names' });
    }

    // 1. plan and check every path
    const plan = await planFileRestore(manifest, spec.target, now, signal);
    const toWrite = plan.items.filter((i) => WRITING_ACTIONS.includes(i.action));

    // 2. the earlier backups an incremental needs
    const needed = new Map<string, PlannedFile[]>();
    for (const item of toWrite) {
      if (item.ref.storedIn === manifest.backupId) continue;
      needed.set(item.ref.storedIn, [...(needed.get(item.ref.storedIn) ?? []), item]);
    }
    for (const [backupId, items] of needed) {
      const found = await spec.locate(backupId);
      if (!found) {
        throw new AppError('BASE_BACKUP_MISSING', {
          detail: `backup ${backupId} holds ${items.length} of the files (for example ${items[0]!.path}); it is neither in the catalog nor in ${path.dirname(path.resolve(spec.filePath))}`,
        });
      }
      const passphrase = spec.passphraseFor ? await spec.passphraseFor(backupId) : spec.passphrase;
      const reader = await BackupReader.open(found, passphrase);
      const baseManifest = await reader.readManifest().catch(async (error: unknown) => {
        await reader.close();
        throw error;
      });
      opened.set(backupId, { reader, manifest: baseManifest });
      if (baseManifest.backupId !== backupId || reader.container.header.backupId !== backupId) {
        throw new AppError('BASE_BACKUP_MISSING', { detail: `${found} is not backup ${backupId}` });
      }
    }

    // 3. authenticate every chunk of every backup involved before writing anything
    const totalScan = [...opened.values()].reduce((sum, o) => sum + o.reader.container.size, 0);
    let scanned = 0;
    for (const { reader } of opened.values()) {
      await reader.container.scan({
        signal,
        onChunk: (n) => {
          scanned += n;
          ctx.progress({ percent: Math.round((20 * scanned) / Math.max(1, totalScan) * 10) / 10, bytesDone: scanned, bytesTotal: totalScan });
        },
      });
    }
    const sources = new Map<string, ManifestFolderSource>();
    for (const { manifest: m } of opened.values()) {
      for (const s of m.sources) if (s.kind === 'folder') sources.set(`${m.backupId}\0${s.id}`, s);
    }
    const entryOf = (item: PlannedFile): { reader: BackupReader; name: string } => {
      const holder = opened.get(item.ref.storedIn)!;
      const source = sources.get(`${item.ref.storedIn}\0${item.ref.sourceId}`);
      const name = source ? `${source.entryPrefix}${item.ref.path}` : null;
      const entry = name ? holder.manifest.entries.find((e) => e.name === name) : undefined;
      if (!name || !entry || entry.sha256 !== item.ref.sha256) {
        throw new AppError('BASE_BACKUP_MISSING', {
          detail: `backup ${item.ref.storedIn} does not hold ${item.ref.path} with the content this backup expects`,
        });
      }
      return { reader: holder.reader, name };
    };
    // resolve them all now: a chain that does not add up fails before the first write
    const sourcesOfItems = new Map(toWrite.map((item) => [item, entryOf(item)]));

    // 4. write
    const totalBytes = toWrite.reduce((sum, i) => sum + i.size, 0);
    let written = 0;
    ctx.progress({ phase: 'restore', percent: 20, bytesDone: 0, bytesTotal: totalBytes, filesDone: 0, filesTotal: toWrite.length });
    for (const root of new Set(plan.roots.values())) await fs.promises.mkdir(root, { recursive: true }).catch((e: unknown) => {
      throw mapWriteError(e, root);
    });
    const touchedDirs = new Set<string>();
    let filesDone = 0;
    for (const item of toWrite) {
      if (signal.aborted) throw signal.reason;
      const { reader, name } = sourcesOfItems.get(item)!;
      ctx.progress({ currentItem: item.path });
      if (item.action !== 'replace' && fs.existsSync(item.target)) {
        // something appeared there since the plan: never overwrite it
        item.target = keepBothName(item.target, now, (c) => fs.existsSync(c));
        item.action = 'keep-both';
      }
      await writeOne(item, reader, name, ctx, (n) => {
        written += n;
        ctx.progress({ bytesDone: written, percent: 20 + Math.round((79 * written) / Math.max(1, totalBytes) * 10) / 10 });
      });
      touchedDirs.add(path.dirname(item.target));
      ctx.progress({ filesDone: ++filesDone });
    }
    for (const dir of touchedDirs) await syncDir(dir);
    const counts: Record<FileAction, number> = { create: 0, replace: 0, same: 0, 'keep-both': 0, skip: 0 };
    for (const item of plan.items) counts[item.action]++;
    ctx.progress({ percent: 100 });
    return {
      items: plan.items.map(({ ref: _ref, ...rest }) => rest),
      counts,
      bytesWritten: written,
      roots: [...new Set(plan.roots.values())],
    };
  } catch (error) {
    throw signal.aborted ? cancelledError(signal) : error;
  } finally {
    for (const { reader } of opened.values()) await reader.close().catch(() => undefined);
  }
}

function mapWriteError(error: unknown, where: string): unknown {
  const mapped = destinationError(error);
  if (mapped instanceof AppError) return new AppError(mapped.code, { detail: where, cause: error });
  return error;
}

/** One file: temp name in the same folder -> checked SHA-256 -> fsync -> mode, mtime -> rename. */
async function writeOne(
  item: PlannedFile,
  reader: BackupReader,
  entryName: string,
  ctx: FilesRestoreContext,
  onBytes: (n: number) => void,
): Promise<void> {
  const dir = path.dirname(item.target);
  await fs.promises.mkdir(dir, { recursive: true }).catch((e: unknown) => {
    throw mapWriteError(e, dir);
  });
  const temp = path.join(dir, `${TEMP_PREFIX}${crypto.randomBytes(6).toString('hex')}`);
  ctx.setTempPath(temp);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(temp, 'wx', 0o600);
  } catch (error) {
    ctx.setTempPath(null);
    throw mapWriteError(error, dir);
  }
  try {
    const hash = new HashStream(onBytes);
    const source = await reader.openEntry(entryName);
    source.on('error', (error) => hash.destroy(error));
    try {
      for await (const chunk of source.pipe(hash)) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        await handle.write(chunk as Buffer);
      }
    } catch (error) {
      source.destroy();
      if (ctx.signal.aborted) throw ctx.signal.reason;
      throw mapWriteError(error, item.target);
    }
    if (hash.bytes !== item.ref.size || hash.digest() !== item.ref.sha256) {
      throw new AppError('FILE_CORRUPT', { detail: `${item.path} does not match its SHA-256 in the manifest` });
    }
    await handle.sync();
    // permission bits only: setuid/setgid/sticky from a backup are not trusted
    await handle.chmod(item.ref.mode & 0o777);
    // + 0.5 µs: utimes takes float seconds, and a value like 1795565594.339 would be truncated
    // to ...338999 µs, one millisecond early; the manifest keeps whole milliseconds
    const seconds = (item.ref.mtimeMs + 0.0005) / 1000;
    await handle.utimes(seconds, seconds);
    await handle.close();
    await fs.promises.rename(temp, item.target).catch((e: unknown) => {
      throw mapWriteError(e, item.target);
    });
    ctx.setTempPath(null);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.promises.rm(temp, { force: true });
    ctx.setTempPath(null);
    throw error;
  }
}

async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await fs.promises.open(dir, 'r').catch(() => null);
  if (!fh) return;
  try {
    await fh.sync();
  } catch {
    // some file systems cannot sync a directory; the files themselves are synced
  } finally {
    await fh.close();
  }
}
