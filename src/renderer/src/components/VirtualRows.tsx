/**
 * Long tables render only the rows in view (History, Verify, the restore preview), so that
 * thousands of rows scroll smoothly and every one stays reachable. @tanstack/react-virtual:
 * headless (our own <table> markup, no inline CSS of its own beyond what we set), maintained,
 * ~4 kB; react-window and react-virtuoso bring their own list elements, which a <table> cannot hold.
 */
import { useVirtualizer, type VirtualItem } from '@tanstack/react-virtual';
import type { RefObject } from 'react';

export interface VirtualRows {
  items: VirtualItem[];
  /** height of the rows above and below the rendered ones (spacer rows) */
  before: number;
  after: number;
  measure(element: Element | null): void;
}

export function useVirtualRows(count: number, scrollRef: RefObject<HTMLElement | null>, estimate = 40): VirtualRows {
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => estimate,
    overscan: 12,
    // before the first layout (and in a hidden tab) show the first screenful rather than nothing
    initialRect: { width: 1000, height: 800 },
  });
  const items = virtualizer.getVirtualItems();
  const before = items[0]?.start ?? 0;
  const after = Math.max(0, virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0));
  return { items, before, after, measure: virtualizer.measureElement };
}

/**
 * A spacer row standing for the rows that are not rendered. One cell, not one spanning every
 * column: in a fixed-layout table whose columns hide by priority (display: none), a cell spanning
 * the hidden columns too would keep them as empty columns that take the visible ones' width.
 */
export function SpacerRow({ height }: { height: number }) {
  if (height <= 0) return null;
  return (
    <tr className="virtual-spacer" aria-hidden="true">
      <td style={{ height }} />
    </tr>
  );
}
