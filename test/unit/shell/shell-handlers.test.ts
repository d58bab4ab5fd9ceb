import { describe, expect, it, vi } from 'vitest';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import { createShellHandlers } from '../../../src/main/shell/shell-handlers';
import type { InvokeHandlers, UpdateStatus } from '../../../src/shared/ipc-contract';

const status: UpdateStatus = { configured: false, reason: 'Updates are not configured for this build.', autoCheck: true, currentVersion: '0.1.0', lastCheck: null };

describe("the shell's own IPC channels", () => {
  const updates = {
    status: vi.fn(() => status),
    check: vi.fn(async () => ({ outcome: 'not-configured' as const, message: status.reason!, version: null, checkedAt: '2025-03-01T10:00:00.000Z' })),
    setAutoCheck: vi.fn((enabled: boolean) => ({ ...status, autoCheck: enabled })),
  };
  const handlers = createShellHandlers({ updates, openLogsFolder: async () => '/data/logs' }) as InvokeHandlers;

  it('go through the same validating dispatch as the core channels', async () => {
    expect(await dispatch(handlers, 'updates/set-auto-check', { enabled: false })).toEqual({ ok: true, value: { ...status, autoCheck: false } });
    const refused = await dispatch(handlers, 'updates/set-auto-check', { enabled: 'no' });
    expect(refused.ok).toBe(false);
    expect(updates.setAutoCheck).toHaveBeenCalledOnce();
  });

  it('answer the status, a check and the logs folder', async () => {
    expect(await dispatch(handlers, 'updates/status', undefined)).toEqual({ ok: true, value: status });
    const check = await dispatch(handlers, 'updates/check', {});
    expect(check.ok && check.value.outcome).toBe('not-configured');
    expect(await dispatch(handlers, 'app/open-logs-folder', undefined)).toEqual({ ok: true, value: { path: '/data/logs' } });
  });
});
