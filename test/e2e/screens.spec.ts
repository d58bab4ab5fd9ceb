import { expect, test } from './support/fixtures';
import { seedJob, seedPlan } from './support/seed';

test('the navigation reaches every screen', async ({ page }) => {
  await page.goto('/');
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const name of ['Plans', 'History', 'Verify', 'Restore', 'Settings', 'Dashboard']) {
    await nav.getByRole('link', { name }).click();
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
    await expect(nav.getByRole('link', { name })).toHaveAttribute('aria-current', 'page');
  }
});

test('the dashboard shows the last result per plan and recent failures', async ({ page, core }) => {
  const nightly = seedPlan(core, { name: 'Nightly' });
  const weekly = seedPlan(core, { name: 'Weekly' });
  seedPlan(core, { name: 'Never ran' });
  seedJob(core, { plan: nightly, status: 'failed', startedAt: new Date(Date.now() - 3_600_000), displayMessage: 'old failure' });
  seedJob(core, { plan: nightly, status: 'success', displayMessage: 'all good' });
  seedJob(core, { plan: weekly, status: 'partial', displayMessage: 'One of 2 sources failed.' });

  await page.goto('/#/dashboard');

  const table = page.getByRole('table', { name: 'Last result per plan' });
  await expect(table.getByRole('row', { name: /Nightly/ }).locator('.badge')).toHaveText('success');
  await expect(table.getByRole('row', { name: /Weekly/ }).locator('.badge')).toHaveText('partial');
  await expect(table.getByRole('row', { name: /Never ran/ })).toContainText('never run');

  const failures = page.getByRole('region', { name: 'Recent failures' });
  await expect(failures.getByRole('listitem')).toHaveCount(2);
  await expect(failures.getByRole('listitem').first()).toContainText('One of 2 sources failed.');
  await expect(page.getByText('Running', { exact: true })).toBeVisible();
});

test('Verify and Restore list the successful backups with their files', async ({ page, core }) => {
  const plan = seedPlan(core, { name: 'Files' });
  seedJob(core, { plan, status: 'success', filePath: '/var/backups/files-2025-01-01.lifeboat', sizeBytes: 2048 });
  seedJob(core, { plan, status: 'failed', displayMessage: 'nope' });
  seedJob(core, { plan, kind: 'verify', status: 'success' });

  for (const screen of ['verify', 'restore']) {
    await page.goto(`/#/${screen}`);
    const rows = page.getByRole('table', { name: 'Backups' }).locator('tbody tr');
    await expect(rows).toHaveCount(1);
    // the file's name, its whole path on hover and focus (tables show names, not paths)
    await expect(rows.first()).toContainText('files-2025-01-01.lifeboat');
    await expect(rows.first().locator('[title="/var/backups/files-2025-01-01.lifeboat"]')).toHaveCount(1);
    await expect(rows.first()).toContainText('2.0 KB');
    await expect(rows.first().getByRole('button', { name: screen === 'verify' ? /^Verify / : /^Open backup / })).toBeVisible();
  }
});
