/**
 * The app next to the `lifeboat daemon` service on the same catalog: the service holds the
 * scheduler lease (a live process of this host stands in for it), so the Dashboard and the
 * sidebar say "Schedules are run by the Lifeboat service (pid N)" and Pause all is off; a job the
 * service runs is not pushed to the window, yet shows up with its progress (read from the
 * catalog), and its Cancel reaches the service through the catalog.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { ScheduleStateRepo } from '../../src/main/core/catalog/schedule-state-repo';
import { EMPTY_PROGRESS, type JobProgress } from '../../src/shared/job';
import { expect, test } from './support/fixtures';
import { seedPlan } from './support/seed';

const progress = (phase: JobProgress['phase'], percent: number): JobProgress => ({ ...EMPTY_PROGRESS, phase, percent, bytesDone: 1_048_576 });

test('schedules run by the Lifeboat service: the Dashboard and the sidebar say so, its job shows live and can be cancelled', async ({ page, core }) => {
  // the service: a live process of this host holding the scheduler lease, heart-beating
  const service = spawn('sleep', ['300'], { stdio: 'ignore' });
  const pid = service.pid!;
  const beat = () => core.catalog.prepare('UPDATE scheduler_lease SET heartbeat_at = ? WHERE id = 1').run(new Date().toISOString());
  try {
    const now = new Date().toISOString();
    core.catalog
      .prepare(
        `INSERT INTO scheduler_lease (id, holder_id, pid, host, role, acquired_at, heartbeat_at, paused)
         VALUES (1, 'service', ?, ?, 'service', ?, ?, 0)`,
      )
      .run(pid, os.hostname(), now, now);
    const heartbeat = setInterval(beat, 5000);
    try {
      const plan = seedPlan(core, { name: 'Served nightly', schedule: { kind: 'daily', time: '02:00' } });
      // the next run the service armed
      new ScheduleStateRepo(core.catalog).setNextRun(plan.id, new Date(Date.now() + 3_600_000).toISOString());

      await page.goto('/#/dashboard');
      const sentence = `Schedules are run by the Lifeboat service (pid ${pid})`;
      const scheduler = page.getByRole('group', { name: 'Scheduler' });
      await expect(scheduler).toContainText('Running');
      await expect(scheduler).toContainText(sentence);
      await expect(scheduler.getByRole('button', { name: 'Pause all' })).toBeDisabled();
      await expect(page.getByRole('status').filter({ hasText: sentence })).toBeVisible();
      const nextRuns = page.getByRole('table', { name: 'Next runs' });
      await expect(nextRuns.getByRole('row', { name: /Served nightly/ })).not.toContainText('not armed');

      // a job of the service: written to the catalog by that process, nothing pushed here
      const jobId = randomUUID();
      core.jobs.create({ id: jobId, kind: 'backup', planId: plan.id, planName: plan.name, trigger: 'scheduled', startedAt: new Date().toISOString(), ownerPid: pid });
      core.jobs.markRunning(jobId, null);
      core.jobs.saveProgress(jobId, progress('dump', 12));
      const running = page.getByRole('region', { name: 'Running now' });
      await expect(running).toContainText('Served nightly', { timeout: 10_000 });
      await expect(running.getByRole('progressbar', { name: 'Served nightly progress' })).toHaveAttribute('value', '12');
      await expect(page.getByRole('status').filter({ hasText: '1 running' })).toBeVisible();
      // its progress moves, read every 2 s while it runs
      core.jobs.saveProgress(jobId, progress('files', 64));
      await expect(running.getByRole('progressbar', { name: 'Served nightly progress' })).toHaveAttribute('value', '64', { timeout: 5000 });

      // Cancel: the app cannot abort it, it asks the service through the catalog
      await running.getByRole('button', { name: 'Cancel' }).click();
      await expect
        .poll(() => (core.catalog.prepare('SELECT cancel_requested AS at FROM jobs WHERE id = ?').get(jobId) as { at: string | null }).at)
        .not.toBeNull();
      expect(core.audit.list(1, 10).items.find((e) => e.action === 'job.cancel')).toMatchObject({ target: jobId });
      // the service cancels it (its runner polls the request): the app sees the end
      core.jobs.finish(jobId, {
        status: 'cancelled',
        finishedAt: new Date().toISOString(),
        durationMs: 4000,
        errorCode: 'CANCELLED',
        cancelledBy: 'user',
        displayMessage: 'Cancelled by the user. Nothing was written.',
      });
      await expect(page.getByRole('heading', { name: 'Running now' })).toHaveCount(0, { timeout: 5000 });
      await page.goto(`/#/history?job=${jobId}`);
      await expect(page.getByRole('complementary', { name: 'Job details' })).toContainText('Cancelled by the user');
    } finally {
      clearInterval(heartbeat);
    }
  } finally {
    service.kill('SIGKILL');
  }
});
