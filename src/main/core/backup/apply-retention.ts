import fs from 'node:fs';
import type { BackupType, Plan } from '../../../shared/plan';
import type { LifeboatCore } from '../lifeboat';
import { planRetention, type RetentionCandidate } from '../retention/retention';

/**
 * Applies the plan's retention after a run: deletes the files of backups no rule keeps (never
 * the newest verified one, never a base a kept backup needs) and records each in the audit log.
 * `currentJobId` is the run that just finished; it counts as the newest backup.
 */
export async function applyRetention(
  core: LifeboatCore,
  plan: Plan,
  current: { jobId: string; baseId: string | null; type: BackupType; verified: boolean },
): Promise<string[]> {
  const currentJobId = current.jobId;
  const jobs = core.jobs.backupsOfPlan(plan.id);
  const candidates: RetentionCandidate[] = jobs.map((job) => ({
    id: job.id,
    startedAt: job.startedAt,
    verified: core.verifications.latestStatus(job.id) === 'passed',
    baseId: core.jobs.baseOf(job.id),
    type: core.jobs.backupTypeOf(job.id) ?? 'full',
  }));
  if (!candidates.some((c) => c.id === currentJobId)) {
    // the current job is still 'running' in the catalog: count it as the newest
    candidates.push({
      id: currentJobId,
      startedAt: core.clock.now().toISOString(),
      verified: current.verified,
      baseId: current.baseId,
      type: current.type,
    });
  }
  const decision = planRetention(candidates, plan.retention, core.clock.now(), plan.timezone);
  const pruned: string[] = [];
  for (const { id, reason } of decision.prune) {
    if (id === currentJobId) continue;
    const job = jobs.find((j) => j.id === id);
    if (!job?.filePath) continue;
    await fs.promises.rm(job.filePath, { force: true });
    core.jobs.markPruned(id, `Removed by retention: ${reason}.`);
    core.audit.record('system', 'backup.prune', id, { plan: plan.name, file: job.filePath, reason });
    pruned.push(id);
  }
  return pruned;
}
