/**
 * A plan's dump options, hooks and descriptions against a real PostgreSQL cluster, with real
 * pg_dump and pg_restore: a table whose data is excluded is restored empty, the manifest says
 * why, and the restore's row check and the drill pass; an excluded table is not expected at all;
 * a pattern that matches nothing warns in the editor's check; a pre-backup hook that exits 1
 * fails the run with its output and writes no file; the post-backup hook gets the backup's path
 * and status; a run's description reaches the manifest, History's search and the CSV export.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../../src/main/core/archive/reader';
import type { ManifestDatabaseSource } from '../../../src/shared/manifest';
import type { ServerTarget } from '../../../src/shared/restore';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { runPlan } from '../../support/backup-fixtures';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { FAST_CONTAINER, PASSPHRASE, backupNow, finished, invoke, planInput, savePlan } from '../restore/support';

const SEED_SQL = `
CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 200) g;
CREATE TABLE audit_log (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), what text);
INSERT INTO audit_log (what) SELECT 'event ' || g FROM generate_series(1, 500) g;
CREATE TABLE scratch (x int);
INSERT INTO scratch SELECT generate_series(1, 50);
CREATE SCHEMA staging;
CREATE TABLE staging.loads (x int);
INSERT INTO staging.loads SELECT generate_series(1, 10);
`;

let cluster: PgCluster;
let core: ReturnType<typeof makeTestCore>;
let work: string;
let server: ServerTarget;

async function rows(db: string, table: string): Promise<number> {
  return Number((await cluster.psql(`SELECT count(*) FROM ${table}`, db)).trim());
}

async function tableExists(db: string, schema: string, name: string): Promise<boolean> {
  return (await cluster.psql(`SELECT to_regclass('${schema}.${name}') IS NOT NULL`, db)).trim() === 't';
}

/** A small executable script in the work folder. */
function script(name: string, body: string): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('app');
  await cluster.psql(SEED_SQL, 'app');
  work = makeTempDir('lifeboat-plan-options-');
  core = makeTestCore({ containerOptions: FAST_CONTAINER });
  server = { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable', password: cluster.password };
});

afterAll(async () => {
  await core?.cleanup();
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('dump options', () => {
  it('restores an --exclude-table-data table empty, says why in the manifest, leaves --exclude-table and --exclude-schema tables out, and the row checks pass', async () => {
    const source = { ...cluster.source('app'), excludeTableData: ['audit_log'], excludeTables: ['public.scratch'], excludeSchemas: ['staging'] };
    const plan = await savePlan(
      core,
      planInput({ name: 'Filtered', databases: [source], destination: path.join(work, 'filtered') }),
      { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    const job = await backupNow(core, plan);
    expect(job.status, job.displayMessage ?? '').toBe('success');

    const manifest = await readManifest(job.filePath!, PASSPHRASE);
    const db = manifest.sources[0] as ManifestDatabaseSource;
    const audit = db.tables.find((t) => t.name === 'audit_log')!;
    expect(audit).toMatchObject({ rows: 0, rowsAtBackup: 500, dataExcludedBy: '--exclude-table-data audit_log' });
    expect(db.tables.find((t) => t.name === 'items')).toMatchObject({ rows: 200 });
    expect(db.tables.map((t) => `${t.schema}.${t.name}`)).not.toContain('public.scratch');
    expect(db.dumpFilter).toMatchObject({ excludeTableData: ['audit_log'], excludeTables: ['public.scratch'], excludeSchemas: ['staging'] });
    expect(db.dumpFilter!.excludedTables).toEqual(
      expect.arrayContaining([
        { schema: 'public', name: 'scratch', excludedBy: '--exclude-table public.scratch' },
        { schema: 'staging', name: 'loads', excludedBy: '--exclude-schema staging' },
      ]),
    );

    const restore = await invoke(core, 'restore/start', { backupJobId: job.id, database: { server, database: 'app_copy' } });
    const restored = await finished(core, restore.jobId);
    expect(restored.status, restored.displayMessage ?? '').toBe('success');
    expect(restored.displayMessage).toContain('row counts match');
    expect(await tableExists('app_copy', 'public', 'audit_log')).toBe(true);
    expect(await rows('app_copy', 'audit_log')).toBe(0);
    expect(await rows('app_copy', 'items')).toBe(200);
    expect(await tableExists('app_copy', 'public', 'scratch')).toBe(false);
    expect(await tableExists('app_copy', 'staging', 'loads')).toBe(false);

    // the drill: same row counts, and owners/privileges of what the filter left out are not asked for
    const drill = await invoke(core, 'verify/drill', { backupJobId: job.id, server });
    const drilled = await finished(core, drill.jobId);
    expect(drilled.status, `${drilled.displayMessage}\n${drilled.stderrTail}`).toBe('success');
  });

  it('checks patterns against the live database: what each matches, and a warning for one that matches nothing', async () => {
    const source = { ...cluster.source('app'), excludeTableData: ['audit_*', 'no_such_table'], excludeSchemas: ['stag*'], schemas: ['"Public"'] };
    const check = await invoke(core, 'plans/check-dump-filter', { source, password: cluster.password });
    expect(check.patterns.find((p) => p.pattern === 'audit_*')).toMatchObject({ count: 1, matches: ['public.audit_log'] });
    expect(check.patterns.find((p) => p.pattern === 'stag*')).toMatchObject({ count: 1, matches: ['staging'] });
    expect(check.warnings).toEqual([
      expect.stringContaining('--schema "Public" matches no schema in app'),
      expect.stringContaining('--exclude-table-data no_such_table matches no table in app'),
    ]);
  });

  it('names the fix when --schema matches no schema at all (pg_dump has nothing to dump)', async () => {
    const source = { ...cluster.source('app'), schemas: ['nothing_here'] };
    const plan = await savePlan(
      core,
      planInput({ name: 'No match', databases: [source], destination: path.join(work, 'nomatch') }),
      { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    const job = await runPlan(core, plan);
    expect(job.status).toBe('failed');
    expect(job.errorCode).toBe('PG_DUMP_NO_MATCH');
    expect(job.displayMessage).toContain('Correct the patterns in the plan');
  });
});

describe('hooks', () => {
  it('a pre-backup hook that exits 1 fails the run with its output in the job, and no backup file is written', async () => {
    const destination = path.join(work, 'pre-fails');
    const pre = script('pre-fail.sh', 'echo "checking the replica"\necho "replica is behind" >&2\nexit 1');
    const source = cluster.source('app');
    const plan = await savePlan(
      core,
      planInput({ name: 'Pre fails', databases: [source], destination, hooks: { pre: { command: pre, timeoutSeconds: 30 }, post: null } }),
      { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    const job = await runPlan(core, plan);
    expect(job.status).toBe('failed');
    expect(job.errorCode).toBe('HOOK_FAILED');
    expect(job.displayMessage).toContain('exited with code 1');
    expect(job.stderrTail).toContain('replica is behind');
    expect(job.hooks).toEqual([expect.objectContaining({ phase: 'pre', exitCode: 1, timedOut: false, outputTail: expect.stringContaining('checking the replica') })]);
    expect(fs.existsSync(destination) ? fs.readdirSync(destination) : []).toEqual([]);
  });

  it('a pre-backup hook that runs too long is stopped and fails the run (HOOK_TIMEOUT); a missing program is HOOK_NOT_FOUND', async () => {
    const source = cluster.source('app');
    const slow = await savePlan(
      core,
      planInput({ name: 'Pre slow', databases: [source], destination: path.join(work, 'slow'), hooks: { pre: { command: `${script('slow.sh', 'sleep 30')}`, timeoutSeconds: 1 } } }),
      { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    const started = Date.now();
    const timedOut = await runPlan(core, slow);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(timedOut.errorCode).toBe('HOOK_TIMEOUT');
    expect(timedOut.displayMessage).toContain('--hook-timeout');
    expect(timedOut.hooks?.[0]).toMatchObject({ timedOut: true });

    const missing = await savePlan(
      core,
      planInput({ name: 'Pre missing', databases: [source], destination: path.join(work, 'missing'), hooks: { pre: { command: '/no/such/program --flag' } } }),
      { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    const notFound = await runPlan(core, missing);
    expect(notFound.errorCode).toBe('HOOK_NOT_FOUND');
    expect(notFound.displayMessage).toContain('full path');
  });

  it('the post-backup hook receives the backup path and status, and the plan name; the passphrase is withheld', async () => {
    const out = path.join(work, 'post-env.txt');
    const post = script(
      'post.sh',
      `printf '%s\\n%s\\n%s\\n%s\\n[%s]\\n' "$LIFEBOAT_BACKUP_STATUS" "$LIFEBOAT_BACKUP_PATH" "$LIFEBOAT_PLAN_NAME" "$LIFEBOAT_DESCRIPTION" "$LIFEBOAT_PASSPHRASE" > "$1"`,
    );
    const source = cluster.source('app');
    const plan = await savePlan(
      core,
      planInput({ name: 'Post hook', databases: [source], destination: path.join(work, 'post'), description: 'nightly', hooks: { post: { command: `${post} '${out}'` } } }),
      { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    process.env.LIFEBOAT_PASSPHRASE = 'must not leak';
    let job;
    try {
      job = await backupNow(core, plan);
    } finally {
      delete process.env.LIFEBOAT_PASSPHRASE;
    }
    expect(job.status, job.displayMessage ?? '').toBe('success');
    const [status, file, planName, description, secret] = fs.readFileSync(out, 'utf8').split('\n');
    expect(status).toBe('success');
    expect(file).toBe(job.filePath);
    expect(fs.existsSync(file!)).toBe(true);
    expect(planName).toBe('Post hook');
    expect(description).toBe('nightly');
    expect(secret).toBe('[]');
    expect(job.hooks).toEqual([expect.objectContaining({ phase: 'post', exitCode: 0 })]);
  });
});

describe('descriptions', () => {
  it("a run's description reaches the manifest, History's search and the CSV export; a scheduled run gets the plan's", async () => {
    const source = cluster.source('app');
    const plan = await savePlan(
      core,
      planInput({ name: 'Described', databases: [source], destination: path.join(work, 'described'), description: 'plan label' }),
      { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
    );
    const { jobId } = await invoke(core, 'plans/run-now', { id: plan.id, description: 'before the v2 migration, "keep"' });
    const job = await finished(core, jobId);
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect(job.description).toBe('before the v2 migration, "keep"');
    expect((await readManifest(job.filePath!, PASSPHRASE)).description).toBe('before the v2 migration, "keep"');

    const found = await invoke(core, 'jobs/list', { search: 'v2 migration' });
    expect(found.items.map((j) => j.id)).toEqual([jobId]);
    const { csv } = await invoke(core, 'jobs/export-csv', { search: 'v2 migration' });
    const [header, row] = csv.split('\r\n');
    expect(header!.split(',')).toContain('description');
    expect(row).toContain('"before the v2 migration, ""keep"""');

    const defaulted = await backupNow(core, plan);
    expect(defaulted.description).toBe('plan label');
  });
});
