import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import { makeTestCore } from '../../support/temp-core';

const cores: ReturnType<typeof makeTestCore>[] = [];
afterEach(async () => {
  for (const core of cores.splice(0)) await core.cleanup();
});

function plan(overrides: Record<string, unknown>) {
  return {
    name: 'Nightly',
    folders: [{ id: 'f1', path: '/tmp' }],
    options: { destination: '/tmp/out', encrypt: false },
    ...overrides,
  };
}

describe('plans/save', () => {
  it('refuses an unknown time zone and an invalid cron expression, and saves nothing', async () => {
    const core = makeTestCore();
    cores.push(core);
    const badZone = await dispatch(core.handlers, 'plans/save', { plan: plan({ timezone: 'Mars/Olympus_Mons' }), secrets: {} });
    expect(badZone).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    const badCron = await dispatch(core.handlers, 'plans/save', {
      plan: plan({ schedule: { kind: 'cron', expression: '61 25 * * *' } }),
      secrets: {},
    });
    expect(badCron).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(core.plans.list()).toEqual([]);
  });

  it('keeps secrets out of the plan and requires a passphrase for an encrypted plan', async () => {
    const core = makeTestCore();
    cores.push(core);
    const noPass = await dispatch(core.handlers, 'plans/save', { plan: plan({ options: { destination: '/tmp/out' } }), secrets: {} });
    expect(noPass).toMatchObject({ ok: false, error: { code: 'PASSPHRASE_REQUIRED' } });
    const saved = await dispatch(core.handlers, 'plans/save', {
      plan: plan({ options: { destination: '/tmp/out' }, databases: [{ id: 'd1', host: 'h', user: 'u', database: 'db' }] }),
      secrets: { passphrase: 'long enough passphrase', dbPasswords: { d1: 'db-password-123' } },
    });
    expect(saved.ok).toBe(true);
    const stored = JSON.stringify(core.catalog.prepare('SELECT * FROM plans').all());
    expect(stored).not.toContain('long enough passphrase');
    expect(stored).not.toContain('db-password-123');
    expect(saved.ok && saved.value.databases[0].hasPassword).toBe(true);
  });
});
