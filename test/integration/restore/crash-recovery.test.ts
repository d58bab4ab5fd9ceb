/**
 * Databases a restore or a drill creates, after Lifeboat stopped in the middle (kill -9) or lost
 * its server: a child process runs the restore or drill with a pg_restore that waits before its
 * run (test/support/slow-tools.ts), so the new database exists when the child is killed; the
 * next core on the same data dir (what the app and every CLI command build at start) drops it
 * and says so in the job's message. A database of the same name that does not carry the job's
 * mark is never dropped; a server that cannot be reached keeps the database recorded and the
 * message says how to drop it by hand; after a successful restore the user's database carries
 * no mark and no job records it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/main/cli/index';
import { MemorySecretStore } from '../../../src/main/core/ports';
import { startRestoreJob } from '../../../src/main/core/tasks/restore-job';
import type { Plan } from '../../../src/shared/plan';
import type { ServerTarget } from '../../../src/shared/restore';
import { startJobChild } from '../../support/job-child-spawn';
import { freePort, startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeSlowTools, type SlowTools } from '../../support/slow-tools';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { FAST_CONTAINER, PASSPHRASE, backupNow, databaseNames, finished, invoke, planInput, savePlan } from './support';

/** above Linux's highest possible pid_max (2^22): the owner of a job a crash left behind */
const DEAD_PID = 2 ** 22 + 4321;

let cluster: PgCluster;
let work: string;
let backupFile: string;
let server: ServerTarget;
const slowTools: SlowTools[] = [];

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('shop');
  await cluster.psql('CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 2000) g;', 'shop');
  work = makeTempDir('lifeboat-crash-recovery-');
  server = { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable', password: cluster.password };
  const maker = makeTestCore({ containerOptions: FAST_CONTAINER });
  try {
    const source = cluster.source('shop');
    const plan = await savePlan(maker, planInput({ name: 'Shop', databases: [source], destination: path.join(work, 'backups') }), {
      dbPasswords: { [source.id]: cluster.password },
      passphrase: PASSPHRASE,
    });
    backupFile = (await backupNow(maker, plan)).filePath!;
  } finally {
    await maker.cleanup();
  }
});

afterAll(async () => {
  for (const tools of slowTools) tools.killAll();
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function slow(): SlowTools {
  const tools = makeSlowTools(makeTempDir('lifeboat-slow-tools-'), cluster.binDir);
  slowTools.push(tools);
  return tools;
}

/**
 * A data dir whose catalog has a plan backing up the test server, its password in `secrets`
 * (what the OS keychain keeps for the app across restarts): how recovery finds the password.
 */
async function dataDirWithPlan(secrets = new MemorySecretStore()): Promise<{ dataDir: string; secrets: MemorySecretStore; plan: Plan }> {
  const dataDir = makeTempDir('lifeboat-crash-home-');
  const core = makeTestCore({ dataDir, secrets, containerOptions: FAST_CONTAINER });
  const source = cluster.source('shop');
  const plan = await savePlan(core, planInput({ name: 'Shop', databases: [source], destination: path.join(work, 'unused') }), {
    dbPasswords: { [source.id]: cluster.password },
    passphrase: PASSPHRASE,
  });
  await core.close();
  return { dataDir, secrets, plan };
}

/** Starts test/support/job-child.ts on `dataDir` with the slow tools; resolves once it started its job. */
async function startChild(dataDir: string, tools: SlowTools, job: unknown) {
  const started = await startJobChild(dataDir, job, { env: { LIFEBOAT_PG_BIN: tools.dir } });
  if (!started.jobId) throw new Error(`the child could not start its job: ${JSON.stringify(started.error)}`);
  return { child: started.child, jobId: started.jobId, exited: started.exited };
}

async function commentOf(database: string): Promise<string> {
  return (await cluster.psql(`SELECT coalesce(shobj_description(oid, 'pg_database'), '<none>') FROM pg_database WHERE datname = '${database}'`)).trim();
}

const where = () => `on 127.0.0.1:${cluster.port}`;

describe('a restore or drill killed half-way (kill -9)', () => {
  it('restore into a new database: the next start drops the half-made database and says which', async () => {
    const { dataDir, secrets } = await dataDirWithPlan();
    const tools = slow();
    const { child, jobId, exited } = await startChild(dataDir, tools, {
      kind: 'restore',
      request: { filePath: backupFile, passphrase: PASSPHRASE, database: { server, database: 'crash_copy', mode: 'new' } },
    });
    try {
      // pg_restore has started: the new database exists, marked as this job's
      await tools.started('pg_restore');
      expect(await databaseNames(cluster)).toContain('crash_copy');
      expect(await commentOf('crash_copy')).toBe(`lifeboat:job:${jobId}`);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      child.kill('SIGKILL');
      tools.killAll();
    }
    // left behind until a Lifeboat starts again
    expect(await databaseNames(cluster)).toContain('crash_copy');

    const core = makeTestCore({ dataDir, secrets });
    try {
      await core.whenRecovered();
      expect(await databaseNames(cluster)).not.toContain('crash_copy');
      const job = core.jobs.get(jobId)!;
      expect(job.status).toBe('interrupted');
      expect(job.displayMessage).toBe(
        `Interrupted: Lifeboat stopped while this restore was running. The unfinished database "crash_copy" ${where()} was dropped.`,
      );
      expect(job.displayMessage).not.toMatch(/partial file/);
      expect(core.jobs.tempDatabasesOf(jobId)).toEqual([]);
      expect(core.audit.list(1, 100).items.find((a) => a.action === 'jobs.recover-temp-database')).toMatchObject({ target: jobId });
    } finally {
      await core.cleanup();
    }
  });

  it('drill: the next start (a CLI command) drops the throwaway database before it exits', async () => {
    const { dataDir, secrets } = await dataDirWithPlan();
    const tools = slow();
    const { child, jobId, exited } = await startChild(dataDir, tools, {
      kind: 'drill',
      request: { filePath: backupFile, passphrase: PASSPHRASE, server },
    });
    let drillDb = '';
    try {
      await tools.started('pg_restore');
      drillDb = (await databaseNames(cluster)).find((d) => d.startsWith('lifeboat_drill_')) ?? '';
      expect(drillDb).not.toBe('');
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      child.kill('SIGKILL');
      tools.killAll();
    }
    expect(await databaseNames(cluster)).toContain(drillDb);

    // the CLI's keychain gives PGPASSWORD for the plan's server
    const out: string[] = [];
    const code = await runCli(['list', '--json'], {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      env: { ...process.env, LIFEBOAT_HOME: dataDir, PGPASSWORD: cluster.password },
      isTty: false,
    });
    expect(code, out.join('\n')).toBe(0);
    // runCli has returned: its core is closed, and recovery was done before
    expect((await databaseNames(cluster)).filter((d) => d.startsWith('lifeboat_drill_'))).toEqual([]);

    const core = makeTestCore({ dataDir, secrets });
    try {
      const job = core.jobs.get(jobId)!;
      expect(job.status).toBe('interrupted');
      expect(job.displayMessage).toBe(
        `Interrupted: Lifeboat stopped while this restore drill was running. The unfinished database "${drillDb}" ${where()} was dropped.`,
      );
      expect(core.jobs.tempDatabasesOf(jobId)).toEqual([]);
    } finally {
      await core.cleanup();
    }
  });
});

describe('what recovery drops and what it leaves', () => {
  it('never drops a database without the job’s mark: unmarked, marked for another job, or a drill job’s without the drill name', async () => {
    const { dataDir, secrets } = await dataDirWithPlan();
    await cluster.createDatabase('hand_made');
    await cluster.createDatabase('other_mark');
    await cluster.psql("COMMENT ON DATABASE other_mark IS 'lifeboat:job:someone-else'");
    await cluster.createDatabase('not_a_drill_name');
    await cluster.psql("COMMENT ON DATABASE not_a_drill_name IS 'lifeboat:job:crashed-drill'");
    await cluster.createDatabase('ours_indeed');
    await cluster.psql("COMMENT ON DATABASE ours_indeed IS 'lifeboat:job:crashed-restore'");

    const core0 = makeTestCore({ dataDir, secrets });
    const record = (id: string, kind: 'restore' | 'drill', databases: string[]) => {
      core0.jobs.create({ id, kind, planId: null, planName: id, trigger: 'manual', startedAt: new Date().toISOString(), ownerPid: DEAD_PID });
      core0.jobs.markRunning(id, null);
      for (const database of databases) core0.jobs.recordTempDatabase(id, { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable', database });
    };
    record('crashed-restore', 'restore', ['hand_made', 'other_mark', 'ours_indeed']);
    record('crashed-drill', 'drill', ['not_a_drill_name']);
    await core0.close();

    const core = makeTestCore({ dataDir, secrets });
    try {
      await core.whenRecovered();
      const names = await databaseNames(cluster);
      expect(names).toEqual(expect.arrayContaining(['hand_made', 'other_mark', 'not_a_drill_name']));
      expect(names).not.toContain('ours_indeed');
      const restore = core.jobs.get('crashed-restore')!.displayMessage!;
      expect(restore).toContain(`The unfinished database "hand_made" ${where()} was left alone: it does not carry this job's Lifeboat mark`);
      expect(restore).toContain('drop it by hand: DROP DATABASE "hand_made";');
      expect(restore).toContain(`The unfinished database "other_mark" ${where()} was left alone`);
      expect(restore).toContain(`The unfinished database "ours_indeed" ${where()} was dropped.`);
      expect(core.jobs.get('crashed-drill')!.displayMessage).toContain(`The unfinished database "not_a_drill_name" ${where()} was left alone`);
      // not ours: never tried again
      expect(core.jobs.withTempDatabases()).toEqual([]);
      expect(await commentOf('other_mark')).toBe('lifeboat:job:someone-else');
    } finally {
      await core.cleanup();
      await cluster.psql('DROP DATABASE hand_made; DROP DATABASE other_mark; DROP DATABASE not_a_drill_name;');
    }
  });

  it('a server it cannot reach: the database stays recorded, the message says how to drop it by hand, and is not repeated', async () => {
    const dataDir = makeTempDir('lifeboat-crash-home-');
    const closed = await freePort();
    const core0 = makeTestCore({ dataDir });
    core0.jobs.create({ id: 'far', kind: 'restore', planId: null, planName: 'far', trigger: 'manual', startedAt: new Date().toISOString(), ownerPid: DEAD_PID });
    core0.jobs.markRunning('far', null);
    const ghost = { host: '127.0.0.1', port: closed, user: 'admin', sslMode: 'disable' as const, database: 'ghost' };
    core0.jobs.recordTempDatabase('far', ghost);
    await core0.close();

    for (let start = 0; start < 2; start++) {
      const core = makeTestCore({ dataDir });
      try {
        await core.whenRecovered();
        const message = core.jobs.get('far')!.displayMessage!;
        expect(message).toMatch(
          new RegExp(`^Interrupted: Lifeboat stopped while this restore was running\\. The unfinished database "ghost" on 127\\.0\\.0\\.1:${closed} is still there: it could not be dropped \\(.*ECONNREFUSED.*\\)\\. Lifeboat tries again at its next start; or drop it by hand: DROP DATABASE "ghost";$`),
        );
        expect(message.split('"ghost"')).toHaveLength(3);
        expect(core.jobs.tempDatabasesOf('far')).toEqual([ghost]);
      } finally {
        await core.close();
      }
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a server lost mid-restore: the job fails, the database stays recorded, and the next start drops it', async () => {
    const { dataDir, secrets } = await dataDirWithPlan();
    await cluster.createDatabase('maint');
    const tools = slow();
    const core = makeTestCore({ dataDir, secrets });
    let jobId = '';
    try {
      const job = await startRestoreJob(
        core,
        { filePath: backupFile, passphrase: PASSPHRASE, database: { server: { ...server, maintenanceDatabase: 'maint' }, database: 'lost_copy', mode: 'new' } },
        { env: { ...process.env, LIFEBOAT_PG_BIN: tools.dir } },
      );
      jobId = job.id;
      await tools.started('pg_restore');
      // the server goes away for Lifeboat (no connection to its maintenance database) and pg_restore dies with it
      await cluster.psql('ALTER DATABASE maint ALLOW_CONNECTIONS false');
      tools.killAll();
      const failed = await finished(core, jobId);
      expect(failed.status).toBe('failed');
      expect(await databaseNames(cluster)).toContain('lost_copy');
      expect(core.jobs.tempDatabasesOf(jobId)).toEqual([
        { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable', maintenanceDatabase: 'maint', database: 'lost_copy' },
      ]);
    } finally {
      tools.killAll();
      await cluster.psql('ALTER DATABASE maint ALLOW_CONNECTIONS true');
      await core.close();
    }

    // the server is back; the next start drops it
    const next = makeTestCore({ dataDir, secrets });
    try {
      await next.whenRecovered();
      expect(await databaseNames(cluster)).not.toContain('lost_copy');
      const job = next.jobs.get(jobId)!;
      expect(job.status).toBe('failed');
      expect(job.displayMessage).toMatch(new RegExp(`The unfinished database "lost_copy" on 127\\.0\\.0\\.1:${cluster.port} was dropped\\.$`));
      expect(next.jobs.tempDatabasesOf(jobId)).toEqual([]);
    } finally {
      await next.cleanup();
      await cluster.psql('DROP DATABASE maint');
    }
  });

  it('after a successful restore and drill, no database carries the mark and no job records one', async () => {
    const { dataDir, secrets } = await dataDirWithPlan();
    const core = makeTestCore({ dataDir, secrets });
    try {
      const { jobId } = await invoke(core, 'restore/start', { filePath: backupFile, passphrase: PASSPHRASE, database: { server, database: 'fine_copy', mode: 'new' } });
      expect((await finished(core, jobId)).status).toBe('success');
      expect(await commentOf('fine_copy')).toBe('<none>');
      const drill = await invoke(core, 'verify/drill', { filePath: backupFile, passphrase: PASSPHRASE, server });
      expect((await finished(core, drill.jobId)).status).toBe('success');
      expect(core.jobs.withTempDatabases()).toEqual([]);
      expect((await databaseNames(cluster)).filter((d) => d.startsWith('lifeboat_drill_'))).toEqual([]);
    } finally {
      await core.cleanup();
      await cluster.psql('DROP DATABASE IF EXISTS fine_copy');
    }
  });
});
