/** Human-readable sizes and durations for the terminal: the app's one formatter (src/shared/format.ts). */
export { formatBytes, formatDuration } from '../../shared/format';

/** Prints rows as aligned columns. */
export function printTable(out: (line: string) => void, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  out(line(header));
  for (const row of rows) out(line(row));
}
