/**
 * What a file restore would do, decided before anything is written: for each file of the
 * backup, where it lands and whether it is created, replaced, left alone (same content),
 * written next to the existing one (keep both) or skipped. Every path is checked first; one
 * unsafe path refuses the whole restore.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import type { BackupManifest } from '../../../shared/manifest';
import type { ConflictPolicy, FileAction, FilePreviewItem, FilesTarget } from '../../../shared/restore';
import { folderFiles, isSelected, pickFolderSources, targetRoots, type FolderFileRef } from './backup-index';
import { checkParents, keepBothName, resolveInside, unrestorableReason } from './safe-paths';

export interface PlannedFile extends FilePreviewItem {
  ref: FolderFileRef;
}

export interface FilePlan {
  items: PlannedFile[];
  roots: Map<string, string>;
  counts: Record<FileAction, number>;
  conflict: ConflictPolicy;
}

async function sha256OfFile(filePath: string, signal?: AbortSignal): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(filePath, { signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Actions that write a file. */
export const WRITING_ACTIONS: readonly FileAction[] = ['create', 'replace', 'keep-both'];

/**
 * Plans a file restore. Throws UNSAFE_PATH (a path outside its target, or a symbolic link among
 * the target's folders), RESTORE_SELECTION_MISSING (a selected path the backup does not hold)
 * or RESTORE_TARGET_INVALID (the target is not a folder). Reads, never writes.
 */
export async function planFileRestore(
  manifest: BackupManifest,
  target: FilesTarget,
  now: Date,
  signal?: AbortSignal,
): Promise<FilePlan> {
  const sources = pickFolderSources(manifest, target.sourceId);
  const roots = targetRoots(sources, target.folder);
  // the chosen folder (or the original place) may be a link to a folder; a subfolder we name may not
  const rootsChosenByUser = !target.folder || sources.length === 1;
  for (const root of new Set(roots.values())) {
    const stat = await fs.promises.lstat(root).catch(() => null);
    if (!stat || stat.isDirectory()) continue;
    if (stat.isSymbolicLink() && !rootsChosenByUser) throw new AppError('UNSAFE_PATH', { detail: `${root} is a symbolic link` });
    const real = stat.isSymbolicLink() ? await fs.promises.stat(root).catch(() => null) : stat;
    if (!real?.isDirectory()) throw new AppError('RESTORE_TARGET_INVALID', { detail: `${root} exists and is not a folder` });
  }

  // 1. every path, before anything else: one unsafe path refuses everything
  const selected: { ref: FolderFileRef; root: string; abs: string }[] = [];
  const matchedSelections = new Set<string>();
  for (const source of sources) {
    const root = roots.get(source.id)!;
    for (const ref of folderFiles(manifest, source)) {
      const abs = resolveInside(root, ref.path);
      const reason = unrestorableReason(ref.path, ref.mode);
      if (reason) throw new AppError('UNSAFE_PATH', { detail: `${JSON.stringify(ref.path)}: ${reason}` });
      if (!isSelected(ref.path, target.paths)) continue;
      for (const p of target.paths ?? []) if (isSelected(ref.path, [p])) matchedSelections.add(p);
      selected.push({ ref, root, abs });
    }
  }
  const unmatched = (target.paths ?? []).filter((p) => !matchedSelections.has(p));
  if (unmatched.length) {
    throw new AppError('RESTORE_SELECTION_MISSING', { detail: `not in the backup: ${unmatched.slice(0, 5).join(', ')}` });
  }
  const parentCache = new Map<string, 'dir' | 'missing' | 'file'>();
  const blocked = new Set<string>();
  for (const item of selected) if (checkParents(item.root, item.abs, parentCache) === 'blocked') blocked.add(item.abs);

  // 2. what happens to each
  const chosenNames = new Set<string>();
  const taken = (candidate: string) => chosenNames.has(candidate) || fs.existsSync(candidate);
  const items: PlannedFile[] = [];
  for (const { ref, abs } of selected) {
    if (signal?.aborted) throw signal.reason;
    const base = { sourceId: ref.sourceId, path: ref.path, target: abs, size: ref.size, ref };
    if (blocked.has(abs)) {
      items.push({ ...base, action: 'skip', reason: 'a file is in the place of one of its folders' });
      continue;
    }
    const existing = await fs.promises.lstat(abs).catch(() => null);
    if (!existing) {
      chosenNames.add(abs);
      items.push({ ...base, action: 'create', reason: null });
      continue;
    }
    if (existing.isFile() && existing.size === ref.size && (await sha256OfFile(abs, signal)) === ref.sha256) {
      items.push({ ...base, action: 'same', reason: 'identical content is already there' });
      continue;
    }
    const what = existing.isDirectory() ? 'a folder' : existing.isFile() ? 'a different file' : 'something that is not a file';
    if (target.conflict === 'keep-both') {
      const other = keepBothName(abs, now, taken);
      chosenNames.add(other);
      items.push({ ...base, target: other, action: 'keep-both', reason: `${what} is there; written next to it as ${path.basename(other)}` });
    } else if (target.conflict === 'overwrite' && existing.isFile()) {
      items.push({ ...base, action: 'replace', reason: `${what} is there and is replaced` });
    } else {
      // never replace a folder (or a link, a device...) with a file: that would lose what it holds
      items.push({ ...base, action: 'skip', reason: `${what} is there` });
    }
  }
  const counts: Record<FileAction, number> = { create: 0, replace: 0, same: 0, 'keep-both': 0, skip: 0 };
  for (const item of items) counts[item.action]++;
  return { items, roots, counts, conflict: target.conflict };
}

/** The plan as the renderer shows it (without the internal references). */
export function planForPreview(plan: FilePlan, folder: string | null) {
  return {
    folder,
    conflict: plan.conflict,
    items: plan.items.map(({ ref: _ref, ...item }) => item),
    counts: plan.counts,
  };
}
