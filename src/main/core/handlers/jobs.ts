/** Handlers of the job history and audit log channels: list, detail, cancel, CSV export. */
import { AppError } from '../../../shared/errors';
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import { jobsToCsv } from '../jobs/jobs-csv';
import type { HandlerContext } from './handler-context';

type JobChannels = 'jobs/list' | 'jobs/get' | 'jobs/cancel' | 'jobs/export-csv' | 'audit/list';

export function createJobHandlers(ctx: Pick<HandlerContext, 'jobs' | 'runner' | 'audit'>, actor = 'user'): Pick<InvokeHandlers, JobChannels> {
  return {
    'jobs/list': ({ page, pageSize, ...filter }) => ctx.jobs.list(filter, page, pageSize),
    'jobs/get': ({ id }) => {
      const job = ctx.jobs.detail(id);
      if (!job) throw new AppError('NOT_FOUND', { detail: `job ${id}` });
      return job;
    },
    'jobs/cancel': ({ id }) => {
      const cancelled = ctx.runner.cancel(id, 'user');
      if (cancelled) ctx.audit.record(actor, 'job.cancel', id);
      return { cancelled };
    },
    'jobs/export-csv': (filter) => {
      ctx.audit.record(actor, 'jobs.export-csv', null, filter);
      return { csv: jobsToCsv(ctx.jobs.all(filter)) };
    },
    'audit/list': ({ page, pageSize }) => ctx.audit.list(page, pageSize),
  };
}
