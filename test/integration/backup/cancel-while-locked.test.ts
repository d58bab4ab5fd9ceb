/**
 * A cancel must not wait for the database: the row count taken before pg_dump can block on a
 * lock another session holds, and cancelling then has to close the connection under it.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_CONTAINER, PASSPHRASE, planInput, savePlan, waitFor } from '../../support/backup-fixtures';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

let cluster: PgCluster;
let work: string;

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('locked');
  await cluster.psql('CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g;', 'locked');
  work = makeTempDir('lifeboat-locked-');
});

afterAll(async () => {
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('cancelling a backup that waits on a lock', () => {
  it('ends promptly as cancelled, leaving no file and no Lifeboat session on the server', async () => {
    const holder = new pg.Client({ host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password, database: 'locked' });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
    const core = makeTestCore({ containerOptions: FAST_CONTAINER });
    try {
      const destination = path.join(work, 'out');
      const source = cluster.source('locked');
      const plan = await savePlan(core, planInput({ name: 'Locked', destination, databases: [source], options: { destination } }), {
        dbPasswords: { [source.id]: cluster.password },
        passphrase: PASSPHRASE,
      });
      const job = core.startPlanBackup(plan, 'manual');
      // the count(*) of the locked table is waiting: our session shows up as waiting on a lock
      await waitFor(
        async () =>
          Number(
            (await cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'lifeboat%' AND wait_event_type = 'Lock'")).trim(),
          ) > 0 || null,
        15_000,
        'the backup to wait on the lock',
        100,
      );
      const cancelledAt = Date.now();
      expect(core.runner.cancel(job.id, 'user')).toBe(true);
      const final = await core.runner.wait(job.id);
      expect(Date.now() - cancelledAt).toBeLessThan(5000);
      expect(final.status).toBe('cancelled');
      expect(final.cancelledBy).toBe('user');
      expect(fs.existsSync(destination) ? fs.readdirSync(destination) : []).toEqual([]);
      await waitFor(
        async () => Number((await cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'lifeboat%'")).trim()) === 0 || null,
        5000,
        'Lifeboat sessions to close',
        100,
      );
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await core.cleanup();
    }
  });
});
