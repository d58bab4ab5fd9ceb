import { describe, expect, it } from 'vitest';
import { draftFromPlan, draftSecrets, draftToInput, validateDraft } from '../../../src/renderer/src/lib/plan-form';
import { planInputSchema, type Plan } from '../../../src/shared/plan';

/** A plan the command line made: its secrets named by reference, none in the keychain. */
const plan: Plan = {
  ...planInputSchema.parse({
    name: 'shop',
    databases: [{ id: 'db1', host: 'h', user: 'u', database: 'shop', passwordFrom: 'env:PG_SHOP' }],
    options: {
      destination: '/backups',
      passphraseFrom: 'file:/etc/lifeboat/pass',
      drillAfter: true,
      drillServer: { host: 'drill', user: 'd', passwordFrom: 'env:DRILL_PW' },
    },
  }),
  id: 'p1',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('the plan editor and secret references', () => {
  it('keeps passwordFrom and passphraseFrom through an edit in the app, asking for no passphrase', () => {
    const draft = draftFromPlan(plan);
    expect(draft.databases[0]!.passwordFrom).toBe('env:PG_SHOP');
    expect(draft.passphraseFrom).toBe('file:/etc/lifeboat/pass');
    const result = validateDraft({ ...draft, name: 'shop (renamed)' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const saved = planInputSchema.parse(result.plan);
    expect(saved.databases[0]!.passwordFrom).toBe('env:PG_SHOP');
    expect(saved.options.passphraseFrom).toBe('file:/etc/lifeboat/pass');
    expect(saved.options.drillServer?.passwordFrom).toBe('env:DRILL_PW');
    expect(result.secrets).toEqual({ dbPasswords: {} });
  });

  it('drops the passphrase reference of a plan that no longer encrypts', () => {
    const input = draftToInput({ ...draftFromPlan(plan), encrypt: false });
    expect(input.options).not.toHaveProperty('passphraseFrom');
    expect(draftSecrets({ ...draftFromPlan(plan), encrypt: false })).toEqual({ dbPasswords: {} });
  });
});
