/** Handlers of the off-site destination channels: Test, a backup's copies, the plans' off-site status. */
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import { AppError } from '../../../shared/errors';
import type { HandlerContext } from './handler-context';

type DestinationChannels = 'destinations/test' | 'backups/copies' | 'plans/offsite-status';

export function createDestinationHandlers(_ctx: HandlerContext, _actor = 'user'): Pick<InvokeHandlers, DestinationChannels> {
  return {
    'destinations/test': () => Promise.reject(new AppError('INTERNAL', { detail: 'not implemented yet' })),
    'backups/copies': () => Promise.reject(new AppError('INTERNAL', { detail: 'not implemented yet' })),
    'plans/offsite-status': () => Promise.reject(new AppError('INTERNAL', { detail: 'not implemented yet' })),
  };
}
