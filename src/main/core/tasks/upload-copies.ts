/**
 * A plan's copies (3-2-1): a backup is uploaded to each destination of `plan.options.copies`
 * while it is written (tasks/follow-upload.ts), or here from its finished primary file (uploadCopy:
 * earlier copies that failed, uploaded again), checked, and recorded in the catalog
 * (catalog/copies-repo.ts); copies that failed on earlier runs are uploaded again; copies are
 * deleted with their backup (retention, a delete by hand).
 *
 * The object key of a copy is `<plan slug>/<file name>` (for example
 * `nightly-shop/nightly-shop-20261124-020005-full.lifeboat`): one bucket prefix or remote folder
 * can hold the copies of several plans apart, and the file name is the primary's, so the copy of
 * a backup is found by name too (catalog rebuild from a remote prefix lists any depth).
 *
 * A copy is 'uploaded' when the destination took the whole file (the size at the destination
 * equals the file's) and the SHA-256 of the bytes sent equals the one the catalog recorded for
 * the backup; 'verified' when the destination's `readBack` is on and the object, streamed back,
 * has that SHA-256 too. Anything else is 'failed', with the reason (secret-free): the run is
 * `partial`, the primary is kept, and the next run of the plan tries again.
 *
 * Secrets: each destination's from the keychain (`dest:<planId>:<destinationId>`, or its
 * secretFrom reference through the secret store), passed to openDestination only; every message
 * recorded is scrubbed of it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { destinationUrl, type BackupCopy, type DestinationConfig } from '../../../shared/destination';
import { AppError, type ErrorCode } from '../../../shared/errors';
import type { Plan } from '../../../shared/plan';
import { CopiesRepo, type CopyTarget } from '../catalog/copies-repo';
import { planSlug } from '../backup/file-names';
import type { CoreContext } from '../context';
import type { Destination } from '../destinations/destination';
import { LocalDestination } from '../destinations/local';
import { openDestination, type OpenDestinationOptions } from '../destinations/open';
import type { JobContext } from '../jobs/job-runner';
import { secretKeys } from '../paths';

/** What uploading and deleting copies uses of the core. */
export type CopiesContext = Pick<CoreContext, 'catalog' | 'jobs' | 'secrets' | 'clock' | 'audit'>;

/** How many of a plan's newest backups still kept have their failed or missing copies uploaded again on each run. */
export const COPY_RETRY_BACKUPS = 5;

/** A finished backup file to copy: its catalog id, where it is, and what the catalog recorded of it. */
export interface CopySource {
  backupId: string;
  filePath: string;
  sizeBytes: number | null;
  /** hex SHA-256 of the whole file as the backup recorded it (jobs.checksum) */
  sha256: string | null;
}

/** The object key of a copy: `<plan slug>/<file name>`. */
export function copyKey(plan: Pick<Plan, 'name'>, filePath: string): string {
  return `${planSlug(plan.name)}/${path.basename(filePath)}`;
}

/** A destination's name for messages: its label, else its URL (never a secret). */
export function destinationName(config: DestinationConfig): string {
  const url = destinationUrl(config);
  return config.label ? `${config.label} (${url})` : url;
}

/**
 * The secret of one destination of a plan: the keychain's `dest:<planId>:<destinationId>`, or
 * what its secretFrom reference names (a store that can read references; the command line's).
 * Null when there is none (a local folder, S3 with the AWS chain, an SFTP key without passphrase).
 */
export async function destinationSecret(ctx: Pick<CoreContext, 'secrets'>, planId: string, config: DestinationConfig): Promise<string | null> {
  if (config.kind === 'local') return null;
  return ctx.secrets.get(secretKeys.destSecret(planId, config.id));
}

/**
 * A failure as the catalog, the job's message and the audit log may keep it: the AppError's
 * message (which names the fix), with every occurrence of the secret replaced.
 */
export function secretFreeMessage(error: unknown, secret: string | null): string {
  let message = error instanceof AppError ? error.message : error instanceof Error ? error.message : String(error);
  if (secret && secret.length >= 4) message = message.split(secret).join('***');
  return message;
}

/** Hashes a stream to its end: SHA-256 (hex) and its length. */
async function hashStream(source: NodeJS.ReadableStream, signal?: AbortSignal): Promise<{ size: number; sha256: string }> {
  const hash = crypto.createHash('sha256');
  let size = 0;
  await pipeline(
    source,
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done();
      },
    }),
    { signal },
  );
  return { size, sha256: hash.digest('hex') };
}

/** One upload's outcome: the copy as recorded, and the failure's code (null when it went well). */
export interface CopyAttempt {
  copy: BackupCopy;
  errorCode: ErrorCode | null;
}

export interface UploadOptions {
  signal?: AbortSignal;
  onProgress?: (sentBytes: number) => void;
  timeoutMs?: number;
}

/**
 * Uploads one backup file to one destination, checks it and records the outcome (never throws,
 * but CANCELLED when `signal` aborts). Checks: the file's size and SHA-256 as the catalog
 * recorded them, the object's size at the destination, the SHA-256 of the bytes sent, and with
 * `readBack` the SHA-256 of the object read back. A copy that fails a check is deleted again.
 */
export async function uploadCopy(
  ctx: CopiesContext,
  plan: Pick<Plan, 'id' | 'name'>,
  config: DestinationConfig,
  source: CopySource,
  options: UploadOptions = {},
): Promise<CopyAttempt> {
  return attemptCopy(ctx, config, copyKey(plan, source.filePath), source, options, async () => {
    const secret = await destinationSecret(ctx, plan.id, config);
    return { secret, openOptions: { secret, timeoutMs: options.timeoutMs } };
  });
}

/**
 * A copy that belongs to no plan (the command line's `lifeboat backup --out ... --out ...`): as
 * uploadCopy, to `key` below the destination's root, opened with `openOptions` (the caller's
 * credentials, from the environment: destinations/url.ts destinationFromEnv). The catalog row's
 * destination id is `config.id`, which must differ between the copies of one backup.
 */
export async function uploadCopyTo(
  ctx: Pick<CoreContext, 'catalog' | 'clock'>,
  config: DestinationConfig,
  key: string,
  openOptions: OpenDestinationOptions,
  source: CopySource,
  options: UploadOptions = {},
): Promise<CopyAttempt> {
  return attemptCopy(ctx, config, key, source, options, async () => ({
    secret: openOptions.secret ?? null,
    openOptions: { ...openOptions, timeoutMs: options.timeoutMs ?? openOptions.timeoutMs },
  }));
}

async function attemptCopy(
  ctx: Pick<CoreContext, 'catalog' | 'clock'>,
  config: DestinationConfig,
  key: string,
  source: CopySource,
  options: UploadOptions,
  credentials: () => Promise<{ secret: string | null; openOptions: OpenDestinationOptions }>,
): Promise<CopyAttempt> {
  const repo = new CopiesRepo(ctx.catalog);
  const rootUrl = destinationUrl(config);
  let secret: string | null = null;
  let target: CopyTarget = { backupId: source.backupId, destinationId: config.id, kind: config.kind, destinationUrl: rootUrl, key, url: `${rootUrl}/${key}` };
  let dest: Destination | null = null;
  try {
    const resolved = await credentials();
    secret = resolved.secret;
    dest = await openDestination(config, resolved.openOptions);
    target = { ...target, destinationUrl: dest.url, url: dest.urlOf(key) };
    const sent = await uploadFileChecked(dest, key, source, { ...options, readBack: config.readBack });
    const now = ctx.clock.now().toISOString();
    const copy = repo.recordUploaded(target, { sizeBytes: sent.sizeBytes, sha256: sent.sha256, uploadedAt: now, verifiedAt: sent.readBack ? now : null });
    return { copy, errorCode: null };
  } catch (error) {
    if (options.signal?.aborted) throw new AppError('CANCELLED', { cause: error });
    return { copy: repo.recordFailed(target, secretFreeMessage(error, secret)), errorCode: error instanceof AppError ? error.code : 'DEST_FAILED' };
  } finally {
    await dest?.close().catch(() => undefined);
  }
}

/**
 * Uploads one backup file to `key` of an open destination and checks it (the checks of
 * uploadCopy: the file's size and SHA-256 against `source`, the bytes sent, the object's size,
 * and with `readBack` the object streamed back). A failed check deletes the object again and
 * throws DEST_FAILED naming its URL; the destination's own errors are thrown as they are.
 */
export async function uploadFileChecked(
  dest: Destination,
  key: string,
  source: CopySource,
  options: UploadOptions & { readBack?: boolean } = {},
): Promise<{ sizeBytes: number; sha256: string; readBack: boolean }> {
  const stat = await fs.promises.stat(source.filePath).catch((error: unknown) => {
    throw new AppError('NOT_FOUND', { detail: `the backup file ${source.filePath} is missing, so it cannot be copied`, cause: error });
  });
  if (source.sizeBytes !== null && stat.size !== source.sizeBytes) {
    throw new AppError('FILE_CORRUPT', { detail: `${source.filePath} is ${stat.size} bytes, the catalog recorded ${source.sizeBytes}: verify the backup` });
  }
  const written = await dest.write(key, fs.createReadStream(source.filePath), {
    size: stat.size,
    ...(source.sha256 ? { sha256: source.sha256 } : {}),
    signal: options.signal,
    onProgress: options.onProgress,
  });
  return checkUploadedCopy(dest, key, stat.size, source, written, options);
}

/**
 * The checks after a copy was written to `key` (by uploadFileChecked, or while the backup was
 * being written: tasks/follow-upload.ts): the bytes sent against the file's size and the SHA-256
 * recorded for the backup, the object's size at the destination, and with `readBack` the object
 * streamed back. A failed check deletes the object again and throws DEST_FAILED naming its URL.
 */
export async function checkUploadedCopy(
  dest: Destination,
  key: string,
  fileSize: number,
  source: Pick<CopySource, 'filePath' | 'sha256'>,
  written: { size: number; sha256: string },
  options: { signal?: AbortSignal; readBack?: boolean } = {},
): Promise<{ sizeBytes: number; sha256: string; readBack: boolean }> {
  const url = dest.urlOf(key);
  const problem = await checkUpload(dest, key, fileSize, source, written, options.signal);
  if (problem) {
    await dest.delete(key).catch(() => undefined);
    throw new AppError('DEST_FAILED', { detail: `${url}: ${problem}` });
  }
  if (options.readBack) {
    const back = await hashStream(dest.readStream(key, 0, undefined, options.signal), options.signal);
    if (back.size !== fileSize || back.sha256 !== written.sha256) {
      await dest.delete(key).catch(() => undefined);
      throw new AppError('DEST_FAILED', {
        detail: `${url}: the object read back (${back.size} bytes, SHA-256 ${back.sha256.slice(0, 12)}...) differs from what was uploaded`,
      });
    }
  }
  return { sizeBytes: fileSize, sha256: written.sha256, readBack: Boolean(options.readBack) };
}

/** What is wrong with an upload, or null: the object's size, the bytes sent and their SHA-256 against the catalog's. */
async function checkUpload(
  dest: Destination,
  key: string,
  fileSize: number,
  source: Pick<CopySource, 'filePath' | 'sha256'>,
  written: { size: number; sha256: string },
  signal?: AbortSignal,
): Promise<string | null> {
  if (written.size !== fileSize) return `sent ${written.size} of ${fileSize} bytes`;
  if (source.sha256 && written.sha256 !== source.sha256) {
    return `the SHA-256 of the bytes sent differs from the one recorded for the backup: the file ${source.filePath} changed since it was written (verify it)`;
  }
  signal?.throwIfAborted();
  const info = await dest.stat(key);
  if (!info) return 'the object is not there after the upload';
  if (info.size !== fileSize) return `the object is ${info.size} bytes at the destination, the file ${fileSize}`;
  return null;
}

/** What the copies phase of a run did. */
export interface CopiesOutcome {
  /** the copies of this run's backup, one per destination, in the plan's order */
  copies: BackupCopy[];
  /** those that failed (the run is partial) */
  failed: BackupCopy[];
  /** the code of the first failure of this run's copies (the run's errorCode), null when none failed */
  errorCode: ErrorCode | null;
  /** earlier backups' copies uploaded again, and those of them that failed again */
  retried: BackupCopy[];
  retriedFailed: BackupCopy[];
  /** the sentences the run's message gains; null when there is nothing to say */
  message: string | null;
}

/**
 * The copies phase of a plan's run, after this run's own copies were made while its backup was
 * written (tasks/follow-upload.ts, `made`): uploads again the failed or missing copies of its
 * COPY_RETRY_BACKUPS newest backups still kept (newest first), then deletes again the copies
 * whose delete failed before. Progress goes to the job (phase 'copies', `range` of its percent).
 * Only a failed copy of this run's backup makes the run partial; a retry that fails again is told
 * in the message and stays failed for the next run.
 */
export async function uploadPlanCopies(
  ctx: CopiesContext,
  plan: Plan,
  job: JobContext,
  current: CopySource,
  /** this backup's copies, made while it was written (tasks/follow-upload.ts) */
  made: CopyAttempt[],
  range: [number, number] = [96, 99],
): Promise<CopiesOutcome> {
  const configs = plan.options.copies;
  const repo = new CopiesRepo(ctx.catalog);
  const retries = repo
    .missingOrFailed(
      plan.id,
      configs.map((c) => c.id),
      COPY_RETRY_BACKUPS,
    )
    .filter((r) => r.backupId !== current.backupId);
  const steps = retries.length;
  let step = 0;
  const report = (item: string, sent: number, total: number | null) => {
    const fraction = steps === 0 ? 1 : (step + (total ? Math.min(1, sent / total) : 0)) / steps;
    job.progress({ phase: 'copies', percent: Math.round((range[0] + (range[1] - range[0]) * fraction) * 10) / 10, bytesDone: sent, bytesTotal: total, currentItem: item });
  };
  const copies = made.map((a) => a.copy);
  const errorCode = made.find((a) => a.errorCode)?.errorCode ?? null;
  const retried: BackupCopy[] = [];
  for (const retry of retries) {
    job.signal.throwIfAborted();
    const config = configs.find((c) => c.id === retry.destinationId);
    const backup = ctx.jobs.get(retry.backupId);
    step++;
    // a backup whose file is gone cannot be copied (its copies may be all that is left of it)
    if (!config || !backup?.filePath || !fs.existsSync(backup.filePath)) continue;
    const source: CopySource = { backupId: backup.id, filePath: backup.filePath, sizeBytes: backup.sizeBytes, sha256: backup.checksum };
    const url = destinationUrl(config);
    report(url, 0, backup.sizeBytes);
    retried.push((await uploadCopy(ctx, plan, config, source, { signal: job.signal, onProgress: (sent) => report(url, sent, backup.sizeBytes) })).copy);
  }
  await retryPendingDeletes(ctx, plan, 'system');
  const failed = copies.filter((c) => c.status === 'failed');
  const retriedFailed = retried.filter((c) => c.status === 'failed');
  return { copies, failed, errorCode, retried, retriedFailed, message: copiesMessage(copies, failed, retried, retriedFailed, current.filePath) };
}

function copiesMessage(copies: BackupCopy[], failed: BackupCopy[], retried: BackupCopy[], retriedFailed: BackupCopy[], primary: string): string | null {
  const parts: string[] = [];
  const good = copies.length - failed.length;
  if (copies.length > 0 && failed.length === 0) parts.push(`Copied to ${copies.map((c) => c.destinationUrl).join(', ')}.`);
  if (failed.length > 0) {
    if (good > 0) parts.push(`Copied to ${copies.filter((c) => c.status !== 'failed').map((c) => c.destinationUrl).join(', ')}.`);
    for (const copy of failed) parts.push(`The copy to ${copy.destinationUrl} failed: ${copy.error}`);
    parts.push(`The backup is kept at ${primary}; the failed ${failed.length > 1 ? 'copies are' : 'copy is'} tried again on the next run.`);
  }
  const fixed = retried.length - retriedFailed.length;
  if (fixed > 0) parts.push(`${fixed} earlier ${fixed > 1 ? 'copies' : 'copy'} uploaded again.`);
  if (retriedFailed.length > 0) {
    parts.push(`${retriedFailed.length} earlier ${retriedFailed.length > 1 ? 'copies' : 'copy'} failed again (${retriedFailed.map((c) => c.destinationUrl).join(', ')}); tried again on the next run.`);
  }
  return parts.length ? parts.join(' ') : null;
}

/**
 * Opens the destination of a recorded copy: the plan's destination of that id, else (a local
 * folder the plan no longer names) the folder itself. Null when it cannot be opened without the
 * plan (a remote destination removed from the plan: its settings and secret are gone).
 */
async function openCopyDestination(
  ctx: Pick<CoreContext, 'secrets'>,
  plan: Pick<Plan, 'id' | 'options'> | undefined,
  copy: BackupCopy,
): Promise<{ dest: Destination; secret: string | null } | null> {
  const config = plan?.options.copies.find((c) => c.id === copy.destinationId);
  if (config) {
    const secret = await destinationSecret(ctx, plan!.id, config);
    return { dest: await openDestination(config, { secret }), secret };
  }
  if (copy.kind === 'local') return { dest: new LocalDestination(copy.destinationUrl), secret: null };
  return null;
}

/** What deleting a backup's copies did. */
export interface CopiesDeletion {
  deleted: BackupCopy[];
  /** kept as failed with the reason, deleted again on the plan's next run */
  failed: BackupCopy[];
}

/**
 * Deletes every copy of a backup whose file was just removed (retention, a delete by hand), at
 * each destination, best effort: a copy that cannot be deleted is logged (audit
 * `backup.copy-delete-failed`) and kept as 'failed' to try again on the next run; the others are
 * marked 'deleted' (audit `backup.copy-delete`). Copies go only with their backup, by the same
 * rules.
 */
export async function deleteCopiesOf(
  ctx: Pick<CoreContext, 'catalog' | 'secrets' | 'audit'>,
  plan: Pick<Plan, 'id' | 'name' | 'options'> | undefined,
  backupId: string,
  actor: string,
): Promise<CopiesDeletion> {
  const repo = new CopiesRepo(ctx.catalog);
  const result: CopiesDeletion = { deleted: [], failed: [] };
  for (const copy of repo.forBackup(backupId)) {
    if (copy.status === 'deleted') continue;
    let secret: string | null = null;
    let opened: Awaited<ReturnType<typeof openCopyDestination>> = null;
    try {
      opened = await openCopyDestination(ctx, plan, copy);
      if (!opened) {
        throw new AppError('NOT_FOUND', {
          detail: `the plan no longer has the destination ${copy.destinationUrl}; delete ${copy.url} there by hand`,
        });
      }
      secret = opened.secret;
      await opened.dest.delete(copy.key);
      repo.markDeleted(backupId, copy.destinationId);
      ctx.audit.record(actor, 'backup.copy-delete', backupId, { plan: plan?.name ?? null, url: copy.url });
      result.deleted.push({ ...copy, status: 'deleted', error: null });
    } catch (error) {
      const message = secretFreeMessage(error, secret);
      repo.markDeleteFailed(backupId, copy.destinationId, message);
      ctx.audit.record(actor, 'backup.copy-delete-failed', backupId, { plan: plan?.name ?? null, url: copy.url, error: message });
      result.failed.push(repo.get(backupId, copy.destinationId)!);
    } finally {
      await opened?.dest.close().catch(() => undefined);
    }
  }
  return result;
}

/** Deletes again the copies of the plan's removed backups whose delete failed before (each run does). */
export async function retryPendingDeletes(ctx: Pick<CoreContext, 'catalog' | 'secrets' | 'audit'>, plan: Plan, actor: string): Promise<CopiesDeletion> {
  const repo = new CopiesRepo(ctx.catalog);
  const result: CopiesDeletion = { deleted: [], failed: [] };
  for (const backupId of new Set(repo.pendingDeletes(plan.id).map((c) => c.backupId))) {
    const one = await deleteCopiesOf(ctx, plan, backupId, actor);
    result.deleted.push(...one.deleted);
    result.failed.push(...one.failed);
  }
  return result;
}
