import fs from 'node:fs';
import type { BackupType, Plan } from '../../../shared/plan';
import type { CoreContext } from '../context';
import { planRetention, type RetentionCandidate } from '../retention/retention';

/**
 * Applies the plan's retention after a run: deletes the files of backups no rule keeps (never
 * the newest verified one, never a base a kept backup needs) and records each in the audit log.
 * `currentJobId` is the run that just finished; it counts as the newest backup.
 */
export async function applyRetention(
  ctx: Pick<CoreContext, 'jobs' | 'verifications' | 'audit' | 'clock'>,
  plan: Plan,
  current: { jobId: string; baseId: string | null; type: BackupType; verified: boolean },
): Promise<string[]> {
  const currentJobId = current.jobId;
  const jobs = ctx.jobs.backupsOfPlan(plan.id);
  const candidates: RetentionCandidate[] = jobs.map((job) => ({
    id: job.id,
    startedAt: job.startedAt,
    verified: ctx.verifications.latestStatus(job.id) === 'passed',
    baseId: ctx.jobs.baseOf(job.id),
    type: ctx.jobs.backupTypeOf(job.id) ?? 'full',
  }));
  if (!candidates.some((c) => c.id === currentJobId)) {
    // the current job is still 'running' in the catalog: count it as the newest
    candidates.push({
      id: currentJobId,
      startedAt: ctx.clock.now().toISOString(),
      verified: current.verified,
      baseId: current.baseId,
      type: current.type,
    });
  }
  const decision = planRetention(candidates, plan.retention, ctx.clock.now(), plan.timezone);
  const pruned: string[] = [];
  for (const { id, reason } of decision.prune) {
    if (id === currentJobId) continue;
    const job = jobs.find((j) => j.id === id);
    if (!job?.filePath) continue;
    await fs.promises.rm(job.filePath, { force: true });
    ctx.jobs.markPruned(id, `Removed by retention: ${reason}.`);
    ctx.audit.record('system', 'backup.prune', id, { plan: plan.name, file: job.filePath, reason });
    pruned.push(id);
  }
  return pruned;
}
