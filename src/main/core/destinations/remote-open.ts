/**
 * Where a backup is read from, by the string that names it: a local path, or an s3://, azure://
 * or sftp:// URL (destinations/url.ts). Restore, verify, preview, inspect and import keep passing
 * strings; what touches the file goes through here, so a URL works wherever a path does.
 *
 * A URL needs credentials, which only the caller knows (the command line from its environment,
 * the app from its keychain): it installs a process-wide RemoteOpener (setRemoteOpener). Without
 * one, a URL is refused with VALIDATION.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DestinationConfig } from '../../../shared/destination';
import { destinationUrl } from '../../../shared/destination';
import { AppError } from '../../../shared/errors';
import { openDestinationFile, openLocalFile, type DestinationFile, type RandomAccessFile } from '../archive/random-access';
import type { Destination } from './destination';
import { isDestinationUrl, parseBackupUrl, parseDestinationUrl } from './url';

/** An object found at a remote prefix. */
export interface RemoteObject {
  /** its full URL */
  url: string;
  /** its key below the prefix */
  key: string;
  size: number;
  modifiedAt: Date | null;
}

/** Opens remote backups and lists remote prefixes; installed by whoever has the credentials. */
export interface RemoteOpener {
  /** Opens the object a backup URL names (NOT_FOUND when there is none); `size` when known saves a request. */
  open(url: string, known?: { size: number }): Promise<RandomAccessFile>;
  /** The objects below a prefix URL, any depth, sorted by key. */
  list(prefixUrl: string): Promise<RemoteObject[]>;
}

let remoteOpener: RemoteOpener | null = null;

/** Installs (or, with null, removes) the opener every URL of this process is read through. */
export function setRemoteOpener(opener: RemoteOpener | null): void {
  remoteOpener = opener;
}

/** The opener installed now, or null (the app's plan copy opener chains to it: destinations/copy-locations.ts). */
export function currentRemoteOpener(): RemoteOpener | null {
  return remoteOpener;
}

function opener(url: string): RemoteOpener {
  if (!remoteOpener) {
    throw new AppError('VALIDATION', {
      detail: `${url} is on a remote destination, which needs its credentials: read it with the lifeboat command (credentials from the environment), or through a plan's destination`,
    });
  }
  return remoteOpener;
}

/** Whether `location` is a URL (s3://, azure://, sftp://) rather than a local path. */
export const isRemoteLocation = isDestinationUrl;

/** A location as the catalog and messages keep it: a URL as it is, a path made absolute. */
export function resolveBackupLocation(location: string): string {
  return isDestinationUrl(location) ? location : path.resolve(location);
}

/** The name of a backup at `location` (its file or object name). */
export function backupNameOf(location: string): string {
  return isDestinationUrl(location) ? location.slice(location.lastIndexOf('/') + 1) : path.basename(location);
}

/** The folder or prefix a backup lies in (where the rest of its chain usually is). */
export function backupFolderOf(location: string): string {
  if (!isDestinationUrl(location)) return path.dirname(path.resolve(location));
  const { config } = parseBackupUrl(location);
  return destinationUrl(config);
}

/**
 * Opens a backup for random access: a local path directly (fs errors as they are), a URL through
 * the installed RemoteOpener (NOT_FOUND, DEST_*, HOST_KEY_*; VALIDATION without an opener or for
 * a URL that is not a backup's).
 */
export async function openBackupFile(location: string): Promise<RandomAccessFile> {
  if (!isDestinationUrl(location)) return openLocalFile(location);
  parseBackupUrl(location);
  return opener(location).open(location);
}

/** The size of the backup at `location`; throws as openBackupFile (a missing local file: its fs error). */
export async function backupFileSize(location: string): Promise<number> {
  if (!isDestinationUrl(location)) return (await fs.promises.stat(location)).size;
  const file = await openBackupFile(location);
  await file.close();
  return file.size;
}

/** The `.lifeboat` files directly in a folder or at a prefix (not below it), sorted by name. */
export async function listBackupFiles(folder: string): Promise<{ location: string; size: number; modifiedAt: Date | null }[]> {
  if (!isDestinationUrl(folder)) {
    const dir = path.resolve(folder);
    const out: { location: string; size: number; modifiedAt: Date | null }[] = [];
    for (const name of (await fs.promises.readdir(dir)).filter((n) => n.endsWith('.lifeboat')).sort()) {
      const stat = await fs.promises.stat(path.join(dir, name)).catch(() => null);
      if (stat?.isFile()) out.push({ location: path.join(dir, name), size: stat.size, modifiedAt: stat.mtime });
    }
    return out;
  }
  const objects = await listRemoteBackups(folder);
  return objects.filter((o) => !o.key.includes('/')).map((o) => ({ location: o.url, size: o.size, modifiedAt: o.modifiedAt }));
}

/** The `.lifeboat` objects below a prefix URL, any depth, with their full URLs. */
export async function listRemoteBackups(prefixUrl: string): Promise<RemoteObject[]> {
  const { key } = parseDestinationUrl(prefixUrl);
  if (key !== null) throw new AppError('VALIDATION', { detail: `${prefixUrl} names one backup, not a folder of backups: give the URL of its folder` });
  return (await opener(prefixUrl).list(prefixUrl)).filter((o) => o.key.endsWith('.lifeboat'));
}

/** Opens a backup whose size a listing gave (remote: no extra request for it). */
export async function openListedBackup(location: string, size: number): Promise<RandomAccessFile> {
  if (!isDestinationUrl(location)) return openLocalFile(location);
  return opener(location).open(location, { size });
}

/** The whole-file SHA-256 of a backup, read in order (a remote one with read-ahead). */
export async function hashBackupFile(location: string, signal?: AbortSignal): Promise<string> {
  const file = await openBackupFile(location);
  try {
    const hash = crypto.createHash('sha256');
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    for (let position = 0; position < file.size; ) {
      if (signal?.aborted) throw signal.reason;
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    return hash.digest('hex');
  } finally {
    await file.close();
  }
}

/** A RemoteOpener that can be closed (its destinations' connections) and counts what it fetched. */
export interface DestinationOpener extends RemoteOpener {
  /** bytes fetched by every file it opened so far (ranged reads; listings not counted) */
  readonly bytesFetched: number;
  /** ranged requests made by every file it opened so far */
  readonly requests: number;
  /** Closes every destination it opened. */
  close(): Promise<void>;
}

/**
 * A RemoteOpener over Destinations: `connect` turns the config a URL parses into (its folder or
 * prefix) into an open Destination, with credentials. Destinations are kept open per root, so a
 * command that opens the same backup several times (header, manifest, restore) connects once.
 */
export function makeDestinationOpener(connect: (config: DestinationConfig) => Promise<Destination>): DestinationOpener {
  const destinations = new Map<string, Promise<Destination>>();
  const files: DestinationFile[] = [];
  let closedBytes = 0;
  let closedRequests = 0;
  const destinationFor = (config: DestinationConfig): Promise<Destination> => {
    const root = destinationUrl(config);
    let destination = destinations.get(root);
    if (!destination) {
      destination = connect(config);
      destinations.set(root, destination);
      // a failed connection is not kept: the next open tries again
      destination.catch(() => destinations.delete(root));
    }
    return destination;
  };
  return {
    get bytesFetched() {
      return closedBytes + files.reduce((sum, f) => sum + f.bytesFetched, 0);
    },
    get requests() {
      return closedRequests + files.reduce((sum, f) => sum + f.requests, 0);
    },
    async open(url, known) {
      const { config, key } = parseBackupUrl(url);
      const destination = await destinationFor(config);
      const file = await openDestinationFile(destination, key, known ? { size: known.size } : {});
      files.push(file);
      return {
        size: file.size,
        read: (buffer, offset, length, position) => file.read(buffer, offset, length, position),
        close: async () => {
          const at = files.indexOf(file);
          if (at >= 0) {
            files.splice(at, 1);
            closedBytes += file.bytesFetched;
            closedRequests += file.requests;
          }
          await file.close();
        },
      };
    },
    async list(prefixUrl) {
      const { config } = parseDestinationUrl(prefixUrl);
      const destination = await destinationFor(config);
      return (await destination.list()).map((o) => ({ url: destination.urlOf(o.key), key: o.key, size: o.size, modifiedAt: o.modifiedAt }));
    },
    async close() {
      const all = [...destinations.values()];
      destinations.clear();
      for (const destination of all) {
        await destination.then((d) => d.close()).catch(() => undefined);
      }
    },
  };
}
