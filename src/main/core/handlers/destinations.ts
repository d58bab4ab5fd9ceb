/**
 * Handlers of the off-site destination channels:
 * - destinations/test: connect, write, read back and delete a small object (destinations/
 *   test-destination.ts), with the secret typed in the editor or else the one stored for the
 *   plan's destination; audited without the secret;
 * - backups/copies: every copy the catalog records of one backup (catalog/copies-repo.ts);
 * - plans/offsite-status: per plan, whether its newest backup has an off-site copy
 *   (notify/offsite-alert.ts).
 */
import { destinationUrl } from '../../../shared/destination';
import { AppError } from '../../../shared/errors';
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import { CopiesRepo } from '../catalog/copies-repo';
import { testDestination } from '../destinations/test-destination';
import { readOffsiteStatus } from '../notify/offsite-alert';
import { secretKeys } from '../paths';
import type { HandlerContext } from './handler-context';

type DestinationChannels = 'destinations/test' | 'backups/copies' | 'plans/offsite-status';

export function createDestinationHandlers(
  ctx: Pick<HandlerContext, 'catalog' | 'jobs' | 'plans' | 'secrets' | 'audit'>,
  actor = 'user',
): Pick<InvokeHandlers, DestinationChannels> {
  return {
    'destinations/test': async ({ planId, destination, secret }) => {
      // the typed secret, else the stored one of this plan's destination (a new plan has none yet)
      let used = secret || null;
      if (!used && planId && destination.kind !== 'local') used = await ctx.secrets.get(secretKeys.destSecret(planId, destination.id));
      const result = await testDestination(destination, { secret: used });
      const failed = result.steps.find((s) => !s.ok);
      ctx.audit.record(actor, 'destination.test', planId ?? null, {
        destinationId: destination.id,
        kind: destination.kind,
        url: destinationUrl(destination),
        ok: result.ok,
        failedStep: failed?.step ?? null,
        ...(result.hostKey ? { hostKey: result.hostKey } : {}),
      });
      return result;
    },
    'backups/copies': ({ id }) => {
      const job = ctx.jobs.get(id);
      if (!job || job.kind !== 'backup') throw new AppError('NOT_FOUND', { detail: `no backup ${id} in the catalog; refresh History` });
      return new CopiesRepo(ctx.catalog).forBackup(id);
    },
    'plans/offsite-status': () => ctx.plans.list().map((plan) => readOffsiteStatus(ctx, plan)),
  };
}
