/**
 * Off-site copies in the app (issue 15), against the real handlers:
 * - the plan editor's Destinations section: a folder copy added, tested (connect, write, read,
 *   delete), saved, the plan run, the copy in History's job panel and the Dashboard's off-site
 *   line, the copy's file on disk;
 * - an SFTP copy against a real sshd: Test shows the unknown host key's fingerprint, Accept pins
 *   it, a changed key is refused; the secret goes to the keychain, never into the catalog;
 * - the form refuses an incomplete copy, naming the field;
 * - axe over the editor's copies, the Dashboard's off-site list and History's copies, and
 *   screenshots of them at 1280x800 and 900x650 in both schemes under test-results/screens/.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { CopiesRepo, type CopyTarget } from '../../src/main/core/catalog/copies-repo';
import { secretKeys } from '../../src/main/core/paths';
import { destinationSchema, destinationUrl, type DestinationConfig } from '../../src/shared/destination';
import { startSftpServer } from '../support/sftp-server';
import { makeProject } from './support/backups';
import { expect, test, type TestCore } from './support/fixtures';
import { openScreen } from './support/screens';
import { seedJob, seedPlan } from './support/seed';

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const SCREENS_DIR = path.resolve('test-results/screens');
const DAY = 86_400_000;

async function expectNoViolations(page: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const summary = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(' | ')}`);
  expect(summary, `${what}: axe violations`).toEqual([]);
}

/** Opens the plan's editor on its Destinations section. */
async function openDestinations(page: Page, planName: string): Promise<void> {
  await openScreen(page, 'plans', 'Plans');
  await page.getByRole('listitem', { name: planName }).getByRole('button', { name: 'Edit' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Edit “${planName}”` })).toBeVisible();
  await page.getByRole('navigation', { name: 'Plan sections' }).getByRole('button', { name: 'Destinations' }).click();
}

/** Everything the catalog holds on disk, as text. */
function catalogBytes(core: TestCore): string {
  return ['catalog.sqlite', 'catalog.sqlite-wal']
    .map((name) => path.join(core.dataDir, name))
    .filter((file) => fs.existsSync(file))
    .map((file) => fs.readFileSync(file).toString('latin1'))
    .join('\n');
}

test('a folder copy: added, tested, saved, run, and shown in History and on the Dashboard', async ({ page, core }) => {
  const source = path.join(core.dataDir, 'project');
  makeProject(source);
  const copyDir = path.join(core.dataDir, 'usb-disk', 'lifeboat');
  const plan = seedPlan(core, {
    name: 'Project files',
    folders: [{ id: randomUUID(), path: source }],
    schedule: { kind: 'daily', time: '02:00' },
    options: { destination: path.join(core.dataDir, 'backups'), encrypt: false },
  });

  await openDestinations(page, 'Project files');
  const copies = page.getByRole('group', { name: 'Copies (off-site)' });
  await expect(copies).toContainText('No copies: every backup exists only in the folder above.');
  await copies.getByRole('button', { name: 'Add a folder copy' }).click();
  const copy = copies.getByRole('group', { name: 'Copy 1' });
  await expect(copy).toContainText('Folder');
  // incomplete: nothing to test yet
  await expect(copy.getByRole('button', { name: 'Test copy 1' })).toBeDisabled();
  await copy.getByLabel('Folder', { exact: true }).fill(copyDir);
  await copy.getByLabel('Read back after upload').check();

  await copy.getByRole('button', { name: 'Test copy 1' }).click();
  const steps = copy.getByRole('list', { name: 'Test steps of copy 1' });
  await expect(steps.getByRole('listitem')).toHaveCount(4, { timeout: 20_000 });
  for (const step of ['Connect', 'Write a test object', 'Read it back', 'Delete it']) {
    await expect(steps.getByRole('listitem').filter({ hasText: step })).toContainText(`${step}: passed`);
  }
  await expect(copy.getByRole('status', { name: 'Test result of copy 1' })).toContainText('Connected, wrote a test object, read it back and deleted it.');
  // the test object is gone again
  expect(fs.readdirSync(copyDir)).toEqual([]);

  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Plans' })).toBeVisible();
  const saved = core.plans.get(plan.id)!;
  expect(saved.options.copies).toEqual([expect.objectContaining({ kind: 'local', path: copyDir, readBack: true, hasSecret: false })]);

  // run it from the Dashboard
  await openScreen(page, 'dashboard', 'Dashboard');
  const row = page.getByRole('table', { name: 'Last result per plan' }).getByRole('row', { name: /Project files/ });
  await row.getByRole('button', { name: 'Run now' }).click();
  await expect.poll(() => core.jobs.list({ kind: 'backup', planId: plan.id }, 1, 1).items[0]?.status, { timeout: 60_000 }).toMatch(/^(success|partial|failed)$/);
  const job = core.jobs.list({ kind: 'backup', planId: plan.id }, 1, 1).items[0]!;
  expect(job.status).toBe('success');
  const fileName = path.basename(job.filePath!);
  // the copy, under the plan's folder of the copy's root
  const copied = (fs.readdirSync(copyDir, { recursive: true }) as string[]).find((rel) => path.basename(rel) === fileName);
  expect(copied).toBeDefined();
  expect(fs.statSync(path.join(copyDir, copied!)).size).toBe(fs.statSync(job.filePath!).size);

  // a folder on this machine is a copy, but not off-site
  const offsite = page.getByRole('list', { name: 'Off-site copies per plan' });
  await expect(offsite.getByRole('listitem', { name: 'Project files' })).toContainText('Off-site: not set up (one copy in another folder on this machine)');

  // History: the copy with its URL, status, size and times
  await page.goto(`/#/history?job=${job.id}`);
  const panel = page.getByRole('complementary', { name: 'Job details' });
  const listed = panel.getByRole('list', { name: 'Copies of this backup' }).getByRole('listitem');
  await expect(listed).toHaveCount(1);
  await expect(listed).toContainText(path.join(copyDir, copied!));
  await expect(listed.locator('.badge')).toHaveText('verified');
  await expect(listed).toContainText(/uploaded .* · verified /);

  // Restore: the opened backup lists its copies and says which one a restore reads
  await openScreen(page, 'restore', 'Restore');
  await page.getByRole('button', { name: `Open backup ${fileName}` }).click();
  const header = page.getByRole('region', { name: 'Opened backup' });
  await expect(header.getByRole('list', { name: 'Copies of this backup' }).getByRole('listitem')).toHaveCount(1);
  await expect(header).toContainText('A restore reads the nearest healthy copy');
});

test('an SFTP copy: Test shows the unknown host key, Accept pins it, a changed key is refused; the password stays in the keychain', async ({ page, core }) => {
  test.setTimeout(120_000);
  const server = await startSftpServer();
  fs.mkdirSync(SCREENS_DIR, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  /** the copy's Test result, in both schemes */
  const shots = async (name: string) => {
    // the result in the middle of the window, clear of the sticky Save bar
    await page.getByRole('status', { name: 'Test result of copy 1' }).evaluate((el) => el.scrollIntoView({ block: 'center' }));
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: path.join(SCREENS_DIR, `${name}-1280x800-${scheme}.png`) });
    }
    await page.emulateMedia({ colorScheme: 'light' });
  };
  try {
    const plan = seedPlan(core, { name: 'Offsite SFTP', options: { destination: path.join(core.dataDir, 'backups'), encrypt: false } });
    await openDestinations(page, 'Offsite SFTP');
    await page.getByRole('button', { name: 'Add an SFTP copy' }).click();
    const copy = page.getByRole('group', { name: 'Copy 1' });
    await copy.getByLabel('Host', { exact: true }).fill(server.host);
    await copy.getByLabel('Port', { exact: true }).fill(String(server.port));
    await copy.getByLabel('User', { exact: true }).fill(server.user);
    await copy.getByLabel('Remote folder').fill(path.join(server.root, 'lifeboat'));
    await copy.getByLabel('Private key file', { exact: true }).fill(server.userKeyFile);
    await expect(copy.getByRole('group', { name: 'Host key' })).toContainText('Not pinned');

    await copy.getByRole('button', { name: 'Test copy 1' }).click();
    const result = copy.getByRole('status', { name: 'Test result of copy 1' });
    await expect(result).toContainText("This server's host key is not pinned yet.", { timeout: 30_000 });
    await expect(result.locator('.host-key-fingerprint')).toHaveText(server.hostKeyFingerprint);
    await expect(result.getByRole('listitem').filter({ hasText: 'Connect' })).toContainText('Connect: failed');
    await expect(result.getByRole('listitem').filter({ hasText: 'Write a test object' })).toContainText('not run');
    await expectNoViolations(page, 'an unknown host key');
    await shots('offsite-sftp-test-unknown-key');

    // accepted: pinned into the copy, and the test runs again through
    await result.getByRole('button', { name: 'Accept this host key' }).click();
    await expect(copy.getByRole('group', { name: 'Host key' })).toContainText(server.hostKeyFingerprint);
    await expect(result).toContainText('Connected, wrote a test object, read it back and deleted it.', { timeout: 30_000 });
    await expect(result).toContainText("The server's host key matches the pinned one");
    await shots('offsite-sftp-test-passed');

    // a password login instead: the password goes to the keychain on save, never into the plan
    await copy.getByLabel('A password').check();
    await copy.getByLabel('Password', { exact: true }).fill('sftp-pass-8841');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Plans' })).toBeVisible();
    const saved = core.plans.get(plan.id)!;
    const dest = saved.options.copies[0]!;
    expect(dest).toMatchObject({ kind: 'sftp', auth: 'password', hostKey: server.hostKeyFingerprint, hasSecret: true });
    expect(await core.secrets.get(secretKeys.destSecret(plan.id, dest.id))).toBe('sftp-pass-8841');
    expect(catalogBytes(core)).not.toContain('sftp-pass-8841');

    // opened again: the password is not shown, only that one is stored
    await openDestinations(page, 'Offsite SFTP');
    const again = page.getByRole('group', { name: 'Copy 1' });
    await again.getByRole('button', { name: 'Edit copy 1' }).click();
    await expect(again.getByLabel('Password', { exact: true })).toHaveValue('');
    await expect(again.getByLabel('Password', { exact: true })).toHaveAttribute('placeholder', 'stored in the keychain');

    // the server is reinstalled: its new key is refused, never accepted from here
    await server.replaceHostKey();
    await again.getByLabel('A private key file').check();
    await again.getByLabel('Private key file', { exact: true }).fill(server.userKeyFile);
    await again.getByRole('button', { name: 'Test copy 1' }).click();
    const refused = again.getByRole('status', { name: 'Test result of copy 1' });
    await expect(refused.getByRole('alert')).toContainText("Refused: the server's host key changed.", { timeout: 30_000 });
    await expect(refused.getByRole('button', { name: 'Accept this host key' })).toHaveCount(0);
    await expectNoViolations(page, 'a changed host key');
    await shots('offsite-sftp-test-changed-key');
  } finally {
    await server.stop();
  }
});

test('an incomplete copy is refused on save, naming its fields', async ({ page, core }) => {
  seedPlan(core, { name: 'Nightly' });
  await openDestinations(page, 'Nightly');
  await page.getByRole('button', { name: 'Add an S3 copy' }).click();
  const copy = page.getByRole('group', { name: 'Copy 1' });
  await copy.getByLabel('Prefix').fill('/backups');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'fields need attention' })).toContainText('Copy 1 bucket');
  await expect(copy.getByLabel('Bucket')).toBeFocused();
  await expect(copy).toContainText('Enter the bucket name');
  await expect(copy).toContainText('Use a prefix like backups/lifeboat, without a leading / or ..');
  await expect(copy).toContainText('Enter the secret access key');
  await expect(page.getByRole('navigation', { name: 'Plan sections' }).getByRole('button', { name: /Destinations/ })).toContainText('4');
  expect(core.plans.list()[0]!.options.copies).toEqual([]);

  // the AWS chain needs no key in the app
  await copy.getByLabel('Bucket').fill('acme-backups');
  await copy.getByLabel('Prefix').fill('backups');
  await copy.getByLabel('The standard AWS chain').check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Plans' })).toBeVisible();
  expect(core.plans.list()[0]!.options.copies).toEqual([expect.objectContaining({ kind: 's3', bucket: 'acme-backups', prefix: 'backups', credentials: 'aws-chain' })]);
});

interface SeededCopies {
  shop: { id: string; name: string };
  newestShopBackup: string;
}

/**
 * Plans as an admin's look after a few weeks of off-site copies: S3 and SFTP copies with long
 * names (one SFTP copy failing on its credentials), Azure uploaded but not verified yet, a plan
 * whose copies have failed for 3 days, one with only a copy in another folder, one with no
 * copies, and one not run yet.
 */
function seedOffsite(core: TestCore): SeededCopies {
  const now = Date.now();
  const repo = new CopiesRepo(core.catalog);
  const dest = (input: Record<string, unknown>): DestinationConfig => destinationSchema.parse({ id: randomUUID(), ...input });
  const s3 = dest({
    kind: 's3',
    label: 'Wasabi eu-central-2',
    endpoint: 'https://s3.eu-central-2.wasabisys.com',
    region: 'eu-central-2',
    bucket: 'acme-corporation-production-database-backups-eu-central',
    prefix: 'lifeboat/shop/production/eu-west/nightly-database-dumps',
    credentials: 'keychain',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    storageClass: 'STANDARD_IA',
    readBack: true,
    hasSecret: true,
  });
  const sftp = dest({
    kind: 'sftp',
    host: 'u123456.your-storagebox.de',
    port: 23,
    user: 'u123456',
    path: 'backups/lifeboat/shop',
    auth: 'password',
    hostKey: 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU',
    hasSecret: true,
  });
  const azure = dest({ kind: 'azure', account: 'acmeofficedocuments', container: 'lifeboat-backups', prefix: 'office/shared-drives', auth: 'sas', hasSecret: true });
  const mailS3 = dest({ kind: 's3', bucket: 'acme-mail-archive', prefix: 'lifeboat', endpoint: 'https://s3.us-west-004.backblazeb2.com', region: 'us-west-004', hasSecret: true, credentials: 'keychain', accessKeyId: '004a1b2c3d' });
  const usb = dest({ kind: 'local', path: '/mnt/usb-backup-disk/lifeboat/wiki' });

  const plan = (name: string, copies: DestinationConfig[], extra: Record<string, unknown> = {}) =>
    seedPlan(core, {
      name,
      folders: [{ id: randomUUID(), path: `/srv/data/${name.toLowerCase().replace(/[^a-z]+/g, '-')}` }],
      schedule: { kind: 'daily', time: '02:00' },
      options: { destination: `/var/backups/lifeboat/${name.toLowerCase().replace(/[^a-z]+/g, '-')}`, encrypt: true, copies },
      ...extra,
    });
  const shop = plan('Shop DB nightly — production PostgreSQL cluster (eu-west, primary)', [s3, sftp]);
  const office = plan('Office documents and shared drives (weekly incremental)', [azure], { schedule: { kind: 'weekly', days: [0], time: '03:00' } });
  const mail = plan('Mail archive', [mailS3]);
  const wiki = plan('Wiki database (Confluence export)', [usb]);
  const build = plan('Build server artefacts', []);
  plan('CRM database hourly (new)', [mailS3], { schedule: { kind: 'hourly', everyHours: 6 } });

  const backup = (p: typeof shop, daysAgo: number, status: 'success' | 'failed' = 'success') => {
    const startedAt = new Date(now - daysAgo * DAY - 2 * 3_600_000);
    const file = `${p.options.destination}/${p.name.toLowerCase().replace(/[^a-z]+/g, '-')}-${startedAt.toISOString().slice(0, 10)}T020000Z.lifeboat`;
    const id = seedJob(core, {
      plan: p,
      status,
      startedAt,
      durationMs: 95_000,
      sizeBytes: status === 'success' ? 1_310_000_000 + daysAgo * 1_000_000 : null,
      filePath: status === 'success' ? file : null,
      encrypted: true,
      errorCode: status === 'failed' ? 'PG_UNREACHABLE' : null,
      displayMessage: status === 'success' ? 'Backed up 1 folder(s): 12 480 files, 2.9 GB read.' : 'Cannot reach the PostgreSQL server.',
    });
    return { id, file, startedAt };
  };
  const target = (b: { id: string; file: string }, d: DestinationConfig): CopyTarget => {
    const key = path.basename(b.file);
    return { backupId: b.id, destinationId: d.id, kind: d.kind, destinationUrl: destinationUrl(d), key, url: `${destinationUrl(d)}/${key}` };
  };
  const ok = (b: { id: string; file: string; startedAt: Date }, d: DestinationConfig, verified: boolean) => {
    const uploadedAt = new Date(b.startedAt.getTime() + 8 * 60_000).toISOString();
    repo.recordUploaded(target(b, d), {
      sizeBytes: 1_310_000_000,
      sha256: 'a'.repeat(64),
      uploadedAt,
      verifiedAt: verified ? new Date(b.startedAt.getTime() + 12 * 60_000).toISOString() : null,
    });
  };
  let newestShopBackup = '';
  for (let day = 6; day >= 0; day--) {
    const b = backup(shop, day);
    ok(b, s3, true);
    if (day > 1) ok(b, sftp, true);
    else {
      repo.recordFailed(target(b, sftp), 'The off-site destination refused the credentials. Enter the right access key and secret (S3), account key or SAS token (Azure), or user and password or key (SFTP) for this destination, then use Test. (u123456@u123456.your-storagebox.de:23: All configured authentication methods failed)');
    }
    newestShopBackup = b.id;
    const w = backup(wiki, day);
    ok(w, usb, true);
    backup(build, day);
    // the mail archive's server died 3 days ago: its copies failed, then its runs too
    if (day >= 3) {
      const m = backup(mail, day);
      if (day > 3) ok(m, mailS3, true);
      else repo.recordFailed(target(m, mailS3), 'Cannot reach the off-site destination (the server did not answer, or the connection stalled past its timeout). (s3.us-west-004.backblazeb2.com: connect ETIMEDOUT)');
    } else {
      backup(mail, day, 'failed');
    }
  }
  const o = backup(office, 0);
  ok(o, azure, false);
  core.scheduler.reinitialize();
  return { shop: { id: shop.id, name: shop.name }, newestShopBackup };
}

test('the Dashboard, the editor and History show where the copies are; axe finds nothing; screenshots', async ({ page, core }) => {
  test.setTimeout(240_000);
  const { shop, newestShopBackup } = seedOffsite(core);
  fs.mkdirSync(SCREENS_DIR, { recursive: true });

  // the Dashboard's line per plan
  await openScreen(page, 'dashboard', 'Dashboard');
  const offsite = page.getByRole('list', { name: 'Off-site copies per plan' });
  const item = (name: string | RegExp) => offsite.getByRole('listitem', { name });
  await expect(item(shop.name)).toContainText(
    /Off-site: verified .* ago at Wasabi eu-central-2 \(s3:\/\/acme-corporation-production-database-backups-eu-central\/lifeboat\/shop\/production\/eu-west\/nightly-database-dumps\)/,
  );
  await expect(item('Mail archive')).toContainText('No off-site copy for 3 days');
  await expect(item('Mail archive')).toContainText('connect ETIMEDOUT');
  await expect(item(/^Office documents/)).toContainText('not verified yet');
  await expect(item('Build server artefacts')).toContainText('Off-site: not set up');
  await expect(item('Build server artefacts').getByRole('link', { name: 'Add a copy to Build server artefacts' })).toHaveAttribute('href', /#\/plans\?edit=/);
  await expect(item(/^Wiki/)).toContainText('one copy in another folder');
  await expect(item(/^CRM/)).toContainText('Off-site: no backup yet');

  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await openScreen(page, 'dashboard', 'Dashboard');
    await expect(offsite).toBeVisible();
    await expectNoViolations(page, `dashboard (${scheme})`);
    await openDestinations(page, shop.name);
    await page.getByRole('button', { name: 'Edit copy 1' }).click();
    await page.getByRole('button', { name: 'Edit copy 2' }).click();
    // clear of the sticky Save bar, which axe counts as covering what lies under it
    await page.getByRole('group', { name: 'Copy 2' }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await expectNoViolations(page, `editor copies (${scheme})`);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.goto(`/#/history?job=${newestShopBackup}`);
    await expect(page.getByRole('complementary', { name: 'Job details' }).getByRole('list', { name: 'Copies of this backup' })).toBeVisible();
    await expectNoViolations(page, `history copies (${scheme})`);
  }

  // History: the newest backup of the shop: S3 verified, SFTP failed with its reason
  const panel = page.getByRole('complementary', { name: 'Job details' });
  const copies = panel.getByRole('list', { name: 'Copies of this backup' }).getByRole('listitem');
  await expect(copies).toHaveCount(2);
  await expect(copies.nth(0).locator('.badge')).toHaveText('verified');
  await expect(copies.nth(1).locator('.badge')).toHaveText('failed');
  await expect(copies.nth(1)).toContainText('All configured authentication methods failed');

  for (const [width, height] of [
    [1280, 800],
    [900, 650],
  ] as const) {
    await page.setViewportSize({ width, height });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const shot = (name: string) => page.screenshot({ path: path.join(SCREENS_DIR, `${name}-${width}x${height}-${scheme}.png`) });

      await openScreen(page, 'dashboard', 'Dashboard');
      await expect(offsite).toBeVisible();
      await offsite.scrollIntoViewIfNeeded();
      await shot('offsite-dashboard');

      await openDestinations(page, shop.name);
      await page.waitForTimeout(150);
      await shot('offsite-editor-copies');
      await page.getByRole('button', { name: 'Edit copy 1' }).click();
      await page.getByRole('group', { name: 'Copy 1' }).scrollIntoViewIfNeeded();
      await shot('offsite-editor-s3');
      await page.getByRole('button', { name: 'Edit copy 2' }).click();
      await page.getByRole('group', { name: 'Copy 2' }).scrollIntoViewIfNeeded();
      await shot('offsite-editor-sftp');
      await page.getByRole('button', { name: 'Cancel' }).click();

      await page.goto(`/#/history?job=${newestShopBackup}`);
      await expect(panel.getByRole('list', { name: 'Copies of this backup' })).toBeVisible();
      await panel.getByRole('list', { name: 'Copies of this backup' }).scrollIntoViewIfNeeded();
      await shot('offsite-history-copies');
    }
  }
});
