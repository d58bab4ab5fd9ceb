/**
 * Handlers of the scheduler channels: status, reinitialize, the schedule preview of the plan
 * editor and the first-run presets. Arguments arrive validated (see dispatch).
 */
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import type { HandlerContext } from './handler-context';
import { nextRuns, validateSchedule } from '../scheduler/next-run';
import { planPresets } from '../scheduler/presets';

type SchedulerChannels = 'scheduler/status' | 'scheduler/reinitialize' | 'plans/preview-schedule' | 'plans/presets';

/** The scheduler channels of the handler map; createHandlers spreads them in. */
export function createSchedulerHandlers(ctx: Pick<HandlerContext, 'schedulerLease' | 'audit' | 'clock'>, actor = 'user'): Pick<InvokeHandlers, SchedulerChannels> {
  return {
    // through the lease: when another process (the service) runs the schedules, its state and next runs, and who it is
    'scheduler/status': () => ctx.schedulerLease.status(),
    'scheduler/reinitialize': () => {
      ctx.audit.record(actor, 'scheduler.reinitialize', null);
      return ctx.schedulerLease.reinitialize();
    },
    'plans/preview-schedule': ({ schedule, timezone, count }) => {
      // a bad zone or cron expression comes back as VALIDATION with the fix in its message
      validateSchedule(schedule, timezone);
      return { runs: nextRuns(schedule, timezone, ctx.clock.now(), count).map((d) => d.toISOString()) };
    },
    'plans/presets': () => planPresets(),
  };
}
