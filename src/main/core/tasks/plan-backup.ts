/**
 * A plan's backup run as a job: its secrets from the keychain, the base of an incremental or
 * differential, the streaming backup with the copies at the plan's other destinations uploading
 * alongside it, verify and drill after it (as the plan asks), retention.
 */
import fs from 'node:fs';
import { AppError } from '../../../shared/errors';
import type { JobSummary, JobTrigger } from '../../../shared/job';
import { asksForPassword, isKeychainRef, type BackupType, type Plan } from '../../../shared/plan';
import { openBaseBackup, type OpenedBase } from '../backup/base-index';
import { fileStamp, planSlug } from '../backup/file-names';
import { runBackup } from '../backup/run-backup';
import type { CoreContext } from '../context';
import type { JobContext, JobOutcome } from '../jobs/job-runner';
import { secretKeys } from '../paths';
import { FullRequestsRepo } from '../catalog/full-requests-repo';
import { formatBytes } from '../notify/format';
import { applyRetention } from './apply-retention';
import { nextBackupOf } from './chain-state';
import { drillAfterBackup } from './drill-after';
import { withPlanHooks } from './plan-hooks';
import { followPlanCopies, rejectPlanCopies, settlePlanCopies, type FollowingUploads } from './follow-upload';
import { uploadPlanCopies } from './upload-copies';
import { verifyAfterBackup } from './verify-after';

/** What a plan's run uses of the core. */
export type PlanBackupContext = Pick<CoreContext, 'jobs' | 'secrets' | 'clock' | 'appVersion' | 'containerOptions' | 'verifications' | 'audit' | 'catalog'>;

/** How one run of a plan differs from its usual run. */
export interface PlanRunOptions {
  /** start a new chain with a full backup whatever the plan's chain rules say (`lifeboat run --full`) */
  full?: boolean;
  /** this run's free-text description (History, the CSV export, the manifest); default: the plan's */
  description?: string;
}

/** The description a run records: its own, else its plan's; null when neither has one. */
export function runDescription(plan: Plan, options: PlanRunOptions): string | null {
  return options.description?.trim() || plan.description?.trim() || null;
}

/**
 * Finds the backup an incremental (the newest successful one) or differential (the newest
 * full) builds on, and indexes its folder files. Returns null when there is none usable: the
 * run is then a full backup, and the manifest says so.
 */
async function findBase(ctx: Pick<CoreContext, 'jobs'>, plan: Plan, passphrase: string | null): Promise<OpenedBase | null> {
  if (plan.type === 'full') return null;
  for (const job of ctx.jobs.backupsOfPlan(plan.id)) {
    if (job.status !== 'success' || !job.filePath || !fs.existsSync(job.filePath)) continue;
    let base: OpenedBase;
    try {
      // a format 3 base stays open: runBackup streams its folder indexes alongside the walk, then closes it
      base = await openBaseBackup(job.filePath, passphrase);
    } catch {
      continue;
    }
    if (plan.type === 'differential' && base.type !== 'full') {
      await base.close();
      continue;
    }
    return base;
  }
  return null;
}

/**
 * Starts a backup job of the plan and writes its audit line (`plan.run-now` for a manual run,
 * `plan.run-scheduled` for a scheduled or catch-up one); throws PLAN_BUSY if the plan already
 * has a job pending or running.
 */
export function startPlanBackup(
  ctx: PlanBackupContext & Pick<CoreContext, 'runner'>,
  plan: Plan,
  trigger: JobTrigger,
  actor: string,
  options: PlanRunOptions = {},
): JobSummary {
  const job = ctx.runner.start(
    { kind: 'backup', planId: plan.id, planName: plan.name, trigger, backupType: plan.type, description: runDescription(plan, options) },
    // the plan's pre- and post-backup hooks around the whole run (tasks/plan-hooks.ts)
    (jobCtx) => withPlanHooks(ctx, plan, jobCtx, runDescription(plan, options), () => runPlanBackup(ctx, plan, jobCtx, options)),
  );
  ctx.audit.record(actor, trigger === 'manual' ? 'plan.run-now' : 'plan.run-scheduled', plan.id, {
    jobId: job.id,
    trigger,
    ...(options.full ? { full: true } : {}),
  });
  return job;
}

/**
 * Runs one backup of a plan inside a job: reads its secrets from the keychain, decides whether
 * an incremental/differential plan starts a new chain (chain rules, "Next run: full", `full`)
 * or finds its base, streams the backup while its copies upload the file as it grows (a backup
 * that fails leaves no copy), verifies it and drills it (as the plan asks; a backup that fails
 * them has its copies deleted again), checks and records the copies (and uploads earlier failed
 * copies again), then applies the plan's retention and storage cap (to the copies too).
 */
export async function runPlanBackup(ctx: PlanBackupContext, plan: Plan, job: JobContext, options: PlanRunOptions = {}): Promise<JobOutcome> {
  const runStartedAt = ctx.clock.now().toISOString();
  const passphrase = plan.options.encrypt ? await ctx.secrets.get(secretKeys.passphrase(plan.id)) : null;
  if (plan.options.encrypt && !passphrase) {
    const from = plan.options.passphraseFrom;
    throw new AppError('PASSPHRASE_REQUIRED', {
      detail: isKeychainRef(from)
        ? `plan "${plan.name}" has no passphrase in the keychain; set it in the plan`
        : `plan "${plan.name}" takes its passphrase from ${from}, which only the lifeboat command reads: lifeboat run "${plan.name}"`,
    });
  }
  const databases = await Promise.all(
    plan.databases.map(async (source) => ({
      source,
      password: asksForPassword(source) ? await ctx.secrets.get(secretKeys.dbPassword(plan.id, source.id)) : null,
    })),
  );
  const next = nextBackupOf(ctx, plan, options.full);
  const base = next.type === 'full' ? null : await findBase(ctx, plan, passphrase);
  const backupType = base ? plan.type : 'full';
  // the copies upload while the backup is written: each follows the file as it grows (tasks/follow-upload.ts)
  const following = plan.options.copies.length > 0 ? followPlanCopies(ctx, plan, job) : null;
  let written: Awaited<ReturnType<typeof runBackup>>;
  try {
    written = await runBackup(
      {
        backupId: job.jobId,
        plan: { id: plan.id, name: plan.name },
        description: runDescription(plan, options),
        type: backupType,
        base,
        destination: plan.options.destination,
        fileStem: `${planSlug(plan.name)}-${fileStamp(ctx.clock.now())}-${backupType}`,
        compressionLevel: plan.options.compressionLevel,
        passphrase,
        databases,
        folders: plan.folders,
        appVersion: ctx.appVersion,
        retries: plan.options.retries,
        containerOptions: ctx.containerOptions,
      },
      following?.job ?? job,
    );
  } catch (error) {
    await following?.abandon(error);
    throw error;
  }
  const { manifest: _manifest, ...outcome } = written;
  const checked: JobOutcome = { ...outcome, backupType, baseJobId: base?.backupId ?? null };
  if (checked.status === 'failed' || !checked.filePath) {
    await following?.abandon(new AppError('DEST_FAILED', { detail: 'the backup failed, so it was not copied' }));
    return checked;
  }
  following?.finish({ size: checked.sizeBytes ?? 0, sha256: checked.checksum ?? null, finalPath: checked.filePath });
  try {
    return await afterBackup(ctx, plan, job, { passphrase, runStartedAt, next, base, backupType, following }, checked);
  } catch (error) {
    // cancelled (or an error) after the backup: the copies in flight are aborted, a copy made and not recorded is deleted again
    await following?.abandon(error);
    throw error;
  } finally {
    await following?.close();
  }
}

/** What runPlanBackup hands on to the steps after the backup. */
interface RunSoFar {
  passphrase: string | null;
  runStartedAt: string;
  next: ReturnType<typeof nextBackupOf>;
  base: OpenedBase | null;
  backupType: BackupType;
  /** the copies uploading while the backup was written; null when the plan has none */
  following: FollowingUploads | null;
}

/** The steps after the backup was written: verify, drill, the copies, retention. */
async function afterBackup(ctx: PlanBackupContext, plan: Plan, job: JobContext, run: RunSoFar, written: JobOutcome): Promise<JobOutcome> {
  const { passphrase, runStartedAt, next, base, backupType, following } = run;
  let checked = written;
  if (backupType === 'full') {
    // the request is honoured; one made while this run ran waits for the next
    if (next.fullRequest) new FullRequestsRepo(ctx.catalog).clear(plan.id, runStartedAt);
    if (plan.type !== 'full') checked = { ...checked, displayMessage: `${checked.displayMessage ?? ''} A new chain starts: ${next.type === 'full' ? next.reason : 'no earlier backup to build on could be read'}.`.trim() };
  }

  let verified = false;
  // with a drill, verification takes less of the bar: a drill restores the databases, which takes longer;
  // uploading the copies takes the end of the bar
  const drill = plan.options.drillAfter;
  const checksEnd = plan.options.copies.length > 0 ? 96 : 99;
  const verifyEnd = drill ? checksEnd - (checksEnd === 99 ? 4 : 2) : checksEnd;
  if (plan.options.verifyAfter) {
    const result = await verifyAfterBackup(ctx, job, checked, passphrase, undefined, [93, verifyEnd]);
    if (result.outcome.status === 'failed') {
      if (following) await rejectPlanCopies(ctx, job.jobId, following, 'the backup failed its verification');
      return result.outcome;
    }
    checked = result.outcome;
    verified = result.passed;
  }
  if (drill) {
    checked = await drillAfterBackup(ctx, plan, job, checked, passphrase, undefined, [verifyEnd, checksEnd]);
    if (checked.status === 'failed') {
      if (following) await rejectPlanCopies(ctx, job.jobId, following, 'the backup failed its restore drill');
      return checked;
    }
  }
  // this backup's copies, made while it was written: their uploads end, then the checks
  const made = following ? await settlePlanCopies(ctx, job, following, checked.filePath!, [checksEnd, 99]) : [];
  // the copies (tasks/upload-copies.ts): those made, then earlier failed ones again; a failed
  // copy makes the run partial, the primary is kept
  const copies = await uploadPlanCopies(
    ctx,
    plan,
    job,
    { backupId: job.jobId, filePath: checked.filePath!, sizeBytes: checked.sizeBytes ?? null, sha256: checked.checksum ?? null },
    made,
    [checksEnd, 99],
  );
  if (copies.message) checked = { ...checked, displayMessage: `${checked.displayMessage ?? ''} ${copies.message}`.trim() };
  if (copies.failed.length > 0) checked = { ...checked, status: 'partial', errorCode: checked.errorCode ?? copies.errorCode };
  job.progress({ phase: 'retention', percent: 99 });
  const retention = await applyRetention(ctx, plan, {
    jobId: job.jobId,
    baseId: base?.backupId ?? null,
    type: backupType,
    verified,
    sizeBytes: checked.sizeBytes ?? null,
  });
  if (retention.storage && !retention.storage.met) {
    // the notification service raises the storage-cap alert from the same numbers
    checked = {
      ...checked,
      displayMessage: `${checked.displayMessage ?? ''} Over the storage cap: the backups kept take ${formatBytes(retention.storage.keptBytes)}, the cap is ${formatBytes(retention.storage.capBytes)}.`.trim(),
    };
  }
  return checked;
}
