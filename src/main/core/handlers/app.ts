/** Handlers of the app channels: version and data folder, the pause switch, a file to open. */
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import type { HandlerContext } from './handler-context';

type AppChannels = 'app/get-info' | 'app/set-paused' | 'app/take-pending-file';

export function createAppHandlers(
  ctx: Pick<HandlerContext, 'appVersion' | 'dataDir' | 'pause' | 'audit' | 'pendingOpenFile'>,
  actor = 'user',
): Pick<InvokeHandlers, AppChannels> {
  return {
    'app/get-info': () => ({
      version: ctx.appVersion,
      dataDir: ctx.dataDir,
      platform: process.platform,
      paused: ctx.pause.isPaused(),
      pid: process.pid,
    }),
    'app/set-paused': ({ paused }) => {
      ctx.pause.set(paused);
      ctx.audit.record(actor, paused ? 'scheduler.pause' : 'scheduler.resume', null);
      return { paused: ctx.pause.isPaused() };
    },
    'app/take-pending-file': () => ({ path: ctx.pendingOpenFile?.() ?? null }),
  };
}
