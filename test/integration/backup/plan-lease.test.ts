/**
 * One run of a plan at a time across processes: a saved plan started in one Lifeboat process
 * (whose pg_dump waits, so the run is under way for as long as the test needs) is refused in a
 * second process with PLAN_BUSY naming the first one's pid and host; once the first is killed
 * (SIGKILL, no release), the next run takes its lease over and runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanLeasesRepo } from '../../../src/main/core/catalog/plan-leases-repo';
import { secretKeys } from '../../../src/main/core/paths';
import { MemorySecretStore } from '../../../src/main/core/ports';
import { FAST_CONTAINER, PASSPHRASE, planInput, savePlan } from '../../support/backup-fixtures';
import { startJobChild } from '../../support/job-child-spawn';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeSlowTools, type SlowTools } from '../../support/slow-tools';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

let cluster: PgCluster;
let work: string;
let tools: SlowTools;

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('shop');
  await cluster.psql('CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 100);', 'shop');
  work = makeTempDir('lifeboat-plan-lease-');
  tools = makeSlowTools(path.join(work, 'slow-tools'), cluster.binDir);
});

afterAll(async () => {
  tools?.killAll();
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('a plan run from two processes at once', () => {
  it('is refused in the second with PLAN_BUSY naming the pid; after the first is killed its lease is taken over', async () => {
    const dataDir = path.join(work, 'home');
    const secrets = new MemorySecretStore();
    const setup = makeTestCore({ dataDir, secrets, containerOptions: FAST_CONTAINER });
    const source = cluster.source('shop');
    const plan = await savePlan(setup, planInput({ name: 'Nightly', destination: path.join(work, 'backups'), databases: [source] }), {
      dbPasswords: { [source.id]: cluster.password },
      passphrase: PASSPHRASE,
    });
    await setup.close();
    const keychain = { [secretKeys.dbPassword(plan.id, source.id)]: cluster.password, [secretKeys.passphrase(plan.id)]: PASSPHRASE };
    const runPlan = { kind: 'run-plan', planId: plan.id };

    const first = await startJobChild(dataDir, runPlan, { secrets: keychain, env: { LIFEBOAT_PG_BIN: tools.dir } });
    try {
      expect(first.jobId, JSON.stringify(first.error)).toBeTruthy();
      // its pg_dump is running (and waiting): the run is under way
      await tools.started('pg_dump');

      const second = await startJobChild(dataDir, runPlan, { secrets: keychain });
      expect(await second.exited).toBe(1);
      expect(second.jobId).toBeNull();
      expect(second.error!.code).toBe('PLAN_BUSY');
      expect(second.error!.message).toContain(`"Nightly" is already running (pid ${first.child.pid} on host ${os.hostname()})`);

      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
    } finally {
      first.child.kill('SIGKILL');
      tools.killAll();
    }

    // the dead process's lease is still in the catalog; the next run takes it over
    const core = makeTestCore({ dataDir, secrets, containerOptions: FAST_CONTAINER });
    try {
      const leases = new PlanLeasesRepo(core.catalog);
      expect(leases.get(plan.id)).toMatchObject({ jobId: first.jobId, pid: first.child.pid, host: os.hostname() });
      const job = core.startPlanBackup(plan, 'manual');
      expect(leases.get(plan.id)).toMatchObject({ jobId: job.id, pid: process.pid, host: os.hostname() });
      const done = await core.runner.wait(job.id);
      expect(done.status, done.displayMessage ?? '').toBe('success');
      expect(leases.get(plan.id)).toBeUndefined();
      // the killed run is recorded as interrupted, and only the takeover produced a backup
      expect(core.jobs.get(first.jobId!)!.status).toBe('interrupted');
      expect(core.jobs.backupsOfPlan(plan.id).map((j) => j.id)).toEqual([job.id]);
    } finally {
      await core.cleanup();
    }
  });
});
