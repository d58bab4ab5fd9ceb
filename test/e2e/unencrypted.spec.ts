/**
 * Unencrypted backups are labelled as such in History and the job panel, with what they do not
 * prove; encrypted ones are not. Screenshots of History at 1280x800 and 900x650, light and dark,
 * go to test-results/screens/ for a look.
 */
import { expect, test } from './support/fixtures';
import { seedJob, seedPlan } from './support/seed';

test('History labels unencrypted backups, and the job panel says what that means', async ({ page, core }) => {
  const plan = seedPlan(core, { name: 'Customer database — nightly full backup of the production cluster (eu-central)' });
  seedJob(core, { plan, status: 'success', encrypted: true, filePath: '/var/backups/lifeboat/customer-database-nightly-20261130-020000-full.lifeboat', displayMessage: 'Backed up 2 sources. Verified.' });
  const plain = seedJob(core, {
    plan: seedPlan(core, { name: 'Scratch folders (no encryption)' }),
    status: 'success',
    encrypted: false,
    filePath: '/var/backups/lifeboat/scratch-folders-20261130-030000-full.lifeboat',
    displayMessage: 'Backed up 1 source.',
  });
  seedJob(core, { plan, status: 'failed', displayMessage: 'Cannot reach the PostgreSQL server. Check that it is running and that the host and port in the plan are right.' });

  await page.goto('/#/history');
  const rows = page.getByRole('table').locator('tbody tr');
  await expect(rows).toHaveCount(3);
  await expect(page.getByText('not encrypted', { exact: true })).toHaveCount(1);
  await expect(rows.filter({ hasText: 'Scratch folders' }).getByText('not encrypted')).toBeVisible();

  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [width, height] of [[1280, 800], [900, 650]]) {
      await page.setViewportSize({ width, height });
      await page.screenshot({ path: `test-results/screens/history-unencrypted-${width}x${height}-${scheme}.png` });
    }
  }

  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`/#/history?job=${plain}`);
  await expect(page.getByRole('heading', { name: 'Scratch folders (no encryption)' })).toBeVisible();
  await expect(page.getByText(/Not encrypted: its checksums find damage/)).toBeVisible();
  await page.screenshot({ path: 'test-results/screens/history-unencrypted-panel-1280x800.png' });
});
