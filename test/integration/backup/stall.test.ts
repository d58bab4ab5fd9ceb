/**
 * Stall detection against a real server: another session holds LOCK TABLE on a table the plan
 * backs up, so the backup waits; after the (test-sized) threshold the job is pushed as stalled,
 * naming the lock and the session that holds it, and a `stalled` alert is raised once.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../src/shared/job';
import { FAST_CONTAINER, PASSPHRASE, planInput, savePlan, waitFor } from '../../support/backup-fixtures';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

let cluster: PgCluster;
let work: string;

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('stuck');
  await cluster.psql('CREATE TABLE orders AS SELECT g AS id FROM generate_series(1, 1000) g;', 'stuck');
  work = makeTempDir('lifeboat-stall-');
});

afterAll(async () => {
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('a backup held behind a lock', () => {
  it('is shown as stalled with its wait reason, alerted once, and finishes once the lock goes', async () => {
    const holder = new pg.Client({
      host: cluster.host,
      port: cluster.port,
      user: cluster.user,
      password: cluster.password,
      database: 'stuck',
      application_name: 'psql',
    });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const core = makeTestCore({ containerOptions: FAST_CONTAINER, stall: { thresholdMs: 1500, intervalMs: 250 } });
    const updates: JobSummary[] = [];
    core.events.on('jobs/updated', (job) => updates.push(job));
    try {
      const destination = path.join(work, 'out');
      const source = cluster.source('stuck');
      const plan = await savePlan(core, planInput({ name: 'Shop DB nightly', destination, databases: [source], options: { destination } }), {
        dbPasswords: { [source.id]: cluster.password },
        passphrase: PASSPHRASE,
      });
      const job = core.startPlanBackup(plan, 'manual');
      const stalled = await waitFor(async () => updates.find((u) => u.id === job.id && u.stall?.waitingOn) ?? null, 20_000, 'the job to be pushed as stalled', 100);
      expect(stalled.status).toBe('running');
      expect(stalled.stall!.waitingOn).toContain('a lock on table orders');
      expect(stalled.stall!.waitingOn).toContain(`held by process ${holderPid}`);
      expect(stalled.stall!.waitingOn).toContain('psql');
      expect(Date.parse(stalled.stall!.since)).toBeLessThanOrEqual(Date.now() - 1500);

      const alerts = await waitFor(async () => {
        const page = await core.handlers['alerts/list']({ page: 1, pageSize: 10 });
        return page.items.some((a) => a.kind === 'stalled') ? page.items : null;
      }, 5000, 'the stall alert', 100);
      const alert = alerts.find((a) => a.kind === 'stalled')!;
      expect(alert.jobId).toBe(job.id);
      expect(alert.message).toMatch(/^The backup of "Shop DB nightly" has made no progress for \d+ min — waiting on a lock on table orders/);

      // the lock goes: the job moves again (the stall is cleared) and finishes
      await holder.query('ROLLBACK');
      const final = await core.runner.wait(job.id);
      expect(final.status).toBe('success');
      expect(updates.some((u) => u.id === job.id && u.stall === null)).toBe(true);
      const page = await core.handlers['alerts/list']({ page: 1, pageSize: 10 });
      expect(page.items.filter((a) => a.kind === 'stalled')).toHaveLength(1);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await core.cleanup();
    }
  });
});
