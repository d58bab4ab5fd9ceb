/**
 * Copies that upload WHILE the backup is written (issue #15's benchmark: a backup with an
 * off-site copy within 1.3x of the same backup to the local folder alone). Each copy follows the
 * primary file as it grows (follow-file.ts GrowingFileReader) into the destination's atomic
 * write, so the copy ends a moment after the backup instead of a whole upload after its verify
 * and drill.
 *
 * The run wraps the JobContext it gives runBackup (`FollowingUploads.job`): when the backup
 * names its `<final>.part` (setTempPath, just before the file is created) one upload per copy
 * starts. After runBackup:
 * - success or partial: `finish` tells each reader the file's size and SHA-256 (the ones the
 *   catalog records); a reader whose bytes differ ends in an error, so the destination never
 *   commits them. The checks of uploadCopy follow each write (tasks/upload-copies.ts
 *   checkUploadedCopy: bytes sent, SHA-256, the object's size, `readBack`);
 * - failed, thrown or cancelled: `abandon` destroys the readers, so each destination aborts its
 *   upload and nothing is visible (a copy that already committed, after a failed verify or a
 *   cancel, is deleted again).
 * Memory stays bounded (each reader holds at most 1 MiB; the destinations their own part
 * buffers), and a slow destination never slows the backup: the file is the buffer.
 */
import fs from 'node:fs';
import { destinationUrl, type DestinationConfig } from '../../../shared/destination';
import { AppError } from '../../../shared/errors';
import type { Plan } from '../../../shared/plan';
import { CopiesRepo, type CopyTarget } from '../catalog/copies-repo';
import type { CoreContext } from '../context';
import type { Destination } from '../destinations/destination';
import { openDestination } from '../destinations/open';
import type { JobContext } from '../jobs/job-runner';
import { GrowingFileReader, type FinishedFile, type GrowingFileOptions } from './follow-file';
import { checkUploadedCopy, copyKey, destinationSecret, secretFreeMessage, type CopyAttempt } from './upload-copies';

/** Where one followed upload goes: a destination (its config, and how to open it) and the key. */
export interface FollowTarget {
  config: DestinationConfig;
  key: string;
  /** opens the destination; the secret is only for taking it out of messages */
  open(): Promise<{ dest: Destination; secret: string | null }>;
  /** the size the backup is expected to reach (its exact one is known only at the end): S3 sizes its parts by it */
  sizeHint?: number;
}

/** How a followed upload ended: checked (with what was checked), or the error. */
export type FollowedResult = { ok: true; sizeBytes: number; sha256: string; readBack: boolean } | { ok: false; error: unknown };

/** The name a backup is written under until complete is `<final>.part` (archive/writer.ts tempPathFor). */
function finalPathOf(tempPath: string): string {
  return tempPath.endsWith('.part') ? tempPath.slice(0, -'.part'.length) : tempPath;
}

/**
 * One upload of a file being written: a GrowingFileReader on `filePath` into the target's
 * destination, then the checks. `result` never rejects; the destination stays open until
 * `close` (so that `remove` can delete a committed copy of a backup that turned out bad).
 */
export class FollowedUpload {
  readonly reader: GrowingFileReader;
  readonly result: Promise<FollowedResult>;
  /** bytes the destination took so far */
  sent = 0;
  private dest: Destination | null = null;
  private secret: string | null = null;
  private committed = false;
  private finished: FinishedFile | null = null;
  private failure: unknown = null;

  constructor(
    filePath: string,
    readonly target: FollowTarget,
    private readonly options: { signal: AbortSignal; onProgress?: () => void; reader?: GrowingFileOptions },
  ) {
    this.reader = new GrowingFileReader(filePath, options.reader);
    this.result = this.run();
  }

  /** The backup's file is complete: the upload ends once it has sent `file.size` bytes of SHA-256 `file.sha256`. */
  finish(file: FinishedFile): void {
    this.finished = file;
    this.reader.finish(file);
  }

  /** The backup failed or was cancelled: the upload is aborted (nothing visible at the destination). */
  fail(error: unknown): void {
    this.failure ??= error;
    this.reader.fail(error);
  }

  /** The size the file was finished with (0 until then). */
  get totalBytes(): number {
    return this.finished?.size ?? 0;
  }

  /** The copy as the catalog records where it goes (the open destination's URLs once known). */
  copyTarget(backupId: string): CopyTarget {
    const root = this.dest?.url ?? destinationUrl(this.target.config);
    const { config, key } = this.target;
    return { backupId, destinationId: config.id, kind: config.kind, destinationUrl: root, key, url: this.dest?.urlOf(key) ?? `${root}/${key}` };
  }

  /** A failure's message without the destination's secret. */
  message(error: unknown): string {
    return secretFreeMessage(error, this.secret);
  }

  /** Deletes the copy if the upload committed it (best effort); false when that delete failed. */
  async remove(): Promise<boolean> {
    if (!this.committed || !this.dest) return true;
    try {
      await this.dest.delete(this.target.key);
      this.committed = false;
      return true;
    } catch {
      return false;
    }
  }

  /** The copy was recorded in the catalog: `remove` leaves it alone from now on. */
  keep(): void {
    this.committed = false;
  }

  async close(): Promise<void> {
    const dest = this.dest;
    this.dest = null;
    await dest?.close().catch(() => undefined);
  }

  private async run(): Promise<FollowedResult> {
    const { signal } = this.options;
    try {
      const opened = await this.target.open();
      this.dest = opened.dest;
      this.secret = opened.secret;
      if (this.failure !== null) throw this.failure;
      const written = await this.dest.write(this.target.key, this.reader.stream, {
        signal,
        ...(this.target.sizeHint ? { sizeHint: this.target.sizeHint } : {}),
        onProgress: (sent) => {
          this.sent = sent;
          this.options.onProgress?.();
        },
      });
      this.committed = true;
      // the reader ended, so the backup finished the file and said how long it is
      const file = this.finished!;
      const checked = await checkUploadedCopy(this.dest, this.target.key, file.size, { filePath: file.finalPath ?? this.reader.path, sha256: file.sha256 ?? null }, written, {
        signal,
        readBack: this.target.config.readBack,
      });
      return { ok: true, ...checked };
    } catch (error) {
      this.reader.fail(error);
      if (signal.aborted) return { ok: false, error: new AppError('CANCELLED', { cause: error }) };
      return { ok: false, error: this.failure ?? error };
    }
  }
}

/**
 * The uploads of one backup run that follow its file: `job` is the JobContext to give
 * runBackup; its setTempPath starts one FollowedUpload per target (`targetsFor(finalPath)`),
 * its progress wakes the readers.
 */
export class FollowingUploads {
  readonly uploads: FollowedUpload[] = [];
  readonly job: JobContext;
  private started = false;
  private ended = false;
  private report: (() => void) | null = null;

  constructor(
    private readonly outer: JobContext,
    private readonly targetsFor: (finalPath: string) => FollowTarget[],
    private readonly readerOptions?: GrowingFileOptions,
  ) {
    this.job = {
      jobId: outer.jobId,
      signal: outer.signal,
      progress: (update) => {
        outer.progress(update);
        for (const upload of this.uploads) upload.reader.notify();
      },
      setTempPath: (tempPath) => {
        outer.setTempPath(tempPath);
        if (tempPath) this.start(tempPath);
      },
      recordTempDatabase: (db) => outer.recordTempDatabase(db),
      forgetTempDatabase: (db) => outer.forgetTempDatabase(db),
    };
  }

  private start(tempPath: string): void {
    if (this.started || this.ended) return;
    this.started = true;
    for (const target of this.targetsFor(finalPathOf(tempPath))) {
      this.uploads.push(new FollowedUpload(tempPath, target, { signal: this.outer.signal, onProgress: () => this.report?.(), reader: this.readerOptions }));
    }
  }

  /** The backup wrote its file: each upload ends once it has sent the whole of it. */
  finish(file: FinishedFile): void {
    this.ended = true;
    for (const upload of this.uploads) upload.finish(file);
  }

  /**
   * The backup failed, threw or was cancelled (or the run failed after it): aborts each upload,
   * waits for them to end, deletes a copy already committed, closes the destinations. Records nothing.
   */
  async abandon(error: unknown): Promise<void> {
    this.ended = true;
    for (const upload of this.uploads) upload.fail(error);
    await Promise.all(this.uploads.map((u) => u.result));
    await Promise.all(this.uploads.map(async (u) => (await u.remove(), await u.close())));
  }

  /**
   * Waits for every upload to end, showing the job's 'copies' phase in `range` of its percent
   * (the bytes still to send of all uploads) meanwhile (no progress when null). Returns each
   * upload with its result.
   */
  async settle(range: readonly [number, number] | null): Promise<{ upload: FollowedUpload; result: FollowedResult }[]> {
    const show = () => {
      if (!range) return;
      const total = this.uploads.reduce((sum, u) => sum + u.totalBytes, 0);
      const sent = this.uploads.reduce((sum, u) => sum + Math.min(u.sent, u.totalBytes), 0);
      const pending = this.uploads.find((u) => u.sent < u.totalBytes);
      const fraction = total > 0 ? sent / total : 1;
      this.outer.progress({
        phase: 'copies',
        percent: Math.round((range[0] + (range[1] - range[0]) * fraction) * 10) / 10,
        bytesDone: sent,
        bytesTotal: total,
        currentItem: pending ? destinationUrl(pending.target.config) : null,
      });
    };
    if (this.uploads.length > 0) {
      show();
      this.report = show;
    }
    try {
      return await Promise.all(this.uploads.map(async (upload) => ({ upload, result: await upload.result })));
    } finally {
      this.report = null;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.uploads.map((u) => u.close()));
  }
}

/** What recording followed copies uses of the core. */
type RecordContext = Pick<CoreContext, 'catalog' | 'clock'>;

/**
 * Records one followed copy of backup `backupId` as uploadCopy does (recordUploaded /
 * recordFailed with a secret-free message). With `rejected` (why the backup is not to be kept
 * off-site: it failed its verification or drill) a copy that was made is deleted again and every
 * copy is recorded failed with that reason.
 */
export async function recordFollowedCopy(ctx: RecordContext, backupId: string, upload: FollowedUpload, result: FollowedResult, rejected?: string): Promise<CopyAttempt> {
  const repo = new CopiesRepo(ctx.catalog);
  const target = upload.copyTarget(backupId);
  if (rejected) {
    const removed = await upload.remove();
    const note = removed ? 'it was not kept at the destination' : `delete ${target.url} by hand`;
    return { copy: repo.recordFailed(target, `${rejected}; ${note}`), errorCode: 'FILE_CORRUPT' };
  }
  if (!result.ok) {
    const { error } = result;
    return { copy: repo.recordFailed(target, upload.message(error)), errorCode: error instanceof AppError ? error.code : 'DEST_FAILED' };
  }
  const now = ctx.clock.now().toISOString();
  const copy = repo.recordUploaded(target, { sizeBytes: result.sizeBytes, sha256: result.sha256, uploadedAt: now, verifiedAt: result.readBack ? now : null });
  // the copy is the catalog's now: it goes with its backup (retention, a delete by hand), not with this run
  upload.keep();
  return { copy, errorCode: null };
}

/**
 * The copies phase of a plan's run for the copies that followed its file: waits for each upload
 * (the job shows the bytes still to send, phase 'copies' in `range`), then records each as
 * uploadCopy does. The attempts go to uploadPlanCopies as `made`. Cancelled meanwhile: the
 * uploads are aborted, a copy made is deleted again and so is the primary file (a cancelled run
 * keeps nothing), and CANCELLED is thrown.
 */
export async function settlePlanCopies(
  ctx: RecordContext,
  job: Pick<JobContext, 'jobId' | 'signal'>,
  following: FollowingUploads,
  primaryPath: string,
  range: readonly [number, number],
): Promise<CopyAttempt[]> {
  const settled = await following.settle(range);
  if (job.signal.aborted) {
    await following.abandon(job.signal.reason);
    await fs.promises.rm(primaryPath, { force: true }).catch(() => undefined);
    throw new AppError('CANCELLED', { cause: job.signal.reason });
  }
  const made: CopyAttempt[] = [];
  for (const { upload, result } of settled) made.push(await recordFollowedCopy(ctx, job.jobId, upload, result));
  return made;
}

/**
 * The run failed after its backup was written (verification, drill): the copies in flight are
 * aborted, those made are deleted again, and each is recorded failed with `reason`.
 */
export async function rejectPlanCopies(ctx: RecordContext, jobId: string, following: FollowingUploads, reason: string): Promise<void> {
  for (const upload of following.uploads) upload.fail(new AppError('FILE_CORRUPT', { detail: reason }));
  for (const { upload, result } of await following.settle(null)) await recordFollowedCopy(ctx, jobId, upload, result, reason);
}

/**
 * The followed uploads of a plan's run: one per destination of its copies, to `<plan slug>/<file
 * name>` as uploadCopy writes, each opened with its secret from the keychain.
 */
export function followPlanCopies(ctx: Pick<CoreContext, 'secrets' | 'jobs'>, plan: Pick<Plan, 'id' | 'name' | 'options'>, job: JobContext): FollowingUploads {
  // twice the plan's newest backup: room to grow, for S3's part sizes (a first backup: the default parts)
  const previous = ctx.jobs.backupsOfPlan(plan.id)[0]?.sizeBytes ?? null;
  const sizeHint = previous ? previous * 2 : undefined;
  return new FollowingUploads(job, (finalPath) =>
    plan.options.copies.map((config) => ({
      config,
      key: copyKey(plan, finalPath),
      sizeHint,
      open: async () => {
        const secret = await destinationSecret(ctx, plan.id, config);
        return { dest: await openDestination(config, { secret }), secret };
      },
    })),
  );
}
