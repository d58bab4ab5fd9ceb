/**
 * Real backup jobs through the real engine tell the desktop and the channels: a plan whose folder
 * does not exist fails, and its failure reaches the desktop (a recording Notifier: the one fake,
 * standing in for the OS notification center), a webhook, Slack, Telegram and e-mail receivers on
 * loopback; successes go only where asked; a dead channel is audited and the job is unaffected;
 * jobs a crash left running are reported at the next start; no secret travels anywhere.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLifeboatCore } from '../../../src/main/core/lifeboat';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import { MemorySecretStore, type Notifier } from '../../../src/main/core/ports';
import type { InvokeChannel, InvokeRequest, InvokeResponses } from '../../../src/shared/ipc-contract';
import type { JobSummary } from '../../../src/shared/job';
import type { AlertEntry, NotificationPayload } from '../../../src/shared/notify';
import type { Plan } from '../../../src/shared/plan';
import { FAST_CONTAINER, PASSPHRASE, planInput } from '../../support/backup-fixtures';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { closedPort, startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from './receivers';

type Desktop = Parameters<Notifier['notify']>[0];

const SMTP_USER = 'backup-bot';
const SMTP_PASSWORD = 'smtp-secret-0b7d';
const HOOK_SECRET = 'Token webhook-secret-6a1f';
const SLACK_PATH = '/services/T9/B9/slack-secret-c3e0';
const BOT_TOKEN = '987654321:ZZbot-secret-token-k2';
const SECRETS = [SMTP_PASSWORD, HOOK_SECRET, 'webhook-secret-6a1f', 'slack-secret-c3e0', BOT_TOKEN, 'ZZbot-secret', PASSPHRASE];

let http: HttpReceiver;
let smtp: SmtpReceiver;
let work: string;
let core: ReturnType<typeof makeTestCore>;
const desktop: Desktop[] = [];
const raised: AlertEntry[] = [];
let deadChannelId: string;

async function call<K extends InvokeChannel>(channel: K, request?: InvokeRequest<K>): Promise<InvokeResponses[K]> {
  const reply = await dispatch(core.handlers, channel, request);
  if (!reply.ok) throw new Error(`${channel}: ${reply.error.code}: ${reply.error.message}`);
  return reply.value;
}

async function runToEnd(plan: Plan): Promise<JobSummary> {
  const job = core.startPlanBackup(plan, 'manual');
  const final = await core.runner.wait(job.id);
  await core.notifications.idle();
  return final;
}

const payloads = () => http.requests.filter((r) => r.path.startsWith('/hook')).map((r) => r.json as NotificationPayload);
const slackTexts = () => http.requests.filter((r) => r.path === SLACK_PATH).map((r) => (r.json as { text: string }).text);
const telegramTexts = () => http.requests.filter((r) => r.path.includes('/sendMessage')).map((r) => (r.json as { text: string }).text);

function expectNoSecrets(label: string, text: string): void {
  for (const secret of SECRETS) expect(text.includes(secret), `${label} holds the secret ${secret}`).toBe(false);
}

beforeAll(async () => {
  http = await startHttpReceiver();
  smtp = await startSmtpReceiver(SMTP_USER, SMTP_PASSWORD);
  work = makeTempDir('lifeboat-notify-');
  core = makeTestCore({
    notifier: { notify: (m) => desktop.push(m) },
    containerOptions: FAST_CONTAINER,
    notifications: { timeoutMs: 3000, overdueCheckIntervalMs: 0 },
  });
  core.events.on('alerts/raised', (a) => raised.push(a));
  await call('notify/save-channel', {
    channel: { name: 'Webhook', config: { kind: 'webhook', url: `${http.url}/hook` } },
    secret: HOOK_SECRET,
  });
  await call('notify/save-channel', {
    channel: { name: 'Slack', onSuccess: true, config: { kind: 'slack' } },
    secret: `${http.url}${SLACK_PATH}`,
  });
  await call('notify/save-channel', {
    channel: { name: 'Telegram', config: { kind: 'telegram', chatId: '777', baseUrl: http.url } },
    secret: BOT_TOKEN,
  });
  await call('notify/save-channel', {
    channel: {
      name: 'E-mail',
      config: {
        kind: 'email',
        host: smtp.host,
        port: smtp.port,
        security: 'none',
        user: SMTP_USER,
        from: 'lifeboat@example.test',
        to: ['admin@example.test'],
      },
    },
    secret: SMTP_PASSWORD,
  });
  const port = await closedPort();
  deadChannelId = (
    await call('notify/save-channel', {
      channel: { name: 'Dead hook', onSuccess: true, config: { kind: 'webhook', url: `http://127.0.0.1:${port}/gone` } },
    })
  ).id;
  await call('notify/save-channel', {
    channel: { name: 'Disabled', enabled: false, onSuccess: true, config: { kind: 'webhook', url: `${http.url}/disabled` } },
  });
});

afterAll(async () => {
  await core?.cleanup();
  await http?.close();
  await smtp?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function savePlan(name: string, folder: string): Promise<Plan> {
  const destination = path.join(work, `${name}-dest`);
  fs.mkdirSync(destination, { recursive: true });
  return call('plans/save', {
    plan: planInput({ name, destination, folders: [{ id: 'docs', path: folder }] }),
    secrets: { dbPasswords: {}, passphrase: PASSPHRASE },
  });
}

describe('a failing backup', () => {
  let plan: Plan;
  let failed: JobSummary;
  const missing = () => path.join(work, 'no-such-folder');

  beforeAll(async () => {
    plan = await savePlan('Missing docs', missing());
    failed = await runToEnd(plan);
  });

  it('fails as the engine says, whatever the channels do', () => {
    expect(failed.status).toBe('failed');
    expect(failed.errorCode).toBe('FOLDER_MISSING');
  });

  it('shows a desktop notification that opens the job', () => {
    // (a low-disk alert about the same job may come too, on a nearly full test machine)
    const shown = desktop.filter((m) => m.jobId === failed.id && m.title.startsWith('Backup'));
    expect(shown).toEqual([
      { title: 'Backup failed: Missing docs', body: expect.stringContaining('The folder does not exist'), jobId: failed.id, level: 'error' },
    ]);
  });

  it('POSTs event job.failed with the job, the plan and the error to the webhook', () => {
    const [payload] = payloads().filter((p) => p.event === 'job.failed' && p.job?.id === failed.id);
    expect(payload).toMatchObject({
      version: 1,
      event: 'job.failed',
      title: 'Backup failed: Missing docs',
      plan: { id: plan.id, name: 'Missing docs' },
      job: { id: failed.id, kind: 'backup', status: 'failed', trigger: 'manual', errorCode: 'FOLDER_MISSING' },
      alert: null,
    });
    expect(payload.message).toContain(failed.displayMessage!);
    expect(payload.message).toContain(missing());
    const request = http.requests.find((r) => r.path === '/hook')!;
    expect(request.method).toBe('POST');
    expect(request.headers.authorization).toBe(HOOK_SECRET);
  });

  it('sends it to Slack, Telegram and e-mail, naming the plan and the error', () => {
    expect(slackTexts().some((t) => t.includes('Backup failed: Missing docs') && t.includes('The folder does not exist'))).toBe(true);
    expect(telegramTexts().some((t) => t.includes('Backup failed: Missing docs') && t.includes('FOLDER_MISSING'))).toBe(true);
    const mail = smtp.messages.find((m) => m.subject.includes('Missing docs'))!;
    expect(mail).toBeDefined();
    expect(mail.from).toBe('lifeboat@example.test');
    expect(mail.to).toEqual(['admin@example.test']);
    expect(mail.subject).toBe('[Lifeboat] Backup failed: Missing docs');
    expect(mail.text).toContain('Plan: Missing docs');
    expect(mail.text).toContain('The folder does not exist');
    expect(mail.text).toContain(missing());
    expect(mail.text).toContain('Error code: FOLDER_MISSING');
  });

  it('skips disabled channels and audits the dead one (NOTIFY_FAILED), never with a secret', () => {
    expect(http.requests.some((r) => r.path === '/disabled')).toBe(false);
    const entry = core.audit
      .list(1, 500)
      .items.find((e) => e.action === 'notify.failed' && e.target === deadChannelId && e.details?.includes(failed.id));
    expect(entry).toBeDefined();
    expect(JSON.parse(entry!.details!)).toMatchObject({ channelId: deadChannelId, code: 'NOTIFY_FAILED', event: 'job.failed', jobId: failed.id });
  });

  it('raises a consecutive-failures alert on the second failure in a row, everywhere', async () => {
    const second = await runToEnd(plan);
    expect(second.status).toBe('failed');
    const alert = raised.find((a) => a.kind === 'consecutive-failures');
    expect(alert).toMatchObject({ planId: plan.id, jobId: second.id });
    expect((await call('alerts/list', { page: 1, pageSize: 50 })).items).toContainEqual(alert);
    const [payload] = payloads().filter((p) => p.event === 'alert' && p.alert?.kind === 'consecutive-failures');
    expect(payload).toMatchObject({ plan: { id: plan.id, name: 'Missing docs' }, job: { id: second.id } });
    expect(payload.message).toContain('failed 2 runs in a row');
    expect(desktop.some((m) => m.title === 'Failing repeatedly: Missing docs' && m.jobId === second.id)).toBe(true);
  });
});

describe('a successful backup', () => {
  let plan: Plan;

  beforeAll(async () => {
    const folder = path.join(work, 'docs');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'readme.txt'), 'hello\n');
    plan = await savePlan('Docs', folder);
  });

  it('is told only to channels with onSuccess, and not to the desktop unless the setting is on', async () => {
    expect((await call('settings/get')).notifyOnSuccess).toBe(false);
    const ok = await runToEnd(plan);
    expect(ok.status).toBe('success');
    expect(desktop.filter((m) => m.jobId === ok.id && m.title.startsWith('Backup'))).toEqual([]);
    expect(payloads().some((p) => p.job?.id === ok.id && p.event !== 'alert')).toBe(false);
    expect(telegramTexts().some((t) => t.includes(ok.id))).toBe(false);
    expect(smtp.messages.some((m) => m.text.includes(ok.id))).toBe(false);
    expect(slackTexts().some((t) => t.startsWith('Backup finished: Docs'))).toBe(true);
    // the dead channel wanted successes too: its failure is audited, the job stays a success
    expect(core.audit.list(1, 500).items.some((e) => e.action === 'notify.failed' && e.details?.includes(ok.id))).toBe(true);
    expect(core.jobs.get(ok.id)!.status).toBe('success');

    await call('settings/set', { notifyOnSuccess: true });
    const again = await runToEnd(plan);
    expect(desktop.filter((m) => m.jobId === again.id && m.title.startsWith('Backup'))).toEqual([
      { title: 'Backup finished: Docs', body: expect.stringContaining('Backed up 1 source.'), jobId: again.id, level: 'info' },
    ]);
  });
});

describe('after a crash', () => {
  it('reports the jobs the next start marks interrupted', async () => {
    const dataDir = makeTempDir('lifeboat-notify-crash-');
    const secrets = new MemorySecretStore();
    const first = createLifeboatCore({ dataDir, appVersion: '0.0.0-test', secrets, notifications: { overdueCheckIntervalMs: 0 } });
    await dispatch(first.handlers, 'notify/save-channel', {
      channel: { name: 'Webhook', config: { kind: 'webhook', url: `${http.url}/hook-crash` } },
    });
    // a job the process was running when it died
    first.jobs.create({ id: 'crashed-job', kind: 'backup', planId: null, planName: 'Crashy', trigger: 'scheduled', startedAt: new Date().toISOString() });
    first.jobs.markRunning('crashed-job', null);
    await first.close();

    const seen: Desktop[] = [];
    const second = makeTestCore({ dataDir, secrets, notifier: { notify: (m) => seen.push(m) }, notifications: { overdueCheckIntervalMs: 0 } });
    try {
      await second.notifications.idle();
      expect(seen).toEqual([expect.objectContaining({ title: 'Backup was interrupted: Crashy', jobId: 'crashed-job', level: 'error' })]);
      const [request] = await http.waitFor(1, (r) => r.path === '/hook-crash');
      expect(request.json).toMatchObject({ event: 'job.failed', job: { id: 'crashed-job', status: 'interrupted' } });
    } finally {
      await second.cleanup();
    }
  });
});

describe('secrets', () => {
  it('appear in no payload, e-mail, desktop notification, alert, job or audit entry', async () => {
    for (const request of http.requests) expectNoSecrets(`request body to ${request.path.replace(BOT_TOKEN, '<token>')}`, request.body);
    for (const mail of smtp.messages) expectNoSecrets('e-mail', mail.raw);
    expectNoSecrets('desktop notifications', JSON.stringify(desktop));
    expectNoSecrets('alerts', JSON.stringify(await call('alerts/list', { page: 1, pageSize: 200 })));
    expectNoSecrets('jobs', JSON.stringify(core.catalog.prepare('SELECT * FROM jobs').all()));
    expectNoSecrets('audit log', JSON.stringify(core.catalog.prepare('SELECT * FROM audit_log').all()));
    expectNoSecrets('channels', JSON.stringify(await call('notify/list-channels')));
    expectNoSecrets('catalog channels', JSON.stringify(core.catalog.prepare('SELECT * FROM notification_channels').all()));
  });
});
