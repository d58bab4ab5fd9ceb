/**
 * Verification of one .lifeboat file, layer by layer: the file is there, its whole-file SHA-256
 * matches the catalog, every chunk decrypts and authenticates, the zip structure reads, every
 * entry matches the size and SHA-256 in the manifest, every database dump is readable by
 * `pg_restore --list`, and the manifest is consistent with itself and the header.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { AppError, toTransferable } from '../../../shared/errors';
import type { BackupManifest } from '../../../shared/manifest';
import { MANIFEST_ENTRY } from '../../../shared/manifest';
import { BackupReader } from '../archive/reader';
import { HashStream } from '../archive/hash-stream';
import { findPgTool } from '../postgres/tools';
import { spawnPgRestore } from '../postgres/restore';

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
}

export interface VerifyOptions {
  /** SHA-256 the catalog recorded when the file was written */
  expectedSha256?: string | null;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  onProgress?: (done: number, total: number, item: string) => void;
}

async function sha256OfFile(filePath: string, signal?: AbortSignal, onBytes?: (n: number) => void): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(filePath, { signal, highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
  return hash.digest('hex');
}

/**
 * Starts `pg_restore --list` reading a dump from its stdin; `done` resolves with the number of
 * items in the dump's table of contents.
 */
function startPgRestoreList(pgRestorePath: string, env: NodeJS.ProcessEnv, signal?: AbortSignal) {
  const lister = spawnPgRestore(
    { command: pgRestorePath, args: ['--list'], env: { ...env, LC_MESSAGES: 'C' } },
    { signal, password: null, captureStdout: true },
  );
  const done = lister.done.then(({ stdout }) => stdout.split('\n').filter((l) => l && !l.startsWith(';')).length);
  done.catch(() => undefined);
  return { feed: lister.feed, end: lister.end, done };
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
  });

  let size: number;
  try {
    size = (await fs.promises.stat(filePath)).size;
    checks.push('file present');
  } catch {
    fail('NOT_FOUND', `The file is missing: ${filePath}`);
    return report();
  }
  let done = 0;
  const progress = (n: number, item: string) => {
    done += n;
    options.onProgress?.(done, size * 3, item);
  };

  // 1-3. one sequential pass: whole-file SHA-256, and every chunk decrypts and authenticates;
  // then the archive structure reads
  let reader: BackupReader;
  try {
    reader = await BackupReader.open(filePath, passphrase);
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    const t = toTransferable(error);
    fail(t.code, t.message);
    // still report the whole-file hash of what is there, for comparison with the catalog
    fileSha256 = await sha256OfFile(filePath, options.signal).catch(() => null);
    return report();
  }
  try {
    fileSha256 = await reader.container.scan({ signal: options.signal, onChunk: (n) => progress(n, 'authenticating chunks') });
    checks.push(`${reader.container.chunkCount} chunks decrypt and authenticate`);
    checks.push('archive structure reads');
  } catch (error) {
    await reader.close();
    if (options.signal?.aborted) throw options.signal.reason;
    const t = toTransferable(error);
    fail(t.code, t.message);
    fileSha256 = await sha256OfFile(filePath, options.signal).catch(() => null);
  }
  if (options.expectedSha256 && fileSha256 && options.expectedSha256 !== fileSha256) {
    fail('FILE_CORRUPT', 'The whole-file SHA-256 differs from the one recorded when the backup was written.');
  } else if (options.expectedSha256 && fileSha256) {
    checks.push('whole-file SHA-256 matches the catalog');
  }
  if (reasons.length) return report();

  try {
    // 4. the manifest
    try {
      manifest = await reader.readManifest();
    } catch (error) {
      const t = toTransferable(error);
      fail(t.code, t.message);
      return report();
    }
    if (manifest.backupId !== reader.container.header.backupId) {
      fail('FILE_CORRUPT', 'The manifest belongs to another backup than the file header names.');
    }

    // 5. each entry against the manifest; 7. dumps are fed to `pg_restore --list` in the same read
    const dumpEntries = new Map<string, string>();
    for (const source of manifest.sources) {
      if (source.kind === 'database' && source.status === 'success' && source.entry) dumpEntries.set(source.entry, source.label);
    }
    let pgRestore: string | null = null;
    if (dumpEntries.size > 0) {
      try {
        pgRestore = await findPgTool('pg_restore', options.env ?? process.env);
      } catch {
        warnings.push('pg_restore was not found, so the dumps were not checked with pg_restore --list. Install the PostgreSQL client tools.');
      }
    }
    const listed = new Set<string>();
    let badEntries = 0;
    for (const entry of manifest.entries) {
      listed.add(entry.name);
      if (!reader.entries.has(entry.name)) {
        fail('FILE_CORRUPT', `Entry ${entry.name} is in the manifest but not in the archive.`);
        badEntries++;
        continue;
      }
      const hash = new HashStream((n) => progress(n, entry.name));
      const dumpLabel = dumpEntries.get(entry.name);
      const lister = dumpLabel && pgRestore ? startPgRestoreList(pgRestore, options.env ?? process.env, options.signal) : null;
      const listing = lister?.done ?? null;
      try {
        const source = await reader.openEntry(entry.name);
        source.on('error', (error) => hash.destroy(error));
        const stream = source.pipe(hash);
        for await (const chunk of stream) await lister?.feed(chunk as Buffer);
        lister?.end();
      } catch (error) {
        lister?.end();
        if (options.signal?.aborted) throw options.signal.reason;
        const t = toTransferable(error);
        fail(t.code, `Entry ${entry.name}: ${t.message}`);
        badEntries++;
        continue;
      }
      if (hash.bytes !== entry.size || hash.digest() !== entry.sha256) {
        fail('FILE_CORRUPT', `Entry ${entry.name} does not match its size and SHA-256 in the manifest.`);
        badEntries++;
      } else if (listing) {
        try {
          checks.push(`dump of ${dumpLabel} readable by pg_restore (${await listing} items)`);
        } catch (error) {
          if (options.signal?.aborted) throw options.signal.reason;
          fail('FILE_CORRUPT', `The dump of ${dumpLabel} is not readable by pg_restore: ${(error as Error).message}`);
        }
      }
    }
    if (badEntries === 0) checks.push(`${manifest.entries.length} entries match their SHA-256`);
    for (const name of reader.entries.keys()) {
      if (name !== MANIFEST_ENTRY && !listed.has(name)) {
        warnings.push(`Entry ${name} is not in the manifest (left by a source that failed during the backup).`);
      }
    }

    // 6. manifest consistency
    for (const source of manifest.sources) {
      if (source.status === 'failed') {
        warnings.push(`Source ${source.label} failed when the backup was made: ${source.error?.message ?? 'unknown error'}`);
      } else if (source.kind === 'database' && (!source.entry || !listed.has(source.entry))) {
        fail('FILE_CORRUPT', `Database ${source.label} has no dump entry in the manifest.`);
      } else if (source.kind === 'folder') {
        const files = manifest.entries.filter((e) => e.sourceId === source.id && e.kind === 'file').length;
        if (files !== source.files) fail('FILE_CORRUPT', `Folder ${source.label}: ${files} entries, manifest says ${source.files}.`);
      }
    }

    checks.push('manifest consistent');
  } finally {
    await reader.close();
  }
  return report();
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
