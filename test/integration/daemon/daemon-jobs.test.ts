/**
 * Stopping a job of `lifeboat daemon` (a real child process) in the middle of its pg_dump: SIGTERM
 * to the daemon cancels it as a system cancel (recorded `cancelled`, no `.part` left, exit 0), and
 * another process's core cancels it through `jobs/cancel` (the request goes through the catalog,
 * the daemon cancels it as a user cancel and goes on running the schedules). pg_dump is a wrapper
 * that waits before the real one (LIFEBOAT_PG_BIN), so the job is under way for as long as needed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import type { JobSummary } from '../../../src/shared/job';
import { planInput, savePlan, waitFor } from '../../support/backup-fixtures';
import { startDaemon, type DaemonProcess } from '../../support/daemon-process';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { cronInSeconds } from '../scheduler/scheduler-helpers';

let cluster: PgCluster;
let work: string;

/**
 * A folder for LIFEBOAT_PG_BIN whose pg_dump answers --version as the real one and otherwise
 * becomes `sleep` (exec: the same process, so the job's SIGTERM ends it and its pipes close; a
 * child left holding them would keep the job waiting). Resolves `started()` once one sleeps.
 */
function sleepingPgDump(dir: string, realBinDir: string): { dir: string; started(): Promise<number> } {
  fs.mkdirSync(dir, { recursive: true });
  const pids = path.join(dir, 'pg_dump.pids');
  fs.writeFileSync(
    path.join(dir, 'pg_dump'),
    ['#!/bin/sh', 'case " $* " in', `  *" --version "*) exec '${path.join(realBinDir, 'pg_dump')}' "$@" ;;`, 'esac', `echo $$ >> '${pids}'`, 'exec sleep 300', ''].join('\n'),
    { mode: 0o755 },
  );
  return {
    dir,
    started: () => waitFor(() => (fs.existsSync(pids) ? Number(fs.readFileSync(pids, 'utf8').split('\n')[0]) : 0), 30_000, 'pg_dump to start'),
  };
}

let slow: ReturnType<typeof sleepingPgDump>;

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('shop');
  await cluster.psql('CREATE TABLE items (id int primary key); INSERT INTO items SELECT generate_series(1, 100);', 'shop');
  work = makeTempDir('lifeboat-daemon-jobs-');
});

afterAll(async () => {
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A data dir with one plan backing up `shop`, unencrypted, whose slot comes a few seconds after
 * the daemon starts; the daemon runs with the waiting pg_dump and the database's password.
 */
async function daemonWithSlowPlan(name: string): Promise<{ home: string; destination: string; planId: string; daemon: DaemonProcess }> {
  const home = path.join(work, name, 'home');
  const destination = path.join(work, name, 'out');
  slow = sleepingPgDump(path.join(work, name, 'slow-bin'), cluster.binDir);
  cleanups.push(() => {
    try {
      const pid = Number(fs.readFileSync(path.join(slow.dir, 'pg_dump.pids'), 'utf8').split('\n')[0]);
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      // never started, or gone already
    }
  });
  const core = makeTestCore({ dataDir: home, notifications: { watchOverdue: false } });
  const source = cluster.source('shop');
  const { expression } = cronInSeconds(4);
  const plan = await savePlan(
    core,
    planInput({ name, destination, databases: [source], schedule: { kind: 'cron', expression }, timezone: 'UTC', options: { destination, encrypt: false } }),
    { dbPasswords: { [source.id]: cluster.password } },
  );
  await core.close();
  // the CLI's secret store: the database password from PGPASSWORD, as a service unit would set it
  const daemon = startDaemon(home, [], { PGPASSWORD: cluster.password, LIFEBOAT_PG_BIN: slow.dir });
  cleanups.push(() => daemon.stop('SIGKILL'));
  return { home, destination, planId: plan.id, daemon };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const partFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.part')) : []);

describe('jobs of lifeboat daemon', () => {
  it('SIGTERM in the middle of a scheduled backup: the job is recorded cancelled, no .part is left, exit 0', async () => {
    const { home, destination, planId, daemon } = await daemonWithSlowPlan('sigterm');
    const dumpPid = await slow.started();
    await daemon.waitForLine(/^info job\.progress .*phase=dump/, 'the dump phase');
    // the backup file is being written, as <name>.part
    expect(partFiles(destination)).toHaveLength(1);
    const exit = await daemon.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });

    const lines = daemon.lines();
    expect(lines).toContainEqual(expect.stringMatching(/^info daemon\.stopping signal=SIGTERM running_jobs=1$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^warn job\.finished job=\S+ kind=backup plan=sigterm plan_id=\S+ status=cancelled duration_s=[\d.]+ error_code=CANCELLED cancelled_by=system message="Cancelled because Lifeboat was closing\. Nothing was written\."$/),
    );
    expect(lines.at(-1)).toBe('info daemon.stopped signal=SIGTERM');
    // pg_dump got its SIGTERM, and nothing is left at the destination
    expect(alive(dumpPid)).toBe(false);
    expect(partFiles(destination)).toEqual([]);
    expect(fs.existsSync(destination) ? fs.readdirSync(destination).filter((n) => n.endsWith('.lifeboat')) : []).toEqual([]);

    const core = makeTestCore({ dataDir: home, notifications: { watchOverdue: false } });
    cleanups.push(() => core.close());
    const [job] = core.jobs.all({ planId });
    expect(job).toMatchObject({ status: 'cancelled', cancelledBy: 'system', errorCode: 'CANCELLED', filePath: null });
  });

  it('a job the daemon runs is cancelled through another process\'s jobs/cancel; the daemon goes on', async () => {
    const { home, destination, planId, daemon } = await daemonWithSlowPlan('elsewhere');
    const dumpPid = await slow.started();
    await daemon.waitForLine(/^info job\.progress .*phase=dump/, 'the dump phase');

    // the app's core (this test process) on the same catalog: the job is not its own
    const app = makeTestCore({ dataDir: home, notifications: { watchOverdue: false } });
    cleanups.push(() => app.close());
    const [running] = app.jobs.all({ planId });
    expect(running).toMatchObject({ status: 'running', ownerPid: daemon.pid });
    expect(app.runner.activeJobIds()).toEqual([]);
    const reply = await dispatch(app.handlers, 'jobs/cancel', { id: running.id });
    expect(reply).toEqual({ ok: true, value: { cancelled: true } });

    const cancelled = await waitFor(() => {
      const job = app.jobs.get(running.id)!;
      return job.status === 'cancelled' ? job : null;
    }, 10_000, 'the daemon to cancel its job');
    expect(cancelled).toMatchObject({ cancelledBy: 'user', errorCode: 'CANCELLED', displayMessage: 'Cancelled by the user. Nothing was written.' });
    expect(daemon.lines()).toContainEqual(expect.stringMatching(/^warn job\.finished .*status=cancelled .*cancelled_by=user /));
    expect(partFiles(destination)).toEqual([]);
    await waitFor(() => !alive(dumpPid), 5000, 'pg_dump to be stopped');
    expect(app.audit.list(1, 50).items.find((e) => e.action === 'job.cancel')).toMatchObject({ target: running.id, details: JSON.stringify({ ownerPid: daemon.pid }) });
    // a job that has ended cannot be cancelled again, from anywhere
    expect(await dispatch(app.handlers, 'jobs/cancel', { id: running.id })).toEqual({ ok: true, value: { cancelled: false } });

    // the daemon still runs the schedules and stops cleanly
    expect(daemon.child.exitCode).toBeNull();
    expect(app.schedulerLease.status().runBy).toMatchObject({ kind: 'other', pid: daemon.pid, role: 'service' });
    expect((await daemon.stop('SIGTERM')).code).toBe(0);
    const final: JobSummary[] = app.jobs.all({ planId });
    expect(final.filter((j) => j.status === 'running')).toEqual([]);
  });
});
