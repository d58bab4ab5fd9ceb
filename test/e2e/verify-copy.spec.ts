/**
 * Verify one copy of a backup from History's job panel (issue 15, point 4: "is my S3 copy still
 * good?"), against the real handlers, a real backup and a real S3 wire-protocol server (s3rver):
 * Verify on the S3 copy reads it where it lies, shows the job's result under the copy and the
 * copy turns verified; after the object is damaged, Verify turns it failed with the reason; the
 * folder copy is not touched. axe over the panel, and screenshots at 1280x800 and 900x650 in both
 * schemes under test-results/screens/.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { openDestination } from '../../src/main/core/destinations/open';
import { destinationSchema, type DestinationInput } from '../../src/shared/destination';
import { planInput, runPlan, savePlan } from '../support/backup-fixtures';
import { startS3Server, type S3TestServer } from '../support/s3-server';
import { PASSPHRASE, makeProject, makeTempDir } from './support/backups';
import { expect, test } from './support/fixtures';

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const SCREENS_DIR = path.resolve('test-results/screens');
const BUCKET = 'acme-offsite-backups';
const ACCESS_KEY_ID = 'E2EVERIFYCOPY';
const SECRET = 'e2e-verify-copy-secret-9Tq';

let s3: S3TestServer;
let work: string;

test.beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET], keys: [{ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET }] });
});

test.afterAll(async () => {
  await s3?.close();
});

test.beforeEach(() => {
  work = makeTempDir('lifeboat-e2e-verify-copy-');
});

test.afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

async function expectNoViolations(page: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page }).include('aside').withTags(WCAG_TAGS).analyze();
  const summary = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(' | ')}`);
  expect(summary, `${what}: axe violations`).toEqual([]);
}

test('Verify on a copy in History: the S3 copy is read where it lies and turns verified; damaged, it turns failed', async ({ page, core }) => {
  test.setTimeout(240_000);
  const source = path.join(work, 'project');
  makeProject(source);
  // a few chunks' worth that do not compress, so damage far past the header lands in one
  fs.writeFileSync(path.join(source, 'data', 'photos.bin'), crypto.randomBytes(2 * 1024 * 1024));
  const s3Copy: DestinationInput = {
    id: 'offsite',
    kind: 's3',
    label: 'Offsite bucket',
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: BUCKET,
    prefix: 'lifeboat',
    forcePathStyle: true,
    credentials: 'keychain',
    accessKeyId: ACCESS_KEY_ID,
    // not read back after the upload: the copy is 'uploaded' until someone verifies it
    readBack: false,
  };
  const usbDir = path.join(work, 'usb-disk');
  const destination = path.join(work, 'backups');
  const plan = await savePlan(
    core,
    planInput({
      name: 'Project files',
      destination,
      folders: [{ id: 'project', path: source }],
      options: { destination, copies: [s3Copy, { id: 'usb', kind: 'local', label: 'USB disk', path: usbDir, readBack: true }] },
    }),
    { dbPasswords: {}, passphrase: PASSPHRASE, destSecrets: { offsite: SECRET } },
  );
  const backup = await runPlan(core, plan);
  expect(backup.status, backup.displayMessage ?? '').toBe('success');
  const s3Url = `s3://${BUCKET}/lifeboat/project-files/${path.basename(backup.filePath!)}`;

  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`/#/history?job=${backup.id}`);
  const panel = page.getByRole('complementary', { name: 'Job details' });
  const list = panel.getByRole('list', { name: 'Copies of this backup' });
  const copies = list.getByRole('listitem');
  await expect(copies).toHaveCount(2);
  const s3Item = copies.nth(0);
  const usbItem = copies.nth(1);
  await expect(s3Item).toContainText(s3Url);
  await expect(s3Item.locator('.backup-copy-head .badge')).toHaveText('uploaded');
  await expect(s3Item).not.toContainText('verified');
  await expect(usbItem.locator('.backup-copy-head .badge')).toHaveText('verified');
  const usbBefore = await usbItem.textContent();

  // Verify the S3 copy: its name and URL in the button's accessible name
  const verifyS3 = s3Item.getByRole('button', { name: `Verify the copy Offsite bucket at ${s3Url}` });
  await verifyS3.click();
  const outcome = s3Item.getByRole('status');
  await expect(outcome).toContainText('passed', { timeout: 60_000 });
  await expect(outcome).toContainText(`Verified the copy at ${s3Url}:`);
  await expect(outcome).toContainText(/\d+ checks passed\./);
  // the list reloaded: the copy's new status and verified time
  await expect(s3Item.locator('.backup-copy-head .badge')).toHaveText('verified');
  await expect(s3Item).toContainText(/uploaded .* · verified /);
  await expect(verifyS3).toBeEnabled();
  expect(await usbItem.textContent()).toBe(usbBefore);
  const row = core.catalog.prepare('SELECT status, verified_at, error FROM backup_copies WHERE backup_id = ? AND destination_id = ?').get(backup.id, 'offsite') as {
    status: string;
    verified_at: string | null;
    error: string | null;
  };
  expect(row.status).toBe('verified');
  expect(Date.now() - Date.parse(row.verified_at!)).toBeLessThan(120_000);
  expect(row.error).toBeNull();
  // the folder copy has its own Verify
  await expect(usbItem.getByRole('button', { name: /^Verify the copy USB disk at / })).toBeVisible();

  fs.mkdirSync(SCREENS_DIR, { recursive: true });
  const shots = async (name: string) => {
    for (const [width, height] of [
      [1280, 800],
      [900, 650],
    ] as const) {
      await page.setViewportSize({ width, height });
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await list.evaluate((el) => el.scrollIntoView({ block: 'center' }));
        await page.waitForTimeout(100);
        await page.screenshot({ path: path.join(SCREENS_DIR, `${name}-${width}x${height}-${scheme}.png`) });
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 800 });
  };
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await expectNoViolations(page, `history copies after a verify (${scheme})`);
  }
  await shots('verify-copy-passed');

  // the S3 object damaged (16 bytes in the middle, written through the destination itself)
  const bytes = fs.readFileSync(backup.filePath!);
  const at = Math.floor(bytes.length / 2);
  for (let i = 0; i < 16; i++) bytes[at + i] = bytes[at + i]! ^ 0x5a;
  const dest = await openDestination(destinationSchema.parse({ ...s3Copy, prefix: 'lifeboat' }), { secret: SECRET });
  try {
    await dest.write(`project-files/${path.basename(backup.filePath!)}`, Readable.from([bytes]));
  } finally {
    await dest.close();
  }

  await verifyS3.click();
  await expect(outcome).toContainText('failed', { timeout: 60_000 });
  await expect(outcome).toContainText(`Verification of the copy at ${s3Url} failed:`);
  await expect(s3Item.locator('.backup-copy-head .badge')).toHaveText('failed');
  // the reason once: the job's result under the copy says what the row's error says
  await expect(s3Item.locator('.error-text')).toHaveCount(1);
  await expect(s3Item.locator('.error-text')).toContainText('failed: ');
  const reason = core.catalog.prepare('SELECT error FROM backup_copies WHERE backup_id = ? AND destination_id = ?').get(backup.id, 'offsite') as { error: string };
  expect(reason.error).toMatch(/^Verification failed: \S/);
  await expect(outcome).toContainText(reason.error.replace(/^Verification failed: /, ''));
  await expect(s3Item).not.toContainText(/· verified /);
  // still offered: verify it again once it is uploaded again
  await expect(verifyS3).toBeEnabled();
  expect(await usbItem.textContent()).toBe(usbBefore);
  await expect(panel).not.toContainText(SECRET);
  await shots('verify-copy-failed');
});
