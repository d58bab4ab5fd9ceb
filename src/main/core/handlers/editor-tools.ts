/**
 * Handlers of the editors' helpers: the OS open dialog behind the Browse buttons (a port the
 * shell fills in) and the plan editor's "Test connection", which runs the same database checks a
 * backup run starts with.
 */
import { AppError } from '../../../shared/errors';
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import { asksForPassword } from '../../../shared/plan';
import { secretKeys } from '../paths';
import { preflightDatabase } from '../postgres/preflight';
import type { HandlerContext } from './handler-context';

type EditorToolChannels = 'dialog/pick-path' | 'plans/test-connection';

export function createEditorToolHandlers(ctx: Pick<HandlerContext, 'pathPicker' | 'secrets'>): Pick<InvokeHandlers, EditorToolChannels> {
  return {
    'dialog/pick-path': async (request) => {
      if (!ctx.pathPicker) throw new AppError('INTERNAL', { detail: 'this process has no file dialog; type the path instead' });
      return { path: await ctx.pathPicker.pick(request) };
    },
    'plans/test-connection': async ({ planId, source, password }) => {
      // the password typed in the editor, else the one kept for this source of the saved plan
      const stored = password === undefined && planId && asksForPassword(source) ? await ctx.secrets.get(secretKeys.dbPassword(planId, source.id)) : null;
      const result = await preflightDatabase(source, password ?? stored ?? null);
      return { serverVersion: result.serverVersion.text, pgDumpVersion: result.pgDumpVersion.text, pgDumpPath: result.pgDumpPath };
    },
  };
}
