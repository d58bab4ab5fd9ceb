/**
 * Accessibility and the editor's ergonomics, in real Chromium with realistic data:
 * - axe-core over every screen, light and dark: zero WCAG 2.2 AA violations;
 * - keyboard: Escape closes each dialog and inline confirmation, focus enters and leaves the
 *   job panel, leaving a dirty plan editor asks first;
 * - the Browse buttons (the bridge's fake OS dialog), Test connection, the time zone list;
 * - screenshots of the plan editor (each section), Plans, Settings and Restore at 1280x800 and
 *   900x650 in both schemes, under test-results/screens/ to be looked at.
 */
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, PICKED_BACKUP_FILE, PICKED_FOLDER, test } from './support/fixtures';
import { SCREENS, openScreen } from './support/screens';
import { seedJob, seedPlan, seedRealistic } from './support/seed';

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const SCHEMES = ['light', 'dark'] as const;
const SCREENS_DIR = path.resolve('test-results/screens');

async function expectNoViolations(page: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const summary = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(' | ')}`);
  expect(summary, `${what}: axe violations`).toEqual([]);
}


for (const scheme of SCHEMES) {
  test(`every screen passes axe at WCAG 2.2 AA (${scheme})`, async ({ page, core }) => {
    const { failing } = seedRealistic(core);
    await page.emulateMedia({ colorScheme: scheme });

    for (const [hash, heading] of SCREENS) {
      await openScreen(page, hash, heading);
      // let the screen's data arrive (lists, charts) before looking
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(300);
      await expectNoViolations(page, hash);
    }

    // the plan editor of the failing plan, a new plan with a database, and its dialogs
    await openScreen(page, 'plans', 'Plans');
    await page.getByRole('listitem', { name: failing.name }).getByRole('button', { name: 'Edit' }).click();
    await expect(page.getByRole('heading', { level: 1, name: /^Edit/ })).toBeVisible();
    await expectNoViolations(page, 'plan editor');
    await page.getByLabel('Name', { exact: true }).fill('Renamed');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
    await expect(page.getByRole('alertdialog', { name: 'Discard unsaved changes?' })).toBeVisible();
    await expectNoViolations(page, 'unsaved changes dialog');
    await page.keyboard.press('Escape');

    // the job panel and its delete confirmation
    await openScreen(page, 'history', 'History');
    await page.getByRole('table').getByRole('button', { name: failing.name }).first().click();
    await expect(page.getByRole('complementary', { name: 'Job details' })).toBeVisible();
    await expectNoViolations(page, 'job panel');
  });
}

test('Escape closes the plan delete confirmation and focus returns to Delete', async ({ page, core }) => {
  seedPlan(core, { name: 'Nightly' });
  await openScreen(page, 'plans', 'Plans');
  const card = page.getByRole('listitem', { name: 'Nightly' });
  await card.getByRole('button', { name: 'Delete' }).click();
  const confirm = card.getByRole('alertdialog', { name: 'Delete Nightly?' });
  await expect(confirm).toBeVisible();
  // focus moved into the confirmation
  await expect(confirm.getByRole('button', { name: 'Confirm delete' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(card.getByRole('button', { name: 'Delete' })).toBeFocused();
  expect(core.plans.list()).toHaveLength(1);
});

test('focus enters the job panel and returns to its row; Escape closes the delete confirmation first', async ({ page, core }) => {
  const plan = seedPlan(core, { name: 'Files' });
  seedJob(core, { plan, status: 'success', filePath: path.join(core.dataDir, 'files.lifeboat') });
  await openScreen(page, 'history', 'History');
  const rowButton = page.getByRole('table').getByRole('button', { name: 'Files' });
  await rowButton.focus();
  await page.keyboard.press('Enter');
  const panel = page.getByRole('complementary', { name: 'Job details' });
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Close job details' })).toBeFocused();

  await panel.getByRole('button', { name: 'Delete backup…' }).click();
  const confirm = panel.getByRole('alertdialog', { name: 'Confirm delete' });
  await expect(confirm).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Delete backup…' })).toBeFocused();

  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(rowButton).toBeFocused();
});

test('Escape closes the restore drill form and focus returns to its button', async ({ page, core }) => {
  const plan = seedPlan(core, { name: 'Shop' });
  seedJob(core, { plan, status: 'success', filePath: path.join(core.dataDir, 'shop.lifeboat') });
  await openScreen(page, 'verify', 'Verify');
  const drillButton = page.getByRole('button', { name: /^Restore drill of / });
  await drillButton.click();
  const form = page.getByRole('form', { name: 'Restore drill' });
  await expect(form).toBeVisible();
  await expect(form.locator(':focus')).toHaveCount(1);
  await page.keyboard.press('Escape');
  await expect(form).toHaveCount(0);
  await expect(drillButton).toBeFocused();
});

test('the skip link moves focus to the content', async ({ page }) => {
  await openScreen(page, 'dashboard', 'Dashboard');
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#main')).toBeFocused();
  await expect(page).toHaveURL(/#\/dashboard$/);
});

test('leaving a dirty plan editor asks first: sidebar, Cancel and the window', async ({ page, core }) => {
  seedPlan(core, { name: 'Nightly' });
  await openScreen(page, 'plans', 'Plans');
  await page.getByRole('listitem', { name: 'Nightly' }).getByRole('button', { name: 'Edit' }).click();
  const editor = page.getByRole('heading', { level: 1, name: 'Edit “Nightly”' });
  await expect(editor).toBeVisible();

  // untouched: leaving does not ask
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Plans' })).toBeVisible();

  await page.getByRole('listitem', { name: 'Nightly' }).getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Nightly (renamed)');
  await expect(page.getByRole('status').filter({ hasText: 'Unsaved changes' })).toBeVisible();

  // the sidebar: Escape keeps editing, focus back on the link
  const historyLink = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' });
  await historyLink.click();
  const dialog = page.getByRole('alertdialog', { name: 'Discard unsaved changes?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Keep editing' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(editor).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Nightly (renamed)');
  await expect(page).toHaveURL(/#\/plans$/);

  // Cancel asks too; Keep editing stays
  await page.getByRole('button', { name: 'Cancel' }).click();
  await dialog.getByRole('button', { name: 'Keep editing' }).click();
  await expect(editor).toBeVisible();

  // closing the window: the page refuses to unload (the shell asks the user)
  const unload = page.waitForEvent('dialog');
  void page.close({ runBeforeUnload: true });
  const prompt = await unload;
  expect(prompt.type()).toBe('beforeunload');
  await prompt.dismiss();
  await expect(editor).toBeVisible();

  // discarding through the sidebar goes there and drops the edits
  await historyLink.click();
  await dialog.getByRole('button', { name: 'Discard changes' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'History' })).toBeVisible();
  expect(core.plans.list()[0]!.name).toBe('Nightly');
  // and the next way out no longer asks
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Plans' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Plans' })).toBeVisible();
});

test('Browse fills the paths from the OS dialog; Test connection shows its result inline; time zones are searchable', async ({ page }) => {
  await openScreen(page, 'plans', 'Plans');
  await page.getByRole('button', { name: 'Start from a blank plan' }).or(page.getByRole('button', { name: 'New plan' })).first().click();
  await page.getByRole('button', { name: 'Add folder' }).click();
  await page.getByRole('button', { name: 'Browse for folder 1' }).click();
  await expect(page.getByLabel('Folder path')).toHaveValue(PICKED_FOLDER);
  await page.getByRole('button', { name: 'Browse for the destination' }).click();
  await expect(page.getByLabel('Destination folder')).toHaveValue(PICKED_FOLDER);

  await page.getByRole('button', { name: 'Add database' }).click();
  const db = page.getByRole('group', { name: 'Database 1' });
  await db.getByLabel('Host').fill('127.0.0.1');
  await db.getByLabel('Port').fill('1');
  await db.getByLabel('User').fill('nobody');
  await db.getByLabel('Database', { exact: true }).fill('nothing');
  await db.getByRole('button', { name: 'Test connection of database 1' }).click();
  // no server listens on port 1 (or no pg_dump here): the message names the fix, beside the button
  await expect(db.locator('.connection-test-result .error-text')).toContainText(/Cannot reach the PostgreSQL server|pg_dump was not found/, { timeout: 20_000 });

  const zone = page.getByRole('combobox', { name: 'Timezone' });
  // React Aria closes the list when the page scrolls under it, as a click far down would
  await page.getByRole('navigation', { name: 'Plan sections' }).getByRole('button', { name: 'Schedule' }).click();
  await zone.fill('');
  await zone.pressSequentially('new york');
  await page.getByRole('option', { name: 'America/New_York' }).click();
  await expect(zone).toHaveValue('America/New_York');

  // Restore: Browse opens the picked file at once
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('alertdialog', { name: 'Discard unsaved changes?' }).getByRole('button', { name: 'Discard changes' }).click();
  await openScreen(page, 'restore', 'Restore');
  await page.getByRole('button', { name: 'Browse for a backup to open' }).click();
  await expect(page.getByText(path.basename(PICKED_BACKUP_FILE)).first()).toBeVisible();
});

test('screenshots of the editor, Plans, Settings and Restore', async ({ page, core }) => {
  test.setTimeout(180_000);
  const { failing } = seedRealistic(core);
  fs.mkdirSync(SCREENS_DIR, { recursive: true });
  for (const [width, height] of [
    [1280, 800],
    [900, 650],
  ] as const) {
    await page.setViewportSize({ width, height });
    for (const scheme of SCHEMES) {
      await page.emulateMedia({ colorScheme: scheme });
      const shot = (name: string) => page.screenshot({ path: path.join(SCREENS_DIR, `${name}-${width}x${height}-${scheme}.png`) });
      await openScreen(page, 'plans', 'Plans');
      await page.waitForTimeout(400);
      await shot('plans');
      await openScreen(page, 'settings', 'Settings');
      await shot('settings');
      await openScreen(page, 'restore', 'Restore');
      await shot('restore');
      await openScreen(page, 'plans', 'Plans');
      await page.getByRole('listitem', { name: failing.name }).getByRole('button', { name: 'Edit' }).click();
      const nav = page.getByRole('navigation', { name: 'Plan sections' });
      for (const section of ['Plan', 'Sources', 'Destination', 'Schedule', 'Retention & chains', 'Options', 'Alerts', 'Description & hooks']) {
        await nav.getByRole('button', { name: section }).click();
        await page.waitForTimeout(150);
        await shot(`editor-${section.toLowerCase().replace(/[^a-z]+/g, '-')}`);
      }
      await page.getByRole('button', { name: 'Cancel' }).click();
    }
  }
});
