/**
 * The Destination port: where a finished backup file is kept besides its primary folder (and,
 * for the command line, where it may be written and read directly). Four implementations:
 * local folder (local.ts), S3-compatible object storage (s3.ts), Azure Blob Storage (azure.ts)
 * and SFTP (sftp.ts); `openDestination` (open.ts) picks one from a DestinationConfig.
 *
 * Keys are relative to the destination's root (bucket + prefix, container + prefix, remote
 * folder), `/`-separated, never starting with `/` and never holding `..`.
 *
 * Every method throws AppError with one of DEST_UNREACHABLE (also for a stalled connection, after
 * the timeout), DEST_AUTH_FAILED, DEST_MISSING (bucket, container or folder), DEST_FULL,
 * HOST_KEY_UNKNOWN / HOST_KEY_CHANGED (SFTP), NOT_FOUND (no such object), CANCELLED (the signal)
 * or DEST_FAILED; a `detail` names the destination by its URL and never holds a secret.
 */
import type { Readable } from 'node:stream';
import type { DestinationKind } from '../../../shared/destination';

/** how long a request may stall (no byte moving) before it fails with DEST_UNREACHABLE, unless OpenDestinationOptions.timeoutMs says otherwise */
export const DEFAULT_DESTINATION_TIMEOUT_MS = 30_000;

export interface ObjectInfo {
  key: string;
  size: number;
  modifiedAt: Date | null;
}

export interface WriteOptions {
  /** the stream's length when known (lets S3 and Azure plan the parts; checked at the end) */
  size?: number;
  /**
   * the length expected when the exact one is not known yet (a backup still being written, e.g.
   * twice the plan's previous backup): S3 sizes its parts from it, as its uploads hold at most
   * 10,000 parts
   */
  sizeHint?: number;
  /** hex SHA-256 of the whole stream when known in advance; the server checks it where it can (x-amz-checksum-sha256) */
  sha256?: string;
  signal?: AbortSignal;
  /** bytes sent so far, for the job's progress */
  onProgress?: (sentBytes: number) => void;
}

export interface WriteResult {
  size: number;
  /** hex SHA-256 of the bytes that were sent, computed on the way */
  sha256: string;
}

export interface Destination {
  readonly kind: DestinationKind;
  /** the root's URL (shared/destination.ts destinationUrl): for messages and the catalog, never a secret */
  readonly url: string;
  /** the full URL of one object (`${url}/${key}`) */
  urlOf(key: string): string;
  /**
   * Writes `source` to `key` atomically: nothing is visible at `key` until the last byte was
   * sent and the upload committed (S3 multipart completed, Azure block list committed, SFTP
   * `<key>.part` renamed, local `<key>.part` renamed); on any failure or abort the partial upload
   * is aborted/removed and the error thrown. An existing object at `key` is replaced.
   */
  write(key: string, source: Readable, options?: WriteOptions): Promise<WriteResult>;
  /** The objects whose key starts with `prefix` (all of them when absent), any depth. */
  list(prefix?: string): Promise<ObjectInfo[]>;
  /** The object's size and time, or null when there is none at `key`. */
  stat(key: string): Promise<ObjectInfo | null>;
  /** Reads `length` bytes at `start` (fewer at the end of the object); NOT_FOUND when there is no object. */
  read(key: string, start: number, length: number, signal?: AbortSignal): Promise<Buffer>;
  /** Streams bytes [start, end) of the object (the whole object by default). */
  readStream(key: string, start?: number, end?: number, signal?: AbortSignal): Readable;
  /** Deletes the object; no error when there is none. */
  delete(key: string): Promise<void>;
  /** Ends the connection (SFTP) or frees the client. */
  close(): Promise<void>;
}

/** How to open a destination: its secret and connection settings (open.ts openDestination). */
export interface OpenDestinationOptions {
  /**
   * The destination's secret: the S3 secret access key (credentials 'keychain'), the Azure
   * account key or SAS token, the SFTP password or private key passphrase. Never logged.
   */
  secret?: string | null;
  /** how long a request may stall (no byte moving) before it fails with DEST_UNREACHABLE; default 30 s */
  timeoutMs?: number;
  /** SFTP: a fingerprint (SHA256:...) the user accepted for a host with no pinned key */
  acceptHostKey?: string;
  /** SFTP: a known_hosts file to check host keys against when the config pins none (the command line's) */
  knownHostsFile?: string;
  /** SFTP: the private key file when the config names none (the command line's --ssh-key) */
  privateKeyFile?: string;
  /** SFTP: use the ssh agent at this socket when no key file or password is given (the command line's SSH_AUTH_SOCK) */
  agentSocket?: string;
}
