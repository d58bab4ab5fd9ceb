/**
 * A .lifeboat file dropped onto the window, or opened from the file manager / command line:
 * it opens in Restore, asks for its passphrase, shows what it holds (the folder tree, the
 * database's tables with row counts), and restores. Real backups made by the engine, a real
 * PostgreSQL cluster for the database part; the only fake is where a dropped File is on disk
 * (Electron's webUtils.getPathForFile, see the bridge).
 */
import fs from 'node:fs';
import path from 'node:path';
import { startPgCluster, type PgCluster } from '../support/pg-cluster';
import { PASSPHRASE, backupElsewhere, backupInCatalog, makeProject, makeTempDir, screenshotForReview, treeHashes } from './support/backups';
import { dropFiles } from './support/bridge';
import { expect, test } from './support/fixtures';

let cluster: PgCluster;
let work: string;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  cluster = await startPgCluster();
  await cluster.createDatabase('shop');
  await cluster.psql(
    `CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL);
     INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 1234) g;
     CREATE TABLE orders (id serial PRIMARY KEY, item_id int REFERENCES items(id), qty int);
     INSERT INTO orders (item_id, qty) SELECT (g % 1234) + 1, g % 5 + 1 FROM generate_series(1, 321) g;`,
    'shop',
  );
});

test.afterAll(async () => {
  await cluster?.stop();
});

test.beforeEach(() => {
  work = makeTempDir('lifeboat-e2e-drop-');
});

test.afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

test('a dropped backup asks for its passphrase, previews its folders and tables, and restores the files', async ({ page }) => {
  test.setTimeout(90_000);
  const project = path.join(work, 'project');
  makeProject(project);
  const file = await backupElsewhere({
    folders: [project],
    databases: [{ source: cluster.source('shop'), password: cluster.password }],
    destination: path.join(work, 'backups'),
  });

  await page.goto('/#/dashboard');
  // the overlay while a file is dragged over the window
  await dropFiles(page, [{ name: path.basename(file), path: file }], { stopBeforeDrop: true });
  await expect(page.getByRole('dialog', { name: 'Drop a backup file' })).toBeVisible();
  await screenshotForReview(page, 'drop-overlay');

  await dropFiles(page, [{ name: path.basename(file), path: file }]);
  await expect(page.getByRole('dialog', { name: 'Drop a backup file' })).toHaveCount(0);
  await expect(page.getByRole('heading', { level: 1, name: 'Restore' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'This backup is encrypted' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Opened backup' })).toContainText('not in the catalog');

  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();

  // what the backup holds: the tables with their row counts, the folder tree with sizes
  const tables = page.getByRole('table', { name: /^Tables of / });
  await expect(tables.getByRole('row', { name: /public\.items/ })).toContainText('1,234');
  await expect(tables.getByRole('row', { name: /public\.orders/ })).toContainText('321');
  const tree = page.getByRole('list', { name: `Files in ${project}` });
  await expect(tree).toContainText('README.md');
  await expect(tree).toContainText('src/');
  await expect(tree).toContainText('ünïcødé 文件.txt');
  await expect(tree).not.toContainText('server.log');
  await tree.getByRole('button', { name: 'Open folder src/app' }).click();
  await expect(tree).toContainText('main.ts');

  // verified as it is, with the passphrase typed above (the file is not in the catalog)
  const opened = page.getByRole('region', { name: 'Opened backup' });
  await opened.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(opened.getByRole('status')).toContainText('passed');
  await expect(opened.getByRole('status')).toContainText('checks passed');

  // only the files, into a new folder
  const target = path.join(work, 'restored');
  await page.getByRole('checkbox', { name: 'Restore the database' }).uncheck();
  await page.getByRole('radio', { name: /^Another folder/ }).check();
  await page.getByLabel('Folder to restore into').fill(target);
  await page.getByRole('button', { name: 'Preview restore' }).click();

  const plan = page.getByRole('region', { name: 'Files restore preview' });
  await expect(plan).toContainText('7 created');
  await expect(plan.getByRole('table', { name: 'Files in the target' }).locator('tbody tr')).toHaveCount(7);
  // the preview touched nothing
  expect(fs.existsSync(target)).toBe(false);
  await screenshotForReview(page, 'restore-preview', 2600);

  await page.getByRole('button', { name: 'Start restore' }).click();
  const result = page.getByRole('region', { name: 'Restore progress' });
  await expect(result).toContainText('Restore finished');
  await expect(result.locator('.badge')).toHaveText('success');
  await expect(result).toContainText('7 created');

  expect(treeHashes(target)).toEqual(treeHashes(project, (rel) => rel.endsWith('.log')));
  await expect(page.getByRole('table', { name: 'Restore history' }).locator('tbody tr')).toHaveCount(1);
  await expect(page.getByRole('table', { name: 'Restore history' })).toContainText('success');
});

test('dropping a file that is not a backup says so and opens nothing', async ({ page }) => {
  await page.goto('/#/history');
  await dropFiles(page, [{ name: 'notes.txt', path: '/tmp/notes.txt', content: 'hello' }]);

  await expect(page.getByRole('alert')).toContainText('“notes.txt” is not a Lifeboat backup');
  await screenshotForReview(page, 'drop-not-a-backup');
  await expect(page.getByRole('heading', { level: 1, name: 'History' })).toBeVisible();
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('a backup opened from the file manager at start-up and while running opens in Restore', async ({ page, core, pendingOpenFiles }) => {
  const project = path.join(work, 'project');
  makeProject(project);
  // in the catalog: its plan's passphrase is in the keychain, so no prompt
  const { file } = await backupInCatalog(core, { name: 'Project files', folders: [project], destination: path.join(work, 'backups') });
  const other = await backupElsewhere({ folders: [project], destination: path.join(work, 'other'), encrypt: false });

  // the shell kept the file the app was started with; the renderer takes it at start-up
  pendingOpenFiles.push(file);
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Restore' })).toBeVisible();
  const opened = page.getByRole('region', { name: 'Opened backup' });
  await expect(opened).toContainText(file);
  await expect(opened.getByRole('heading', { name: 'Project files' })).toBeVisible();
  await expect(opened).toContainText('in the catalog');
  await expect(page.getByRole('list', { name: `Files in ${project}` })).toContainText('README.md');
  expect(pendingOpenFiles).toEqual([]);

  // a second instance / macOS open-file while the window is up: main pushes 'app/open-file'
  await page.goto('/#/plans');
  core.events.emit('app/open-file', { path: other });
  await expect(page.getByRole('heading', { level: 1, name: 'Restore' })).toBeVisible();
  await expect(opened).toContainText(other);
  await expect(opened).toContainText('not in the catalog');
  await expect(opened).toContainText(/Encrypted\s*Not encrypted/);
});
