import { describe, expect, it } from 'vitest';
import { describeRetention, draftFromPlan, emptyDraft, validateDraft, type PlanDraft } from '../../../src/renderer/src/lib/plan-form';
import type { Plan } from '../../../src/shared/plan';

const PASSPHRASE = 'a long enough passphrase';

function draft(patch: Partial<PlanDraft>): PlanDraft {
  return {
    ...emptyDraft({ destination: '/backups', timezone: 'UTC' }),
    name: 'Chained',
    type: 'incremental',
    folders: [{ id: 'f1', path: '/srv/www', excludes: '' }],
    passphrase: PASSPHRASE,
    passphraseConfirm: PASSPHRASE,
    ...patch,
  };
}

describe('the plan form: chains and the storage cap', () => {
  it('turns "a full every 5 runs, keep 2 chains, cap 50MB" into the plan main accepts', () => {
    const result = validateDraft(draft({ fullEveryRuns: '5', fullEveryDays: '', keepChains: '2', cap: ' 50 MB ', retentionDays: '' }));
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.plan.options).toMatchObject({ fullEveryRuns: 5, fullEveryDays: null });
    expect(result.plan.retention).toMatchObject({ days: null, keepChains: 2, capBytes: 50_000_000 });
  });

  it('starts a new plan with a full every 7 days and no cap', () => {
    const result = validateDraft(draft({}));
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.plan.options).toMatchObject({ fullEveryRuns: null, fullEveryDays: 7 });
    expect(result.plan.retention).toMatchObject({ keepChains: 0, capBytes: null });
  });

  it('names the fix for a cap that is not a size, one below 1 MB, and a chain rule out of range', () => {
    const notASize = validateDraft(draft({ cap: 'lots' }));
    expect(notASize.ok).toBe(false);
    if (!notASize.ok) expect(notASize.errors['retention.capBytes']).toBe('Enter a size such as 50MB, 1.5GB, 500MiB or a number of bytes, or leave it blank for no cap');
    const tiny = validateDraft(draft({ cap: '10kB' }));
    if (!tiny.ok) expect(tiny.errors['retention.capBytes']).toBe('Use a cap of at least 1 MB');
    else throw new Error('a 10 kB cap was accepted');
    const zero = validateDraft(draft({ fullEveryRuns: '0' }));
    if (!zero.ok) expect(zero.errors['options.fullEveryRuns']).toBe('Use a value of at least 1');
    else throw new Error('a full every 0 runs was accepted');
  });

  it('shows a saved plan the way it was typed, and describes it', () => {
    const result = validateDraft(draft({ fullEveryRuns: '5', keepChains: '2', cap: '50MB' }));
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const plan = { ...result.plan, id: 'p1', createdAt: '', updatedAt: '' } as unknown as Plan;
    expect(draftFromPlan(plan)).toMatchObject({ fullEveryRuns: '5', fullEveryDays: '7', keepChains: '2', cap: '50MB' });
    expect(describeRetention(plan.retention)).toBe('Keep 7 days, 2 chains, storage cap 50MB');
  });
});
