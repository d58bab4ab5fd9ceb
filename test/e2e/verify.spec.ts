/**
 * The Verify screen against real backups made by the engine: a good backup passes, a damaged
 * copy fails with its reason, Verify all checks every backup with live progress, and a restore
 * drill on a real PostgreSQL cluster proves a database backup restorable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startPgCluster, type PgCluster } from '../support/pg-cluster';
import { backupInCatalog, damagedCopy, makeProject, makeTempDir, screenshotForReview } from './support/backups';
import { planInput, savePlan } from '../support/backup-fixtures';
import { PASSPHRASE } from './support/backups';
import { expect, test } from './support/fixtures';

let cluster: PgCluster;
let work: string;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  cluster = await startPgCluster();
  await cluster.createDatabase('crm');
  await cluster.psql(
    `CREATE TABLE customers (id serial PRIMARY KEY, name text);
     INSERT INTO customers (name) SELECT 'customer ' || g FROM generate_series(1, 500) g;`,
    'crm',
  );
});

test.afterAll(async () => {
  await cluster?.stop();
});

test.beforeEach(() => {
  work = makeTempDir('lifeboat-e2e-verify-');
});

test.afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

const backupRows = (page: import('@playwright/test').Page) => page.getByRole('table', { name: 'Backups' }).locator('tbody tr');

test('a good backup passes verification; a damaged copy fails and says why', async ({ page, core }) => {
  const project = path.join(work, 'project');
  makeProject(project);
  const { file } = await backupInCatalog(core, { name: 'Project files', folders: [project], destination: path.join(work, 'backups') });

  await page.goto('/#/verify');
  const row = backupRows(page).first();
  await expect(backupRows(page)).toHaveCount(1);
  await expect(row).toContainText('never verified');
  await expect(row).toContainText('no drill yet');

  await row.getByRole('button', { name: `Verify ${path.basename(file)}` }).click();
  await expect(row.locator('.verification-cell .badge').first()).toHaveText('passed');
  const stats = page.getByRole('region', { name: 'Verification statistics' });
  await expect(stats).toContainText(/Passed\s*1/);
  const results = page.getByRole('table', { name: 'Verification results' });
  await expect(results.locator('tbody tr')).toHaveCount(1);
  await expect(results.locator('tbody tr').first()).toContainText('all checks passed');

  // a copy with one flipped bit, verified as a file
  const damaged = path.join(work, 'damaged-copy.lifeboat');
  damagedCopy(file, damaged);
  const form = page.getByRole('form', { name: 'Verify a backup file' });
  await form.getByLabel('Backup file').fill(damaged);
  await form.getByRole('button', { name: 'Verify file' }).click();
  await expect(form.getByRole('status')).toContainText('failed');
  await expect(form.getByRole('status')).toContainText('damaged');

  await expect(results.locator('tbody tr')).toHaveCount(2);
  const failed = results.locator('tbody tr').first();
  await expect(failed.locator('.badge')).toHaveText('failed');
  // the file's name in the cell, its whole path on hover (tables show names, not paths)
  await expect(failed).toContainText(path.basename(damaged));
  await expect(failed.locator(`[title="${damaged}"]`)).toHaveCount(1);
  await expect(failed.locator('.cell-message')).toContainText('The backup file is damaged');
  await expect(stats).toContainText(/Failed\s*1/);
  // the backup's own file is still the one that passed
  await expect(row.locator('.verification-cell .badge').first()).toHaveText('passed');

  await screenshotForReview(page, 'verify', 1300);
});

test('Verify all checks every backup in the catalog', async ({ page, core }) => {
  const project = path.join(work, 'project');
  makeProject(project);
  const first = await backupInCatalog(core, { name: 'First', folders: [project], destination: path.join(work, 'backups') });
  const second = await backupInCatalog(core, { name: 'Second', folders: [project], destination: path.join(work, 'backups'), encrypt: false });

  await page.goto('/#/verify');
  await expect(backupRows(page)).toHaveCount(2);
  await page.getByRole('button', { name: 'Verify all' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Started 2 verifications' })).toBeVisible();
  for (const row of await backupRows(page).all()) await expect(row.locator('.verification-cell .badge').first()).toHaveText('passed');
  await expect(page.getByRole('region', { name: 'Verification statistics' })).toContainText(/Passed\s*2/);
  const verified = core.verifications.list({}, 1, 10).items.map((v) => v.backupJobId).sort();
  expect(verified).toEqual([first.job.id, second.job.id].sort());
});

test('a restore drill proves a database backup restorable', async ({ page, core }) => {
  test.setTimeout(90_000);
  await backupInCatalog(core, {
    name: 'CRM',
    databases: [{ source: cluster.source('crm'), password: cluster.password }],
    destination: path.join(work, 'backups'),
  });

  await page.goto('/#/verify');
  const row = backupRows(page).first();
  await row.getByRole('button', { name: /^Restore drill of / }).click();
  const form = page.getByRole('form', { name: 'Restore drill' });
  // the server comes from the plan; the password is typed and sent with the request only
  await expect(form.getByLabel('Host')).toHaveValue('127.0.0.1');
  await expect(form.getByLabel('Port')).toHaveValue(String(cluster.port));
  await form.getByLabel('Password').fill(cluster.password);
  await screenshotForReview(page, 'verify-drill-form', 1100);
  await form.getByRole('button', { name: 'Start drill' }).click();
  await expect(form).toHaveCount(0);

  await expect(row).toContainText('✓', { timeout: 30_000 });
  const stats = page.getByRole('region', { name: 'Verification statistics' });
  await expect(stats).toContainText(/Restore drills\s*1/);
  await expect(stats).not.toContainText(/Last proven restorable\s*never/);
  const results = page.getByRole('table', { name: 'Verification results' });
  // the Check column says "drill" or "verify" (one short word: the table fits its box)
  await expect(results.locator('tbody tr').first().locator('td').nth(1)).toHaveText('drill');
  await expect(results.locator('tbody tr').first()).toContainText('every row count matches');
  await screenshotForReview(page, 'verify-drill-done', 1100);
  const drills = (await cluster.psql("SELECT count(*) FROM pg_database WHERE datname LIKE 'lifeboat_drill_%'")).trim();
  expect(drills).toBe('0');
  // the password was used for the one request and is kept nowhere
  expect(JSON.stringify(core.audit.list(1, 50))).not.toContain(cluster.password);
});

test('a plan set in the editor to drill after every backup is proven restorable by its run, in History and on the Dashboard', async ({ page, core }) => {
  test.setTimeout(90_000);
  const source = cluster.source('crm');
  const plan = await savePlan(
    core,
    planInput({ name: 'CRM nightly', databases: [source], destination: path.join(work, 'backups') }),
    { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
  );
  expect(plan.options.drillAfter).toBe(false);

  // the editor: drill after backup, on a server of its own whose password goes to the keychain
  await page.goto('/#/plans');
  await page.getByRole('listitem', { name: 'CRM nightly' }).getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Restore drill after backup').check();
  const drillServer = page.getByRole('group', { name: 'Restore drill server' });
  await expect(drillServer.getByLabel("On each database's own server")).toBeChecked();
  await drillServer.getByLabel('On another server').check();
  await drillServer.getByLabel('Host', { exact: true }).fill(cluster.host);
  await drillServer.getByLabel('Port', { exact: true }).fill(String(cluster.port));
  await drillServer.getByLabel('User', { exact: true }).fill(cluster.user);
  await drillServer.getByLabel('Password', { exact: true }).fill(cluster.password);
  await drillServer.getByLabel('SSL mode').selectOption('disable');
  await drillServer.scrollIntoViewIfNeeded();
  await screenshotForReview(page, 'plan-drill-options', 900);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('button', { name: 'Save changes' })).toHaveCount(0);
  expect(core.plans.get(plan.id)!.options).toMatchObject({
    drillAfter: true,
    drillServer: { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable', hasPassword: true },
  });
  expect(await core.secrets.get(`drill:${plan.id}`)).toBe(cluster.password);
  expect(JSON.stringify(core.catalog.prepare('SELECT * FROM plans').all())).not.toContain(cluster.password);

  // the run drills its backup; the Dashboard and History say it is proven restorable
  await page.goto('/#/dashboard');
  const row = page.getByRole('table', { name: 'Last result per plan' }).getByRole('row', { name: /CRM nightly/ });
  await expect(row).toContainText('not yet');
  await row.getByRole('button', { name: 'Run now' }).click();
  await expect(row.locator('.badge')).toHaveText('success', { timeout: 60_000 });
  await expect(row).toContainText('✓');
  await expect(row).toContainText('Proven restorable.');
  const [job] = core.jobs.list({ kind: 'backup', planId: plan.id }, 1, 1).items;
  expect(job!.provenAt).toBeTruthy();
  expect((await cluster.psql("SELECT count(*) FROM pg_database WHERE datname LIKE 'lifeboat_drill_%'")).trim()).toBe('0');

  await page.goto('/#/history');
  const history = page.getByRole('table').first();
  const backupRow = history.getByRole('row', { name: /CRM nightly/ }).filter({ hasText: 'backup' }).first();
  await expect(backupRow).toContainText('✓');
  await backupRow.getByRole('button', { name: 'CRM nightly' }).click();
  await expect(page.getByRole('complementary', { name: 'Job details' })).toContainText(/Proven restorable\s*✓/);
  await screenshotForReview(page, 'history-proven', 900);
});
