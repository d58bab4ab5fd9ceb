/**
 * A backup that belongs to no plan (`lifeboat backup --db ... --folder ... --out ...`): one full
 * backup of the given sources, verified after it unless turned off, as a job with an audit line.
 *
 * Where it goes (issue #15, point 6): each `--out` is a local folder or a destination URL
 * (`s3://bucket/prefix`, `azure://account/container/prefix`, `sftp://user@host[:port]/path`),
 * with credentials from the environment (destinations/url.ts destinationFromEnv). The first is
 * the primary:
 * - a local folder: the backup is written there, as always;
 * - a URL: the name is chosen so that no object at the destination is replaced (which also checks,
 *   before any work, that the destination answers and takes the credentials); the backup is
 *   written to a private staging folder in the data folder (`staging/<job id>`, owner-only) and
 *   uploaded while it is written (following the staged file as it grows: tasks/follow-upload.ts),
 *   verified, checked (size, SHA-256 of the bytes sent against the file's), and the staged file
 *   removed; the job's file path is the object's URL, which verify, inspect and restore read
 *   through the process's remote opener. An upload that fails fails the job with the
 *   destination's error and keeps the staged file, named in the message, so nothing is lost.
 * Every further `--out` is a copy, uploaded the same way while the file is written (the local
 * primary, or the staged file), checked and recorded in the catalog (backup_copies, destination
 * ids `out2`, `out3`, ...); a failed copy makes the job `partial`, the primary is kept.
 *
 * A backup that fails, or fails its verification, leaves nothing at the destinations (an upload
 * in flight is aborted, one already made is deleted again). Cancelled, the job keeps nothing: the
 * staged or local file, the uploaded primary object and the copies made so far are removed again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { destinationUrl, type BackupCopy, type DestinationConfig } from '../../../shared/destination';
import { AppError, type ErrorCode } from '../../../shared/errors';
import type { JobSummary } from '../../../shared/job';
import type { DatabaseSource, FolderSource } from '../../../shared/plan';
import { fileStamp } from '../backup/file-names';
import { runBackup } from '../backup/run-backup';
import { CopiesRepo } from '../catalog/copies-repo';
import type { CoreContext } from '../context';
import type { Destination } from '../destinations/destination';
import { openDestination, type OpenDestinationOptions } from '../destinations/open';
import { destinationFromEnv, isDestinationUrl, parseDestinationUrl, type UrlCredentialOptions } from '../destinations/url';
import type { JobContext, JobOutcome } from '../jobs/job-runner';
import { FollowingUploads, recordFollowedCopy, type FollowTarget } from './follow-upload';
import { secretFreeMessage } from './upload-copies';
import { verifyAfterBackup } from './verify-after';

/** The forms `--out` takes, for messages. */
export const OUT_FORMS = 'a local folder, s3://bucket/prefix, azure://account/container/prefix or sftp://user@host[:port]/path';

/** One `--out`: a local folder, or a remote destination with what opens it. */
export interface BackupOutput {
  /** the folder (absolute), or the destination's URL (its root: the prefix the backup goes below) */
  location: string;
  /** a remote destination: its config (id `out<n>`) and how to open it (credentials); null for a local folder */
  remote: { config: DestinationConfig; openOptions: OpenDestinationOptions } | null;
}

export interface OneOffBackup {
  databases: { source: DatabaseSource; password: string | null }[];
  folders: FolderSource[];
  /** where the backup goes (parseBackupOutputs): the first is the primary, the others copies; at least one */
  outputs: BackupOutput[];
  compressionLevel: number;
  passphrase: string | null;
  verify: boolean;
  env?: NodeJS.ProcessEnv;
  /** a free-text label of the backup (History, the CSV export, the manifest) */
  description?: string | null;
}

/** A URL with the password of an sftp://user:password@ URL hidden, for messages. */
function shown(text: string): string {
  return text.replace(/^(sftp:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/** Anything that reads as `scheme://...`: a URL, never a local folder (a typo'd or unsupported scheme is refused, not made a folder). */
const URL_LIKE = /^[a-z][a-z0-9+.-]+:\/\//i;

/**
 * Parses the `--out` values of `lifeboat backup` and finds each remote one's credentials in
 * `env` (and the SFTP flags): throws VALIDATION, before any work, for none given, an empty one, a
 * malformed or unsupported URL (naming the forms), a URL that names a backup file instead of a
 * folder, missing credentials, or the same destination twice.
 */
export function parseBackupOutputs(outs: readonly string[], env: NodeJS.ProcessEnv, flags: UrlCredentialOptions = {}, cwd = process.cwd()): BackupOutput[] {
  if (outs.length === 0) throw new AppError('VALIDATION', { detail: `give at least one --out: ${OUT_FORMS}` });
  const seen = new Map<string, string>();
  return outs.map((text, i) => {
    if (text.trim() === '') throw new AppError('VALIDATION', { detail: `--out takes ${OUT_FORMS}, not an empty value` });
    let output: BackupOutput;
    let identity: string;
    if (isDestinationUrl(text) || URL_LIKE.test(text)) {
      let parsed: ReturnType<typeof parseDestinationUrl>;
      try {
        parsed = parseDestinationUrl(text);
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'VALIDATION') throw error;
        // the URL parser names the forms of a backup's URL; --out takes the folder (prefix) it goes into
        const why = (error.detail ?? '').replace(/; use .*$/, '');
        throw new AppError('VALIDATION', { detail: `--out ${shown(text)}: ${why}; --out takes ${OUT_FORMS}`, cause: error });
      }
      if (parsed.key !== null) {
        throw new AppError('VALIDATION', {
          detail: `--out ${shown(text)} names a backup file; give the folder or prefix to write into (${destinationUrl(parsed.config)}): lifeboat names the file`,
        });
      }
      const resolved = destinationFromEnv({ ...parsed.config, id: `out${i + 1}` }, env, flags);
      output = { location: destinationUrl(resolved.config), remote: { config: resolved.config, openOptions: resolved.openOptions } };
      const config = resolved.config;
      identity = config.kind === 'sftp' ? destinationUrl({ ...config, host: config.host.toLowerCase() }) : output.location;
    } else {
      output = { location: path.resolve(cwd, text), remote: null };
      identity = output.location;
    }
    const earlier = seen.get(identity);
    if (earlier !== undefined) {
      throw new AppError('VALIDATION', { detail: `--out ${shown(earlier)} and --out ${shown(text)} are the same destination; give each destination once` });
    }
    seen.set(identity, text);
    return output;
  });
}

/** The copies of a one-off backup as the catalog recorded them (for the command's output). */
export function oneOffCopies(ctx: Pick<CoreContext, 'catalog'>, backupId: string): BackupCopy[] {
  return new CopiesRepo(ctx.catalog).forBackup(backupId);
}

type OneOffContext = Pick<CoreContext, 'runner' | 'audit' | 'verifications' | 'clock' | 'appVersion' | 'containerOptions' | 'catalog' | 'dataDir'>;

/** Starts the backup job (named "command line" in the history) and records who started it. */
export function startOneOffBackup(ctx: OneOffContext, spec: OneOffBackup, actor: string): JobSummary {
  if (spec.outputs.length === 0) throw new AppError('VALIDATION', { detail: `give at least one --out: ${OUT_FORMS}` });
  const description = spec.description?.trim() || null;
  const job = ctx.runner.start({ kind: 'backup', planId: null, planName: 'command line', trigger: 'manual', description }, (jobCtx) =>
    runOneOffBackup(ctx, spec, description, jobCtx),
  );
  ctx.audit.record(actor, 'backup.run', job.id);
  return job;
}

/** The destination's error with its secret taken out of the message (the destinations never put one there; this makes sure). */
function secretFree(error: unknown, secret: string | null | undefined): AppError {
  if (error instanceof AppError && !(secret && error.message.includes(secret))) return error;
  const code: ErrorCode = error instanceof AppError ? error.code : 'DEST_FAILED';
  const detail = error instanceof AppError ? error.detail : secretFreeMessage(error, secret ?? null);
  return new AppError(code, { detail: detail && secret ? detail.split(secret).join('***') : detail });
}

/** Runs `work` on the opened destination of a remote output and closes it; errors secret-free, CANCELLED when `signal` aborted. */
async function withDestination<T>(output: BackupOutput, signal: AbortSignal, work: (dest: Destination) => Promise<T>): Promise<T> {
  const { config, openOptions } = output.remote!;
  let dest: Destination | null = null;
  try {
    dest = await openDestination(config, openOptions);
    return await work(dest);
  } catch (error) {
    if (signal.aborted) throw new AppError('CANCELLED', { cause: error });
    throw secretFree(error, openOptions.secret);
  } finally {
    await dest?.close().catch(() => undefined);
  }
}

/** A file stem whose `.lifeboat` is not at the destination yet (an upload replaces what is there). */
async function unusedRemoteStem(output: BackupOutput, stem: string, signal: AbortSignal): Promise<string> {
  return withDestination(output, signal, async (dest) => {
    for (let n = 1; ; n++) {
      const candidate = `${stem}${n > 1 ? `-${n}` : ''}`;
      if (!(await dest.stat(`${candidate}.lifeboat`))) return candidate;
    }
  });
}

/** A new owner-only folder for one job's staged file: `<data dir>/staging/<job id>`. */
async function makeStagingFolder(dataDir: string, jobId: string): Promise<string> {
  const root = path.join(dataDir, 'staging');
  await fs.promises.mkdir(root, { recursive: true, mode: 0o700 });
  // a folder made before with a wider mode (umask, by hand) is narrowed: it holds whole backups
  await fs.promises.chmod(root, 0o700).catch(() => undefined);
  const dir = path.join(root, jobId);
  await fs.promises.mkdir(dir, { mode: 0o700 });
  return dir;
}

/** The uploads of a one-off backup, each following its file as it is written: the remote primary first (if any), then the copies. */
function followOutputs(job: JobContext, primary: BackupOutput, copies: BackupOutput[], outputs: BackupOutput[]): FollowingUploads {
  return new FollowingUploads(job, (finalPath) => {
    const key = path.basename(finalPath);
    const targets: FollowTarget[] = [];
    const target = (config: DestinationConfig, openOptions: OpenDestinationOptions): FollowTarget => ({
      config,
      key,
      open: async () => ({ dest: await openDestination(config, openOptions), secret: openOptions.secret ?? null }),
    });
    // the primary is checked as uploadFileChecked checks it (no read-back); the copies as uploadCopyTo does
    if (primary.remote) targets.push(target({ ...primary.remote.config, readBack: false }, primary.remote.openOptions));
    for (const copy of copies) {
      const { config, openOptions } = copy.remote ?? {
        config: { id: `out${outputs.indexOf(copy) + 1}`, kind: 'local' as const, path: copy.location, readBack: false, hasSecret: false },
        openOptions: {},
      };
      targets.push(target(config, openOptions));
    }
    return targets;
  });
}

async function runOneOffBackup(ctx: OneOffContext, spec: OneOffBackup, description: string | null, job: JobContext): Promise<JobOutcome> {
  const [primary, ...copies] = spec.outputs as [BackupOutput, ...BackupOutput[]];
  let stem = `lifeboat-${fileStamp(ctx.clock.now())}-full`;
  let staging: string | null = null;
  if (primary.remote) {
    job.progress({ phase: 'preflight', currentItem: primary.location });
    stem = await unusedRemoteStem(primary, stem, job.signal);
    staging = await makeStagingFolder(ctx.dataDir, job.jobId);
  }
  const uploads = (primary.remote ? 1 : 0) + copies.length;
  const verifyEnd = uploads > 0 ? 95 : 99;
  // the uploads follow the file while it is written (tasks/follow-upload.ts)
  const following = uploads > 0 ? followOutputs(job, primary, copies, spec.outputs) : null;
  let outcome: JobOutcome;
  try {
    try {
      const { manifest: _manifest, ...written } = await runBackup(
        {
          backupId: job.jobId,
          plan: null,
          description,
          type: 'full',
          base: null,
          destination: staging ?? primary.location,
          fileStem: stem,
          compressionLevel: spec.compressionLevel,
          passphrase: spec.passphrase,
          databases: spec.databases,
          folders: spec.folders,
          appVersion: ctx.appVersion,
          retries: { count: 0, backoffSeconds: 1 },
          env: spec.env,
          containerOptions: ctx.containerOptions,
        },
        following?.job ?? job,
      );
      outcome = written;
      if (outcome.filePath && outcome.status !== 'failed') {
        following?.finish({ size: outcome.sizeBytes ?? 0, sha256: outcome.checksum ?? null, finalPath: outcome.filePath });
      }
      if (spec.verify) outcome = (await verifyAfterBackup(ctx, job, outcome, spec.passphrase, spec.env, [93, verifyEnd])).outcome;
    } catch (error) {
      // a preflight failure or a cancel: no upload is kept, and the staged file (if any) goes with its folder
      await following?.abandon(error);
      if (staging) await fs.promises.rm(staging, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
    if (!outcome.filePath) {
      // every source failed: runBackup kept no file
      await following?.abandon(new AppError('DEST_FAILED', { detail: 'the backup failed, so it was not uploaded' }));
      if (staging) await fs.promises.rm(staging, { recursive: true, force: true }).catch(() => undefined);
      return outcome;
    }
    if (outcome.status === 'failed') {
      // failed verification: the file stays for inspection (as with a local --out), nothing is kept at the destinations
      await following?.abandon(new AppError('FILE_CORRUPT', { detail: 'the backup failed its verification, so it was not uploaded' }));
      return staging ? appendMessage(outcome, `It was not uploaded; the file is kept at ${outcome.filePath} for inspection.`) : outcome;
    }
    if (!following) return outcome;
    return await settleOutputs(ctx, job, { primary, copies, staging, verified: spec.verify }, outcome, following, [verifyEnd, 99]);
  } finally {
    await following?.close();
  }
}

/** Waits for the uploads of a one-off backup, checks and records them, and says what became of them. */
async function settleOutputs(
  ctx: Pick<CoreContext, 'catalog' | 'clock'>,
  job: JobContext,
  run: { primary: BackupOutput; copies: BackupOutput[]; staging: string | null; verified: boolean },
  outcome: JobOutcome,
  following: FollowingUploads,
  range: readonly [number, number],
): Promise<JobOutcome> {
  const { primary, copies, staging } = run;
  const settled = await following.settle(range);
  if (job.signal.aborted) {
    // a cancelled run keeps nothing: what was uploaded goes again, then the file
    await following.abandon(job.signal.reason);
    await fs.promises.rm(staging ?? outcome.filePath!, { recursive: true, force: true }).catch(() => undefined);
    throw new AppError('CANCELLED', { cause: job.signal.reason });
  }
  const key = path.basename(outcome.filePath!);
  let primaryUrl: string | null = null;
  if (primary.remote) {
    const { upload, result } = settled.shift()!;
    if (!result.ok) {
      // the copies of a backup that did not reach its primary are not kept either
      await following.abandon(result.error);
      return primaryUploadFailed(outcome, primary, key, staging!, copies, result.error, run.verified);
    }
    upload.keep();
    primaryUrl = upload.copyTarget(job.jobId).url;
  }
  let errorCode: ErrorCode | null = null;
  const made: BackupCopy[] = [];
  for (const { upload, result } of settled) {
    const attempt = await recordFollowedCopy(ctx, job.jobId, upload, result);
    made.push(attempt.copy);
    errorCode ??= attempt.errorCode;
  }
  if (staging) await fs.promises.rm(staging, { recursive: true, force: true }).catch(() => undefined);
  const failed = made.filter((c) => c.status === 'failed');
  const kept = primaryUrl ?? outcome.filePath!;
  const notes: string[] = [];
  if (primaryUrl) notes.push(`Uploaded to ${primaryUrl} (size and SHA-256 checked).`);
  const good = made.filter((c) => c.status !== 'failed');
  if (good.length > 0) notes.push(`Copied to ${good.map((c) => c.destinationUrl).join(', ')}.`);
  for (const copy of failed) notes.push(`The copy to ${copy.destinationUrl} failed: ${copy.error}`);
  if (failed.length > 0) {
    notes.push(`The backup is kept at ${kept}; run the backup again to make the failed ${failed.length > 1 ? 'copies' : 'copy'}.`);
  }
  const done = appendMessage({ ...outcome, filePath: kept }, notes.join(' '));
  return failed.length > 0 ? { ...done, status: 'partial', errorCode: done.errorCode ?? errorCode } : done;
}

function appendMessage(outcome: JobOutcome, text: string): JobOutcome {
  return text ? { ...outcome, displayMessage: `${outcome.displayMessage ?? ''} ${text}`.trim() } : outcome;
}

/** The outcome of a run whose remote primary did not take the upload: failed with its error, the staged file kept and named. */
function primaryUploadFailed(
  outcome: JobOutcome,
  primary: BackupOutput,
  key: string,
  staging: string,
  copies: BackupOutput[],
  error: unknown,
  verified: boolean,
): JobOutcome {
  const failure = secretFree(error, primary.remote!.openOptions.secret);
  const file = outcome.filePath!;
  const parts = [
    `The backup was written${verified ? ' and verified' : ''}, but the upload to ${primary.location} failed: ${failure.message}`,
    `Nothing is lost: the backup is kept at ${file}.`,
    `Fix the destination and run the backup again, or upload that file as it is to ${primary.location}/${key} (any client of the destination will do); then delete the folder ${staging}.`,
  ];
  if (copies.length > 0) parts.push(`The copies (${copies.map((c) => c.location).join(', ')}) were not made.`);
  return { ...outcome, status: 'failed', errorCode: failure.code, displayMessage: parts.join(' ') };
}
