/**
 * `--since` on the command line: an age (30m, 12h, 7d, 2w) counted back from now, `today` or
 * `yesterday` (local midnight), a date (2026-03-01: local midnight) or a date and time
 * (2026-03-01T10:00, local unless it names its offset). Returns the ISO instant the catalog's
 * times compare with.
 */
import { AppError } from '../../shared/errors';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

export function parseSince(text: string, now: Date): string {
  const value = text.trim();
  const age = /^(\d+)\s*([mhdw])$/i.exec(value);
  if (age) return new Date(now.getTime() - Number(age[1]) * UNIT_MS[age[2]!.toLowerCase()]!).toISOString();
  const lower = value.toLowerCase();
  if (lower === 'today' || lower === 'yesterday') {
    const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (lower === 'yesterday' ? 1 : 0));
    return midnight.toISOString();
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (date) {
    const local = new Date(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    if (local.getMonth() === Number(date[2]) - 1 && local.getDate() === Number(date[3])) return local.toISOString();
  } else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) {
    const parsed = new Date(value.replace(' ', 'T'));
    if (!Number.isNaN(parsed.getTime())) return parsed.toISOString();
  }
  throw new AppError('VALIDATION', {
    detail: `--since "${text}": give an age (30m, 12h, 7d, 2w), today, yesterday, a date (2026-03-01) or a date and time (2026-03-01T10:00)`,
  });
}
