/**
 * How backup files and their zip entries are named: `<plan>-<stamp>-<type>.lifeboat` at the
 * destination, never replacing an earlier file, and entry names safe on every file system.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tempPathFor } from '../archive/writer';

/** `2026-11-24T02:00:05.123Z` -> `20261124-020005` */
export function fileStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** A plan name as it appears in file names: lower-case letters, digits and dashes, at most 40. */
export function planSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'plan';
}

/** Text made safe for a file or entry name: anything but letters, digits, `.`, `_`, `-` becomes `_`. */
export function safeName(text: string, max = 80): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, max) || 'x';
}

/**
 * `<stem>.lifeboat` at the destination, or `<stem>-2.lifeboat`, `-3`... when that name is taken:
 * names are stamped to the second, and the rename into place would silently replace an earlier
 * backup made in the same second.
 */
export async function unusedFinalPath(destination: string, stem: string): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = path.join(destination, `${stem}${n > 1 ? `-${n}` : ''}.lifeboat`);
    const taken = await Promise.all(
      [candidate, tempPathFor(candidate)].map((p) => fs.promises.lstat(p).then(() => true, () => false)),
    );
    if (!taken.includes(true)) return candidate;
  }
}
