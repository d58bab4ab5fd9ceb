import { afterEach, describe, expect, it } from 'vitest';
import { checkHeadlessSave, saveHeadlessPlan } from '../../../src/main/core/plans/headless-save';
import { withPlanSecretRefs } from '../../../src/main/core/plans/secret-refs';
import { MemorySecretStore } from '../../../src/main/core/ports';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import { AppError } from '../../../src/shared/errors';
import { planInputSchema } from '../../../src/shared/plan';
import { makeTestCore } from '../../support/temp-core';

const cores: ReturnType<typeof makeTestCore>[] = [];
afterEach(async () => {
  for (const core of cores.splice(0)) await core.cleanup();
});

const definition = (overrides: Record<string, unknown> = {}) =>
  planInputSchema.parse({
    name: 'shop',
    databases: [{ id: 'db1', host: 'h', user: 'u', database: 'shop' }],
    options: { destination: '/tmp/out', passphraseFrom: 'env:LB_PASS' },
    ...overrides,
  });

describe('saving a plan without a keychain', () => {
  it('stores references, never values, and needs a named passphrase for a new encrypted plan', async () => {
    const core = makeTestCore();
    cores.push(core);
    const noPassphrase = definition({ options: { destination: '/tmp/out' } });
    expect(checkHeadlessSave(noPassphrase, undefined).issues).toEqual([{ path: 'options.passphraseFrom', message: expect.stringContaining('passphraseFrom env:NAME or file:/path') }]);
    await expect(saveHeadlessPlan(core, noPassphrase, 'cli')).rejects.toMatchObject({ code: 'PASSPHRASE_REQUIRED' });

    const { plan } = await saveHeadlessPlan(core, definition({ databases: [{ id: 'db1', host: 'h', user: 'u', database: 'shop', passwordFrom: 'file:/etc/pg-pass' }] }), 'cli');
    expect(plan.options.passphraseFrom).toBe('env:LB_PASS');
    expect(plan.databases[0]).toMatchObject({ passwordFrom: 'file:/etc/pg-pass', hasPassword: false });
    expect(core.audit.list(1, 10).items[0]).toMatchObject({ actor: 'cli', action: 'plan.create' });
  });

  it("keeps what the app's keychain holds for an existing plan, and drops `keychain` (the default)", async () => {
    const core = makeTestCore();
    cores.push(core);
    const saved = await dispatch(core.handlers, 'plans/save', {
      plan: { name: 'app plan', databases: [{ id: 'db1', host: 'h', user: 'u', database: 'shop' }], options: { destination: '/tmp/out' } },
      secrets: { passphrase: 'a long passphrase', dbPasswords: { db1: 'pw-123' } },
    });
    if (!saved.ok) throw new Error(saved.error.message);
    const existing = saved.value;
    const input = definition({
      id: existing.id,
      name: 'app plan',
      databases: [{ id: 'db1', host: 'h', user: 'u', database: 'shop', passwordFrom: 'keychain' }],
      options: { destination: '/tmp/elsewhere', passphraseFrom: 'keychain' },
    });
    const check = checkHeadlessSave(input, existing);
    expect(check.issues).toEqual([]);
    expect(check.warnings).toEqual([]);
    const { plan } = await saveHeadlessPlan(core, input, 'cli');
    expect(plan.databases[0]).toEqual({ id: 'db1', host: 'h', port: 5432, user: 'u', database: 'shop', sslMode: 'prefer', hasPassword: true });
    expect(plan.options).not.toHaveProperty('passphraseFrom');
    expect(plan.options.destination).toBe('/tmp/elsewhere');
    // still there for the app
    expect(await core.secrets.get(`db:${existing.id}:db1`)).toBe('pw-123');
  });

  it('warns when a password is said to be in the keychain but none is', () => {
    const check = checkHeadlessSave(definition({ databases: [{ id: 'db1', host: 'h', user: 'u', database: 'shop', passwordFrom: 'keychain' }] }), undefined);
    expect(check.warnings).toEqual([expect.stringContaining("databases[0] (db1): the app's keychain holds no password for it")]);
    expect(check.definition.databases[0]).not.toHaveProperty('passwordFrom');
  });
});

describe('withPlanSecretRefs', () => {
  const plan = { ...definition(), id: 'p1', createdAt: '', updatedAt: '' };
  const plans = { get: (id: string) => (id === 'p1' ? { ...plan, databases: [{ ...plan.databases[0]!, passwordFrom: 'env:PG_SHOP' }] } : undefined) };

  it("answers a plan's references through the store's resolveReference, every other key from the store", async () => {
    const inner = Object.assign(new MemorySecretStore(), {
      resolveReference: async (ref: string, what: string) => {
        if (ref === 'env:LB_PASS') return 'from-env';
        throw new AppError('SECRET_UNAVAILABLE', { detail: `${what}: ${ref}` });
      },
    });
    await inner.set('passphrase:other', 'kept');
    const store = withPlanSecretRefs(inner, plans);
    expect(await store.get('passphrase:p1')).toBe('from-env');
    expect(await store.get('passphrase:other')).toBe('kept');
    await expect(store.get('db:p1:db1')).rejects.toMatchObject({ code: 'SECRET_UNAVAILABLE', message: expect.stringContaining('plan "shop", the password of database db1') });
  });

  it('leaves a store that cannot read references (the app keychain) as it is', () => {
    const inner = new MemorySecretStore();
    expect(withPlanSecretRefs(inner, plans)).toBe(inner);
  });
});
