/**
 * Notifications end to end: a failing backup reaches the dashboard, the desktop (the recording
 * Notifier: the OS notification center cannot exist here) and a real webhook server; the
 * notification settings add channels, send tests and show delivery errors.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { dispatch } from '../../src/main/core/ipc/dispatch';
import { expect, test } from './support/fixtures';
import { seedPlan } from './support/seed';
import { closedPort, startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

let receiver: WebhookReceiver;
test.beforeEach(async () => {
  receiver = await startWebhookReceiver();
});
test.afterEach(async () => {
  await receiver.close();
});

test('a failing plan shows on the dashboard, on the desktop and at the webhook; failing twice raises an alert', async ({
  page,
  core,
  desktopNotifications,
}) => {
  const missing = path.join(core.dataDir, 'no-such-folder');
  const plan = seedPlan(core, {
    name: 'Broken share',
    folders: [{ id: randomUUID(), path: missing }],
    options: { destination: path.join(core.dataDir, 'backups'), encrypt: false, retries: { count: 0, backoffSeconds: 1 } },
  });
  const saved = await dispatch(core.handlers, 'notify/save-channel', {
    channel: { name: 'Ops webhook', config: { kind: 'webhook', url: receiver.url } },
  });
  expect(saved.ok).toBe(true);

  await page.goto('/#/dashboard');
  const row = page.getByRole('table', { name: 'Last result per plan' }).getByRole('row', { name: /Broken share/ });
  await expect(row).toContainText('never run');
  await row.getByRole('button', { name: 'Run now' }).click();

  // the dashboard: the result and the failure with the message that names the fix
  await expect(row.locator('.badge')).toHaveText('failed');
  const failures = page.getByRole('region', { name: 'Recent failures' });
  await expect(failures.getByRole('listitem')).toHaveCount(1);
  await expect(failures.getByRole('listitem').first()).toContainText('Broken share');
  await expect(failures.getByRole('listitem').first()).toContainText('The folder does not exist');
  await expect(page.getByRole('group', { name: 'Success rate' })).toContainText('0%');

  const [job] = core.jobs.list({ planId: plan.id }, 1, 1).items;
  expect(job).toMatchObject({ status: 'failed', errorCode: 'FOLDER_MISSING' });

  // the desktop notification: an error, naming the plan, carrying the job to open on click
  await expect.poll(() => desktopNotifications.find((n) => n.jobId === job.id) ?? null).toMatchObject({
    level: 'error',
    title: expect.stringContaining('Broken share'),
    body: expect.stringContaining('The folder does not exist'),
    jobId: job.id,
  });

  // the webhook: the JSON payload of a failed job
  await expect.poll(() => receiver.received.filter((r) => r.body.event === 'job.failed').length).toBe(1);
  const hook = receiver.received.find((r) => r.body.event === 'job.failed')!;
  expect(hook.method).toBe('POST');
  expect(hook.headers['content-type']).toMatch(/^application\/json/);
  expect(hook.body).toMatchObject({
    version: 1,
    event: 'job.failed',
    plan: { id: plan.id, name: 'Broken share' },
    job: { id: job.id, kind: 'backup', status: 'failed', errorCode: 'FOLDER_MISSING' },
    source: { app: 'Lifeboat' },
    // what to do, with the plan field to correct and the job to open
    whatToDo: expect.arrayContaining([
      'Check the path in the plan and its permissions.',
      expect.stringContaining('Correct the path of folder 1 in the plan'),
      expect.stringContaining(`job ${job.id}`),
    ]),
  });

  // a second failure in a row raises an alert, which appears at once (pushed)
  const alerts = page.getByRole('list', { name: 'Recent alerts' });
  await expect(page.getByRole('region', { name: 'Recent alerts' })).toContainText('No alerts');
  await expect(row.getByRole('button', { name: 'Run now' })).toBeEnabled();
  await row.getByRole('button', { name: 'Run now' }).click();
  await expect(alerts.getByRole('listitem')).toHaveCount(1);
  await expect(alerts.getByRole('listitem').first()).toContainText('Failing repeatedly');
  await expect(alerts.getByRole('listitem').first()).toContainText('Broken share');
  await expect.poll(() => receiver.received.map((r) => r.body.event).sort()).toEqual(['alert', 'job.failed', 'job.failed']);

  // clicking the desktop notification opens the job (main pushes app/open-job)
  core.events.emit('app/open-job', { jobId: job.id });
  await expect(page).toHaveURL(new RegExp(`#/history\\?job=${job.id}$`));
  await expect(page.getByRole('complementary', { name: 'Job details' })).toContainText(job.id);
});

test('notification settings: add a webhook channel, send a test, see a delivery error', async ({ page, core }) => {
  await page.goto('/#/settings');
  const notifications = page.getByRole('region', { name: 'Notifications' });
  await expect(notifications).toContainText('No channels yet');

  await notifications.getByRole('button', { name: 'Add channel' }).click();
  const form = page.getByRole('form', { name: 'New channel' });
  // nothing filled in: the form says what is missing
  await form.getByRole('button', { name: 'Add channel' }).click();
  await expect(form.locator('.field-error', { hasText: 'Enter a name for the channel' })).toBeVisible();
  await expect(form.getByLabel('Webhook URL')).toHaveAttribute('aria-invalid', 'true');

  await form.getByLabel('Channel name').fill('Ops webhook');
  await form.getByLabel('Webhook URL').fill(receiver.url);
  await form.getByLabel('Header value').fill('Bearer hook-secret-123');
  await page.screenshot({ path: '/tmp/lifeboat-ui4-notifications-form.png' });
  await form.getByRole('button', { name: 'Add channel' }).click();

  const channels = page.getByRole('list', { name: 'Notification channels' });
  const ops = channels.getByRole('listitem', { name: 'Ops webhook' });
  await expect(ops).toContainText(`POST ${receiver.url}`);
  await expect(ops).toContainText('enabled');
  const [saved] = core.notifications.channels.list();
  expect(saved).toMatchObject({ name: 'Ops webhook', kind: 'webhook', hasSecret: true, onSuccess: false });
  // the header value is a secret: in the keychain, not in the catalog
  expect(JSON.stringify(core.catalog.prepare('SELECT * FROM notification_channels').all())).not.toContain('hook-secret-123');

  await page.screenshot({ path: '/tmp/lifeboat-ui4-notifications.png', fullPage: true });

  await ops.getByRole('button', { name: 'Send test' }).click();
  await expect(ops.getByRole('status')).toHaveText('Test message delivered.');
  expect(receiver.received).toHaveLength(1);
  expect(receiver.received[0].body).toMatchObject({ event: 'test', title: 'Lifeboat test notification', plan: null, job: null });
  expect(receiver.received[0].headers.authorization).toBe('Bearer hook-secret-123');

  // a channel to a port where nothing listens: the error says why
  const port = await closedPort();
  await notifications.getByRole('button', { name: 'Add channel' }).click();
  await page.getByRole('form', { name: 'New channel' }).getByLabel('Channel name').fill('Dead end');
  await page.getByRole('form', { name: 'New channel' }).getByLabel('Webhook URL').fill(`http://127.0.0.1:${port}/hook`);
  await page.getByRole('form', { name: 'New channel' }).getByRole('button', { name: 'Add channel' }).click();
  const dead = channels.getByRole('listitem', { name: 'Dead end' });
  await dead.getByRole('button', { name: 'Send test' }).click();
  const error = dead.getByRole('alert');
  await expect(error).toContainText('NOTIFY_FAILED');
  await expect(error).toContainText(`127.0.0.1:${port} refused the connection`);
  await page.screenshot({ path: '/tmp/lifeboat-ui4-notifications-error.png', fullPage: true });

  // edit: turn on success messages; the stored secret stays
  await ops.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('form', { name: 'Edit channel Ops webhook' });
  await expect(edit.getByLabel('Header value')).toHaveAttribute('placeholder', 'stored in keychain');
  await edit.getByLabel('Also on success').check();
  await edit.getByRole('button', { name: 'Save channel' }).click();
  await expect(ops).toContainText('also on success');
  expect(core.notifications.channels.get(saved.id)).toMatchObject({ onSuccess: true, hasSecret: true });

  // delete, after a confirmation
  await dead.getByRole('button', { name: 'Delete' }).click();
  await dead.getByRole('button', { name: 'Confirm delete' }).click();
  await expect(channels.getByRole('listitem')).toHaveCount(1);
  expect(core.audit.list(1, 50).items.map((e) => e.action)).toEqual(
    expect.arrayContaining(['notify.channel-create', 'notify.test', 'notify.channel-update', 'notify.channel-delete']),
  );
});

test('desktop settings: notify on success is saved; start at login needs the desktop app', async ({ page, core }) => {
  await page.goto('/#/settings');
  const onSuccess = page.getByLabel('Notify on success too');
  await expect(onSuccess).not.toBeChecked();
  await onSuccess.check();
  await expect.poll(() => core.notifications.getSettings().notifyOnSuccess).toBe(true);
  await expect(onSuccess).toBeChecked();

  const startMinimized = page.getByLabel('Start minimised to the tray');
  await expect(startMinimized).toBeChecked();
  await startMinimized.uncheck();
  await expect.poll(() => core.settings.get('desktop.startMinimized', true)).toBe(false);

  // this browser test has no OS login item (the desktop app passes one): the error says so
  const startAtLogin = page.getByLabel('Start Lifeboat when I log in');
  await startAtLogin.click();
  const login = page.getByRole('region', { name: 'Start at login' });
  await expect(login.getByRole('alert')).toContainText('only be changed in the Lifeboat desktop app');
  await expect(startAtLogin).not.toBeChecked();
});

test('an e-mail channel keeps its SMTP password in the keychain; a Telegram channel needs its bot token', async ({ page, core }) => {
  await page.goto('/#/settings');
  await page.getByRole('button', { name: 'Add channel' }).click();
  const form = page.getByRole('form', { name: 'New channel' });
  await form.getByLabel('Channel name').fill('Admins by mail');
  await form.getByLabel('Type').selectOption('email');
  await form.getByLabel('SMTP host').fill('smtp.example.com');
  await expect(form.getByLabel('Port')).toHaveValue('587');
  await form.getByLabel('Security').selectOption('tls');
  await expect(form.getByLabel('Port')).toHaveValue('465');
  await form.getByLabel('User name').fill('backup');
  await form.getByLabel('From').fill('Lifeboat <backup@example.com>');
  await form.getByLabel('To', { exact: true }).fill('admin@example.com, not-an-address');
  await form.getByRole('button', { name: 'Add channel' }).click();
  // a user name needs its password; a recipient must be an address
  await expect(form.locator('.field-error', { hasText: 'Enter the password for this user' })).toBeVisible();
  await expect(form.getByLabel('To', { exact: true })).toHaveAttribute('aria-invalid', 'true');

  await form.getByLabel('To', { exact: true }).fill('admin@example.com, oncall@example.com');
  await form.getByLabel('Password').fill('smtp-pass-987');
  await page.screenshot({ path: '/tmp/lifeboat-ui4-channel-email.png' });
  await form.getByRole('button', { name: 'Add channel' }).click();

  const mail = page.getByRole('list', { name: 'Notification channels' }).getByRole('listitem', { name: 'Admins by mail' });
  await expect(mail).toContainText('To admin@example.com, oncall@example.com via smtp.example.com:465');
  const [channel] = core.notifications.channels.list();
  expect(channel).toMatchObject({
    kind: 'email',
    hasSecret: true,
    config: { host: 'smtp.example.com', port: 465, security: 'tls', user: 'backup', from: 'Lifeboat <backup@example.com>', to: ['admin@example.com', 'oncall@example.com'] },
  });
  expect(await core.secrets.get(`notify:${channel.id}:secret`)).toBe('smtp-pass-987');
  expect(JSON.stringify(core.catalog.prepare('SELECT * FROM notification_channels').all())).not.toContain('smtp-pass-987');

  await page.getByRole('button', { name: 'Add channel' }).click();
  const telegram = page.getByRole('form', { name: 'New channel' });
  await telegram.getByLabel('Channel name').fill('Ops chat');
  await telegram.getByLabel('Type').selectOption('telegram');
  await telegram.getByLabel('Chat id').fill('-1001234567890');
  await telegram.getByRole('button', { name: 'Add channel' }).click();
  await expect(telegram.locator('.field-error', { hasText: 'Enter the bot token' })).toBeVisible();
  expect(core.notifications.channels.list()).toHaveLength(1);
});
