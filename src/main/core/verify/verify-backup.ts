/**
 * Verification of one .lifeboat file, layer by layer: the file is there, its whole-file SHA-256
 * matches the catalog, every chunk decrypts and authenticates, the zip structure reads, every
 * entry matches the size and SHA-256 in the manifest, every database dump is readable by
 * `pg_restore --list`, and the manifest is consistent with itself and the header. The file is
 * read once, in order: the entries are checked from the plaintext of the chunks as they are
 * authenticated (only the zip directory and the manifest, at the end, are read ahead of that).
 */
import crypto from 'node:crypto';
import type { Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import type yauzl from 'yauzl';
import { AppError, toTransferable } from '../../../shared/errors';
import type { BackupManifest, ManifestEntry, ManifestFolderSource } from '../../../shared/manifest';
import { MANIFEST_ENTRY } from '../../../shared/manifest';
import { decompressAtOnce, decompressorFor } from '../archive/codecs';
import { EntryRouter, structureError, type EntrySink } from '../archive/entry-ranges';
import { BackupReader } from '../archive/reader';
import { backupFileSize, hashBackupFile } from '../destinations/remote-open';
import { METHOD_DEFLATE, METHOD_STORE, METHOD_ZSTD } from '../archive/zip-writer';
import { findPgTool } from '../postgres/tools';
import { folderFiles } from '../restore/backup-index';
import { streamFolderItems } from '../restore/folder-items';
import { UnrestorableCheck, unrestorableItems, type UnrestorableItem } from '../restore/safe-paths';
import { spawnPgRestoreList } from '../postgres/restore';

export type VerifyStatus = 'passed' | 'warnings' | 'failed';

export interface VerifyReport {
  status: VerifyStatus;
  /** what failed (status failed) or what deserves a look (warnings) */
  reasons: string[];
  /** what was checked and passed */
  checks: string[];
  manifest: BackupManifest | null;
  /** the error code of the first failure, for the CLI's exit and the UI's message */
  errorCode: string | null;
  fileSha256: string | null;
  /** whether the file is encrypted (and so authenticated); null when it did not open */
  encrypted: boolean | null;
}

export interface VerifyOptions {
  /** SHA-256 the catalog recorded when the file was written */
  expectedSha256?: string | null;
  /** the file must be encrypted (a passphrase was given, or the catalog knows it as encrypted) */
  expectEncrypted?: boolean;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  onProgress?: (done: number, total: number, item: string) => void;
}

/**
 * Starts `pg_restore --list` reading a dump from its stdin; `done` resolves with the number of
 * items in the dump's table of contents.
 */
function startPgRestoreList(pgRestorePath: string, env: NodeJS.ProcessEnv, signal?: AbortSignal) {
  const lister = spawnPgRestoreList(pgRestorePath, env, signal, false);
  const done = lister.done.then(({ stdout }) => stdout.split('\n').filter((l) => l && !l.startsWith(';')).length);
  done.catch(() => undefined);
  return { feed: lister.feed, end: lister.end, done };
}

type PgRestoreList = ReturnType<typeof startPgRestoreList>;

/**
 * A deflated entry up to this size (compressed, and uncompressed as the zip directory says) is
 * inflated in one call at its end: a zlib stream per small file costs more in thread-pool round
 * trips than the inflating itself, and folders often hold thousands of small files.
 */
const INFLATE_AT_ONCE_COMPRESSED = 1024 * 1024;
const INFLATE_AT_ONCE_UNCOMPRESSED = 16 * 1024 * 1024;

/** An entry was routed to a check (the pass reached it). */
const ROUTED = 1;
/** All of it was read: its size and SHA-256 are known. */
const READ = 2;
/** The manifest (or a folder's index) lists it. */
const LISTED = 4;

/**
 * What the pass found of every entry, by its number in the zip's directory (ZipDirectory
 * indexOf), kept until the report: its size, its SHA-256 and the flags above in typed arrays
 * (about 41 bytes an entry; a verify of a million files holds them all), and for a dump the
 * number of items pg_restore --list found.
 */
class EntryResults {
  readonly bytes: Float64Array;
  private readonly sha256s: Buffer;
  readonly flags: Uint8Array;
  readonly listings = new Map<number, Promise<number>>();

  constructor(entries: number) {
    this.bytes = new Float64Array(entries);
    this.sha256s = Buffer.alloc(entries * 32);
    this.flags = new Uint8Array(entries);
  }

  read(index: number, bytes: number, sha256: Buffer): void {
    this.bytes[index] = bytes;
    sha256.copy(this.sha256s, index * 32);
    this.flags[index]! |= READ;
  }

  /** Whether entry `index` was read whole with `size` bytes and this SHA-256 (hex). */
  matches(index: number, size: number, sha256: string): boolean {
    return (this.flags[index]! & READ) !== 0 && this.bytes[index] === size && this.sha256s.toString('hex', index * 32, index * 32 + 32) === sha256;
  }
}

/**
 * One entry's check during the pass: its uncompressed bytes counted and hashed and, for a
 * database dump, fed to `pg_restore --list` until pg_restore has read the table of contents and
 * exited (it needs no more of the dump).
 */
class EntryCheck implements EntrySink {
  private readonly hash = crypto.createHash('sha256');
  private bytes = 0;
  /** a small compressed entry (deflate or zstd): its compressed bytes, decompressed at the end */
  private deflated: Buffer[] | null = null;
  /** a large compressed entry (or a compressed dump): decompressed as it comes */
  private inflate: Transform | null = null;
  private readonly inflateFailed: Promise<never> | null = null;
  private listerOpen: boolean;

  /** what is kept of the check once it is done goes to `results` at `index` (the check itself, its hash and buffers, is not kept) */
  constructor(
    private readonly entry: yauzl.Entry,
    private readonly lister: PgRestoreList | null,
    private readonly results: EntryResults,
    private readonly index: number,
  ) {
    results.flags[index]! |= ROUTED;
    if (lister) results.listings.set(index, lister.done);
    this.listerOpen = lister !== null;
    const closed = () => (this.listerOpen = false);
    lister?.done.then(closed, closed);
    if (entry.compressionMethod === 0) return;
    if (!lister && entry.compressedSize <= INFLATE_AT_ONCE_COMPRESSED && entry.uncompressedSize <= INFLATE_AT_ONCE_UNCOMPRESSED) {
      this.deflated = [];
    } else {
      const inflate = decompressorFor(entry.compressionMethod)!;
      this.inflate = inflate;
      this.inflateFailed = new Promise<never>((_, reject) =>
        inflate.on('error', (error) => reject(structureError(`${entry.fileName} does not inflate: ${error.message}`))),
      );
      this.inflateFailed.catch(() => undefined);
      inflate.on('data', (out: Buffer) => {
        this.take(out);
        if (!this.listerOpen) return;
        inflate.pause();
        void this.lister!.feed(out).then(() => inflate.resume());
      });
    }
  }

  async write(data: Buffer): Promise<void> {
    if (this.deflated) {
      this.deflated.push(Buffer.from(data));
      return;
    }
    if (this.inflate) {
      const inflate = this.inflate;
      // zlib works on the input after write() returns, and `data` is only lent to us: a copy
      const consumed = new Promise<void>((resolve) => inflate.write(Buffer.from(data), () => resolve()));
      await Promise.race([consumed, this.inflateFailed!]);
      return;
    }
    this.take(data);
    // the pipe may hold on to what it is given: a copy (only the first few chunks, up to the TOC)
    if (this.listerOpen) await this.lister!.feed(Buffer.from(data));
  }

  async end(): Promise<void> {
    try {
      if (this.deflated) {
        const compressed = Buffer.concat(this.deflated);
        // every entry's check stays in the map until the report: it must not keep the entry's data
        this.deflated = null;
        this.take(this.inflateAtOnce(compressed));
      } else if (this.inflate) {
        this.inflate.end();
        await Promise.race([finished(this.inflate), this.inflateFailed!]);
        this.inflate = null;
      }
    } finally {
      await this.endLister();
    }
    this.results.read(this.index, this.bytes, this.hash.digest());
    // what yauzl's validateEntrySizes checked when entries were read through it
    if (this.bytes !== this.entry.uncompressedSize) {
      throw structureError(`${this.entry.fileName} holds ${this.bytes} bytes, the zip directory says ${this.entry.uncompressedSize}`);
    }
  }

  async destroy(): Promise<void> {
    this.inflate?.destroy();
    await this.endLister();
  }

  private inflateAtOnce(compressed: Buffer): Buffer {
    try {
      // one byte more than the directory says is enough to tell it was wrong (checked in end())
      return decompressAtOnce(this.entry.compressionMethod, compressed, this.entry.uncompressedSize + 1);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw structureError(`${this.entry.fileName} holds more than the ${this.entry.uncompressedSize} bytes the zip directory says`);
      }
      throw structureError(`${this.entry.fileName} does not inflate: ${(error as Error).message}`);
    }
  }

  private take(data: Buffer): void {
    this.hash.update(data);
    this.bytes += data.length;
  }

  /** Ends pg_restore's input and waits for it to exit, so that one runs at a time. */
  private async endLister(): Promise<void> {
    if (!this.lister) return;
    this.lister.end();
    await this.lister.done.catch(() => undefined);
  }
}

/**
 * Verifies a backup file. Never throws for a bad file: the report says failed, with reasons.
 * Throws only for cancellation.
 */
export async function verifyBackupFile(
  filePath: string,
  passphrase: string | null,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const reasons: string[] = [];
  const warnings: string[] = [];
  const checks: string[] = [];
  let errorCode: string | null = null;
  let manifest: BackupManifest | null = null;
  let fileSha256: string | null = null;
  let encrypted: boolean | null = null;
  const fail = (code: string, reason: string) => {
    errorCode ??= code;
    reasons.push(reason);
  };
  const report = (): VerifyReport => ({
    status: reasons.length ? 'failed' : warnings.length ? 'warnings' : 'passed',
    reasons: reasons.length ? [...reasons, ...warnings] : warnings,
    checks,
    manifest,
    errorCode,
    fileSha256,
    encrypted,
  });

  try {
    await backupFileSize(filePath);
    checks.push('file present');
  } catch (error) {
    // a remote file: its destination's own error (unreachable, refused credentials, ...) when it is not simply missing
    if (error instanceof AppError && error.code !== 'NOT_FOUND') fail(error.code, error.message);
    else fail('NOT_FOUND', `The file is missing: ${filePath}`);
    return report();
  }

  // 1. the container opens (header, trailer, passphrase) and the zip's central directory reads
  let reader: BackupReader;
  try {
    reader = await BackupReader.open(filePath, passphrase);
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    const t = toTransferable(error);
    fail(t.code, t.message);
    // still report the whole-file hash of what is there, for comparison with the catalog
    fileSha256 = await hashBackupFile(filePath, options.signal).catch(() => null);
    return report();
  }
  encrypted = reader.container.header.encryption !== null;
  if (!encrypted && (options.expectEncrypted || passphrase)) {
    await reader.close();
    fail('BACKUP_NOT_ENCRYPTED', new AppError('BACKUP_NOT_ENCRYPTED').message);
    fileSha256 = await hashBackupFile(filePath, options.signal).catch(() => null);
    return report();
  }
  checks.push(
    encrypted
      ? 'encrypted: every chunk is authenticated with a key only the passphrase gives'
      : 'not encrypted: the chunk checks find damage, but not a deliberate edit (only the catalog\'s SHA-256 can tell)',
  );
  const env = options.env ?? process.env;
  const total = Math.max(1, reader.container.size);
  let done = 0;
  const progress = (n: number, item: string) => {
    done += n;
    options.onProgress?.(done, total, item);
  };

  // 2. the manifest says which entries the pass checks and which are dumps. If it does not read,
  // the pass still runs: a chunk that fails authentication is the better reason to give. A
  // folder's index (format 3) is read after the pass, as a stream: its items are never all in
  // memory (a million files' records took 2.4 GB)
  let read: BackupManifest | null = null;
  let manifestError: unknown = null;
  try {
    read = await reader.readManifest({ items: false });
  } catch (error) {
    manifestError = error;
  }
  const indexed = (read?.sources ?? []).filter((s): s is ManifestFolderSource => s.kind === 'folder' && Boolean(s.index));
  const dumpEntries = new Map<string, string>();
  for (const source of read?.sources ?? []) {
    if (source.kind === 'database' && source.status === 'success' && source.entry) dumpEntries.set(source.entry, source.label);
  }
  let pgRestore: string | null = null;
  let pgRestoreMissing = false;
  if (dumpEntries.size > 0) {
    try {
      pgRestore = await findPgTool('pg_restore', env);
    } catch {
      pgRestoreMissing = true;
    }
  }

  // 3. one sequential pass: the whole-file SHA-256, every chunk decrypts and authenticates, and
  // every entry the manifest lists is hashed from the same plaintext (dumps also go to pg_restore)
  const results = new EntryResults(reader.entries.size);
  // the entries the manifest lists, and those an index may list (every entry under its folder's
  // prefix), by their numbers in the zip directory: no object or name per entry is kept
  const directory = reader.entries;
  const listedNames = new Set(read?.entries.map((e) => e.name));
  const toCheck = new Uint32Array(directory.size);
  let checking = 0;
  for (let index = 0; index < directory.size; index++) {
    const name = directory.nameAt(index);
    if (listedNames.has(name) || indexed.some((s) => name.startsWith(s.entryPrefix))) toCheck[checking++] = index;
  }
  listedNames.clear();
  const router = new EntryRouter(
    {
      count: checking,
      offset: (i) => directory.offsetAt(toCheck[i]!),
      location: (i) => {
        const index = toCheck[i]!;
        return { name: directory.nameAt(index), localHeaderOffset: directory.offsetAt(index), compressedSize: directory.compressedSizeAt(index), key: index };
      },
    },
    reader.container.size,
    (location) => {
      const entry = directory.get(location.name)!;
      if (entry.isEncrypted()) throw structureError(`${entry.fileName} is encrypted`);
      if (entry.compressionMethod !== METHOD_STORE && entry.compressionMethod !== METHOD_DEFLATE && entry.compressionMethod !== METHOD_ZSTD) {
        throw structureError(`unsupported compression method: ${entry.compressionMethod}`);
      }
      const lister = pgRestore && dumpEntries.has(location.name) ? startPgRestoreList(pgRestore, env, options.signal) : null;
      return new EntryCheck(entry, lister, results, location.key!);
    },
  );
  // the reader stays open until the folder indexes are read (step 6)
  try {
    await pass();
    return await checkManifest();
  } finally {
    await reader.close();
  }

  /** Step 3: the pass over the whole file. */
  async function pass(): Promise<void> {
    try {
      fileSha256 = await reader.container.scan({
        signal: options.signal,
        onChunk: (n) => progress(n, router.current ?? 'authenticating chunks'),
        onPlain: (plain, offset) => router.push(plain, offset),
      });
      await router.finish();
      if (options.signal?.aborted) throw options.signal.reason;
      checks.push(`${reader.container.chunkCount} chunks decrypt and authenticate`);
      checks.push('archive structure reads');
    } catch (error) {
      await router.abort();
      if (options.signal?.aborted) throw options.signal.reason;
      const t = toTransferable(error);
      fail(t.code, t.message);
      fileSha256 = await hashBackupFile(filePath, options.signal).catch(() => null);
    }
  }

  /** Steps 4 to 7, once the pass is done (the reader still open: the folder indexes are read from it). */
  async function checkManifest(): Promise<VerifyReport> {
    if (options.expectedSha256 && fileSha256 && options.expectedSha256 !== fileSha256) {
      fail('CHECKSUM_MISMATCH', 'The whole-file SHA-256 differs from the one the catalog recorded when the backup was written: it is not that file (replaced or damaged).');
    } else if (options.expectedSha256 && fileSha256) {
      checks.push('whole-file SHA-256 matches the catalog');
    }
    if (reasons.length) return report();

    // 4. the manifest
    if (!read) {
      const t = toTransferable(manifestError);
      fail(t.code, t.message);
      return report();
    }
    manifest = read;
    if (manifest.backupId !== reader.container.header.backupId) {
      fail('FILE_CORRUPT', 'The manifest belongs to another backup than the file header names.');
    }
    if (pgRestoreMissing) {
      warnings.push('pg_restore was not found, so the dumps were not checked with pg_restore --list. Install the PostgreSQL client tools.');
    }

    // 5. each entry against the manifest (and a folder index's files, as it streams by in step 6);
    // 7. what pg_restore --list said of each dump
    const listedElse = new Set<string>();
    const isListed = (name: string) => {
      const index = reader.entries.indexOf(name);
      return index !== -1 ? (results.flags[index]! & LISTED) !== 0 : listedElse.has(name);
    };
    let badEntries = 0;
    let entriesChecked = 0;
    // a promise only for a dump (pg_restore's listing is awaited): not one per file of a large folder
    const checkEntry = (entry: ManifestEntry): Promise<void> | undefined => {
      entriesChecked++;
      const index = reader.entries.indexOf(entry.name);
      if (index === -1) {
        listedElse.add(entry.name);
        fail('FILE_CORRUPT', `Entry ${entry.name} is in the manifest but not in the archive.`);
        badEntries++;
        return;
      }
      results.flags[index]! |= LISTED;
      const failure = router.failures.get(entry.name);
      if ((results.flags[index]! & ROUTED) === 0 || failure !== undefined) {
        const t = toTransferable(failure ?? structureError(`${entry.name} was not read`));
        fail(t.code, `Entry ${entry.name}: ${t.message}`);
        badEntries++;
        return;
      }
      const dumpLabel = dumpEntries.get(entry.name);
      const listing = results.listings.get(index);
      if (!results.matches(index, entry.size, entry.sha256)) {
        fail('FILE_CORRUPT', `Entry ${entry.name} does not match its size and SHA-256 in the manifest.`);
        badEntries++;
      } else if (listing) {
        return listing.then(
          (items) => void checks.push(`dump of ${dumpLabel} readable by pg_restore (${items} items)`),
          (error: unknown) => {
            if (options.signal?.aborted) throw options.signal.reason;
            fail('FILE_CORRUPT', `The dump of ${dumpLabel} is not readable by pg_restore: ${(error as Error).message}`);
          },
        );
      }
      return undefined;
    };
    for (const entry of manifest.entries) await checkEntry(entry);

    // 6. every folder file could be restored: the same rule restore applies before writing (a
    // folder's index read as a stream, its files checked against their entries on the way)
    const indexedFiles = new Map<string, number>();
    const unrestorable: string[] = [];
    for (const source of manifest.sources) {
      // (read even when enough problems are named: its files are still checked against their entries)
      if (source.kind !== 'folder' || !source.index) continue;
      const check = new UnrestorableCheck();
      const pending: Promise<void>[] = [];
      try {
        let files = 0;
        // nothing kept: every item checked by the restore's rule, every stored file against its entry
        const checked = manifest;
        await streamFolderItems(checked, source, () => reader.folderIndexBatches(checked, source), check, () => false, (entry) => {
          files++;
          const dumpListing = checkEntry(entry);
          if (dumpListing) pending.push(dumpListing);
        });
        indexedFiles.set(source.id, files);
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        const t = toTransferable(error);
        if (t.code === 'UNSAFE_PATH') unrestorable.push(t.message);
        else fail(t.code, t.message);
      }
      await Promise.all(pending);
      for (const { path: p, reason } of check.problems()) {
        if (unrestorable.length >= MAX_UNRESTORABLE) break;
        unrestorable.push(cannotRestore(source.label, { path: p, reason }));
      }
    }
    if (badEntries === 0) checks.push(`${entriesChecked} entries match their SHA-256`);
    for (let index = 0; index < reader.entries.size; index++) {
      if (results.flags[index]! & LISTED) continue;
      const name = reader.entries.nameAt(index);
      if (name !== MANIFEST_ENTRY) warnings.push(`Entry ${name} is not in the manifest (left by a source that failed during the backup).`);
    }
    for (const problem of [...unrestorable, ...unrestorableFiles(manifest, reader, MAX_UNRESTORABLE - unrestorable.length)]) fail('UNSAFE_PATH', problem);

    // 7. manifest consistency
    for (const source of manifest.sources) {
      if (source.status === 'failed') {
        warnings.push(`Source ${source.label} failed when the backup was made: ${source.error?.message ?? 'unknown error'}`);
      } else if (source.kind === 'database' && (!source.entry || !isListed(source.entry))) {
        fail('FILE_CORRUPT', `Database ${source.label} has no dump entry in the manifest.`);
      } else if (source.kind === 'database' && source.rolesEntry && !isListed(source.rolesEntry)) {
        fail('FILE_CORRUPT', `Database ${source.label} names a roles entry that the manifest does not list.`);
      } else if (source.kind === 'folder') {
        const files = source.index ? indexedFiles.get(source.id) : manifest.entries.filter((e) => e.sourceId === source.id && e.kind === 'file').length;
        // an index that did not read has failed already
        if (files !== undefined && files !== source.files) fail('FILE_CORRUPT', `Folder ${source.label}: ${files} entries, manifest says ${source.files}.`);
      }
    }

    checks.push('manifest consistent');
    return report();
  }
}

/** How many unrestorable items a report names (the first ones). */
const MAX_UNRESTORABLE = 20;

/** A report's reason for an item a restore would refuse. */
function cannotRestore(label: string, { path, reason }: UnrestorableItem): string {
  return `${label}: ${JSON.stringify(path)} cannot be restored: ${reason}.`;
}

/**
 * The folder items of a backup that a restore would refuse (UNSAFE_PATH), by the restore's own
 * rule (safe-paths unrestorableItems): a path that is not a plain relative path (`..`, NUL, a
 * name over 255 bytes; in format 1 also a backslash or a drive letter like `C:x`), in the stored
 * entries, the unchanged list an incremental inherits or the nodes; an item below a symbolic link
 * of the backup; a format 1 entry that is not a regular file; a hard link to nothing. At most 20,
 * for the report.
 */
function unrestorableFiles(manifest: BackupManifest, reader: BackupReader, limit: number): string[] {
  const problems: string[] = [];
  if (limit <= 0) return problems;
  for (const source of manifest.sources) {
    // a folder's index (format 3) is checked as it is read (step 6, streamFolderItems)
    if (source.kind !== 'folder' || source.index) continue;
    let files;
    try {
      files = folderFiles(manifest, source);
    } catch (error) {
      problems.push(toTransferable(error).message);
      continue;
    }
    for (const { path: p, reason } of unrestorableItems(files)) {
      problems.push(cannotRestore(source.label, { path: p, reason }));
      if (problems.length >= limit) return problems;
    }
  }
  for (const entry of reader.entries.values()) {
    // the zip's own record of the entry's type (high 16 bits: st_mode) must say regular file too
    const type = (entry.externalFileAttributes >>> 16) & 0o170000;
    if (type !== 0 && type !== 0o100000) problems.push(`Entry ${entry.fileName} is not a regular file (a link or a special file) and cannot be restored.`);
    if (problems.length >= limit) break;
  }
  return problems;
}

/** Throws the first failure of a report as an AppError (for callers that must refuse a bad file). */
export function assertVerified(report: VerifyReport): void {
  if (report.status === 'failed') {
    const code = report.errorCode;
    throw new AppError(
      code === 'WRONG_PASSPHRASE' || code === 'PASSPHRASE_REQUIRED' || code === 'FILE_TRUNCATED' || code === 'NOT_A_BACKUP' ? code : 'FILE_CORRUPT',
      { detail: report.reasons[0] },
    );
  }
}
