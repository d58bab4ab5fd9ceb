import type { ReactNode } from 'react';
import { fileNameOf } from '../../../shared/format';

/**
 * One line, cut with an ellipsis, the whole text on hover (title) and on keyboard focus (the cell
 * can be tabbed to, and shows the full text while focused). For table cells that must not wrap.
 */
export function Trunc({ text, children, className }: { text: string; children?: ReactNode; className?: string }) {
  return (
    <span className={className ? `trunc ${className}` : 'trunc'} title={text} tabIndex={0}>
      {children ?? text}
    </span>
  );
}

/** A file's name, its full path on hover and focus. */
export function FileName({ path }: { path: string }) {
  return (
    <Trunc text={path} className="mono">
      {fileNameOf(path)}
    </Trunc>
  );
}
