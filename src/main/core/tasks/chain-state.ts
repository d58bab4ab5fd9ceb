/**
 * A plan's chains as the catalog holds them: its backups still on disk as chain members, what
 * its next run makes (decideNextBackupType), and "Next run: full" (asked for in the app, with
 * `lifeboat run --full`, or cleared again), audited.
 */
import type { Plan } from '../../../shared/plan';
import { FullRequestsRepo, type FullRequest } from '../catalog/full-requests-repo';
import type { CoreContext } from '../context';
import { decideNextBackupType, type ChainMember, type NextBackupType } from '../retention/chains';

/** A backup of the plan still on disk, as retention and chains see it. */
export interface PlanBackup extends ChainMember {
  sizeBytes: number | null;
  filePath: string | null;
}

/** The plan's backups still on disk (success or partial, with a file), newest first. */
export function planBackups(ctx: Pick<CoreContext, 'jobs'>, planId: string): PlanBackup[] {
  return ctx.jobs.backupsOfPlan(planId).map((job) => ({
    id: job.id,
    startedAt: job.startedAt,
    baseId: ctx.jobs.baseOf(job.id),
    type: ctx.jobs.backupTypeOf(job.id) ?? 'full',
    sizeBytes: job.sizeBytes,
    filePath: job.filePath,
  }));
}

/** What the plan's next run makes and why, and the pending "Next run: full" request if any. */
export function nextBackupOf(
  ctx: Pick<CoreContext, 'jobs' | 'catalog' | 'clock'>,
  plan: Plan,
  forceFull = false,
): NextBackupType & { fullRequest: FullRequest | null } {
  const fullRequest = new FullRequestsRepo(ctx.catalog).get(plan.id) ?? null;
  const decision = decideNextBackupType(
    { type: plan.type, fullEveryRuns: plan.options.fullEveryRuns, fullEveryDays: plan.options.fullEveryDays },
    planBackups(ctx, plan.id),
    ctx.clock.now(),
    forceFull || fullRequest !== null,
  );
  return { ...decision, fullRequest };
}

/**
 * Sets ("Next run: full") or clears the plan's request for a full backup on its next run, and
 * audits it. A full plan's runs are all full: the request changes nothing there, but is kept
 * (the plan may become incremental before it runs).
 */
export function setNextRunFull(ctx: Pick<CoreContext, 'catalog' | 'clock' | 'audit'>, plan: Plan, full: boolean, actor: string): boolean {
  const requests = new FullRequestsRepo(ctx.catalog);
  if (full) requests.request(plan.id, ctx.clock.now().toISOString(), actor);
  else requests.clear(plan.id);
  ctx.audit.record(actor, full ? 'plan.request-full' : 'plan.cancel-full', plan.id, { plan: plan.name });
  return full;
}
