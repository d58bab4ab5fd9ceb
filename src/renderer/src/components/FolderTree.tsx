import { useMemo, useState } from 'react';
import type { PreviewFile, PreviewFolder } from '../../../shared/restore';
import { formatBytes } from '../lib/format';

interface DirNode {
  /** relative, forward slashes; '' is the folder itself */
  path: string;
  name: string;
  files: number;
  bytes: number;
  dirs: DirNode[];
  fileItems: PreviewFile[];
}

/** What a folder item that is not a regular file shows instead of its size. */
const TYPE_LABELS: Record<NonNullable<PreviewFile['type']>, string> = {
  symlink: 'symbolic link',
  hardlink: 'hard link',
  fifo: 'FIFO',
  socket: 'socket (not restored)',
  device: 'device (not restored)',
};

/** Children shown per folder before "N more": a backup may hold many thousands of files. */
const SHOWN_PER_DIR = 300;

const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const nameOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);

export function buildTree(folder: PreviewFolder): DirNode {
  const nodes = new Map<string, DirNode>();
  const node = (p: string): DirNode => {
    let n = nodes.get(p);
    if (!n) {
      n = { path: p, name: nameOf(p), files: 0, bytes: 0, dirs: [], fileItems: [] };
      nodes.set(p, n);
      if (p !== '') node(parentOf(p)).dirs.push(n);
    }
    return n;
  };
  const root = node('');
  for (const dir of folder.dirs) Object.assign(node(dir.path), { files: dir.files, bytes: dir.bytes });
  for (const file of folder.files) node(parentOf(file.path)).fileItems.push(file);
  for (const n of nodes.values()) {
    n.dirs.sort((a, b) => a.name.localeCompare(b.name));
    n.fileItems.sort((a, b) => a.path.localeCompare(b.path));
  }
  return root;
}

/** Whether `p` or a folder above it is in the selection. */
function coveredBy(selected: ReadonlySet<string>, p: string): string | null {
  for (let at = p; ; at = parentOf(at)) {
    if (selected.has(at)) return at;
    if (at === '') return null;
  }
}

export interface TreeSelection {
  selected: ReadonlySet<string>;
  onChange(next: Set<string>): void;
}

/**
 * A folder of a backup as a tree with file counts and sizes; folders open on demand. With a
 * selection, each folder and file gets a checkbox: a checked folder selects everything below it
 * (the restore request names just the folder).
 */
export function FolderTree({ folder, selection, label }: { folder: PreviewFolder; selection?: TreeSelection; label: string }) {
  const root = useMemo(() => buildTree(folder), [folder]);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set(['', ...root.dirs.map((d) => d.path)]));

  const toggleOpen = (p: string) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(p)) next.delete(p);
      else next.add(p);
      return next;
    });

  const toggleSelected = (p: string, on: boolean) => {
    if (!selection) return;
    const next = new Set(selection.selected);
    if (on) {
      // the folder covers what is below it: keep the request short
      for (const s of next) if (s.startsWith(`${p}/`)) next.delete(s);
      next.add(p);
    } else next.delete(p);
    selection.onChange(next);
  };

  const checkbox = (p: string, what: string) => {
    if (!selection) return null;
    const cover = coveredBy(selection.selected, p);
    return (
      <input
        type="checkbox"
        aria-label={`Restore ${what} ${p}`}
        checked={cover !== null}
        disabled={cover !== null && cover !== p}
        onChange={(e) => toggleSelected(p, e.target.checked)}
      />
    );
  };

  const renderChildren = (dir: DirNode) => {
    const shownDirs = dir.dirs.slice(0, SHOWN_PER_DIR);
    const shownFiles = dir.fileItems.slice(0, Math.max(0, SHOWN_PER_DIR - shownDirs.length));
    const hidden = dir.dirs.length + dir.fileItems.length - shownDirs.length - shownFiles.length;
    return (
      <>
        {shownDirs.map(renderDir)}
        {shownFiles.map(renderFile)}
        {hidden > 0 && <li className="tree-more muted">and {hidden} more</li>}
      </>
    );
  };

  const renderDir = (dir: DirNode) => {
    const open = expanded.has(dir.path);
    return (
      <li key={`d:${dir.path}`} className="tree-dir">
        <div className="tree-row">
          <button
            type="button"
            className="tree-toggle"
            aria-expanded={open}
            aria-label={`${open ? 'Close' : 'Open'} folder ${dir.path}`}
            onClick={() => toggleOpen(dir.path)}
          >
            {open ? '▾' : '▸'}
          </button>
          {checkbox(dir.path, 'folder')}
          <span className="tree-name tree-name-dir">{dir.name}/</span>
          <span className="tree-meta">
            {dir.files} {dir.files === 1 ? 'file' : 'files'} · {formatBytes(dir.bytes)}
          </span>
        </div>
        {open && (dir.dirs.length > 0 || dir.fileItems.length > 0) && (
          <ul className="tree-children">{renderChildren(dir)}</ul>
        )}
      </li>
    );
  };

  const renderFile = (file: PreviewFile) => (
    <li key={`f:${file.path}`} className="tree-file">
      <div className="tree-row">
        <span className="tree-toggle-space" aria-hidden="true" />
        {checkbox(file.path, 'file')}
        <span className="tree-name">{nameOf(file.path)}</span>
        <span className="tree-meta">
          {file.type ? TYPE_LABELS[file.type] : formatBytes(file.size)}
          {!file.inThisBackup && <span className="badge badge-neutral tree-stored">in an earlier backup</span>}
        </span>
      </div>
    </li>
  );

  return (
    <ul className="tree" aria-label={label}>
      {renderChildren(root)}
      {root.dirs.length === 0 && root.fileItems.length === 0 && <li className="muted">This folder was empty.</li>}
    </ul>
  );
}
