/**
 * The renderer's only way into main: a typed wrapper over `window.lifeboat`, which the preload
 * (or the e2e browser bridge) builds from the IPC contract. Errors cross IPC as data; `call`
 * turns them back into AppError so screens can show the code and the message that names the fix.
 */
import { fromTransferable } from '../../../shared/errors';
import type {
  InvokeChannel,
  InvokeRequest,
  InvokeResponses,
  LifeboatApi,
  PushChannel,
  PushEvents,
} from '../../../shared/ipc-contract';

declare global {
  interface Window {
    lifeboat: LifeboatApi;
  }
}

/** Invokes a channel and returns its value, or throws the AppError main replied with. */
export async function call<K extends InvokeChannel>(channel: K, request?: InvokeRequest<K>): Promise<InvokeResponses[K]> {
  const result = await window.lifeboat.invoke(channel, request);
  if (result.ok) return result.value;
  throw fromTransferable(result.error);
}

/** Listens to an event pushed by main; returns the unsubscribe function. */
export function subscribe<E extends PushChannel>(event: E, listener: (payload: PushEvents[E]) => void): () => void {
  return window.lifeboat.on(event, listener);
}
