/**
 * The plan editor's schedule section against the real handlers: the live preview of the next
 * runs (computed by main, DST rules and all), main's validation of a cron expression, and the
 * first-run presets.
 */
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures';

const WEEK_MS = 7 * 86_400_000;

/** The weekday and HH:mm of an instant on the wall clock of `timeZone`, worked out here in Node. */
function wallClock(iso: string, timeZone: string): { weekday: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(
    new Date(iso),
  );
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { weekday: part('weekday'), time: `${part('hour')}:${part('minute')}` };
}

/** The instants the preview lists, from the <time dateTime> of each entry. */
async function previewRuns(page: Page): Promise<string[]> {
  const items = page.getByRole('list', { name: 'Next runs' }).getByRole('listitem');
  await expect(items).toHaveCount(5);
  return Promise.all((await items.all()).map(async (item) => (await item.locator('time').getAttribute('datetime')) ?? ''));
}

test('a weekly schedule previews its next 5 runs in its zone, is saved, and its next run shows on the dashboard', async ({ page, core }) => {
  await page.goto('/#/plans');
  await page.getByRole('button', { name: 'New plan' }).click();

  await page.getByLabel('Name', { exact: true }).fill('Weekly documents');
  await page.getByRole('button', { name: 'Add folder' }).click();
  await page.getByLabel('Folder path').fill(path.join(core.dataDir, 'documents'));
  await page.getByLabel('Destination folder').fill(path.join(core.dataDir, 'backups'));
  await page.getByLabel('Encrypt backups (AES-256-GCM)').uncheck();

  // the default, daily at 02:00, already previews
  const schedule = page.getByRole('group', { name: 'Schedule' });
  await expect(schedule.getByRole('list', { name: 'Next runs' }).getByRole('listitem')).toHaveCount(5);

  await page.getByLabel('Runs', { exact: true }).selectOption('weekly');
  await page.getByLabel('Sun').uncheck();
  await page.getByLabel('Wed').check();
  await page.getByLabel('At (HH:mm)').fill('03:30');
  await page.getByLabel('Timezone').fill('Asia/Tokyo');
  // the zone list (a combobox) opened while typing: close it, keeping the zone typed
  await page.keyboard.press('Escape');

  // the preview follows the form (debounced): every run on Wednesday at 03:30 Tokyo time
  await expect
    .poll(async () => {
      const runs = await previewRuns(page);
      return runs.map((iso) => wallClock(iso, 'Asia/Tokyo'));
    })
    .toEqual(Array.from({ length: 5 }, () => ({ weekday: 'Wed', time: '03:30' })));
  const runs = await previewRuns(page);
  expect(Date.parse(runs[0])).toBeGreaterThan(Date.now());
  expect(Date.parse(runs[0])).toBeLessThanOrEqual(Date.now() + WEEK_MS);
  // Tokyo has no daylight-saving time: exactly one week apart
  for (let i = 1; i < runs.length; i++) expect(Date.parse(runs[i]) - Date.parse(runs[i - 1])).toBe(WEEK_MS);
  // and the preview says so in words, in that zone
  const first = page.getByRole('list', { name: 'Next runs' }).getByRole('listitem').first();
  await expect(first).toContainText('Wed');
  await expect(first).toContainText('03:30');
  await expect(schedule).toContainText('Times in Asia/Tokyo');
  await page.screenshot({ path: '/tmp/lifeboat-ui4-schedule.png', fullPage: true });

  await page.getByRole('button', { name: 'Create plan' }).click();
  const card = page.getByRole('listitem', { name: 'Weekly documents' });
  await expect(card).toContainText('Weekly on Wed at 03:30 (Asia/Tokyo)');
  const [plan] = core.plans.list();
  expect(plan).toMatchObject({ schedule: { kind: 'weekly', time: '03:30', days: [3] }, timezone: 'Asia/Tokyo', enabled: true });

  // the scheduler armed it at the first previewed run, and the dashboard says when
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  const nextRuns = page.getByRole('table', { name: 'Next runs' });
  const row = nextRuns.getByRole('row', { name: /Weekly documents/ });
  await expect(row.locator('time')).toHaveAttribute('datetime', runs[0]);
  await expect(row).toContainText(/in \d+ (minutes?|hours?|days?)|tomorrow/);
  await expect(page.getByRole('group', { name: 'Scheduler' })).toContainText('Running');
});

test('a bad cron expression shows main’s error in the preview and is not saved; a good one previews', async ({ page, core }) => {
  await page.goto('/#/plans');
  await page.getByRole('button', { name: 'New plan' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Cron plan');
  await page.getByRole('button', { name: 'Add folder' }).click();
  await page.getByLabel('Folder path').fill('/srv/data');
  await page.getByLabel('Encrypt backups (AES-256-GCM)').uncheck();
  await page.getByLabel('Timezone').fill('Europe/Berlin');
  // the zone list (a combobox) opened while typing: close it, keeping the zone typed
  await page.keyboard.press('Escape');

  await page.getByLabel('Runs', { exact: true }).selectOption('cron');
  await expect(page.getByRole('group', { name: 'Schedule' })).toContainText('Enter a cron expression to see its next runs.');
  await page.getByLabel('Cron expression').fill('61 2 * * *');

  const previewError = page.getByRole('group', { name: 'Schedule' }).getByRole('alert');
  await expect(previewError).toContainText('Cron expression "61 2 * * *"');
  await expect(previewError).toContainText('Use 5 fields');
  await expect(page.getByLabel('Cron expression')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Cron expression')).toHaveAccessibleDescription(/Not a valid cron expression/);

  await page.getByRole('button', { name: 'Create plan' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'One field needs attention: Cron expression.' })).toBeVisible();
  expect(core.plans.list()).toHaveLength(0);

  // weekdays at 04:15 in Berlin
  await page.getByLabel('Cron expression').fill('15 4 * * 1-5');
  await expect(page.getByLabel('Cron expression')).toHaveAttribute('aria-invalid', 'false');
  const runs = await previewRuns(page);
  for (const iso of runs) {
    const { weekday, time } = wallClock(iso, 'Europe/Berlin');
    expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']).toContain(weekday);
    expect(time).toBe('04:15');
  }

  await page.getByRole('button', { name: 'Create plan' }).click();
  await expect(page.getByRole('listitem', { name: 'Cron plan' })).toContainText('Cron 15 4 * * 1-5');
  expect(core.plans.list()[0]).toMatchObject({ schedule: { kind: 'cron', expression: '15 4 * * 1-5' }, timezone: 'Europe/Berlin' });
});

test('a first-run preset opens the editor prefilled; the user adds the sources and saves it', async ({ page, core }) => {
  await page.goto('/#/plans');
  const presets = page.getByRole('list', { name: 'Presets' });
  await expect(presets.getByRole('listitem')).toHaveCount(3);
  await expect(presets).toContainText('Daily full backup');
  await expect(presets).toContainText('Daily database backup');

  await presets.getByRole('listitem', { name: 'Weekly incremental backup' }).getByRole('button', { name: 'Use this preset' }).click();

  await expect(page.getByRole('heading', { name: 'New plan' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Weekly incremental backup' })).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Weekly incremental backup');
  await expect(page.getByLabel('Backup type')).toHaveValue('incremental');
  await expect(page.getByLabel('Runs', { exact: true })).toHaveValue('weekly');
  await expect(page.getByLabel('At (HH:mm)')).toHaveValue('03:00');
  await expect(page.getByLabel('Sun')).toBeChecked();
  await expect(page.getByLabel('Keep for days')).toHaveValue('30');
  // the preview runs on Sundays at 03:00 in the preset's zone (this machine's)
  const timezone = await page.getByLabel('Timezone').inputValue();
  for (const iso of await previewRuns(page)) expect(wallClock(iso, timezone)).toEqual({ weekday: 'Sun', time: '03:00' });

  await page.getByRole('button', { name: 'Add folder' }).click();
  await page.getByLabel('Folder path').fill('/home/me/projects');
  await page.getByLabel('Passphrase', { exact: true }).fill('preset-passphrase-42');
  await page.getByLabel('Confirm passphrase').fill('preset-passphrase-42');
  await page.getByRole('button', { name: 'Create plan' }).click();

  await expect(page.getByRole('listitem', { name: 'Weekly incremental backup' })).toContainText('Weekly on Sun at 03:00');
  expect(core.plans.list()[0]).toMatchObject({
    type: 'incremental',
    schedule: { kind: 'weekly', time: '03:00', days: [0] },
    retention: { days: 30 },
    folders: [{ path: '/home/me/projects' }],
    options: { encrypt: true },
  });
});
