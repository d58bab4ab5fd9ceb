import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
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

/** One line of the tree as shown: a folder or a file, at its depth below the top, its place among its siblings (1-based) and their number. */
type TreeLine = ({ kind: 'dir'; dir: DirNode } | { kind: 'file'; file: PreviewFile }) & { depth: number; pos: number; size: number };

/** The lines of the open part of the tree, in order: each folder followed by its content when open. */
export function visibleLines(root: DirNode, expanded: ReadonlySet<string>): TreeLine[] {
  const lines: TreeLine[] = [];
  const walk = (dir: DirNode, depth: number) => {
    const size = dir.dirs.length + dir.fileItems.length;
    let pos = 0;
    for (const child of dir.dirs) {
      lines.push({ kind: 'dir', dir: child, depth, pos: ++pos, size });
      if (expanded.has(child.path)) walk(child, depth + 1);
    }
    for (const file of dir.fileItems) lines.push({ kind: 'file', file, depth, pos: ++pos, size });
  };
  walk(root, 0);
  return lines;
}

/** Rendered lines beyond the ones in view, above and below: scrolling stays smooth. */
const OVERSCAN = 20;
/** Indentation per level, px */
const INDENT = 21;

/**
 * A folder of a backup as a tree with file counts and sizes; folders open on demand. With a
 * selection, each folder and file gets a checkbox: a checked folder selects everything below it
 * (the restore request names just the folder).
 *
 * The open part of the tree is one flat, virtualized list (@tanstack/react-virtual): a folder of
 * 20,000 files renders the few dozen lines in view, and every file stays reachable (scroll) and
 * selectable. It scrolls inside the nearest `.tree-scroll` box around it (or its own box).
 */
export function FolderTree({ folder, selection, label }: { folder: PreviewFolder; selection?: TreeSelection; label: string }) {
  const root = useMemo(() => buildTree(folder), [folder]);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set(['', ...root.dirs.map((d) => d.path)]));
  const lines = useMemo(() => visibleLines(root, expanded), [root, expanded]);
  const listRef = useRef<HTMLUListElement>(null);
  const [scroller, setScroller] = useState<{ element: HTMLElement; listTop: number } | null>(null);
  useLayoutEffect(() => {
    const list = listRef.current;
    const element = list?.closest<HTMLElement>('.tree-scroll') ?? list?.parentElement ?? null;
    if (!list || !element) return;
    // where the list starts inside its scroll box (the box may hold more than the list)
    const listTop = list.getBoundingClientRect().top - element.getBoundingClientRect().top + element.scrollTop;
    setScroller({ element, listTop });
  }, []);
  const virtualizer = useVirtualizer({
    count: lines.length,
    getScrollElement: () => scroller?.element ?? null,
    estimateSize: () => 24,
    overscan: OVERSCAN,
    scrollMargin: scroller?.listTop ?? 0,
    initialRect: { width: 600, height: 360 },
  });
  const items = virtualizer.getVirtualItems();
  const margin = virtualizer.options.scrollMargin;
  const before = Math.max(0, (items[0]?.start ?? margin) - margin);
  const after = Math.max(0, virtualizer.getTotalSize() - ((items.at(-1)?.end ?? margin) - margin));

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

  const renderDir = (dir: DirNode) => {
    const open = expanded.has(dir.path);
    return (
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
    );
  };

  const renderFile = (file: PreviewFile) => (
    <div className="tree-row">
      <span className="tree-toggle-space" aria-hidden="true" />
      {checkbox(file.path, 'file')}
      <span className="tree-name">{nameOf(file.path)}</span>
      <span className="tree-meta">
        {file.type ? TYPE_LABELS[file.type] : formatBytes(file.size)}
        {!file.inThisBackup && <span className="badge badge-neutral tree-stored">in an earlier backup</span>}
      </span>
    </div>
  );

  return (
    <ul className="tree tree-flat" aria-label={label} ref={listRef}>
      {before > 0 && <li className="tree-spacer" aria-hidden="true" style={{ height: before }} />}
      {items.map((item) => {
        const line = lines[item.index]!;
        return (
          <li
            key={line.kind === 'dir' ? `d:${line.dir.path}` : `f:${line.file.path}`}
            ref={virtualizer.measureElement}
            data-index={item.index}
            className={line.kind === 'dir' ? 'tree-dir' : 'tree-file'}
            // the nesting and the siblings a flat, partly rendered list no longer tells by itself
            aria-level={line.depth + 1}
            aria-posinset={line.pos}
            aria-setsize={line.size}
            style={{ paddingLeft: line.depth * INDENT }}
          >
            {line.kind === 'dir' ? renderDir(line.dir) : renderFile(line.file)}
          </li>
        );
      })}
      {after > 0 && <li className="tree-spacer" aria-hidden="true" style={{ height: after }} />}
      {lines.length === 0 && <li className="muted">This folder was empty.</li>}
    </ul>
  );
}
