import type { JobProgress } from '../../../shared/job';
import type { JobContext } from './job-runner';

/**
 * A step's view of its job's progress: the step reports 0-100 and the job shows it as `from`-`to`
 * of its own bar (to one decimal), with `fixed` fields (e.g. the phase) laid over each update.
 * Everything else in the context (signal, temp path) is the job's own.
 */
export function sliceProgress<C extends Pick<JobContext, 'progress'>>(ctx: C, from: number, to: number, fixed: Partial<JobProgress> = {}): C {
  return {
    ...ctx,
    progress: (update: Partial<JobProgress>) => {
      const { percent, ...rest } = update;
      ctx.progress({
        ...rest,
        ...fixed,
        ...(percent === undefined ? {} : { percent: Math.round((from + ((to - from) * Math.min(100, percent)) / 100) * 10) / 10 }),
      });
    },
  };
}
