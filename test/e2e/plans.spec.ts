import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test, type TestCore } from './support/fixtures';
import { DEFAULT_EXCLUDES } from '../../src/shared/plan';
import { screenshotForReview } from './support/backups';
import { seedPlan } from './support/seed';

const PASSPHRASE = 'harbour-lantern-7731';
const DB_PASSWORD = 'pg-secret-5512';

/** Everything the catalog holds on disk, as text: the database and its write-ahead log. */
function catalogBytes(core: TestCore): string {
  return ['catalog.sqlite', 'catalog.sqlite-wal']
    .map((name) => path.join(core.dataDir, name))
    .filter((file) => fs.existsSync(file))
    .map((file) => fs.readFileSync(file).toString('latin1'))
    .join('\n');
}

async function openNewPlan(page: Page) {
  await page.goto('/#/plans');
  await page.getByRole('button', { name: 'New plan' }).click();
  await expect(page.getByRole('heading', { name: 'New plan' })).toBeVisible();
}

test('a plan created through the form is saved, without its secrets in the catalog', async ({ page, core }) => {
  const destination = path.join(core.dataDir, 'my-backups');
  await openNewPlan(page);

  // the defaults the form starts from
  await expect(page.getByLabel('Runs', { exact: true })).toHaveValue('daily');
  await expect(page.getByLabel('At (HH:mm)')).toHaveValue('02:00');
  await expect(page.getByLabel('Encrypt backups (AES-256-GCM)')).toBeChecked();

  await page.getByLabel('Name', { exact: true }).fill('Documents');
  await page.getByRole('button', { name: 'Add folder' }).click();
  await page.getByLabel('Folder path').fill('/home/me/Documents');
  // the default excludes are chips: all but node_modules removed, *.iso added (Enter adds, it does not submit)
  const excludes = page.getByRole('group', { name: 'Exclude patterns' });
  await expect(excludes.locator('.chip .mono')).toHaveText(DEFAULT_EXCLUDES);
  for (const pattern of DEFAULT_EXCLUDES.filter((p) => p !== 'node_modules')) {
    await excludes.getByRole('button', { name: `Remove ${pattern}`, exact: true }).click();
  }
  await excludes.getByLabel('Add exclude pattern').fill('*.iso');
  await excludes.getByLabel('Add exclude pattern').press('Enter');
  await expect(excludes.locator('.chip .mono')).toHaveText(['node_modules', '*.iso']);
  await page.getByRole('button', { name: 'Add database' }).click();
  await page.getByLabel('Database', { exact: true }).fill('shop');
  await page.getByLabel('Password', { exact: true }).fill(DB_PASSWORD);
  await page.getByLabel('Destination folder').fill(destination);
  await page.getByLabel('Keep for days').fill('14');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create plan' }).click();

  const card = page.getByRole('listitem', { name: 'Documents' });
  await expect(card).toBeVisible();
  await expect(card).toContainText('1 database, 1 folder');
  await expect(card).toContainText('Daily at 02:00');
  await expect(card).toContainText('Keep 14 days');
  await expect(page.getByRole('status').filter({ hasText: 'Saved “Documents”.' })).toBeVisible();

  const plans = core.plans.list();
  expect(plans).toHaveLength(1);
  const [plan] = plans;
  expect(plan.name).toBe('Documents');
  expect(plan.folders[0].path).toBe('/home/me/Documents');
  expect(plan.folders[0].excludes).toEqual(['node_modules', '*.iso']);
  expect(plan.databases[0]).toMatchObject({ host: 'localhost', port: 5432, user: 'postgres', database: 'shop', hasPassword: true });
  expect(plan.options).toMatchObject({ encrypt: true, destination, compressionLevel: 1, verifyAfter: true });
  expect(plan.retention.days).toBe(14);
  expect(plan.timezone).not.toBe('');

  // the secrets went to the keychain, and nowhere in the catalog (rows, audit log, WAL)
  expect(await core.secrets.get(`passphrase:${plan.id}`)).toBe(PASSPHRASE);
  expect(await core.secrets.get(`db:${plan.id}:${plan.databases[0].id}`)).toBe(DB_PASSWORD);
  const rows = JSON.stringify([
    core.catalog.prepare('SELECT * FROM plans').all(),
    core.catalog.prepare('SELECT * FROM audit_log').all(),
  ]);
  expect(rows).toContain('Documents');
  for (const secret of [PASSPHRASE, DB_PASSWORD]) {
    expect(rows).not.toContain(secret);
    expect(catalogBytes(core)).not.toContain(secret);
  }

  // editing shows the stored password as such, never its value
  await card.getByRole('button', { name: 'Edit' }).click();
  const password = page.getByLabel('Password', { exact: true });
  await expect(password).toHaveValue('');
  await expect(password).toHaveAttribute('placeholder', 'stored in keychain');
  await expect(password).toHaveAccessibleDescription('Stored in keychain. Leave blank to keep it.');
});

test("a folder's excludes are chips: defaults removable and brought back, own patterns added", async ({ page, core }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await openNewPlan(page);
  await page.getByLabel('Name', { exact: true }).fill('Projects');
  await page.getByRole('button', { name: 'Add folder' }).click();
  await page.getByLabel('Folder path').fill('/home/me/projects');
  const excludes = page.getByRole('group', { name: 'Exclude patterns' });
  await expect(excludes.locator('.chip-default')).toHaveCount(DEFAULT_EXCLUDES.length);
  await excludes.getByRole('button', { name: 'Remove .git', exact: true }).click();
  await excludes.getByRole('button', { name: 'Remove *.log', exact: true }).click();
  await expect(excludes.getByRole('button', { name: 'Add', exact: true })).toBeDisabled();
  await excludes.getByLabel('Add exclude pattern').fill('dist');
  await excludes.getByRole('button', { name: 'Add', exact: true }).click();
  await excludes.getByLabel('Add exclude pattern').fill('*.iso');
  await excludes.getByLabel('Add exclude pattern').press('Enter');
  // still in the editor: Enter added the pattern
  await expect(page.getByRole('heading', { name: 'New plan' })).toBeVisible();
  await expect(excludes.locator('.chip:not(.chip-default) .mono')).toHaveText(['dist', '*.iso']);
  await expect(excludes.locator('.chip-default')).toHaveCount(DEFAULT_EXCLUDES.length - 2);
  await excludes.scrollIntoViewIfNeeded();
  await screenshotForReview(page, 'plan-editor-excludes', 800);

  await excludes.getByRole('button', { name: 'Restore 2 removed defaults' }).click();
  await expect(excludes.locator('.chip-default')).toHaveCount(DEFAULT_EXCLUDES.length);
  await expect(excludes.getByRole('button', { name: /removed default/ })).toHaveCount(0);
  await excludes.getByRole('button', { name: 'Remove ~*', exact: true }).click();
  await expect(excludes.getByRole('button', { name: 'Restore the removed default' })).toBeVisible();

  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create plan' }).click();
  await expect(page.getByRole('listitem', { name: 'Projects' })).toBeVisible();
  const kept = DEFAULT_EXCLUDES.filter((p) => !['.git', '*.log', '~*'].includes(p));
  expect(core.plans.list()[0]!.folders[0]!.excludes).toEqual([...kept, 'dist', '*.iso', '.git', '*.log']);

  // editing shows the saved patterns as the same chips
  await page.getByRole('listitem', { name: 'Projects' }).getByRole('button', { name: 'Edit' }).click();
  await expect(page.getByRole('group', { name: 'Exclude patterns' }).locator('.chip .mono')).toHaveText([...kept, 'dist', '*.iso', '.git', '*.log']);
});

test('submitting with no name and no source shows the errors and saves nothing', async ({ page, core }) => {
  await openNewPlan(page);
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create plan' }).click();

  await expect(page.getByRole('alert').filter({ hasText: '2 fields need attention: Name, Sources.' })).toBeVisible();
  await expect(page.locator('.field-error', { hasText: 'Enter a name for the plan' })).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('.field-error', { hasText: 'Add at least one database or folder to back up' })).toBeVisible();
  // still in the editor
  await expect(page.getByRole('heading', { name: 'New plan' })).toBeVisible();

  expect(core.plans.list()).toHaveLength(0);
  expect(core.audit.list(1, 50).items.map((e) => e.action)).not.toContain('plan.create');
});

test('an empty destination and mismatched passphrases are shown on their fields', async ({ page, core }) => {
  await openNewPlan(page);
  await page.getByLabel('Name', { exact: true }).fill('Photos');
  await page.getByRole('button', { name: 'Add folder' }).click();
  await page.getByLabel('Folder path').fill('/home/me/Pictures');
  await page.getByLabel('Destination folder').fill('');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(`${PASSPHRASE}x`);
  await page.getByRole('button', { name: 'Create plan' }).click();

  await expect(page.locator('.field-error', { hasText: 'Enter the destination folder for the backup files' })).toBeVisible();
  await expect(page.getByLabel('Destination folder')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('.field-error', { hasText: 'The two passphrases do not match' })).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'false');
  expect(core.plans.list()).toHaveLength(0);

  // fixing the fields saves it
  await page.getByLabel('Destination folder').fill('/var/backups/photos');
  await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create plan' }).click();
  await expect(page.getByRole('listitem', { name: 'Photos' })).toBeVisible();
  expect(core.plans.list().map((p) => p.options.destination)).toEqual(['/var/backups/photos']);
});

test('an error from main is shown with its code and the form stays open', async ({ page, core }) => {
  // an encrypted plan whose passphrase is not in the keychain (say, a keychain reset):
  // saving it without a new passphrase is refused by main, not by the form
  seedPlan(core, { name: 'Orphaned', options: { destination: '/var/backups/x', encrypt: true } });

  await page.goto('/#/plans');
  await page.getByRole('listitem', { name: 'Orphaned' }).getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Orphaned renamed');
  await page.getByRole('button', { name: 'Save changes' }).click();

  const alert = page.getByRole('alert').filter({ hasText: 'PASSPHRASE_REQUIRED' });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('needs its passphrase');
  await expect(page.getByRole('heading', { name: 'Edit “Orphaned”' })).toBeVisible();
  expect(core.plans.list().map((p) => p.name)).toEqual(['Orphaned']);
});

test('a plan can be edited and deleted', async ({ page, core }) => {
  const plan = seedPlan(core, { name: 'Old name' });

  await page.goto('/#/plans');
  await page.getByRole('listitem', { name: 'Old name' }).getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Name', { exact: true }).fill('New name');
  await page.getByLabel('Runs', { exact: true }).selectOption('weekly');
  await page.getByLabel('Wed').check();
  await page.getByRole('button', { name: 'Save changes' }).click();

  const card = page.getByRole('listitem', { name: 'New name' });
  await expect(card).toContainText('Weekly on Sun, Wed at 02:00');
  expect(core.plans.get(plan.id)).toMatchObject({ name: 'New name', schedule: { kind: 'weekly', days: [0, 3], time: '02:00' } });

  await card.getByRole('button', { name: 'Delete' }).click();
  await card.getByRole('button', { name: 'Confirm delete' }).click();
  await expect(page.getByRole('heading', { name: 'No plans yet' })).toBeVisible();
  expect(core.plans.list()).toHaveLength(0);
  expect(core.audit.list(1, 50).items.map((e) => e.action)).toEqual(expect.arrayContaining(['plan.update', 'plan.delete']));
});
