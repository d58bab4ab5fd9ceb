/** Handlers of the job history and audit log channels: list, detail, cancel, CSV export. */
import { AppError } from '../../../shared/errors';
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import { CancelRequestsRepo } from '../catalog/cancel-requests-repo';
import { requestCancelElsewhere } from '../jobs/cancel-requests';
import { isProcessAlive } from '../jobs/process-alive';
import { jobsToCsv } from '../jobs/jobs-csv';
import type { HandlerContext } from './handler-context';

type JobChannels = 'jobs/list' | 'jobs/get' | 'jobs/cancel' | 'jobs/export-csv' | 'audit/list';

export function createJobHandlers(ctx: Pick<HandlerContext, 'jobs' | 'runner' | 'audit' | 'catalog' | 'clock'>, actor = 'user'): Pick<InvokeHandlers, JobChannels> {
  const cancelRequests = new CancelRequestsRepo(ctx.catalog);
  return {
    'jobs/list': ({ page, pageSize, ...filter }) => ctx.jobs.list(filter, page, pageSize),
    'jobs/get': ({ id }) => {
      const job = ctx.jobs.detail(id);
      if (!job) throw new AppError('NOT_FOUND', { detail: `job ${id}` });
      return job;
    },
    'jobs/cancel': ({ id }) => {
      if (ctx.runner.cancel(id, 'user')) {
        ctx.audit.record(actor, 'job.cancel', id);
        return { cancelled: true };
      }
      // another live process runs it (the service, a CLI): it cancels it within about a second
      const elsewhere = requestCancelElsewhere(cancelRequests, id, ctx.clock.now(), isProcessAlive);
      if (elsewhere.requested) ctx.audit.record(actor, 'job.cancel', id, { ownerPid: elsewhere.ownerPid });
      return { cancelled: elsewhere.requested };
    },
    'jobs/export-csv': (filter) => {
      ctx.audit.record(actor, 'jobs.export-csv', null, filter);
      return { csv: jobsToCsv(ctx.jobs.all(filter)) };
    },
    'audit/list': ({ page, pageSize }) => ctx.audit.list(page, pageSize),
  };
}
