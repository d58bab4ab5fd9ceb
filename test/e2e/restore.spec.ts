/**
 * The Restore screen against real backups and a real PostgreSQL cluster: a database restored
 * into a new database through the UI (row counts equal the source), selected tables only, a
 * wrong passphrase refused with nothing restored, a running restore cancelled (the database it
 * was restoring over is left as it was), and backups brought into the catalog by import and by
 * a catalog rebuild.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startPgCluster, type PgCluster } from '../support/pg-cluster';
import { PASSPHRASE, backupElsewhere, backupInCatalog, makeProject, makeTempDir, screenshotForReview } from './support/backups';
import { expect, test } from './support/fixtures';

let cluster: PgCluster;
let work: string;

const TABLES = ['public.items', 'public.orders', 'sales."Big Deals"'];

test.beforeAll(async () => {
  test.setTimeout(120_000);
  cluster = await startPgCluster();
  await cluster.createDatabase('shop');
  await cluster.psql(
    `CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL UNIQUE, price numeric(10,2));
     INSERT INTO items (name, price) SELECT 'item ' || g, g * 1.25 FROM generate_series(1, 2500) g;
     CREATE TABLE orders (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, item_id int NOT NULL REFERENCES items(id), qty int);
     INSERT INTO orders (item_id, qty) SELECT (g % 2500) + 1, g % 7 + 1 FROM generate_series(1, 4000) g;
     CREATE SCHEMA sales;
     CREATE TABLE sales."Big Deals" (v text);
     INSERT INTO sales."Big Deals" VALUES ('Grüße'), (NULL), ('東京');`,
    'shop',
  );
});

test.afterAll(async () => {
  await cluster?.stop();
});

test.beforeEach(() => {
  work = makeTempDir('lifeboat-e2e-restore-');
});

test.afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

async function rowCount(db: string, table: string): Promise<number> {
  return Number((await cluster.psql(`SELECT count(*) FROM ${table}`, db)).trim());
}

async function databases(): Promise<string[]> {
  return (await cluster.psql('SELECT datname FROM pg_database ORDER BY 1')).trim().split('\n');
}

function shopBackup(core: Parameters<typeof backupInCatalog>[0]) {
  return backupInCatalog(core, {
    name: 'Shop',
    databases: [{ source: cluster.source('shop'), password: cluster.password }],
    destination: path.join(work, 'backups'),
  });
}

test('a database restores into a new database through the UI, with the row counts of the source', async ({ page, core }) => {
  test.setTimeout(90_000);
  const { file } = await shopBackup(core);

  await page.goto('/#/restore');
  await page.getByRole('button', { name: `Open backup ${path.basename(file)}` }).click();

  // a catalog backup: its plan's passphrase is in the keychain, no prompt
  const tables = page.getByRole('table', { name: /^Tables of / });
  await expect(tables.locator('tbody tr')).toHaveCount(3);
  await expect(tables.getByRole('row', { name: /items/ })).toContainText('2,500');
  await expect(tables.getByRole('row', { name: /orders/ })).toContainText('4,000');

  // the server comes from the plan; a new database (the default) with its own name
  const target = page.getByRole('region', { name: 'Database target' });
  await expect(target.getByLabel('Host')).toHaveValue('127.0.0.1');
  await expect(target.getByLabel('Port')).toHaveValue(String(cluster.port));
  await expect(target.getByRole('radio', { name: /^A new database/ })).toBeChecked();
  await expect(target.getByLabel('New database name')).toHaveValue(/^shop_restored_\d{8}$/);
  await expect(target.getByRole('checkbox', { name: 'Compare row counts with the backup afterwards' })).toBeChecked();
  await target.getByLabel('New database name').fill('shop_copy');
  await target.getByLabel('Password').fill(cluster.password);
  await page.getByRole('button', { name: 'Preview restore' }).click();

  const plan = page.getByRole('region', { name: 'Database restore preview' });
  await expect(plan).toContainText('A new database "shop_copy" is created with 3 tables.');
  await expect(plan).toContainText('3 created');
  expect(await databases()).not.toContain('shop_copy');
  await screenshotForReview(page, 'restore-database-preview', 2000);

  await page.getByRole('button', { name: 'Start restore' }).click();
  const result = page.getByRole('region', { name: 'Restore progress' });
  await expect(result).toContainText('Restore finished', { timeout: 30_000 });
  await expect(result.locator('.badge')).toHaveText('success');
  await expect(result).toContainText('row counts match the backup');

  for (const table of TABLES) expect(await rowCount('shop_copy', table), table).toBe(await rowCount('shop', table));
  await expect(page.getByRole('table', { name: 'Restore history' })).toContainText('database “shop_copy” (new)');
  // the typed password went with the requests only
  expect(JSON.stringify(core.audit.list(1, 100))).not.toContain(cluster.password);
  expect(JSON.stringify(await core.handlers['restore/list']({ page: 1, pageSize: 10 }))).not.toContain(cluster.password);
});

test('selected tables only: the others are not restored', async ({ page, core }) => {
  test.setTimeout(90_000);
  const { file } = await shopBackup(core);

  await page.goto('/#/restore');
  await page.getByRole('button', { name: `Open backup ${path.basename(file)}` }).click();
  const target = page.getByRole('region', { name: 'Database target' });
  await target.getByLabel('New database name').fill('shop_items');
  await target.getByRole('radio', { name: 'Selected tables' }).check();
  await target.getByRole('checkbox', { name: 'Restore table public.items' }).check();
  // the row comparison can be turned off; the result says it was not done
  await target.getByRole('checkbox', { name: 'Compare row counts with the backup afterwards' }).uncheck();
  await page.getByRole('button', { name: 'Preview restore' }).click();
  await expect(page.getByRole('region', { name: 'Database restore preview' })).toContainText('1 created');
  await page.getByRole('button', { name: 'Start restore' }).click();
  const progress = page.getByRole('region', { name: 'Restore progress' });
  await expect(progress.locator('.badge')).toHaveText('success', { timeout: 30_000 });
  await expect(progress).toContainText('row counts were not compared');

  expect(await rowCount('shop_items', 'public.items')).toBe(2500);
  const present = (await cluster.psql("SELECT count(*) FROM pg_tables WHERE tablename IN ('orders', 'Big Deals')", 'shop_items')).trim();
  expect(present).toBe('0');
});

test('a wrong passphrase is refused with a clear message and nothing is restored', async ({ page }) => {
  const project = path.join(work, 'project');
  makeProject(project);
  const file = await backupElsewhere({ folders: [project], destination: path.join(work, 'backups') });

  await page.goto('/#/restore');
  await page.getByLabel('Backup file', { exact: true }).fill(file);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'This backup is encrypted' })).toBeVisible();

  await page.getByLabel('Passphrase', { exact: true }).fill('not the passphrase');
  await page.getByRole('button', { name: 'Unlock' }).click();
  const message = page.getByRole('alert');
  await expect(message).toContainText('WRONG_PASSPHRASE');
  await expect(message).toContainText('The passphrase is wrong for this backup');
  // nothing was read, nothing can be restored
  await expect(page.getByRole('heading', { name: 'What the backup holds' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Preview restore' })).toHaveCount(0);
  await screenshotForReview(page, 'wrong-passphrase');
  await expect(page.getByRole('button', { name: 'Import into catalog' })).toBeDisabled();
  await expect(page.getByText('No restores yet.')).toBeVisible();

  // the right one opens it
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('heading', { name: 'What the backup holds' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('a running restore can be cancelled and leaves the database it was restoring over as it was', async ({ page, core }) => {
  test.setTimeout(90_000);
  const { file } = await shopBackup(core);
  await cluster.psql('CREATE DATABASE shop_live TEMPLATE shop');
  await cluster.psql("DELETE FROM orders WHERE id > 3000; INSERT INTO items (name, price) VALUES ('only in live', 1);", 'shop_live');
  const before = { items: await rowCount('shop_live', 'public.items'), orders: await rowCount('shop_live', 'public.orders') };

  // another session reads the table and keeps its transaction open: pg_restore's DROP TABLE
  // waits for it, so the restore is caught mid-way for certain
  const reader = new pg.Client({ connectionString: cluster.url('shop_live') });
  await reader.connect();
  try {
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM items');

    await page.goto('/#/restore');
    await page.getByRole('button', { name: `Open backup ${path.basename(file)}` }).click();
    const target = page.getByRole('region', { name: 'Database target' });
    await target.getByRole('radio', { name: /^Over an existing database/ }).check();
    await target.getByRole('textbox', { name: 'Existing database name' }).fill('shop_live');
    await expect(target).toContainText('A safety backup of it is taken first');
    await page.getByRole('button', { name: 'Preview restore' }).click();
    const plan = page.getByRole('region', { name: 'Database restore preview' });
    await expect(plan).toContainText('3 tables are replaced');
    await expect(plan).toContainText('A safety backup of "shop_live" is taken first.');
    await expect(plan.locator('tr.row-conflict')).toHaveCount(3);
    await screenshotForReview(page, 'restore-over-existing-preview', 2200);
    await page.getByRole('button', { name: 'Start restore' }).click();

    const progress = page.getByRole('region', { name: 'Restore progress' });
    await expect(progress).toContainText('Restoring…');
    await expect
      .poll(async () => Number((await cluster.psql('SELECT count(*) FROM pg_locks WHERE NOT granted')).trim()), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await screenshotForReview(page, 'restore-running', 1200);
    await progress.getByRole('button', { name: 'Cancel' }).click();

    await expect(progress).toContainText('Restore finished');
    await expect(progress.locator('.badge')).toHaveText('cancelled');
  } finally {
    await reader.query('ROLLBACK').catch(() => undefined);
    await reader.end();
  }
  expect({ items: await rowCount('shop_live', 'public.items'), orders: await rowCount('shop_live', 'public.orders') }).toEqual(before);
  expect(await rowCount('shop_live', "items WHERE name = 'only in live'")).toBe(1);
  await expect(page.getByRole('table', { name: 'Restore history' }).locator('tbody tr').first()).toContainText('cancelled');
  const restores = await core.handlers['restore/list']({ page: 1, pageSize: 10 });
  expect(restores.items[0]?.status).toBe('cancelled');
});

test('a backup from elsewhere is imported into the catalog, and a folder of them rebuilds it', async ({ page, core }) => {
  const project = path.join(work, 'project');
  makeProject(project);
  const folder = path.join(work, 'usb');
  const one = await backupElsewhere({ name: 'From the laptop', folders: [project], destination: folder });
  await backupElsewhere({ name: 'From the server', folders: [project], destination: folder });
  fs.writeFileSync(path.join(folder, 'broken.lifeboat'), 'not really a backup');

  await page.goto('/#/restore');
  await expect(page.getByRole('table', { name: 'Backups' })).toHaveCount(0);
  await page.getByLabel('Backup file', { exact: true }).fill(one);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('button', { name: 'Import into catalog' }).click();
  await expect(page.getByText('Imported into the catalog')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Opened backup' })).toContainText('in the catalog');

  await page.getByRole('button', { name: 'Choose another backup' }).click();
  await expect(page.getByRole('table', { name: 'Backups' }).locator('tbody tr')).toHaveCount(1);
  const rebuild = page.getByRole('form', { name: 'Rebuild the catalog from a folder' });
  await rebuild.getByLabel('Folder with .lifeboat files').fill(folder);
  await rebuild.getByLabel('Passphrase (encrypted backups)').fill(PASSPHRASE);
  await rebuild.getByRole('button', { name: 'Rebuild catalog' }).click();
  const summary = rebuild.getByRole('status');
  await expect(summary).toContainText(/1\s*imported,\s*1\s*already in the catalog,\s*1\s*could not be read/);
  await expect(summary).toContainText('broken.lifeboat');
  await screenshotForReview(page, 'restore-choose', 1600);
  await expect(page.getByRole('table', { name: 'Backups' }).locator('tbody tr')).toHaveCount(2);
  expect(core.jobs.all({ kind: 'backup' })).toHaveLength(2);
});
