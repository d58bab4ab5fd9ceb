/**
 * The restore preview's folder tree with a folder of 20,000 files (issue 18): it renders quickly
 * (only the lines in view are in the document), and every file stays reachable by scrolling and
 * selectable: files picked at the middle and at the very end of the folder are the ones restored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { backupInCatalog, makeTempDir } from './support/backups';
import { expect, test } from './support/fixtures';

const FILES = 20_000;
const name = (i: number) => `file-${String(i).padStart(5, '0')}.txt`;

let work: string;

test.beforeEach(() => {
  work = makeTempDir('lifeboat-e2e-tree-');
});

test.afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

/** Scrolls the tree's box to a fraction of its height, as a user dragging its scroll bar would. */
async function scrollTo(box: import('@playwright/test').Locator, fraction: number): Promise<void> {
  await box.evaluate((el, f) => (el.scrollTop = (el.scrollHeight - el.clientHeight) * f), fraction);
}

test('a folder of 20,000 files renders quickly, and every file stays reachable and selectable', async ({ page, core }) => {
  test.setTimeout(180_000);
  const project = path.join(work, 'project');
  fs.mkdirSync(path.join(project, 'big'), { recursive: true });
  fs.writeFileSync(path.join(project, 'README.md'), 'top\n');
  for (let i = 1; i <= FILES; i++) fs.writeFileSync(path.join(project, 'big', name(i)), `${i}\n`);
  const { file } = await backupInCatalog(core, { name: 'Many files', folders: [project], destination: path.join(work, 'backups'), encrypt: false });

  await page.goto('/#/restore');
  const started = Date.now();
  await page.getByRole('button', { name: `Open backup ${path.basename(file)}` }).click();
  // the preview: big/ is open (folders at the top open by default) with its 20,000 files
  const preview = page.getByRole('list', { name: `Files in ${project}` });
  await expect(preview).toContainText('big/');
  await expect(preview).toContainText(name(1));
  const shownAfter = Date.now() - started;
  // the lines in view and a few around them, not 20,000
  expect(await preview.locator('li').count()).toBeLessThan(150);
  // open + read the manifest + render: well under the seconds 20,000 rows of DOM took
  expect(shownAfter, 'the preview shows within 5 s').toBeLessThan(5_000);

  // choose files: the middle and the last one of the folder
  const target = path.join(work, 'restored');
  await page.getByRole('radio', { name: /^Another folder/ }).check();
  await page.getByLabel('Folder to restore into').fill(target);
  await page.getByRole('radio', { name: 'Selected files and folders' }).check();
  const chooser = page.getByRole('list', { name: `Choose files to restore from ${project}` });
  const box = chooser.locator('xpath=ancestor::*[contains(@class, "tree-scroll")][1]');
  await expect(chooser).toContainText(name(1));
  expect(await chooser.locator('li').count()).toBeLessThan(150);

  await scrollTo(box, 0.5);
  const middle = chooser.getByRole('checkbox', { name: `Restore file big/${name(10_000)}` });
  await expect(middle).toBeVisible();
  await middle.check();

  await scrollTo(box, 1);
  const last = chooser.getByRole('checkbox', { name: `Restore file big/${name(FILES)}` });
  await expect(last).toBeVisible();
  await last.check();
  // the lines keep their place among their siblings for assistive technology
  const lastLine = chooser.locator('li', { has: page.getByRole('checkbox', { name: `Restore file big/${name(FILES)}` }) });
  await expect(lastLine).toHaveAttribute('aria-setsize', String(FILES));
  await expect(lastLine).toHaveAttribute('aria-posinset', String(FILES));
  await expect(lastLine).toHaveAttribute('aria-level', '2');

  // scrolled back up, the first choice is still made
  await scrollTo(box, 0.5);
  await expect(middle).toBeChecked();

  await page.getByRole('button', { name: 'Preview restore' }).click();
  const plan = page.getByRole('region', { name: 'Files restore preview' });
  await expect(plan).toContainText('2 created');
  await page.getByRole('button', { name: 'Start restore' }).click();
  const result = page.getByRole('region', { name: 'Restore progress' });
  await expect(result).toContainText('Restore finished');
  await expect(result.locator('.badge')).toHaveText('success');

  const restored = fs.readdirSync(path.join(target, 'big')).sort();
  expect(restored).toEqual([name(10_000), name(FILES)]);
  expect(fs.readFileSync(path.join(target, 'big', name(FILES)), 'utf8')).toBe(`${FILES}\n`);
});
