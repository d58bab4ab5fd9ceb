import fs from 'node:fs';
import type { JobContext } from '../../src/main/core/jobs/job-runner';
import { expect, test } from './support/fixtures';
import { seedJob, seedJobs, seedPlan } from './support/seed';

// the rendered job rows, not the spacers standing for the rows a long list does not render
const jobRows = (page: import('@playwright/test').Page) => page.getByRole('table', { name: 'Jobs' }).locator('tbody tr:not(.virtual-spacer)');

test('a job in the catalog appears with its plan name and status', async ({ page, core }) => {
  const plan = seedPlan(core, { name: 'Nightly app server' });
  // sizes are decimal (src/shared/format.ts): 3 000 000 bytes are 3.0 MB
  seedJob(core, { plan, status: 'success', sizeBytes: 3_000_000, displayMessage: 'Backed up 2 sources' });

  await page.goto('/#/history');

  await expect(jobRows(page)).toHaveCount(1);
  const row = jobRows(page).first();
  await expect(row).toContainText('Nightly app server');
  await expect(row.locator('.badge')).toHaveText('success');
  await expect(row).toContainText('3.0 MB');
  await expect(row).toContainText('Backed up 2 sources');
  await expect(page.getByText('1 job', { exact: true })).toBeVisible();
});

test('a fresh data dir shows the empty state', async ({ page }) => {
  await page.goto('/#/history');

  await expect(page.getByRole('heading', { name: 'No jobs yet' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Create a plan' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Jobs' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Export CSV' })).toBeDisabled();
});

test('history pages by 100, rendering only the rows in view', async ({ page, core }) => {
  const plan = seedPlan(core, { name: 'Paged plan' });
  seedJobs(core, plan, 130);

  await page.goto('/#/history');

  await expect(page.getByText('Page 1 of 2')).toBeVisible();
  await expect(page.getByText('130 jobs')).toBeVisible();
  // newest first: run 130 leads page 1, run 31 ends it, run 30 is on page 2
  await expect(jobRows(page).first()).toContainText('run 130');
  await expect(page.getByRole('button', { name: 'Previous' })).toBeDisabled();
  // the list is virtualized: fewer rows than the page holds are in the document...
  expect(await jobRows(page).count()).toBeLessThan(100);
  // ...and scrolling its box to the end brings the page's last one
  await page.locator('.table-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(jobRows(page).last()).toContainText('run 31');

  await page.getByRole('button', { name: 'Next' }).click();

  await expect(page.getByText('Page 2 of 2')).toBeVisible();
  await expect(jobRows(page)).toHaveCount(30);
  await expect(jobRows(page).first()).toContainText('run 30');
  await expect(jobRows(page).last()).toContainText('run 01');
  await expect(page.getByRole('button', { name: 'Next' })).toBeDisabled();

  await page.getByRole('button', { name: 'Previous' }).click();
  await expect(jobRows(page).first()).toContainText('run 130');
});

test('the status filter and the search narrow the list', async ({ page, core }) => {
  const alpha = seedPlan(core, { name: 'Alpha' });
  const beta = seedPlan(core, { name: 'Beta' });
  seedJobs(core, alpha, 3, 'success');
  seedJob(core, { plan: beta, status: 'failed', displayMessage: 'Cannot reach the PostgreSQL server.' });
  seedJob(core, { plan: alpha, status: 'failed', displayMessage: 'The folder does not exist.' });

  await page.goto('/#/history');
  await expect(jobRows(page)).toHaveCount(5);

  await page.getByLabel('Status').selectOption('failed');
  await expect(jobRows(page)).toHaveCount(2);
  for (const badge of await jobRows(page).locator('.badge').all()) await expect(badge).toHaveText('failed');
  await expect(page.getByText('2 jobs')).toBeVisible();

  await page.getByLabel('Plan').selectOption({ label: 'Beta' });
  await expect(jobRows(page)).toHaveCount(1);
  await expect(jobRows(page).first()).toContainText('Cannot reach the PostgreSQL server.');

  await page.getByLabel('Plan').selectOption({ label: 'All plans' });
  await page.getByLabel('Status').selectOption({ label: 'All statuses' });
  await page.getByLabel('Search').fill('folder does not');
  await expect(jobRows(page)).toHaveCount(1);
  await expect(jobRows(page).first()).toContainText('Alpha');

  await page.getByLabel('Search').fill('nothing matches this');
  await expect(page.getByRole('heading', { name: 'No jobs match these filters' })).toBeVisible();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(jobRows(page)).toHaveCount(5);
});

test('a row opens the detail panel with per-source results and the tool output', async ({ page, core }) => {
  const plan = seedPlan(core, { name: 'Shop' });
  seedJob(core, {
    plan,
    status: 'partial',
    displayMessage: 'One of 2 sources failed.',
    sources: [
      { kind: 'database', label: 'shop@db1', status: 'failed', bytes: 0, files: 0, errorCode: 'PG_DUMP_FAILED', message: 'pg_dump failed.' },
      { kind: 'folder', label: '/srv/uploads', status: 'success', bytes: 2048, files: 12, errorCode: null, message: null },
    ],
    stderrTail: 'pg_dump: error: connection to server failed: FATAL: role "shop" does not exist',
  });

  await page.goto('/#/history');
  await jobRows(page).first().click();

  const panel = page.getByRole('complementary', { name: 'Job details' });
  await expect(panel).toBeVisible();
  await expect(panel).toContainText('One of 2 sources failed.');
  const sources = panel.getByRole('table', { name: 'Source results' });
  await expect(sources.locator('tbody tr')).toHaveCount(2);
  await expect(sources.locator('tbody tr').first()).toContainText('shop@db1');
  await expect(sources.locator('tbody tr').first()).toContainText('PG_DUMP_FAILED');
  await expect(sources.locator('tbody tr').last()).toContainText('12');
  await expect(panel.getByLabel('Tool output')).toContainText('role "shop" does not exist');

  await panel.getByRole('button', { name: 'Close job details' }).click();
  await expect(panel).toHaveCount(0);
});

test('a running job shows live progress and can be cancelled', async ({ page, core }) => {
  const plan = seedPlan(core, { name: 'Long runner' });
  let ctx: JobContext | undefined;
  // a stand-in job body (the backup engine is not part of this test): reports progress and
  // waits until it is cancelled, as a real step honours the AbortSignal
  const job = core.runner.start({ kind: 'backup', planId: plan.id, planName: plan.name, trigger: 'manual' }, (c) => {
    ctx = c;
    c.progress({ phase: 'dump', percent: 12, bytesDone: 1_048_576, currentItem: 'database shop' });
    return new Promise((_, reject) => c.signal.addEventListener('abort', () => reject(c.signal.reason)));
  });
  await expect.poll(() => ctx !== undefined).toBe(true);

  await page.goto('/#/history');
  const row = jobRows(page).first();
  await expect(row.locator('.badge')).toHaveText('running');
  await expect(row).toContainText('dump 12%');

  // a pushed update (jobs/updated through the bridge) moves the row without a reload
  ctx!.progress({ phase: 'files', percent: 64, bytesDone: 5_000_000, bytesTotal: 8_000_000, rate: 1_000_000, etaSeconds: 3, currentItem: '/srv/app/report.pdf' });
  await expect(row).toContainText('files 64%');

  await row.click();
  const panel = page.getByRole('complementary', { name: 'Job details' });
  await expect(panel).toContainText('64%');
  await expect(panel).toContainText('5.0 MB of 8.0 MB'); // decimal sizes
  await expect(panel).toContainText('1.0 MB/s');
  await expect(panel).toContainText('/srv/app/report.pdf');

  await panel.getByRole('button', { name: 'Cancel' }).click();

  await expect(row.locator('.badge')).toHaveText('cancelled');
  await expect(panel).toContainText('Cancelled by the user');
  await expect(panel.getByRole('button', { name: 'Cancel' })).toHaveCount(0);
  const saved = core.jobs.get(job.id)!;
  expect(saved.status).toBe('cancelled');
  expect(saved.cancelledBy).toBe('user');
});

test('Export CSV downloads the filtered history', async ({ page, core }) => {
  const plan = seedPlan(core, { name: 'Exported plan' });
  seedJobs(core, plan, 2, 'success');
  seedJob(core, { plan, status: 'failed', displayMessage: 'Disk full' });

  await page.goto('/#/history');
  await page.getByLabel('Status').selectOption('failed');
  await expect(jobRows(page)).toHaveCount(1);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^lifeboat-history-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  const lines = csv.trim().split(/\r\n/);
  expect(lines[0]).toContain('planName');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain('Exported plan');
  expect(lines[1]).toContain('Disk full');
});
