/**
 * Sizes as people write them: "50MB", "1.5 GiB", "750k", "1000000". Pure: shared by the CLI
 * (`--cap 50MB`) and the plan editor. Decimal units (kB, MB, GB, TB) are powers of 1000, binary
 * ones (KiB, MiB, GiB, TiB) powers of 1024, as `df -H` and `df -h` read them.
 */

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** What parseByteSize says when it cannot read a size; names the forms it takes. */
export const SIZE_FORMS = 'a size such as 50MB, 1.5GB, 500MiB or a number of bytes';

/**
 * Reads a size, returning whole bytes, or null when `text` is not a size (empty, negative, an
 * unknown unit, not finite).
 */
export function parseByteSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return null;
  const unit = UNITS[match[2]!.toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** A byte count the way parseByteSize reads it back: the largest decimal unit that divides it, else bytes. */
export function formatByteSize(bytes: number): string {
  for (const [unit, factor] of [['TB', 1e12], ['GB', 1e9], ['MB', 1e6], ['kB', 1e3]] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  for (const [unit, factor] of [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}
