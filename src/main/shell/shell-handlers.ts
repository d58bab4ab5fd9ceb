/**
 * The IPC channels the shell answers itself (shellInvokeSchemas in the contract): updates and
 * the logs folder. ipc.ts adds them to the core's handler map, behind the same dispatch.
 */
import type { ShellInvokeHandlers } from '../../shared/ipc-contract';
import type { UpdateService } from './update-service';

export interface ShellHandlerDeps {
  updates: Pick<UpdateService, 'status' | 'check' | 'setAutoCheck'>;
  /** opens the logs folder in the file manager (creating it); resolves with its path */
  openLogsFolder(): Promise<string>;
}

export function createShellHandlers(deps: ShellHandlerDeps): ShellInvokeHandlers {
  return {
    'updates/status': () => deps.updates.status(),
    'updates/check': () => deps.updates.check(),
    'updates/set-auto-check': ({ enabled }) => deps.updates.setAutoCheck(enabled),
    'app/open-logs-folder': async () => ({ path: await deps.openLogsFolder() }),
  };
}
