/** Handlers of the plan channels: list, get, save (with its secrets), delete, run now. */
import { AppError } from '../../../shared/errors';
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import { asksForPassword } from '../../../shared/plan';
import { secretKeys } from '../paths';
import { deletePlan, savePlan, type PlanSaveContext } from '../plans/save-plan';
import { checkDumpFilter } from '../postgres/dump-filter-check';
import { startPlanBackup, type PlanBackupContext } from '../tasks/plan-backup';
import type { HandlerContext } from './handler-context';

type PlanChannels = 'plans/list' | 'plans/get' | 'plans/save' | 'plans/delete' | 'plans/run-now' | 'plans/check-dump-filter';

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
    'plans/run-now': ({ id, description }) => ({ jobId: startPlanBackup(ctx, planOrThrow(id), 'manual', actor, { description }).id }),
    'plans/check-dump-filter': async ({ planId, source, password }) => {
      // the password typed in the editor, else the one kept for this source of the saved plan
      const stored = password === undefined && planId && asksForPassword(source) ? await ctx.secrets.get(secretKeys.dbPassword(planId, source.id)) : null;
      return checkDumpFilter(source, password ?? stored ?? null);
    },
  };
}
