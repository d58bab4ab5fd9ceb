import fs from 'node:fs';
import { AppError } from '../../../shared/errors';
import type { BackupType, Plan } from '../../../shared/plan';
import type { CoreContext } from '../context';
import { planRetention, type RetentionCandidate, type StorageUse } from '../retention/retention';
import { deleteCopiesOf } from './upload-copies';

/** A backup as a retention decision names it. */
export interface RetentionEntry {
  id: string;
  startedAt: string;
  filePath: string | null;
}

/** What retention kept and removed (or, in a dry run, would remove), newest first. */
export interface RetentionResult {
  kept: (RetentionEntry & { reasons: string[] })[];
  pruned: (RetentionEntry & { reason: string })[];
  dryRun: boolean;
  /** with a storage cap: what the kept backups take, and whether the cap was met */
  storage?: StorageUse;
}

export interface RetentionOptions {
  /** decide and report, delete nothing, record nothing */
  dryRun?: boolean;
  /** who the audit log names (default 'system': retention after a run) */
  actor?: string;
}

/**
 * Applies the plan's retention: deletes the files of backups no rule keeps (never the newest
 * verified one, never a base a kept backup needs) and their copies at the plan's other
 * destinations (tasks/upload-copies.ts deleteCopiesOf), marks their jobs and records each in the
 * audit log. `current` is the run that just finished (it counts as the newest backup and is
 * never removed), or null when retention is applied on its own (`lifeboat prune`). With
 * `dryRun` it only returns the decision.
 */
export async function applyRetention(
  ctx: Pick<CoreContext, 'jobs' | 'verifications' | 'audit' | 'clock' | 'catalog' | 'secrets'>,
  plan: Plan,
  current: { jobId: string; baseId: string | null; type: BackupType; verified: boolean; sizeBytes?: number | null } | null,
  options: RetentionOptions = {},
): Promise<RetentionResult> {
  const currentJobId = current?.jobId ?? null;
  const jobs = ctx.jobs.backupsOfPlan(plan.id);
  const candidates: RetentionCandidate[] = jobs.map((job) => ({
    id: job.id,
    startedAt: job.startedAt,
    verified: ctx.verifications.latestStatus(job.id) === 'passed',
    baseId: ctx.jobs.baseOf(job.id),
    type: ctx.jobs.backupTypeOf(job.id) ?? 'full',
    sizeBytes: job.sizeBytes,
  }));
  if (current && !candidates.some((c) => c.id === current.jobId)) {
    // the current job is still 'running' in the catalog: count it as the newest
    candidates.push({
      id: current.jobId,
      startedAt: ctx.clock.now().toISOString(),
      verified: current.verified,
      baseId: current.baseId,
      type: current.type,
      sizeBytes: current.sizeBytes ?? null,
    });
  }
  const decision = planRetention(candidates, plan.retention, ctx.clock.now(), plan.timezone);
  const entry = (id: string): RetentionEntry => {
    const job = jobs.find((j) => j.id === id);
    return { id, startedAt: job?.startedAt ?? ctx.clock.now().toISOString(), filePath: job?.filePath ?? null };
  };
  const result: RetentionResult = {
    kept: decision.keep.map((k) => ({ ...entry(k.id), reasons: k.reasons })),
    pruned: [],
    dryRun: Boolean(options.dryRun),
    ...(decision.storage ? { storage: decision.storage } : {}),
  };
  for (const { id, reason } of decision.prune) {
    if (id === currentJobId) continue;
    const job = jobs.find((j) => j.id === id);
    if (!job?.filePath) continue;
    if (!options.dryRun) {
      await fs.promises.rm(job.filePath, { force: true });
      ctx.jobs.markPruned(id, `Removed by retention: ${reason}.`);
      ctx.audit.record(options.actor ?? 'system', 'backup.prune', id, { plan: plan.name, file: job.filePath, reason });
      // its copies at the plan's other destinations go with it (a failed delete is retried on the next run)
      await deleteCopiesOf(ctx, plan, id, options.actor ?? 'system');
    }
    result.pruned.push({ ...entry(id), reason });
  }
  return result;
}

/**
 * Applies the plan's retention now, outside a run (`lifeboat prune`): PLAN_BUSY while a job of
 * the plan runs in any process on this catalog (it may be building on a backup retention would
 * remove).
 */
export async function pruneNow(
  ctx: Pick<CoreContext, 'jobs' | 'verifications' | 'audit' | 'clock' | 'runner' | 'catalog' | 'secrets'>,
  plan: Plan,
  options: RetentionOptions = {},
): Promise<RetentionResult> {
  const running = ctx.jobs.list({ planId: plan.id, status: 'running' }, 1, 1).total + ctx.jobs.list({ planId: plan.id, status: 'pending' }, 1, 1).total;
  if (ctx.runner.isPlanActive(plan.id) || running > 0) throw new AppError('PLAN_BUSY', { detail: `plan "${plan.name}"` });
  return applyRetention(ctx, plan, null, options);
}
