/**
 * The plan editor's description, hooks, alert rules and dump options: a plan read into the form
 * and back is the same plan; what says nothing is left out; bad values are refused by the plan's
 * own schema with a message naming the fix.
 */
import { describe, expect, it } from 'vitest';
import { extrasFromPlan, extrasToInput, filterDraftFrom, filterToInput, emptyExtras } from '../../../src/renderer/src/lib/plan-extras-form';
import { alertRulesSchema } from '../../../src/shared/alert-rules';
import { planInputSchema } from '../../../src/shared/plan';

describe('plan extras in the editor', () => {
  it('round-trips a plan with a description, hooks, rules and dump options', () => {
    const plan = {
      description: 'nightly',
      hooks: { pre: { command: "/bin/pause 'app'", timeoutSeconds: 60 }, post: { command: '/bin/upload', timeoutSeconds: 60 } },
      alerts: alertRulesSchema.parse({ consecutiveFailures: { count: 4 }, lowDisk: { percent: null, bytes: 5_000_000_000 }, overdue: { enabled: false } }),
    };
    expect(extrasToInput(extrasFromPlan(plan))).toEqual(plan);
    const db = { schemas: [], excludeTables: ['public.tmp_*'], excludeTableData: ['audit_log', '"Big"'] };
    expect(filterToInput(filterDraftFrom(db))).toEqual({ excludeTables: ['public.tmp_*'], excludeTableData: ['audit_log', '"Big"'] });
  });

  it('leaves out what says nothing', () => {
    expect(extrasToInput(emptyExtras())).toEqual({});
  });

  it("refuses bad values through the plan's schema, naming the fix", () => {
    const input = (extras: Partial<ReturnType<typeof emptyExtras>>) => ({
      name: 'p',
      folders: [{ id: 'f', path: '/x' }],
      options: { destination: '/d' },
      ...extrasToInput({ ...emptyExtras(), ...extras }),
    });
    const messages = (extras: Partial<ReturnType<typeof emptyExtras>>) => planInputSchema.safeParse(input(extras)).error?.issues.map((i) => i.message) ?? [];
    expect(messages({ preHook: "run 'open" })).toEqual(['The hook command cannot be read: a single quote is not closed']);
    expect(messages({ preHook: '/bin/x', hookTimeout: '0' })).toEqual(['Use a timeout of at least 1 second']);
    expect(messages({ durationFactor: '', durationMinutes: '' })).toEqual(['Give a factor or a number of minutes for the duration alert, or turn it off']);
    expect(messages({ diskFree: 'lots' })[0]).toBeDefined();
  });
});
