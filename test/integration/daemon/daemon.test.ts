/**
 * `lifeboat daemon` as a real process (node bin/lifeboat.mjs daemon) on a data dir: it fires a
 * due slot, records the job, applies retention and logs one line per event; one scheduler per
 * catalog (a second daemon waits until the first is killed, or hung past the lease's staleness,
 * and then takes over); the monitoring endpoint reports a seeded catalog and /healthz turns 503
 * when a plan fails twice in a row, as `lifeboat status` exits 1. Folder-only plans, encryption
 * off, 6-field cron schedules in UTC so that a slot is seconds away.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogDb } from '../../../src/main/core/catalog/catalog';
import { JobsRepo } from '../../../src/main/core/catalog/jobs-repo';
import { AuditRepo } from '../../../src/main/core/catalog/audit-repo';
import { VerificationsRepo } from '../../../src/main/core/catalog/verifications-repo';
import { computeNextRun } from '../../../src/main/core/scheduler/next-run';
import type { PlanInput, Schedule } from '../../../src/shared/plan';
import { startDaemon, type DaemonProcess } from '../../support/daemon-process';
import { freePort } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { cronInSeconds, folderPlanInput, makeFolders, savePlan, waitFor } from '../scheduler/scheduler-helpers';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EVERY_2_SECONDS: Schedule = { kind: 'cron', expression: '*/2 * * * * *' };
/** lease periods short enough for a test: a silent holder is stale after 3 s, a waiting daemon asks every 0.5 s */
const FAST_LEASE = { LIFEBOAT_LEASE_HEARTBEAT_MS: '500', LIFEBOAT_LEASE_STALE_MS: '3000', LIFEBOAT_LEASE_RETRY_MS: '500' };

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function daemon(home: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): DaemonProcess {
  const d = startDaemon(home, args, env);
  cleanups.push(() => d.stop('SIGKILL'));
  return d;
}

function tempHome(): string {
  const home = makeTempDir('lifeboat-daemon-');
  cleanups.push(() => fs.rmSync(home, { recursive: true, force: true }));
  return home;
}

function folders() {
  const f = makeFolders();
  cleanups.push(() => f.remove());
  return f;
}

/** Saves plans through a core of the test's own (closed again before a daemon starts). */
async function seedPlans(home: string, inputs: (Parameters<typeof folderPlanInput>[0] & Pick<Partial<PlanInput>, 'retention'>)[]) {
  const core = makeTestCore({ dataDir: home, notifications: { watchOverdue: false } });
  try {
    const plans = [];
    for (const { retention, ...input } of inputs) plans.push(await savePlan(core, { ...folderPlanInput(input), ...(retention ? { retention } : {}) }));
    return plans;
  } finally {
    await core.close();
  }
}

/** A read-only look at the catalog the daemons write (WAL: readers never block them). */
function catalog(home: string): { db: CatalogDb; jobs: JobsRepo; audit: AuditRepo } {
  const db = openCatalog(home);
  cleanups.push(() => db.close());
  return { db, jobs: new JobsRepo(db), audit: new AuditRepo(db, () => new Date()) };
}

const ownerOf = (db: CatalogDb, jobId: string) => (db.prepare('SELECT owner_pid AS pid FROM jobs WHERE id = ?').get(jobId) as { pid: number }).pid;

describe('lifeboat daemon', () => {
  it('fires a slot due a few seconds after start, records the job, applies retention, logs one line per event, stops on SIGTERM with exit 0', async () => {
    const home = tempHome();
    const f = folders();
    // keep only the newest backup: the second run prunes the first
    const [plan] = await seedPlans(home, [
      {
        folders: f,
        schedule: EVERY_2_SECONDS,
        timezone: 'UTC',
        name: 'Every 2s',
        retention: { days: null, maxCount: null, keepLast: 1, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 },
      },
    ]);

    const d = daemon(home);
    await d.waitForLine(/^info job\.finished .*status=success/, 'the first scheduled backup');
    await d.waitForLine((line) => d.linesMatching(/^info job\.finished .*status=success/).length >= 2 && line.startsWith('info job.finished'), 'the second scheduled backup');
    const exit = await d.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });

    const lines = d.lines();
    expect(lines[0]).toMatch(new RegExp(`^info daemon\\.started pid=${d.pid} host=\\S+ version=\\S+ data_dir=${home.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} passphrase=none$`));
    expect(lines.some((l) => new RegExp(`^info lease\\.taken pid=${d.pid} host=\\S+$`).test(l))).toBe(true);
    expect(lines).toContainEqual('info scheduler.armed state=running plans=1');
    expect(lines.some((l) => l.startsWith(`info scheduler.next-run plan="Every 2s" plan_id=${plan.id} at=`))).toBe(true);
    expect(lines.some((l) => /^info job\.started job=\S+ kind=backup plan="Every 2s" plan_id=\S+ trigger=scheduled status=pending$/.test(l))).toBe(true);
    expect(lines.some((l) => /^info job\.progress job=\S+ kind=backup plan="Every 2s" plan_id=\S+ phase=files percent=\d+$/.test(l))).toBe(true);
    expect(lines.some((l) => /^info job\.finished job=\S+ kind=backup plan="Every 2s" plan_id=\S+ status=success duration_s=[\d.]+ size_bytes=\d+ file=\S+\.lifeboat message="Backed up 1 source\."$/.test(l))).toBe(true);
    expect(lines.at(-2)).toMatch(/^info lease\.released pid=\d+ host=\S+$/);
    expect(lines.at(-1)).toBe('info daemon.stopped signal=SIGTERM');
    expect(d.stderr()).toBe('');

    const { jobs, audit, db } = catalog(home);
    const runs = jobs.all({ planId: plan.id }).filter((j) => j.status === 'success');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    // the slot just before start (after the plan was created) is caught up once, the next ones are scheduled
    expect(runs.every((j) => ['scheduled', 'catch-up'].includes(j.trigger) && ownerOf(db, j.id) === d.pid)).toBe(true);
    // retention after each run: only the newest file is kept, the older ones are marked removed
    const [newest, ...older] = runs;
    expect(fs.existsSync(newest.filePath!)).toBe(true);
    for (const job of older) {
      expect(job.filePath).toBeNull();
      expect(job.displayMessage).toMatch(/^Removed by retention/);
    }
    const left = fs.readdirSync(f.destination);
    expect(left.filter((n) => n.endsWith('.part'))).toEqual([]);
    expect(left.filter((n) => n.endsWith('.lifeboat')).length).toBe(jobs.all({ planId: plan.id }).filter((j) => j.filePath).length);
    expect(audit.list(1, 200).items.filter((e) => e.action === 'plan.run-scheduled' && e.actor === 'scheduler').length).toBeGreaterThanOrEqual(2);
    expect(audit.list(1, 200).items.some((e) => e.action === 'backup.prune')).toBe(true);
    // the lease was given back: the next process takes the schedules at once
    expect(db.prepare('SELECT COUNT(*) AS n FROM scheduler_lease').get()).toEqual({ n: 0 });
  });

  it('logs JSON lines with --log-format json, follows a plan another process saves, and reloads the plans on SIGHUP', async () => {
    const home = tempHome();
    const f = folders();
    // a plan that is not armed yet: disabled
    const [plan] = await seedPlans(home, [{ folders: f, schedule: { kind: 'daily', time: '03:00' }, timezone: 'UTC', name: 'Nightly', enabled: false }]);
    const d = daemon(home, ['--log-format', 'json']);
    await d.waitForLine(/"event":"scheduler.armed"/, 'the scheduler armed');
    // enabled behind the daemon's back (as `sqlite3` or an old CLI would): only a reload arms it
    const { db } = catalog(home);
    db.prepare('UPDATE plans SET enabled = 1, definition = json_set(definition, \'$.enabled\', json(\'true\'))').run();
    d.child.kill('SIGHUP');
    await d.waitForLine(/"event":"scheduler.next-run"/, 'the plan armed after SIGHUP');
    // saved by another process (the app): the daemon notices within seconds, no signal needed
    const [weekly] = await seedPlans(home, [{ folders: f, schedule: { kind: 'weekly', time: '04:00', days: [1] }, timezone: 'UTC', name: 'Weekly' }]);
    await d.waitForLine((line) => line.includes('"event":"scheduler.next-run"') && line.includes(weekly.id), 'the plan saved elsewhere to be armed', 15_000);
    expect((await d.stop('SIGTERM')).code).toBe(0);

    const events = d.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const event of events) {
      expect(event).toMatchObject({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: expect.any(String), event: expect.any(String) });
    }
    expect(events[0]).toMatchObject({ level: 'info', event: 'daemon.started', pid: d.pid, data_dir: home });
    expect(events.find((e) => e.event === 'scheduler.armed')).toMatchObject({ state: 'running', plans: 0 });
    expect(events.find((e) => e.event === 'daemon.reload')).toMatchObject({ signal: 'SIGHUP' });
    const expected = computeNextRun({ kind: 'daily', time: '03:00' }, 'UTC', new Date())!.toISOString();
    expect(events.find((e) => e.event === 'scheduler.next-run')).toMatchObject({ plan: 'Nightly', plan_id: plan.id, at: expected });
    expect(events.at(-1)).toMatchObject({ event: 'daemon.stopped', signal: 'SIGTERM' });
  });

  it('one scheduler per catalog: a second daemon fires nothing while the first lives, and takes over once it is killed', async () => {
    const home = tempHome();
    const f = folders();
    const [plan] = await seedPlans(home, [{ folders: f, schedule: EVERY_2_SECONDS, timezone: 'UTC', name: 'Shared' }]);
    const first = daemon(home, [], FAST_LEASE);
    await first.waitForLine(/^info lease\.taken /, 'the first daemon to take the lease');
    const second = daemon(home, [], FAST_LEASE);
    const waiting = await second.waitForLine(/^info lease\.waiting /, 'the second daemon to wait');
    expect(waiting).toMatch(new RegExp(`^info lease\\.waiting holder_pid=${first.pid} holder_host=\\S+ holder_role=service retry_s=0\\.5 message="Schedules are run by the Lifeboat service \\(pid ${first.pid}\\); waiting to take over when it stops"$`));

    const { jobs, db } = catalog(home);
    // a few slots go by: every job is the first daemon's, each slot ran once
    await waitFor(() => jobs.all({ planId: plan.id }).filter((j) => j.status === 'success').length >= 3, 'three runs by the first daemon', 15_000);
    const before = jobs.all({ planId: plan.id });
    expect(before.every((j) => ownerOf(db, j.id) === first.pid)).toBe(true);
    expect(second.linesMatching(/job\.|scheduler\.armed|lease\.taken/)).toEqual([]);

    // the holder dies: its pid is gone, so the waiting daemon takes over at its next try
    const killedAt = Date.now();
    await first.stop('SIGKILL');
    const taken = await second.waitForLine(/^info lease\.taken /, 'the second daemon to take over', 10_000);
    expect(taken).toMatch(new RegExp(`^info lease\\.taken pid=${second.pid} host=(\\S+) taken_over_pid=${first.pid} taken_over_host=\\S+ taken_over_role=service$`));
    expect(Date.now() - killedAt).toBeLessThan(3000);
    await second.waitForLine(/^info job\.finished .*status=success/, 'a run by the second daemon', 10_000);
    const after = jobs.all({ planId: plan.id });
    expect(after.some((j) => ownerOf(db, j.id) === second.pid && j.status === 'success')).toBe(true);
    // a job the killed daemon left running was marked interrupted by the takeover, not left `running`
    expect(after.filter((j) => j.status === 'running' && ownerOf(db, j.id) === first.pid)).toEqual([]);
    expect((await second.stop('SIGTERM')).code).toBe(0);
  });

  it('a hung holder (SIGSTOP) is taken over once its heartbeat is stale, and stops firing when it wakes (lease.lost)', async () => {
    const home = tempHome();
    const f = folders();
    const [plan] = await seedPlans(home, [{ folders: f, schedule: EVERY_2_SECONDS, timezone: 'UTC', name: 'Hung' }]);
    const first = daemon(home, [], FAST_LEASE);
    await first.waitForLine(/^info lease\.taken /, 'the first daemon to take the lease');
    const second = daemon(home, [], FAST_LEASE);
    await second.waitForLine(/^info lease\.waiting /, 'the second daemon to wait');

    first.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await second.waitForLine(/^info lease\.taken /, 'the takeover of a silent holder', 15_000);
    // alive but silent: not before the lease is stale (3 s)
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(2500);
    first.child.kill('SIGCONT');
    await first.waitForLine(/^warn lease\.lost /, 'the woken daemon to notice', 10_000);
    const lostAt = Date.now();

    const { jobs, db } = catalog(home);
    await sleep(3000);
    // after it noticed, only the second daemon starts jobs
    const late = jobs.all({ planId: plan.id }).filter((j) => Date.parse(j.startedAt) > lostAt + 500);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((j) => ownerOf(db, j.id) === second.pid)).toBe(true);
    // and it waits for the lease again
    expect(first.linesMatching(/^info lease\.waiting /).length).toBeGreaterThanOrEqual(1);
    expect((await first.stop('SIGTERM')).code).toBe(0);
    expect((await second.stop('SIGTERM')).code).toBe(0);
  });

  it('serves Prometheus metrics of a seeded catalog, and /healthz turns 503 (and `lifeboat status` exits 1) when a plan fails twice in a row', async () => {
    const home = tempHome();
    const f = folders();
    const missing = path.join(f.source, 'gone');
    const broken = cronInSeconds(9);
    const [shop, failing] = await seedPlans(home, [
      { folders: f, schedule: { kind: 'daily', time: '02:00' }, timezone: 'UTC', name: 'Shop "prod" \\ eu' },
      { folders: { source: missing, destination: f.destination }, schedule: { kind: 'cron', expression: broken.expression }, timezone: 'UTC', name: 'Broken' },
    ]);
    // history: Shop succeeded an hour ago (and was proven restorable), Broken failed once
    const db = openCatalog(home);
    const jobs = new JobsRepo(db);
    const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    const seed = (id: string, planId: string, planName: string, startedAt: string, finish: Partial<Parameters<JobsRepo['finish']>[1]>) => {
      jobs.create({ id, kind: 'backup', planId, planName, trigger: 'scheduled', startedAt, ownerPid: 1 });
      jobs.finish(id, { status: 'success', finishedAt: startedAt, durationMs: 1, ...finish });
    };
    const fileA = path.join(f.destination, 'a.lifeboat');
    const fileB = path.join(f.destination, 'b.lifeboat');
    seed('shop-1', shop.id, shop.name, at(26 * 3_600_000), { durationMs: 10_000, sizeBytes: 1000, filePath: fileA });
    const lastSuccessAt = at(3_600_000);
    seed('shop-2', shop.id, shop.name, lastSuccessAt, { durationMs: 12_500, sizeBytes: 2048, filePath: fileB });
    new VerificationsRepo(db).record({ id: 'v1', jobId: null, backupJobId: 'shop-2', filePath: fileB, status: 'passed', drill: true, reasons: [], createdAt: at(3_000_000) });
    seed('broken-1', failing.id, failing.name, at(7_200_000), { status: 'failed', durationMs: 5, errorCode: 'FOLDER_MISSING' });
    db.close();

    const port = await freePort();
    const d = daemon(home, ['--metrics', `127.0.0.1:${port}`]);
    await d.waitForLine(/^info scheduler\.armed /, 'the scheduler armed');
    expect(d.lines()[0]).toContain(`metrics=127.0.0.1:${port}`);

    // one failure is not unhealthy yet
    const first = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('ok\n');

    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await metrics.text();
    const shopLabels = `plan="Shop \\"prod\\" \\\\ eu",plan_id="${shop.id}"`;
    const brokenLabels = `plan="Broken",plan_id="${failing.id}"`;
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(value('lifeboat_up')).toBe(1);
    expect(value('lifeboat_healthy')).toBe(1);
    expect(value(`lifeboat_plan_last_success_timestamp_seconds{${shopLabels}}`)).toBeCloseTo(Date.parse(lastSuccessAt) / 1000, 3);
    expect(value(`lifeboat_plan_last_success_timestamp_seconds{${brokenLabels}}`)).toBe(0);
    expect(value(`lifeboat_plan_last_run_status{${shopLabels},status="success"}`)).toBe(1);
    expect(value(`lifeboat_plan_last_run_status{${shopLabels},status="failed"}`)).toBe(0);
    expect(value(`lifeboat_plan_last_run_status{${brokenLabels},status="failed"}`)).toBe(1);
    expect(value(`lifeboat_plan_last_duration_seconds{${shopLabels}}`)).toBe(12.5);
    expect(value(`lifeboat_plan_last_size_bytes{${shopLabels}}`)).toBe(2048);
    expect(value(`lifeboat_plan_consecutive_failures{${shopLabels}}`)).toBe(0);
    expect(value(`lifeboat_plan_consecutive_failures{${brokenLabels}}`)).toBe(1);
    expect(value(`lifeboat_plan_proven_restorable_timestamp_seconds{${shopLabels}}`)).toBeCloseTo(Date.parse(at(3_000_000)) / 1000, -1);
    const nextShop = computeNextRun({ kind: 'daily', time: '02:00' }, 'UTC', new Date())!;
    expect(value(`lifeboat_plan_next_run_timestamp_seconds{${shopLabels}}`)).toBe(nextShop.getTime() / 1000);
    expect(value(`lifeboat_plan_next_run_timestamp_seconds{${brokenLabels}}`)).toBe(broken.at.getTime() / 1000);
    expect(value(`lifeboat_destination_bytes_used{destination="${f.destination}"}`)).toBe(3048);
    expect(value(`lifeboat_destination_backups{destination="${f.destination}"}`)).toBe(2);
    expect(value('lifeboat_scheduler_running')).toBe(1);
    expect(text).toMatch(new RegExp(`^lifeboat_scheduler_lease_holder\\{pid="${d.pid}",host="[^"]+",role="service",this_process="true"\\} 1$`, 'm'));
    expect(text).toContain('# TYPE lifeboat_plan_last_success_timestamp_seconds gauge\n');
    expect(text.endsWith('\n')).toBe(true);

    // the second failure in a row: unhealthy
    await d.waitForLine(/^error job\.finished .*plan=Broken .*status=failed .*error_code=FOLDER_MISSING/, 'the second failure of Broken', 20_000);
    // the alert the app would show is raised, and logged, by the daemon
    expect(d.lines()).toContainEqual(expect.stringMatching(new RegExp(`^error alert\\.raised kind=consecutive-failures plan_id=${failing.id} job=\\S+ message="\\\\"Broken\\\\" has failed 2 runs in a row`)));
    const second = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(second.status).toBe(503);
    const body = await second.text();
    expect(body).toMatch(/^unhealthy\nfailing: "Broken" has failed 2 runs in a row \(the last at [^)]+\)\. See its history for why\.\n$/);
    const after = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(after).toContain(`lifeboat_plan_consecutive_failures{${brokenLabels}} 2\n`);
    expect(after).toContain('lifeboat_healthy 0\n');
    expect((await fetch(`http://127.0.0.1:${port}/nothing`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);

    // the same rule in `lifeboat status --json`: exit 1, the reason in its health
    const status = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/lifeboat.mjs'), 'status', '--json'], {
      cwd: REPO_ROOT,
      env: { ...process.env, LIFEBOAT_HOME: home },
    }).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    expect(status.code).toBe(1);
    const report = JSON.parse(status.stdout) as { health: { ok: boolean; reasons: { planId: string; kind: string }[] }; scheduler: { pid: number; role: string } };
    expect(report.health).toMatchObject({ ok: false, reasons: [{ planId: failing.id, kind: 'failing' }] });
    expect(report.scheduler).toMatchObject({ pid: d.pid, role: 'service' });
    expect((await d.stop('SIGTERM')).code).toBe(0);
    // bound to the address given only, and gone with the daemon
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('refuses a --metrics address it cannot parse or bind, and a bad lease period (exit 2), running nothing', async () => {
    const home = tempHome();
    const bad = daemon(home, ['--metrics', 'nonsense']);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toContain('--metrics takes host:port, for example 127.0.0.1:9187; not "nonsense"');
    // a port another program holds
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => taken.close(resolve)));
    const port = (taken.address() as net.AddressInfo).port;
    const busy = daemon(home, ['--metrics', `127.0.0.1:${port}`]);
    expect((await busy.exited).code).toBe(2);
    expect(busy.stderr()).toContain(`cannot serve metrics on 127.0.0.1:${port}: EADDRINUSE`);
    // it gave the catalog back as it found it: no lease left behind, no schedule armed
    expect(catalog(home).db.prepare('SELECT COUNT(*) AS n FROM scheduler_lease').get()).toEqual({ n: 0 });
    expect(busy.linesMatching(/ (lease|scheduler|job)\./)).toEqual([]);
    const period = daemon(home, [], { LIFEBOAT_LEASE_STALE_MS: 'soon' });
    expect((await period.exited).code).toBe(2);
    expect(period.stderr()).toContain('LIFEBOAT_LEASE_STALE_MS takes milliseconds');
  });
});
