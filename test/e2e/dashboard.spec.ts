/**
 * The dashboard against the real handlers: a real folder backup started with Run now, its live
 * progress, then its result, the storage it uses, the success rate and the trend charts; and the
 * scheduler controls (pause all, resume, re-initialise).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test, type TestCore } from './support/fixtures';
import { seedJob, seedPlan } from './support/seed';

const DAY_MS = 86_400_000;

/** A folder worth watching back up: incompressible data, so that the run lasts a moment. */
function makeSourceFolder(core: TestCore): string {
  const source = path.join(core.dataDir, 'project');
  fs.mkdirSync(path.join(source, 'docs'), { recursive: true });
  for (let i = 1; i <= 4; i++) fs.writeFileSync(path.join(source, `blob-${i}.bin`), randomBytes(8 * 1024 * 1024));
  for (let i = 1; i <= 20; i++) fs.writeFileSync(path.join(source, 'docs', `note-${i}.txt`), `note ${i}\n`.repeat(200));
  return source;
}

/** The page's globals this spec touches (the node tsconfig of the tests has no DOM types). */
interface PageGlobals {
  document: { body: unknown; querySelectorAll(selector: string): ArrayLike<{ value: number }> };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };
  __progressSeen: number[];
}

/** Records every value a plan's progress bar shows, however briefly it is on screen. */
async function watchProgress(page: Page, label: string): Promise<() => Promise<number[]>> {
  await page.evaluate((name) => {
    const g = globalThis as unknown as PageGlobals;
    const seen: number[] = (g.__progressSeen = []);
    const record = () => {
      for (const bar of Array.from(g.document.querySelectorAll(`progress[aria-label="${name}"]`))) seen.push(bar.value);
    };
    new g.MutationObserver(record).observe(g.document.body, { subtree: true, childList: true, attributes: true });
  }, label);
  return () => page.evaluate(() => (globalThis as unknown as PageGlobals).__progressSeen);
}

test('Run now: live progress, then the result, storage used, success rate and the charts', async ({ page, core }) => {
  const source = makeSourceFolder(core);
  const destination = path.join(core.dataDir, 'backups');
  const plan = seedPlan(core, {
    name: 'Project files',
    folders: [{ id: randomUUID(), path: source }],
    options: { destination, encrypt: false },
  });
  // two weeks of history: six good days (files since removed by retention) and one failure
  for (let day = 1; day <= 6; day++) {
    seedJob(core, {
      plan,
      startedAt: new Date(Date.now() - day * 2 * DAY_MS),
      sizeBytes: (20 + day * 2) * 1024 * 1024,
      durationMs: (8 + day) * 1000,
    });
  }
  seedJob(core, { plan, status: 'failed', startedAt: new Date(Date.now() - 3 * DAY_MS), displayMessage: 'The folder does not exist.' });
  // arm the seeded plan, as a start of the app would
  core.scheduler.reinitialize();

  await page.goto('/#/dashboard');
  const lastResults = page.getByRole('table', { name: 'Last result per plan' });
  const row = lastResults.getByRole('row', { name: /Project files/ });
  await expect(row.locator('.badge')).toHaveText('success');
  await expect(page.getByRole('group', { name: 'Success rate' })).toContainText('86%'); // 6 of 7
  await expect(page.getByRole('group', { name: 'Storage used' })).toContainText('0 backups on disk');

  const progressSeen = await watchProgress(page, 'Project files progress');
  await row.getByRole('button', { name: 'Run now' }).click();

  // the running job shows up with its progress bar, and goes away when it is done
  await expect.poll(async () => (await progressSeen()).length).toBeGreaterThan(0);
  await expect(row.getByRole('button', { name: 'Run now' })).toBeEnabled({ timeout: 60_000 });
  await expect(page.getByRole('heading', { name: 'Running now' })).toHaveCount(0);

  const [job] = core.jobs.list({ kind: 'backup', status: 'success' }, 1, 1).items;
  expect(job).toMatchObject({ planId: plan.id, status: 'success', trigger: 'manual' });
  expect(job.sizeBytes).toBeGreaterThan(30 * 1024 * 1024);
  expect(fs.existsSync(job.filePath!)).toBe(true);

  // the result: success, its size, and a link to the job
  await expect(row.locator('.badge')).toHaveText('success');
  // by its column, not its index: columns of lower priority hide when the window narrows
  const sizeCell = row.locator('td.col-size');
  await expect(sizeCell).toBeVisible();
  await expect(sizeCell).toHaveText(/^\d+(\.\d)? MB$/);
  const sizeText = (await sizeCell.textContent())!;
  await expect(page.getByRole('group', { name: 'Success rate' })).toContainText('88%'); // 7 of 8
  await expect(page.getByRole('group', { name: 'Success rate' })).toContainText('7 of 8 backup runs succeeded');
  // storage counts only backups whose file is still on disk: this one
  await expect(page.getByRole('group', { name: 'Storage used' })).toContainText(sizeText);
  await expect(page.getByRole('group', { name: 'Storage used' })).toContainText('1 backup on disk');

  // the charts: a bar per day with a backup, a point per day on the duration line
  const sizeChart = page.getByRole('figure', { name: 'Average backup size per day' });
  const durationChart = page.getByRole('figure', { name: 'Average backup duration per day' });
  await expect(sizeChart.locator('svg .recharts-bar-rectangle')).toHaveCount(7);
  await expect(durationChart.locator('svg .recharts-line-dots circle')).toHaveCount(7);
  await expect(durationChart.locator('svg .recharts-line-curve')).toHaveAttribute('d', /^M[\d.]+,[\d.]+/);

  await page.screenshot({ path: '/tmp/lifeboat-ui4-dashboard.png', fullPage: true });

  // clicking the result opens the job in History
  await row.getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`#/history\\?job=${job.id}$`));
  await expect(page.getByRole('heading', { level: 1, name: 'History' })).toBeVisible();
  await expect(page.getByRole('complementary', { name: 'Job details' })).toContainText(job.id);
});

test('the scheduler card pauses, resumes and re-initialises the schedules', async ({ page, core }) => {
  seedPlan(core, { name: 'Nightly', schedule: { kind: 'daily', time: '02:00' }, timezone: 'UTC' });
  seedPlan(core, { name: 'By hand', schedule: { kind: 'manual' } });
  // seeded behind the scheduler's back: not armed until it re-reads the catalog
  await page.goto('/#/dashboard');

  const scheduler = page.getByRole('group', { name: 'Scheduler' });
  await expect(scheduler).toContainText('Running');
  const nextRuns = page.getByRole('table', { name: 'Next runs' });
  await expect(nextRuns.getByRole('row', { name: /Nightly/ })).toContainText('not armed');
  await expect(nextRuns.getByRole('row', { name: /By hand/ })).toContainText('manual only');

  await scheduler.getByRole('button', { name: 'Re-initialise' }).click();
  await expect(scheduler.getByRole('status')).toHaveText('Re-armed from the catalog: 1 plan scheduled.');
  const nightlyAt = core.scheduler.status().nextRuns.find((r) => r.planName === 'Nightly')!.at!;
  expect(new Date(nightlyAt).toISOString().slice(11, 16)).toBe('02:00');
  await expect(nextRuns.getByRole('row', { name: /Nightly/ }).locator('time')).toHaveAttribute('datetime', nightlyAt);
  expect(core.audit.list(1, 10).items.map((e) => e.action)).toContain('scheduler.reinitialize');

  await scheduler.getByRole('button', { name: 'Pause all' }).click();
  await expect(scheduler).toContainText('Paused');
  expect(core.isPaused()).toBe(true);
  await expect(nextRuns.getByRole('row', { name: /Nightly/ })).toContainText('skipped while paused');
  await expect(page.getByRole('status').filter({ hasText: 'Schedules paused' })).toBeVisible();

  await scheduler.getByRole('button', { name: 'Resume' }).click();
  await expect(scheduler).toContainText('Running');
  expect(core.isPaused()).toBe(false);
});
