/** Object keys of destinations: relative, `/`-separated, no `..`, no empty segment. */
import { AppError } from '../../../shared/errors';

/** Throws VALIDATION for a key that is absolute, empty, or climbs out of the destination's root. */
export function checkKey(key: string): string {
  if (key === '' || key.startsWith('/') || key.includes('\\') || key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new AppError('VALIDATION', { detail: `not a usable object key: ${JSON.stringify(key)}` });
  }
  return key;
}

/** `prefix` + `/` + `key`, without doubled or leading slashes. */
export function joinKey(prefix: string, key: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed ? `${trimmed}/${key}` : key;
}
