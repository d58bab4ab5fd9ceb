/**
 * Stopping a backup half-way: a user's cancel in the middle of pg_dump, and a Lifeboat process
 * killed outright (SIGKILL, as a crash or power loss) followed by a restart on the same data dir.
 * Either way nothing is left at the destination and the catalog says what happened.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../src/shared/job';
import {
  FAST_CONTAINER,
  PASSPHRASE,
  listTree,
  pgDumpPids,
  planInput,
  savePlan,
  waitFor,
} from '../../support/backup-fixtures';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let cluster: PgCluster;
let work: string;

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('big');
  // ~75 MB of hex text: at compression level 9 pg_dump needs several seconds for it
  await cluster.psql(
    "CREATE TABLE filler AS SELECT g AS id, md5(g::text) || md5(g::text || 'x') AS payload FROM generate_series(1, 800000) g;",
    'big',
  );
  work = makeTempDir('lifeboat-cancel-');
});

afterAll(async () => {
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function bigPlan(name: string, destination: string) {
  return planInput({
    name,
    destination,
    databases: [cluster.source('big')],
    options: { destination, compressionLevel: 9 },
  });
}

async function lifeboatSessions(): Promise<number> {
  return Number((await cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'lifeboat%'")).trim());
}

describe('a backup stopped half-way', () => {
  it('is cancelled by the user during the dump: no file left, pg_dump stopped, job cancelled', async () => {
    const core = makeTestCore({ containerOptions: FAST_CONTAINER });
    try {
      const destination = path.join(work, 'cancelled');
      const source = cluster.source('big');
      const plan = await savePlan(core, bigPlan('Cancel me', destination), {
        dbPasswords: { [source.id]: cluster.password },
        passphrase: PASSPHRASE,
      });
      let jobId = '';
      const dumping = new Promise<JobSummary>((resolve) => {
        core.events.on('jobs/updated', (row) => {
          if (row.id === jobId && row.progress?.phase === 'dump' && row.progress.bytesDone > 0) resolve(row);
        });
      });
      jobId = core.startPlanBackup(plan, 'manual').id;
      const during = await dumping;
      expect(during.status).toBe('running');

      // the dump is really under way: a pg_dump for this server, a growing .part file
      const pids = pgDumpPids(cluster.port);
      expect(pids).toHaveLength(1);
      expect(listTree(destination)).toEqual([expect.stringMatching(/\.lifeboat\.part$/)]);

      const cancelledAt = Date.now();
      expect(await core.handlers['jobs/cancel']({ id: jobId })).toEqual({ cancelled: true });
      await core.runner.wait(jobId);
      const job = core.jobs.detail(jobId)!;
      expect(job.status).toBe('cancelled');
      expect(job.cancelledBy).toBe('user');
      expect(job.errorCode).toBe('CANCELLED');
      expect(job.displayMessage).toContain('Cancelled by the user');
      expect(job.filePath).toBeNull();
      expect(Date.now() - cancelledAt).toBeLessThan(5000);

      expect(listTree(destination)).toEqual([]);
      expect(pgDumpPids(cluster.port)).toEqual([]);
      expect(fs.existsSync(`/proc/${pids[0]}`)).toBe(false);
      // pg_dump's session and the snapshot's are closed too
      await waitFor(async () => (await lifeboatSessions()) === 0, 5000, 'the server sessions to end');
      expect(core.audit.list(1, 100).items.map((a) => a.action)).toContain('job.cancel');
      // a cancelled job is not a backup
      expect(core.jobs.backupsOfPlan(plan.id)).toEqual([]);
    } finally {
      await core.cleanup();
    }
  });

  it('is marked interrupted after Lifeboat is killed mid-run, and its .part file is removed at the next start', async () => {
    const dataDir = makeTempDir('lifeboat-killed-');
    const destination = path.join(work, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/support/backup-child.ts')], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        LIFEBOAT_HOME: dataDir,
        LIFEBOAT_TEST_PLAN: JSON.stringify(bigPlan('Killed mid-run', destination)),
        LIFEBOAT_TEST_DB_PASSWORD: cluster.password,
        LIFEBOAT_TEST_PASSPHRASE: PASSPHRASE,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));

    try {
      // the .part exists and data is streaming into it
      const part = await waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`the child ended early: ${stdout}\n${stderr}`);
          const name = listTree(destination).find((n) => n.endsWith('.lifeboat.part'));
          return name && fs.statSync(path.join(destination, name)).size > 64 * 1024 ? name : null;
        },
        60_000,
        'the child to stream into a .part file',
      );
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(listTree(destination)).toEqual([part]);
    } finally {
      child.kill('SIGKILL');
    }
    const { jobId } = JSON.parse(stdout.split('\n')[0]!) as { jobId: string };
    // its pg_dump loses its reader and ends
    await waitFor(() => pgDumpPids(cluster.port).length === 0, 10_000, 'the orphaned pg_dump to exit');

    const core = makeTestCore({ dataDir, containerOptions: FAST_CONTAINER });
    try {
      const job = core.jobs.detail(jobId)!;
      expect(job.status).toBe('interrupted');
      expect(job.displayMessage).toContain('Interrupted');
      expect(job.filePath).toBeNull();
      expect(listTree(destination)).toEqual([]);
      const all = core.jobs.all({});
      expect(all.map((j) => j.id)).toEqual([jobId]);
      expect(all.filter((j) => j.status === 'success')).toEqual([]);
      expect(core.audit.list(1, 100).items.map((a) => a.action)).toContain('jobs.mark-interrupted');
    } finally {
      await core.cleanup();
    }
  });
});
