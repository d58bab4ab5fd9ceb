/**
 * A failed backup's Edit plan opens the plan editor on the field its error code names (issue 18,
 * item 3): the field of the source the job says failed is in view, focused and highlighted.
 */
import { randomUUID } from 'node:crypto';
import { expect, test } from './support/fixtures';
import { seedJob, seedPlan } from './support/seed';

const database = (host: string, name: string) => ({
  id: randomUUID(),
  host,
  port: 5432,
  user: 'backup_operator',
  database: name,
  sslMode: 'prefer' as const,
  hasPassword: false,
});

test('PG_UNREACHABLE → Edit plan: the host field of the failed database has focus', async ({ page, core }) => {
  const plan = seedPlan(core, {
    name: 'Shop and CRM nightly',
    databases: [database('db-primary.internal', 'shop'), database('crm.internal', 'crm')],
    folders: [{ id: randomUUID(), path: '/srv/uploads' }],
  });
  const jobId = seedJob(core, {
    plan,
    status: 'failed',
    errorCode: 'PG_UNREACHABLE',
    displayMessage: 'Cannot reach the PostgreSQL server. Check that it is running and that the host and port in the plan are right. (crm.internal:5432)',
    sources: [
      { kind: 'database', label: 'shop@db-primary.internal:5432', status: 'success', bytes: 1000, files: 1, errorCode: null, message: null },
      { kind: 'database', label: 'crm@crm.internal:5432', status: 'failed', bytes: 0, files: 0, errorCode: 'PG_UNREACHABLE', message: 'Cannot reach the PostgreSQL server.' },
    ],
  });

  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`/#/history?job=${jobId}`);
  const panel = page.getByRole('complementary', { name: 'Job details' });
  await panel.getByRole('link', { name: 'Edit plan' }).click();

  await expect(page.getByRole('heading', { name: 'Edit “Shop and CRM nightly”' })).toBeVisible();
  const host = page.getByRole('group', { name: 'Database 2' }).getByLabel('Host', { exact: true });
  await expect(host).toHaveValue('crm.internal');
  await expect(host).toBeFocused();
  await expect(host).toBeInViewport();
  // highlighted, and it says why
  const field = page.locator('.field-flagged');
  await expect(field).toHaveCount(1);
  await expect(field).toContainText('The failed run points here (PG_UNREACHABLE)');
  await expect(host).toHaveAccessibleDescription(/The failed run points here/);
  await expect(page.getByRole('status').filter({ hasText: 'The last run failed on the host of database 2' })).toBeVisible();

  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `test-results/screens/edit-plan-field-1280x800-${scheme}.png` });
  }
});

test('DEST_NOT_WRITABLE → Edit plan: the destination folder has focus', async ({ page, core }) => {
  const plan = seedPlan(core, { name: 'Uploads' });
  const jobId = seedJob(core, { plan, status: 'failed', errorCode: 'DEST_NOT_WRITABLE', displayMessage: 'The destination folder cannot be written.' });
  await page.setViewportSize({ width: 900, height: 650 });
  await page.goto(`/#/history?job=${jobId}`);
  await page.getByRole('complementary', { name: 'Job details' }).getByRole('link', { name: 'Edit plan' }).click();
  const destination = page.getByLabel('Destination folder', { exact: true });
  await expect(destination).toBeFocused();
  await expect(destination).toBeInViewport();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `test-results/screens/edit-plan-field-900x650-${scheme}.png` });
  }
});
