/** Handlers of the plan channels: list, get, save (with its secrets), delete, run now. */
import { AppError } from '../../../shared/errors';
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import { deletePlan, savePlan, type PlanSaveContext } from '../plans/save-plan';
import { startPlanBackup, type PlanBackupContext } from '../tasks/plan-backup';
import type { HandlerContext } from './handler-context';

type PlanChannels = 'plans/list' | 'plans/get' | 'plans/save' | 'plans/delete' | 'plans/run-now';

export function createPlanHandlers(
  ctx: PlanSaveContext & PlanBackupContext & Pick<HandlerContext, 'runner'>,
  actor = 'user',
): Pick<InvokeHandlers, PlanChannels> {
  const planOrThrow = (id: string) => {
    const plan = ctx.plans.get(id);
    if (!plan) throw new AppError('NOT_FOUND', { detail: `plan ${id}` });
    return plan;
  };
  return {
    'plans/list': () => ctx.plans.list(),
    'plans/get': ({ id }) => planOrThrow(id),
    'plans/save': (request) => savePlan(ctx, request, actor),
    'plans/delete': async ({ id }) => ({ deleted: await deletePlan(ctx, id, actor) }),
    'plans/run-now': ({ id }) => ({ jobId: startPlanBackup(ctx, planOrThrow(id), 'manual', actor).id }),
  };
}
