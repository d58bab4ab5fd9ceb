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

describe('plans/save and plans/delete: the keychain rules', () => {
  const drillServer = { host: 'drill.example', port: 5432, user: 'drill', sslMode: 'prefer' };
  const withDb = (extra: Record<string, unknown> = {}) =>
    plan({ options: { destination: '/tmp/out', encrypt: false, ...extra }, databases: [{ id: 'd1', host: 'h', user: 'u', database: 'db' }] });

  it("removes a database password saved as '', keeps one left out, and says so in hasPassword", async () => {
    const core = makeTestCore();
    cores.push(core);
    const first = await dispatch(core.handlers, 'plans/save', { plan: withDb(), secrets: { dbPasswords: { d1: 'db-password-123' } } });
    if (!first.ok) throw new Error(first.error.message);
    const id = first.value.id;
    const kept = await dispatch(core.handlers, 'plans/save', { plan: { ...withDb(), id }, secrets: {} });
    expect(kept.ok && kept.value.databases[0]!.hasPassword).toBe(true);
    expect(await core.secrets.get(`db:${id}:d1`)).toBe('db-password-123');
    const cleared = await dispatch(core.handlers, 'plans/save', { plan: { ...withDb(), id }, secrets: { dbPasswords: { d1: '' } } });
    expect(cleared.ok && cleared.value.databases[0]!.hasPassword).toBe(false);
    expect(await core.secrets.get(`db:${id}:d1`)).toBeNull();
  });

  it("keeps a drill server's password only while the plan drills on that server", async () => {
    const core = makeTestCore();
    cores.push(core);
    const saved = await dispatch(core.handlers, 'plans/save', {
      plan: withDb({ drillAfter: true, drillServer }),
      secrets: { drillPassword: 'drill-secret-42' },
    });
    if (!saved.ok) throw new Error(saved.error.message);
    const id = saved.value.id;
    expect(saved.value.options.drillServer).toMatchObject({ host: 'drill.example', hasPassword: true });
    expect(JSON.stringify(core.catalog.prepare('SELECT * FROM plans').all())).not.toContain('drill-secret-42');
    // back to drilling on each database's own server: the drill password goes
    const own = await dispatch(core.handlers, 'plans/save', { plan: { ...withDb({ drillAfter: true, drillServer: null }), id }, secrets: {} });
    expect(own.ok).toBe(true);
    expect(await core.secrets.get(`drill:${id}`)).toBeNull();
  });

  it('refuses an id it does not know, and saves nothing', async () => {
    const core = makeTestCore();
    cores.push(core);
    const reply = await dispatch(core.handlers, 'plans/save', { plan: { ...withDb(), id: 'no-such-plan' }, secrets: {} });
    expect(reply).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(core.plans.list()).toEqual([]);
  });

  it('deletes a plan with every secret it kept, and audits create, update and delete', async () => {
    const core = makeTestCore();
    cores.push(core);
    const saved = await dispatch(core.handlers, 'plans/save', {
      plan: withDb({ encrypt: true, drillAfter: true, drillServer }),
      secrets: { passphrase: 'long enough passphrase', dbPasswords: { d1: 'pw-1' }, drillPassword: 'pw-2' },
    });
    if (!saved.ok) throw new Error(saved.error.message);
    const id = saved.value.id;
    await dispatch(core.handlers, 'plans/save', { plan: { ...withDb({ encrypt: true }), id, name: 'Nightly 2' }, secrets: {} });
    const deleted = await dispatch(core.handlers, 'plans/delete', { id });
    expect(deleted).toEqual({ ok: true, value: { deleted: true } });
    for (const key of [`passphrase:${id}`, `db:${id}:d1`, `drill:${id}`]) expect(await core.secrets.get(key)).toBeNull();
    const actions = core.audit.list(1, 50).items.filter((a) => a.target === id).map((a) => a.action);
    expect(actions.sort()).toEqual(['plan.create', 'plan.delete', 'plan.update']);
  });
});
