import {
  INVOKE_CHANNELS,
  invokeSchemas,
  type InvokeChannel,
  type InvokeHandlers,
  type InvokeResult,
} from '../../../shared/ipc-contract';
import { AppError, toTransferable } from '../../../shared/errors';

export function isInvokeChannel(channel: unknown): channel is InvokeChannel {
  return typeof channel === 'string' && (INVOKE_CHANNELS as string[]).includes(channel);
}

/**
 * Validates `request` against the channel's schema, runs the handler and wraps the outcome in
 * the reply envelope. This is the one path from outside into core: Electron's ipcMain, the e2e
 * browser bridge and the handler tests all go through it.
 */
export async function dispatch<K extends InvokeChannel>(
  handlers: InvokeHandlers,
  channel: K,
  request: unknown,
): Promise<InvokeResult<K>> {
  try {
    if (!isInvokeChannel(channel)) throw new AppError('VALIDATION', { detail: `unknown channel ${String(channel)}` });
    const parsed = invokeSchemas[channel].safeParse(request);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first?.path.length ? `${first.path.join('.')}: ` : '';
      throw new AppError('VALIDATION', { detail: `${where}${first?.message ?? 'invalid request'}` });
    }
    const handler = handlers[channel] as (request: unknown) => Promise<unknown> | unknown;
    const value = await handler(parsed.data);
    return { ok: true, value } as InvokeResult<K>;
  } catch (error) {
    return { ok: false, error: toTransferable(error) };
  }
}
