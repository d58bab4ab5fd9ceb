import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import { makeTestCore } from '../../support/temp-core';

const cores: ReturnType<typeof makeTestCore>[] = [];
afterEach(async () => {
  await Promise.all(cores.splice(0).map((core) => core.cleanup()));
});

describe('dialog/pick-path', () => {
  it('answers what the shell’s picker picked, passing the request on', async () => {
    const asked: unknown[] = [];
    const core = makeTestCore({ pathPicker: { pick: async (request) => (asked.push(request), '/srv/picked') } });
    cores.push(core);
    const reply = await dispatch(core.handlers, 'dialog/pick-path', { kind: 'folder', defaultPath: '/srv' });
    expect(reply).toEqual({ ok: true, value: { path: '/srv/picked' } });
    expect(asked).toEqual([{ kind: 'folder', defaultPath: '/srv' }]);
  });

  it('refuses an unknown kind, and says so where there is no dialog (the CLI)', async () => {
    const core = makeTestCore();
    cores.push(core);
    const unknown = await dispatch(core.handlers, 'dialog/pick-path', { kind: 'anything' });
    expect(unknown.ok === false && unknown.error.code).toBe('VALIDATION');
    const none = await dispatch(core.handlers, 'dialog/pick-path', { kind: 'backup-file' });
    expect(none.ok === false && none.error.message).toMatch(/no file dialog/);
  });
});

describe('plans/test-connection', () => {
  it('names the problem when the server cannot be reached or pg_dump is missing', async () => {
    const core = makeTestCore();
    cores.push(core);
    const reply = await dispatch(core.handlers, 'plans/test-connection', {
      source: { id: 'db1', host: '127.0.0.1', port: 1, user: 'nobody', database: 'nothing', sslMode: 'disable', hasPassword: false },
    });
    expect(reply.ok).toBe(false);
    expect(reply.ok === false && reply.error.code).toMatch(/^(PG_UNREACHABLE|PG_DUMP_MISSING)$/);
  });
});
