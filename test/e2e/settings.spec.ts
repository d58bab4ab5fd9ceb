import { expect, test } from './support/fixtures';

test('Pause all pauses the core and the audit log records it', async ({ page, core }) => {
  await page.goto('/#/settings');
  await expect(page.getByText('0.0.0-test')).toBeVisible();
  await expect(page.getByText(core.dataDir)).toBeVisible();

  const toggle = page.getByRole('switch', { name: 'Pause all scheduled backups' });
  await expect(toggle).not.toBeChecked();
  await toggle.check();

  await expect.poll(() => core.isPaused()).toBe(true);
  await expect(page.getByRole('status').filter({ hasText: 'Schedules paused' })).toBeVisible();
  const audit = page.getByRole('table', { name: 'Audit log' });
  await expect(audit.locator('tbody tr').first()).toContainText('scheduler.pause');
  await expect(audit.locator('tbody tr').first()).toContainText('user');

  await toggle.uncheck();
  await expect.poll(() => core.isPaused()).toBe(false);
  await expect(audit.locator('tbody tr').first()).toContainText('scheduler.resume');
  await expect(audit.locator('tbody tr')).toHaveCount(2);
});

test('a pause from elsewhere (tray, CLI) reaches the window through the pushed event', async ({ page, core }) => {
  await page.goto('/#/settings');
  const toggle = page.getByRole('switch', { name: 'Pause all scheduled backups' });
  await expect(toggle).not.toBeChecked();

  core.setPaused(true);

  await expect(toggle).toBeChecked();
  await expect(page.getByRole('status').filter({ hasText: 'Schedules paused' })).toBeVisible();
});

test('the stall threshold is a setting: shown with its default, saved when changed', async ({ page, core }) => {
  await page.goto('/#/settings');
  const stall = page.getByLabel('Call a job stalled after');
  await expect(stall).toHaveValue('10');
  await expect(stall.locator('option:checked')).toHaveText('10 min (default)');
  await stall.selectOption('30');
  await expect.poll(async () => (await core.handlers['settings/get']({})).stallMinutes).toBe(30);
  await page.reload();
  await expect(page.getByLabel('Call a job stalled after')).toHaveValue('30');
});
