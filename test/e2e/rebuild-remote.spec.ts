/**
 * Rebuild catalog from an off-site destination (issue 15), in the Restore screen against the
 * real handlers and real servers:
 * - S3 (s3rver): two real backups and a broken object uploaded under a prefix; a wrong secret
 *   shows the destination's DEST_AUTH_FAILED message and imports nothing; the right one imports
 *   both, lists them with their s3:// locations (and the broken one with its reason), and the
 *   catalog's table shows them;
 * - SFTP (sshd): the key file's Browse fills the field with the OS dialog's answer; the rebuild is
 *   refused with HOST_KEY_UNKNOWN, Test shows the fingerprint, Accept lets the rebuild through;
 * - axe over the form and its result, and screenshots at 1280x800 and 900x650 in both schemes
 *   (test-results/screens/, or LIFEBOAT_E2E_SCREENS_DIR).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { openDestination } from '../../src/main/core/destinations/open';
import { destinationSchema, type DestinationConfig } from '../../src/shared/destination';
import { ERROR_MESSAGES } from '../../src/shared/errors';
import { startS3Server, type S3TestServer } from '../support/s3-server';
import { startSftpServer } from '../support/sftp-server';
import { PASSPHRASE, backupElsewhere, makeProject, makeTempDir } from './support/backups';
import { PICKED_KEY_FILE, expect, test } from './support/fixtures';
import { openScreen } from './support/screens';

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const SCREENS_DIR = process.env.LIFEBOAT_E2E_SCREENS_DIR ?? path.resolve('test-results/screens');
const BUCKET = 'lifeboat-offsite';
const PREFIX = 'offsite/shop';
const SIZES = [
  [1280, 800],
  [900, 650],
] as const;

let work: string;

test.beforeEach(() => {
  work = makeTempDir('lifeboat-e2e-rebuild-remote-');
  fs.mkdirSync(SCREENS_DIR, { recursive: true });
});

test.afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

async function expectNoViolations(page: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const summary = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(' | ')}`);
  expect(summary, `${what}: axe violations`).toEqual([]);
}

/** Screenshots of `target` (scrolled to `block` of the content pane) at the given sizes, in both schemes; the window is put back after. */
async function shots(page: Page, name: string, target: Locator, sizes: readonly (readonly [number, number])[] = SIZES, block: 'start' | 'center' = 'start'): Promise<void> {
  const before = page.viewportSize();
  for (const [width, height] of sizes) {
    await page.setViewportSize({ width, height });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await target.evaluate((el, b) => el.scrollIntoView({ block: b }), block);
      await page.screenshot({ path: path.join(SCREENS_DIR, `${name}-${width}x${height}-${scheme}.png`) });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  if (before) await page.setViewportSize(before);
}

/** Two backups made on "other machines" (encrypted with PASSPHRASE), not in the test's catalog. */
async function twoBackups(): Promise<{ laptop: string; server: string }> {
  const project = path.join(work, 'project');
  makeProject(project);
  const laptop = await backupElsewhere({ name: 'From the laptop', folders: [project], destination: path.join(work, 'laptop') });
  const server = await backupElsewhere({ name: 'From the server', folders: [project], destination: path.join(work, 'server') });
  return { laptop, server };
}

/** Writes local files to a destination under the given keys, as a plan's copies would have put them there. */
async function upload(config: DestinationConfig, secret: string | null, files: Record<string, string | Buffer>): Promise<void> {
  const dest = await openDestination(config, { secret });
  try {
    for (const [key, file] of Object.entries(files)) {
      const data = Buffer.isBuffer(file) ? file : fs.readFileSync(file);
      await dest.write(key, Readable.from([data]), { size: data.length });
    }
  } finally {
    await dest.close();
  }
}

/** The Restore screen's Rebuild catalog, switched to an off-site destination. */
async function openRebuildFromDestination(page: Page): Promise<Locator> {
  await openScreen(page, 'restore', 'Restore');
  await page.getByRole('form', { name: 'Rebuild the catalog from a folder' }).getByLabel('From an off-site destination').check();
  const form = page.getByRole('form', { name: 'Rebuild the catalog from an off-site destination' });
  await expect(form.getByRole('group', { name: 'Off-site destination' })).toBeVisible();
  return form;
}

test('a catalog rebuilt from an S3 prefix: a wrong secret imports nothing, the right one imports both backups with their s3:// locations', async ({ page, core }) => {
  test.setTimeout(180_000);
  const { laptop, server } = await twoBackups();
  let s3: S3TestServer | null = null;
  try {
    s3 = await startS3Server({ buckets: [BUCKET] });
    const config = destinationSchema.parse({
      id: 'seed',
      kind: 's3',
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: BUCKET,
      prefix: PREFIX,
      forcePathStyle: true,
      credentials: 'keychain',
      accessKeyId: s3.accessKeyId,
    });
    const keys = { laptop: `laptop/${path.basename(laptop)}`, server: `server/nightly/${path.basename(server)}` };
    await upload(config, s3.secretAccessKey, {
      [keys.laptop]: laptop,
      [keys.server]: server,
      'broken.lifeboat': Buffer.from('not really a backup'),
      'notes.txt': Buffer.from('not a backup at all'),
    });
    const url = (key: string) => `s3://${BUCKET}/${PREFIX}/${key}`;

    await page.setViewportSize({ width: 1280, height: 800 });
    const form = await openRebuildFromDestination(page);
    // S3 is the first kind offered; the folder's field is gone
    await expect(form.getByLabel('Kind of destination')).toHaveValue('s3');
    await expect(form.getByLabel('Folder with .lifeboat files')).toHaveCount(0);
    // nothing typed yet: the form names what is missing, and nothing is asked of main
    await form.getByRole('button', { name: 'Rebuild catalog' }).click();
    await expect(form.getByLabel('Bucket', { exact: true })).toBeFocused();
    await expect(form).toContainText('Enter the bucket name');
    await expect(form).toContainText('Enter the secret access key');

    await form.getByLabel('Bucket', { exact: true }).fill(BUCKET);
    await form.getByLabel('Prefix', { exact: true }).fill(PREFIX);
    await form.getByLabel('Endpoint', { exact: true }).fill(s3.endpoint);
    await form.getByLabel('Path-style URLs').check();
    await form.getByLabel('Access key id').fill(s3.accessKeyId);
    await form.getByLabel('Secret access key').fill('not-the-secret');
    await expect(form.getByLabel('Secret access key')).toHaveAttribute('type', 'password');
    await form.getByLabel('Passphrase (encrypted backups)').fill(PASSPHRASE);
    await expect(form).not.toContainText('Enter the bucket name');
    await expectNoViolations(page, 'the rebuild form, destination mode');
    await shots(page, 'rebuild-remote-form', page.getByRole('heading', { level: 2, name: 'Rebuild the catalog' }));

    // a wrong secret: the destination's own error, and nothing imported
    await form.getByRole('button', { name: 'Rebuild catalog' }).click();
    const alert = form.getByRole('alert');
    await expect(alert).toContainText('DEST_AUTH_FAILED', { timeout: 30_000 });
    await expect(alert).toContainText(ERROR_MESSAGES.DEST_AUTH_FAILED);
    await expect(alert).not.toContainText('not-the-secret');
    await expect(form.getByRole('status')).toHaveCount(0);
    expect(core.jobs.all({ kind: 'backup' })).toHaveLength(0);
    await shots(page, 'rebuild-remote-auth-failed', alert, [[1280, 800]], 'center');

    // the right secret: both backups imported, listed with their s3:// locations
    await form.getByLabel('Secret access key').fill(s3.secretAccessKey);
    await form.getByRole('button', { name: 'Rebuild catalog' }).click();
    const summary = form.getByRole('status').filter({ hasText: 'imported' });
    await expect(summary).toContainText(/2\s*imported,\s*0\s*already in the catalog,\s*1\s*could not be read from s3:\/\/lifeboat-offsite\/offsite\/shop\./, {
      timeout: 60_000,
    });
    await expect(form.getByRole('alert')).toHaveCount(0);
    const imported = summary.getByRole('list', { name: 'Imported' }).getByRole('listitem');
    await expect(imported).toHaveCount(2);
    await expect(imported.filter({ hasText: url(keys.laptop) })).toHaveCount(1);
    await expect(imported.filter({ hasText: url(keys.server) })).toHaveCount(1);
    const failed = summary.getByRole('list', { name: 'Could not be read' }).getByRole('listitem');
    await expect(failed).toHaveCount(1);
    await expect(failed).toContainText(url('broken.lifeboat'));
    // only .lifeboat objects are read
    await expect(summary).not.toContainText('notes.txt');

    // in the catalog, at their remote locations
    const jobs = core.jobs.all({ kind: 'backup' });
    expect(jobs.map((j) => j.filePath).sort()).toEqual([url(keys.laptop), url(keys.server)].sort());
    const rows = page.getByRole('table', { name: 'Backups' }).locator('tbody tr');
    await expect(rows).toHaveCount(2);
    for (const key of [keys.laptop, keys.server]) {
      await expect(rows.locator(`[title="${url(key)}"]`)).toHaveCount(1);
    }
    await expectNoViolations(page, 'the rebuild result');
    await shots(page, 'rebuild-remote-result', summary, SIZES, 'center');

    // again: both already known, nothing imported twice
    await form.getByRole('button', { name: 'Rebuild catalog' }).click();
    await expect(form.getByRole('status').filter({ hasText: 'imported' })).toContainText(/0\s*imported,\s*2\s*already in the catalog/, { timeout: 60_000 });
    await expect(form.getByRole('list', { name: 'Already in the catalog' }).getByRole('listitem')).toHaveCount(2);
    expect(core.jobs.all({ kind: 'backup' })).toHaveLength(2);
  } finally {
    await s3?.close();
  }
});

test('a catalog rebuilt from an SFTP server: the key file is browsed for, the unknown host key is seen with Test and accepted', async ({ page, core }) => {
  test.setTimeout(180_000);
  const project = path.join(work, 'project');
  makeProject(project);
  const backup = await backupElsewhere({ name: 'From the laptop', folders: [project], destination: path.join(work, 'laptop') });
  const server = await startSftpServer();
  try {
    const remote = path.join(server.root, 'lifeboat');
    const config = destinationSchema.parse({
      id: 'seed',
      kind: 'sftp',
      host: server.host,
      port: server.port,
      user: server.user,
      path: remote,
      auth: 'key',
      keyFile: server.userKeyFile,
      hostKey: server.hostKeyFingerprint,
    });
    await upload(config, null, { [`laptop/${path.basename(backup)}`]: backup });
    const backupUrl = `sftp://${server.user}@${server.host}:${server.port}${remote}/laptop/${path.basename(backup)}`;

    await page.setViewportSize({ width: 1280, height: 800 });
    const form = await openRebuildFromDestination(page);
    await form.getByLabel('Kind of destination').selectOption('sftp');
    await form.getByLabel('Host', { exact: true }).fill(server.host);
    await form.getByLabel('Port', { exact: true }).fill(String(server.port));
    await form.getByLabel('User', { exact: true }).fill(server.user);
    await form.getByLabel('Remote folder').fill(remote);
    // the OS dialog picks any file for the key (the browser's fake answers PICKED_KEY_FILE for kind key-file)
    const keyFile = form.getByLabel('Private key file', { exact: true });
    await form.getByRole('button', { name: 'Browse for the private key file of the destination' }).click();
    await expect(keyFile).toHaveValue(PICKED_KEY_FILE);
    await keyFile.fill(server.userKeyFile);
    await form.getByLabel('Passphrase (encrypted backups)').fill(PASSPHRASE);
    await expect(form.getByRole('group', { name: 'Host key' })).toContainText('Not accepted yet');

    // the server's key is not known: refused, and the form says how to accept it
    await form.getByRole('button', { name: 'Rebuild catalog' }).click();
    await expect(form.getByRole('alert')).toContainText('HOST_KEY_UNKNOWN', { timeout: 30_000 });
    await expect(form).toContainText('Use Test above');
    expect(core.jobs.all({ kind: 'backup' })).toHaveLength(0);

    await form.getByRole('button', { name: 'Test the destination' }).click();
    const result = form.getByRole('status', { name: 'Test result of the destination' });
    await expect(result).toContainText("This server's host key is not pinned yet.", { timeout: 30_000 });
    await expect(result.locator('.host-key-fingerprint')).toHaveText(server.hostKeyFingerprint);
    await expect(result).toContainText('it is used for this rebuild only');
    await expectNoViolations(page, 'the rebuild form, an unknown host key');
    await shots(page, 'rebuild-remote-sftp-host-key', result, [[1280, 800]], 'center');

    await result.getByRole('button', { name: 'Accept this host key' }).click();
    await expect(form.getByRole('group', { name: 'Host key' })).toContainText(server.hostKeyFingerprint);
    // the refusal is answered: its banner goes, and the test runs again through
    await expect(form.getByRole('alert')).toHaveCount(0);
    await expect(result).toContainText('Connected, wrote a test object, read it back and deleted it.', { timeout: 30_000 });

    await form.getByRole('button', { name: 'Rebuild catalog' }).click();
    const summary = form.getByRole('status').filter({ hasText: 'imported' });
    await expect(summary).toContainText(/1\s*imported,\s*0\s*already in the catalog,\s*0\s*could not be read/, { timeout: 60_000 });
    await expect(summary.getByRole('list', { name: 'Imported' }).getByRole('listitem')).toHaveText([backupUrl]);
    expect(core.jobs.all({ kind: 'backup' }).map((j) => j.filePath)).toEqual([backupUrl]);
    // Test's object is gone again: only the backup is there
    expect(fs.readdirSync(remote, { recursive: true }).map(String).sort()).toEqual(['laptop', path.join('laptop', path.basename(backup))]);
  } finally {
    await server.stop();
  }
});
