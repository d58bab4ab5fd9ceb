import { describe, expect, it } from 'vitest';
import { diffPlanDefinitions, diffPlans, formatPlanDiff } from '../../../src/main/core/plans/plan-diff';
import { planInputSchema } from '../../../src/shared/plan';

const definition = (overrides: Record<string, unknown> = {}) =>
  planInputSchema.parse({
    name: 'shop',
    databases: [
      { id: 'db1', host: 'a', user: 'u', database: 'shop', passwordFrom: 'env:PG_SHOP' },
      { id: 'db2', host: 'b', user: 'u', database: 'crm' },
    ],
    folders: [{ id: 'folder1', path: '/srv/files', excludes: ['*.tmp'] }],
    schedule: { kind: 'daily', time: '02:00' },
    options: { destination: '/backups', passphraseFrom: 'file:/etc/lifeboat/pass' },
    ...overrides,
  });

describe('diffPlans', () => {
  it('finds nothing between equal plans', () => {
    expect(diffPlans(definition(), definition())).toEqual([]);
  });

  it('lists changed, added and removed fields by path, one line each', () => {
    const before = definition();
    const after = definition({ schedule: { kind: 'weekly', days: [1, 4], time: '03:30' }, retention: { days: null, keepLast: 5 } });
    const lines = formatPlanDiff(diffPlans(before, after));
    expect(lines).toEqual([
      '~ schedule.kind: "daily" -> "weekly"',
      '~ schedule.time: "02:00" -> "03:30"',
      '+ schedule.days: [1,4]',
      '~ retention.days: 7 -> null',
      '~ retention.keepLast: 0 -> 5',
    ]);
  });

  it('matches sources by id, so that removing the first is not a change of the others', () => {
    const before = definition();
    const after = definition({ databases: [{ id: 'db2', host: 'b', user: 'u', database: 'crm', port: 5433 }] });
    expect(formatPlanDiff(diffPlans(before, after))).toEqual([
      '- databases[db1].id: "db1"',
      '- databases[db1].host: "a"',
      '- databases[db1].port: 5432',
      '- databases[db1].user: "u"',
      '- databases[db1].database: "shop"',
      '- databases[db1].sslMode: "prefer"',
      '- databases[db1].hasPassword: false',
      '- databases[db1].passwordFrom: "env:PG_SHOP"',
      '~ databases[db2].port: 5432 -> 5433',
    ]);
  });

  it('shows lists of values (excludes, days) as one value, and an object that became null leaf by leaf', () => {
    const before = definition({ options: { destination: '/backups', encrypt: false, drillServer: { host: 'd', user: 'x' } } });
    const after = definition({ folders: [{ id: 'folder1', path: '/srv/files', excludes: ['*.tmp', '*.iso'] }], options: { destination: '/backups', encrypt: false } });
    expect(formatPlanDiff(diffPlans(before, after))).toEqual([
      '~ folders[folder1].excludes: ["*.tmp"] -> ["*.tmp","*.iso"]',
      '- options.drillServer.host: "d"',
      '- options.drillServer.port: 5432',
      '- options.drillServer.user: "x"',
      '- options.drillServer.sslMode: "prefer"',
      '- options.drillServer.hasPassword: false',
      '+ options.drillServer: null',
    ]);
  });

  it('lists every field of a new plan as added', () => {
    const changes = diffPlanDefinitions(null, definition());
    expect(changes.every((c) => c.kind === 'added')).toBe(true);
    expect(formatPlanDiff(changes)).toContain('+ options.passphraseFrom: "file:/etc/lifeboat/pass"');
    expect(formatPlanDiff(changes)).toContain('+ databases[db1].passwordFrom: "env:PG_SHOP"');
    // the file's format marker is not a field of the plan
    expect(changes.some((c) => c.path === 'lifeboatPlan')).toBe(false);
  });

  it('compares plans as their files say them: a keychain password is "keychain", not hasPassword', () => {
    const stored = definition({ databases: [{ id: 'db1', host: 'a', user: 'u', database: 'shop', hasPassword: true }], options: { destination: '/backups' } });
    const named = definition({ databases: [{ id: 'db1', host: 'a', user: 'u', database: 'shop', passwordFrom: 'env:PG_SHOP' }], options: { destination: '/backups' } });
    expect(formatPlanDiff(diffPlanDefinitions(stored, named))).toEqual(['~ databases[db1].passwordFrom: "keychain" -> "env:PG_SHOP"']);
  });
});
