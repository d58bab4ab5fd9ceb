/**
 * Chains in the window: deleting a base from History lists the backups that build on it and
 * deletes them with it; a partial backup is marked, with the source that failed, in Verify and
 * Restore; an incremental plan's card says what its next run makes, and "Next run: full".
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { BackupType, Plan } from '../../src/shared/plan';
import { makeTempDir } from './support/backups';
import { expect, test, type TestCore } from './support/fixtures';
import { seedPlan } from './support/seed';

/** A finished backup with a file on disk, of `type`, built on `baseId`. */
function seedBackup(core: TestCore, plan: Plan, dir: string, n: number, type: BackupType, baseId: string | null, status: 'success' | 'partial' = 'success'): string {
  const id = randomUUID();
  const startedAt = new Date(Date.now() - (10 - n) * 3_600_000);
  const filePath = path.join(dir, `backup-${n}-${type}.lifeboat`);
  fs.writeFileSync(filePath, `backup ${n}`);
  core.jobs.create({ id, kind: 'backup', planId: plan.id, planName: plan.name, trigger: 'manual', startedAt: startedAt.toISOString(), status: 'running', backupType: type });
  core.jobs.addSourceResult(id, { kind: 'folder', label: '/srv/www', status: 'success', bytes: 10, files: 1, errorCode: null, message: null });
  if (status === 'partial') {
    core.jobs.addSourceResult(id, { kind: 'database', label: 'shop@db.example:5432', status: 'failed', bytes: 0, files: 0, errorCode: 'PG_UNREACHABLE', message: 'Cannot reach the server' });
  }
  core.jobs.finish(id, {
    status,
    finishedAt: new Date(startedAt.getTime() + 1000).toISOString(),
    durationMs: 1000,
    sizeBytes: 1024,
    filePath,
    displayMessage: `run ${n}`,
    backupType: type,
    baseJobId: baseId,
  });
  return id;
}

test('deleting a base from History lists its dependents and deletes them with it', async ({ page, core }) => {
  const dir = makeTempDir('lifeboat-e2e-chains-');
  const plan = seedPlan(core, { name: 'Chained docs', type: 'incremental' });
  const full = seedBackup(core, plan, dir, 1, 'full', null);
  const i1 = seedBackup(core, plan, dir, 2, 'incremental', full);
  seedBackup(core, plan, dir, 3, 'incremental', i1);

  await page.goto(`/#/history?job=${full}`);
  const panel = page.getByRole('complementary', { name: 'Job details' });
  await panel.getByRole('button', { name: 'Delete backup…' }).click();
  const confirm = panel.getByRole('alertdialog', { name: 'Confirm delete' });
  await expect(confirm).toContainText('2 newer backups build on this one');
  await expect(confirm.getByRole('list', { name: 'Backups that build on it' }).locator('li')).toHaveCount(2);

  // Keep changes nothing
  await confirm.getByRole('button', { name: 'Keep' }).click();
  expect(fs.readdirSync(dir)).toHaveLength(3);

  await panel.getByRole('button', { name: 'Delete backup…' }).click();
  await panel.getByRole('button', { name: 'Delete all 3' }).click();
  await expect(panel).toContainText('Deleted by hand.');
  await expect(panel.getByRole('button', { name: 'Delete backup…' })).toHaveCount(0);
  expect(fs.readdirSync(dir)).toEqual([]);
  await expect(page.getByRole('table', { name: 'Jobs' })).toContainText('Deleted by hand with the backup it builds on');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a partial backup is listed in Verify and Restore, marked with the source that failed', async ({ page, core }) => {
  const dir = makeTempDir('lifeboat-e2e-partial-');
  const plan = seedPlan(core, { name: 'Half there' });
  seedBackup(core, plan, dir, 1, 'full', null, 'partial');

  for (const screen of ['verify', 'restore']) {
    await page.goto(`/#/${screen}`);
    const row = page.getByRole('table', { name: 'Backups' }).locator('tbody tr');
    await expect(row).toHaveCount(1);
    await expect(row.locator('.badge-partial')).toHaveText('partial');
    await expect(row).toContainText('without shop@db.example:5432');
  }
  await page.goto('/#/history');
  await page.getByRole('button', { name: 'Half there' }).click();
  await expect(page.getByRole('complementary', { name: 'Job details' }).getByRole('note')).toContainText('Partial backup: it holds every source but shop@db.example:5432');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an incremental plan says what its next run makes, and "Next run: full" starts a chain', async ({ page, core }) => {
  const dir = makeTempDir('lifeboat-e2e-next-');
  const plan = seedPlan(core, { name: 'Weekly incremental', type: 'incremental' });
  seedBackup(core, plan, dir, 1, 'full', null);

  await page.goto('/#/plans');
  const line = page.getByRole('listitem', { name: 'Weekly incremental' }).getByLabel('Next run');
  await expect(line).toContainText('Next run: incremental — builds on the chain started');
  await line.getByRole('button', { name: 'Next run: full' }).click();
  await expect(line).toContainText('Next run: full — a full backup was asked for.');
  await expect(line.getByRole('button', { name: 'Cancel “Next run: full”' })).toHaveAttribute('aria-pressed', 'true');
  await line.getByRole('button', { name: 'Cancel “Next run: full”' }).click();
  await expect(line).toContainText('Next run: incremental');
  fs.rmSync(dir, { recursive: true, force: true });
});
