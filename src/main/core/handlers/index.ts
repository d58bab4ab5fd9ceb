/**
 * The handler map behind every IPC channel: what the Electron IPC bridge, the CLI's tests and
 * the browser test bridge call. Arguments arrive validated (see ipc/dispatch); each change and
 * action is written to the audit log. Each group of channels takes only what it uses.
 */
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import { createAppHandlers } from './app';
import { createChainHandlers } from './chains';
import { createDestinationHandlers } from './destinations';
import { createEditorToolHandlers } from './editor-tools';
import type { HandlerContext } from './handler-context';
import { createJobHandlers } from './jobs';
import { createNotifyHandlers } from './notify';
import { createPlanHandlers } from './plans';
import { createRestoreHandlers } from './restore';
import { createSchedulerHandlers } from './scheduler';
import { createStatsHandlers } from './stats';

export type { HandlerContext } from './handler-context';

/** Builds the handler map; `actor` is who the audit log names for these actions. */
export function createHandlers(ctx: HandlerContext, actor = 'user'): InvokeHandlers {
  return {
    ...createAppHandlers(ctx, actor),
    ...createJobHandlers(ctx, actor),
    ...createPlanHandlers(ctx, actor),
    ...createChainHandlers(ctx, actor),
    ...createNotifyHandlers(ctx, actor),
    ...createSchedulerHandlers(ctx, actor),
    ...createRestoreHandlers(ctx, actor),
    ...createStatsHandlers(ctx),
    ...createEditorToolHandlers(ctx),
    ...createDestinationHandlers(ctx, actor),
  };
}
