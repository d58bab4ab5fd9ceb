/**
 * Handlers of the chain channels: what a plan's next run makes and "Next run: full", and
 * deleting one backup from History, chain-aware (tasks/delete-backup: a base goes only with the
 * backups that build on it).
 */
import { AppError } from '../../../shared/errors';
import type { InvokeHandlers, PlanNextBackup } from '../../../shared/ipc-contract';
import type { Plan } from '../../../shared/plan';
import { nextBackupOf, setNextRunFull } from '../tasks/chain-state';
import { deleteBackup, planBackupDeletion, type DeleteBackupContext } from '../tasks/delete-backup';
import type { HandlerContext } from './handler-context';

type ChainChannels = 'plans/next-backup' | 'plans/set-next-full' | 'backups/preview-delete' | 'backups/delete';

export function createChainHandlers(
  ctx: DeleteBackupContext & Pick<HandlerContext, 'plans' | 'catalog' | 'clock'>,
  actor = 'user',
): Pick<InvokeHandlers, ChainChannels> {
  const planOrThrow = (id: string): Plan => {
    const plan = ctx.plans.get(id);
    if (!plan) throw new AppError('NOT_FOUND', { detail: `plan ${id}` });
    return plan;
  };
  const nextBackup = (plan: Plan): PlanNextBackup => {
    const next = nextBackupOf(ctx, plan);
    return { planId: plan.id, type: next.type, reason: next.reason, fullRequested: next.fullRequest !== null, chain: next.chain };
  };
  const deletionOf = (id: string) => {
    // an id only: a path would let the window name any file
    const backup = ctx.jobs.get(id);
    if (!backup || backup.kind !== 'backup') throw new AppError('NOT_FOUND', { detail: `no backup ${id} in the catalog; refresh History` });
    return planBackupDeletion(ctx, backup.id);
  };
  return {
    'plans/next-backup': ({ id }) => nextBackup(planOrThrow(id)),
    'plans/set-next-full': ({ id, full }) => {
      const plan = planOrThrow(id);
      setNextRunFull(ctx, plan, full, actor);
      return nextBackup(plan);
    },
    'backups/preview-delete': ({ id }) => deletionOf(id),
    'backups/delete': async ({ id, withDependents }) => ({
      deleted: await deleteBackup(ctx, deletionOf(id), { withDependents, actor }),
    }),
  };
}
