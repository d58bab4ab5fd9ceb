/**
 * `lifeboat plan create` / `plan edit` with a description, dump options, hooks and alert rules;
 * `lifeboat settings --max-jobs`: what each flag saves, and every bad value refused (exit 2)
 * with a message naming the fix. No database is reached: plans are only saved.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli-run';
import { makeTempDir } from '../../support/temp-core';

const home = makeTempDir('lifeboat-cli-extras-');
const out = path.join(home, 'backups');
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));
const cli = (args: string[]) => runCliCaptured(args, { LIFEBOAT_HOME: home });
const base = (name: string) => ['plan', 'create', '--name', name, '--db', 'postgres://app@db.example:5432/shop', '--out', out, '--no-encrypt', '--schedule', 'manual'];

describe('plan create', () => {
  it('saves the description, dump options, hooks and alert rules; plan show and export print them', async () => {
    const created = await cli([
      ...base('Options'),
      '--description', 'nightly shop dump',
      '--schema', 'public', '--exclude-schema', 'tmp_*',
      '--exclude-table', 'public.scratch', '--exclude-table-data', 'audit_log', '--exclude-table-data', '"Big Logs"',
      '--pre-hook', "/usr/local/bin/pause-app --reason 'backup now'",
      '--post-hook', '/usr/local/bin/upload',
      '--hook-timeout', '120',
      '--alert-failures', '3', '--alert-size-factor', 'off', '--alert-duration-minutes', '90',
      '--alert-disk-free', '5GB', '--alert-disk-percent', 'off', '--alert-overdue-grace', '30',
      '--json',
    ]);
    expect(created.code, created.err).toBe(0);
    const plan = JSON.parse(created.out);
    expect(plan.description).toBe('nightly shop dump');
    expect(plan.databases[0]).toMatchObject({ schemas: ['public'], excludeSchemas: ['tmp_*'], excludeTables: ['public.scratch'], excludeTableData: ['audit_log', '"Big Logs"'] });
    expect(plan.hooks).toEqual({
      pre: { command: "/usr/local/bin/pause-app --reason 'backup now'", timeoutSeconds: 120 },
      post: { command: '/usr/local/bin/upload', timeoutSeconds: 120 },
    });
    expect(plan.alerts).toEqual({
      consecutiveFailures: { enabled: true, count: 3 },
      sizeChange: { enabled: false, factor: 2 },
      duration: { enabled: true, factor: 3, minutes: 90 },
      lowDisk: { enabled: true, percent: null, bytes: 5_000_000_000 },
      overdue: { enabled: true, graceMinutes: 30 },
    });
    const shown = await cli(['plan', 'show', 'Options']);
    expect(shown.out).toContain('description:  nightly shop dump');
    expect(shown.out).toContain('--exclude-table-data audit_log "Big Logs"');
    expect(shown.out).toContain('pre-hook:     /usr/local/bin/pause-app');
    expect(shown.out).toContain('3 failures in a row, size off, duration 3x usual or 90 min, disk below 5GB, overdue after 1 interval + 30 min');
    const exported = await cli(['plan', 'export', 'Options', '--format', 'yaml']);
    expect(exported.out).toContain('excludeTableData:');
    expect(exported.out).toContain('description: nightly shop dump');
  });

  it('keeps them on an edit that does not name them, and removes a hook with ""', async () => {
    expect((await cli(['plan', 'edit', 'Options', '--keep-days', '3'])).code).toBe(0);
    let plan = JSON.parse((await cli(['plan', 'show', 'Options', '--json'])).out);
    expect(plan.description).toBe('nightly shop dump');
    expect(plan.hooks.pre.command).toContain('pause-app');
    expect(plan.alerts.consecutiveFailures.count).toBe(3);
    expect(plan.databases[0].excludeTableData).toEqual(['audit_log', '"Big Logs"']);
    const edited = await cli(['plan', 'edit', 'Options', '--pre-hook', '', '--exclude-table-data', '']);
    expect(edited.code, edited.err).toBe(0);
    expect(edited.out).toContain('hooks.pre');
    plan = JSON.parse((await cli(['plan', 'show', 'Options', '--json'])).out);
    expect(plan.hooks.pre).toBeNull();
    expect(plan.hooks.post.command).toBe('/usr/local/bin/upload');
    expect(plan.databases[0].excludeTableData).toEqual([]);
  });

  it.each([
    [['--exclude-table', '"unclosed'], '--exclude-table ""unclosed": a double quote is not closed'],
    [['--exclude-schema', 'a.b'], 'a schema pattern is one name'],
    [['--pre-hook', "run 'open"], '--pre-hook "run \'open": a single quote is not closed'],
    [['--hook-timeout', '0', '--pre-hook', 'x'], '--hook-timeout takes a whole number from 1 to 86400'],
    [['--hook-timeout', '60'], '--hook-timeout is the timeout of a hook: give --pre-hook or --post-hook'],
    [['--alert-failures', 'lots'], '--alert-failures takes a whole number from 1 to 100, or off'],
    [['--alert-disk-free', '5 parsecs'], '--alert-disk-free takes a size such as 50MB'],
    [['--alert-duration-factor', 'off', '--alert-duration-minutes', 'off', '--alert-size-factor', '1'], '--alert-size-factor takes a number from 1.1 to 1000'],
  ])('refuses %j naming the fix (exit 2)', async (flags, message) => {
    const result = await cli([...base(`Bad ${flags.join(' ')}`), ...flags]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
  });

  it('refuses dump options without a database', async () => {
    const result = await cli(['plan', 'create', '--name', 'Files', '--folder', home, '--out', out, '--no-encrypt', '--exclude-table', 'x']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('apply to databases: give a --db');
  });
});

describe('settings', () => {
  it('shows and changes how many jobs may run at once, refusing a number out of 1-8', async () => {
    expect((await cli(['settings', '--json'])).out).toContain('"maxConcurrentJobs": 2');
    const changed = await cli(['settings', '--max-jobs', '4']);
    expect(changed.out).toContain('max jobs at once:  4 (changed)');
    expect(JSON.parse((await cli(['settings', '--json'])).out).maxConcurrentJobs).toBe(4);
    const bad = await cli(['settings', '--max-jobs', '9']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--max-jobs takes a whole number from 1 to 8');
  });
});
