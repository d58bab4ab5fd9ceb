/**
 * Wires the typed IPC contract to Electron: every invoke channel goes through the one dispatch
 * (validation, handler, reply envelope) after the sender is checked, and every core event is
 * pushed to our windows.
 */
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { ERROR_MESSAGES } from '../../shared/errors';
import { EVENT_PREFIX, INVOKE_CHANNELS, type InvokeHandlers, type InvokeResult, type ShellInvokeHandlers } from '../../shared/ipc-contract';
import { dispatch } from '../core/ipc/dispatch';
import { isTrustedSenderUrl } from '../core/ipc/trusted-sender';
import type { LifeboatCore } from '../core/lifeboat';
import { trustedOrigins } from './windows';

/**
 * Only the top frame of one of our windows, showing our own page, may call main. An iframe, a
 * page navigated elsewhere, or some other webContents (devtools extension, a future helper
 * window with other content) is refused.
 */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  if (!BrowserWindow.fromWebContents(event.sender)) return false;
  return isTrustedSenderUrl(frame.url, trustedOrigins());
}

const forbidden: InvokeResult<never> = {
  ok: false,
  error: { code: 'FORBIDDEN_SENDER', message: ERROR_MESSAGES.FORBIDDEN_SENDER },
};

/**
 * Registers a handler for every channel of the contract (the core's, and the shell's own:
 * updates, logs folder) and forwards core events to all windows. Returns a function that undoes both.
 */
export function setupIpc(core: LifeboatCore, shellHandlers: ShellInvokeHandlers): () => void {
  const handlers: InvokeHandlers = { ...core.handlers, ...shellHandlers };
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, (event, request: unknown) => {
      if (!isTrustedSender(event)) return forbidden;
      return dispatch(handlers, channel, request);
    });
  }
  const stopForwarding = core.events.onAny((event, payload) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed() && !win.webContents.isDestroyed()) win.webContents.send(EVENT_PREFIX + event, payload);
    }
  });
  return () => {
    stopForwarding();
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel);
  };
}
