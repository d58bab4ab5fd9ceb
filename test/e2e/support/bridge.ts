/**
 * The browser test bridge: gives a Playwright page the same `window.lifeboat` the preload gives
 * the Electron window, wired to the REAL handler map of a core running in the test worker.
 *
 *   page  window.lifeboat.invoke(channel, request)
 *     → binding __lifeboatInvoke (page.exposeBinding, serialised by Playwright)
 *     → dispatch(core.handlers, channel, request)   validation + envelope, as ipcMain does
 *   core  events.onAny(event, payload)
 *     → page.evaluate(__lifeboatDeliver(event, payload))  → the page's listeners
 */
import type { Page } from '@playwright/test';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import type { LifeboatCore } from '../../../src/main/core/lifeboat';
import { INVOKE_CHANNELS, PUSH_CHANNELS, type InvokeChannel, type LifeboatApi } from '../../../src/shared/ipc-contract';

interface BridgeGlobals {
  __lifeboatInvoke(channel: string, request: unknown): Promise<unknown>;
  __lifeboatDeliver?: (event: string, payload: unknown) => void;
  /** tests: where a File of this name "is" on disk (see pathForFile) */
  __lifeboatRegisterPath?: (name: string, path: string) => void;
  lifeboat?: LifeboatApi;
}

/**
 * Runs in the page before any of its scripts (an init script, serialised with toString: it must
 * not use anything from this module's scope). Mirrors the preload: only contract channels pass.
 */
function installPageApi(channels: { invoke: string[]; push: string[] }): void {
  const g = globalThis as unknown as BridgeGlobals;
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const invoke = (channel: string, request?: unknown): Promise<unknown> => {
    if (!channels.invoke.includes(channel)) return Promise.reject(new Error(`Unknown IPC channel: ${String(channel)}`));
    return g.__lifeboatInvoke(channel, request);
  };
  const on = (event: string, listener: (payload: unknown) => void): (() => void) => {
    if (!channels.push.includes(event)) throw new Error(`Unknown event: ${String(event)}`);
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  };
  const deliver = (event: string, payload: unknown): void => {
    for (const listener of listeners.get(event) ?? []) {
      try {
        listener(payload);
      } catch (error) {
        // one failing listener must not starve the others, as in the preload
        console.error(error);
      }
    }
  };
  // Electron's webUtils.getPathForFile has no browser equivalent (a page never learns where a
  // File is): the only fake of the bridge, a map of names the test registered to real paths
  const paths = new Map<string, string>();
  const pathForFile = (file: File): string | null => paths.get(file.name) ?? null;
  Object.defineProperty(g, '__lifeboatDeliver', { value: deliver });
  Object.defineProperty(g, '__lifeboatRegisterPath', { value: (name: string, path: string) => void paths.set(name, path) });
  Object.defineProperty(g, 'lifeboat', {
    value: Object.freeze({ invoke, on, pathForFile }) as unknown as LifeboatApi,
    enumerable: true,
  });
}

/**
 * Bridges `page` to `core`. Returns `detach`, which stops forwarding events, refuses further
 * calls and waits for deliveries in flight, so nothing touches the core once it is closed.
 */
export async function installBridge(page: Page, core: LifeboatCore): Promise<() => Promise<void>> {
  let detached = false;

  await page.exposeBinding('__lifeboatInvoke', async (_source, channel: unknown, request: unknown) => {
    if (detached) {
      return { ok: false, error: { code: 'INTERNAL', message: 'The test core is closed.' } };
    }
    return dispatch(core.handlers, channel as InvokeChannel, request);
  });
  await page.addInitScript(installPageApi, { invoke: [...INVOKE_CHANNELS], push: [...PUSH_CHANNELS] });

  // Deliveries are chained so that the page sees events in the order core emitted them.
  let delivery: Promise<void> = Promise.resolve();
  const off = core.events.onAny((event, payload) => {
    if (detached || page.isClosed()) return;
    delivery = delivery.then(async () => {
      if (detached || page.isClosed()) return;
      try {
        await page.evaluate(
          ([e, p]) => (globalThis as unknown as BridgeGlobals).__lifeboatDeliver?.(e, p),
          [event, payload] as const,
        );
      } catch {
        // The page closed or was navigating: like webContents.send to a reloading window, the
        // event has no receiver, and the new document loads the current state itself.
      }
    });
  });

  const detach = async () => {
    detached = true;
    off();
    await delivery;
  };
  page.once('close', () => void detach());
  return detach;
}

/**
 * Drops files onto the page as a user would: a real DataTransfer holding File objects, with
 * dragenter, dragover and drop dispatched on `selector`. Each file's name is registered with
 * `path`, so that window.lifeboat.pathForFile answers as Electron's webUtils would. With
 * `stopBeforeDrop` only dragenter and dragover are sent (the drop overlay stays up).
 */
export async function dropFiles(
  page: Page,
  files: { name: string; path: string | null; content?: string }[],
  options: { selector?: string; stopBeforeDrop?: boolean } = {},
): Promise<void> {
  await page.evaluate(
    ({ files, selector, stopBeforeDrop }) => {
      // the DOM as this file needs it (the node tsconfig has no DOM types)
      interface Transfer {
        items: { add(file: File): void };
      }
      const g = globalThis as unknown as BridgeGlobals & {
        DataTransfer: new () => Transfer;
        DragEvent: new (type: string, init: { bubbles: boolean; cancelable: boolean; dataTransfer: Transfer }) => Event;
        document: { querySelector(selector: string): EventTarget | null; body: EventTarget };
      };
      const transfer = new g.DataTransfer();
      for (const file of files) {
        if (file.path) g.__lifeboatRegisterPath?.(file.name, file.path);
        transfer.items.add(new File([file.content ?? ''], file.name));
      }
      const target = g.document.querySelector(selector) ?? g.document.body;
      const fire = (type: string) => target.dispatchEvent(new g.DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
      fire('dragenter');
      fire('dragover');
      if (!stopBeforeDrop) fire('drop');
    },
    { files, selector: options.selector ?? 'main', stopBeforeDrop: options.stopBeforeDrop ?? false },
  );
}
