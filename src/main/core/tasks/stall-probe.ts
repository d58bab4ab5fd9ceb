/**
 * The stall watcher's probe for backups: asks each database server of the job's plan what our
 * sessions there wait on (pg_stat_activity / pg_locks, postgres/wait-probe.ts). Other jobs, and
 * plans without databases, have no server to ask.
 */
import { asksForPassword } from '../../../shared/plan';
import type { JobSummary } from '../../../shared/job';
import type { CoreContext } from '../context';
import type { StallProbe } from '../jobs/stall-watch';
import { probeWait } from '../postgres/wait-probe';
import { secretKeys } from '../paths';

export function planStallProbe(ctx: Pick<CoreContext, 'plans' | 'secrets'>): StallProbe {
  return async (job: JobSummary) => {
    if (job.kind !== 'backup' || !job.planId) return null;
    const plan = ctx.plans.get(job.planId);
    if (!plan) return null;
    // the database being dumped is named as the current item; else ask each of the plan's servers
    const current = plan.databases.filter((db) => job.progress?.currentItem?.includes(db.database));
    for (const db of current.length ? current : plan.databases) {
      const password = asksForPassword(db) ? await ctx.secrets.get(secretKeys.dbPassword(plan.id, db.id)).catch(() => null) : null;
      const waitingOn = await probeWait(db, password);
      if (waitingOn) return waitingOn;
    }
    return null;
  };
}
