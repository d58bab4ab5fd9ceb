import { describe, expect, it } from 'vitest';
import { checkPlanFile, parsePlanFile, planFileFormatOf, serializePlanFile, toPlanFile } from '../../../src/main/core/plans/plan-file';
import { planInputSchema } from '../../../src/shared/plan';

const plan = planInputSchema.parse({
  name: 'shop',
  type: 'incremental',
  databases: [
    { id: 'db1', host: 'db.example', user: 'backup', database: 'shop', hasPassword: true },
    { id: 'db2', host: 'db.example', user: 'backup', database: 'crm', passwordFrom: 'env:PG_CRM' },
    { id: 'db3', host: 'db.example', user: 'backup', database: 'logs' },
  ],
  folders: [{ id: 'folder1', path: '/srv/files' }],
  schedule: { kind: 'weekly', days: [1, 4], time: '02:30' },
  timezone: 'Europe/Berlin',
  options: { destination: '/backups', drillAfter: true, drillServer: { host: 'drill', user: 'lifeboat', hasPassword: true } },
});

describe('toPlanFile', () => {
  it('names where each secret comes from: a stored one is "keychain", a reference stays, none says nothing', () => {
    const file = toPlanFile(plan) as { databases: Record<string, unknown>[]; options: Record<string, unknown> };
    expect(file).toMatchObject({ lifeboatPlan: 1, name: 'shop' });
    expect(file.databases.map((d) => d.passwordFrom)).toEqual(['keychain', 'env:PG_CRM', undefined]);
    expect(file.databases.every((d) => !('hasPassword' in d))).toBe(true);
    expect(file.options.passphraseFrom).toBe('keychain');
    expect(file.options.drillServer).toEqual({ host: 'drill', port: 5432, user: 'lifeboat', sslMode: 'prefer', passwordFrom: 'keychain' });
    expect(file).not.toHaveProperty('id');
    const unencrypted = toPlanFile({ ...plan, options: { ...plan.options, encrypt: false } }) as { options: Record<string, unknown> };
    expect(unencrypted.options).not.toHaveProperty('passphraseFrom');
  });

  it('reads back (JSON and YAML) as the same plan, with the references in place of the stored flags', () => {
    for (const format of ['json', 'yaml'] as const) {
      const text = serializePlanFile(toPlanFile(plan), format);
      const read = parsePlanFile(text, format);
      expect(read.ok, `${format}: ${JSON.stringify(read)}`).toBe(true);
      if (!read.ok) continue;
      expect(toPlanFile(read.plan)).toEqual(toPlanFile(plan));
    }
  });

  it('writes YAML that YAML 1.1 readers read alike: times and yes/no words quoted', () => {
    const text = serializePlanFile(toPlanFile({ ...plan, name: 'no' }), 'yaml');
    expect(text).toContain('time: "02:30"');
    expect(text).toContain('name: "no"');
  });
});

describe('reading a plan file', () => {
  it('takes the format from the name', () => {
    expect(planFileFormatOf('shop.yaml')).toBe('yaml');
    expect(planFileFormatOf('SHOP.YML')).toBe('yaml');
    expect(planFileFormatOf('shop.json')).toBe('json');
    expect(planFileFormatOf('shop')).toBe('json');
  });

  it('reports every problem at once, each with its path', () => {
    const result = checkPlanFile({
      name: '',
      databases: [{ id: 'db1', host: 'h', user: 'u', database: 'd', port: 70000, passwordFrom: 'hunter2' }],
      folders: [{ id: 'folder1', path: '/x', exclude: ['*.tmp'] }],
      schedule: { kind: 'cron', expression: '61 25 * * * *' },
      timezone: 'Mars/Olympus_Mons',
      retension: { days: 3 },
      options: { destination: '/b', compressionLevel: 12 },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byPath = Object.fromEntries(result.issues.map((i) => [i.path, i.message]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'lifeboatPlan',
        'name',
        'databases[0].port',
        'databases[0].passwordFrom',
        'folders[0].exclude',
        'retension',
        'options.compressionLevel',
        'timezone',
        'schedule.expression',
      ].sort(),
    );
    expect(byPath.lifeboatPlan).toMatch(/missing/);
    expect(byPath['databases[0].passwordFrom']).toBe('Use keychain, env:NAME or file:/absolute/path');
    expect(byPath.retension).toMatch(/not a field of a plan/);
    expect(byPath.timezone).toMatch(/unknown time zone "Mars\/Olympus_Mons"/);
    expect(byPath['schedule.expression']).toMatch(/cron expression/);
  });

  it('refuses another version of the format, a list, and files that do not parse', () => {
    const other = checkPlanFile({ ...toPlanFile(plan), lifeboatPlan: 2 });
    expect(other).toMatchObject({ ok: false, issues: [{ path: 'lifeboatPlan', message: expect.stringContaining('version 1, not 2') }] });
    expect(checkPlanFile([toPlanFile(plan)])).toMatchObject({ ok: false, issues: [{ path: '(the file)' }] });
    expect(parsePlanFile('{"lifeboatPlan": 1,', 'json')).toMatchObject({ ok: false, issues: [{ path: '(the file)', message: expect.stringContaining('not valid JSON') }] });
    const yaml = parsePlanFile('lifeboatPlan: 1\nname: [unclosed\nname: twice\n  bad: indent\n', 'yaml');
    expect(yaml.ok).toBe(false);
    if (!yaml.ok) {
      expect(yaml.issues.length).toBeGreaterThan(1);
      expect(yaml.issues.every((i) => /^line \d+, column \d+$/.test(i.path))).toBe(true);
    }
  });

  it('ignores what plan show --json adds (id, timestamps, schedule text, next run)', () => {
    const result = checkPlanFile({ ...toPlanFile(plan), id: 'x', createdAt: 'y', updatedAt: 'z', scheduleText: 'daily 02:00', nextRun: null });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.plan).not.toHaveProperty('id');
  });
});
