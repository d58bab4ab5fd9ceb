/**
 * "Send test" through the real handler map to real receivers on loopback: a webhook, Slack and
 * Telegram (HTTP) and e-mail (SMTP with a password). Failures end as NOTIFY_FAILED with an audit
 * entry, and no secret in any message, payload or log.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openCatalog } from '../../../src/main/core/catalog/catalog';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import type { InvokeChannel, InvokeRequest, InvokeResult } from '../../../src/shared/ipc-contract';
import type { NotificationPayload } from '../../../src/shared/notify';
import { makeTestCore } from '../../support/temp-core';
import { closedPort, startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from './receivers';

const SMTP_USER = 'lifeboat';
const SMTP_PASSWORD = 'smtp-pa55word-7f3a';
const HOOK_SECRET = 'Bearer hook-secret-91c2';
const SLACK_PATH = '/services/T0001/B0002/slack-secret-5d8e';
const BOT_TOKEN = '123456789:AAbot-secret-token_x9';

let http: HttpReceiver;
let smtp: SmtpReceiver;
let core: ReturnType<typeof makeTestCore>;

beforeAll(async () => {
  http = await startHttpReceiver();
  smtp = await startSmtpReceiver(SMTP_USER, SMTP_PASSWORD);
  core = makeTestCore({ notifications: { timeoutMs: 1500, overdueCheckIntervalMs: 0 } });
});

afterAll(async () => {
  await core?.cleanup();
  await http?.close();
  await smtp?.close();
});

beforeEach(() => {
  http.requests.length = 0;
  smtp.messages.length = 0;
  http.respond = () => ({ status: 200, body: { ok: true, result: {} } });
});

function call<K extends InvokeChannel>(channel: K, request?: InvokeRequest<K>): Promise<InvokeResult<K>> {
  return dispatch(core.handlers, channel, request);
}

async function save(request: InvokeRequest<'notify/save-channel'>): Promise<string> {
  const reply = await call('notify/save-channel', request);
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.value.id;
}

/** Everything that a user or an admin could read afterwards. */
function everythingStored(): string {
  return JSON.stringify([
    core.audit.list(1, 200),
    core.catalog.prepare('SELECT * FROM notification_channels').all(),
    core.catalog.prepare('SELECT * FROM settings').all(),
  ]);
}

function expectNoSecrets(text: string): void {
  for (const secret of [SMTP_PASSWORD, HOOK_SECRET, 'hook-secret-91c2', 'slack-secret-5d8e', BOT_TOKEN, 'AAbot-secret']) {
    expect(text.includes(secret), `secret ${secret} leaked`).toBe(false);
  }
}

describe('send test', () => {
  it('POSTs the documented JSON payload to a webhook, with the auth header from the keychain', async () => {
    const id = await save({
      channel: { name: 'Ops webhook', config: { kind: 'webhook', url: `${http.url}/hooks/lifeboat?team=ops` } },
      secret: HOOK_SECRET,
    });
    expect(await call('notify/test-channel', { id })).toEqual({ ok: true, value: { delivered: true } });
    expect(http.requests).toHaveLength(1);
    const [request] = http.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hooks/lifeboat?team=ops');
    expect(request.headers['content-type']).toMatch(/^application\/json/);
    expect(request.headers.authorization).toBe(HOOK_SECRET);
    expect(request.headers['user-agent']).toBe('Lifeboat/0.0.0-test');
    const payload = request.json as NotificationPayload;
    expect(payload).toMatchObject({
      version: 1,
      event: 'test',
      title: 'Lifeboat test notification',
      plan: null,
      job: null,
      alert: null,
      source: { app: 'Lifeboat', version: '0.0.0-test' },
    });
    expect(payload.message).toContain('"Ops webhook" works');
    expect(Date.parse(payload.at)).not.toBeNaN();
    expectNoSecrets(request.body);
    expectNoSecrets(everythingStored());
  });

  it('sends text and blocks to a Slack incoming webhook', async () => {
    const id = await save({ channel: { name: 'Slack #ops', config: { kind: 'slack' } }, secret: `${http.url}${SLACK_PATH}` });
    expect((await call('notify/test-channel', { id })).ok).toBe(true);
    const [request] = http.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(SLACK_PATH);
    const body = request.json as { text: string; blocks: { type: string }[] };
    expect(body.text).toContain('Lifeboat test notification');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context']);
    expectNoSecrets(everythingStored());
  });

  it('calls the Telegram Bot API sendMessage with chat_id and text', async () => {
    const id = await save({
      channel: { name: 'Bot', config: { kind: 'telegram', chatId: '-1001234567890', baseUrl: http.url } },
      secret: BOT_TOKEN,
    });
    expect((await call('notify/test-channel', { id })).ok).toBe(true);
    const [request] = http.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/bot${BOT_TOKEN}/sendMessage`);
    expect(request.json).toMatchObject({ chat_id: '-1001234567890', text: expect.stringContaining('Lifeboat test notification') });
    expectNoSecrets(request.body);
    expectNoSecrets(everythingStored());
  });

  it('reports what Telegram says when it refuses, without the token', async () => {
    http.respond = () => ({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
    const id = await save({
      channel: { name: 'Bad bot', config: { kind: 'telegram', chatId: '42', baseUrl: http.url } },
      secret: BOT_TOKEN,
    });
    const reply = await call('notify/test-channel', { id });
    expect(reply).toMatchObject({ ok: false, error: { code: 'NOTIFY_FAILED' } });
    if (reply.ok) return;
    expect(reply.error.message).toContain('Check the channel');
    expect(reply.error.message).toContain('Telegram answered HTTP 401: Unauthorized');
    expectNoSecrets(reply.error.message);
    expectNoSecrets(everythingStored());
  });

  it('sends an e-mail through SMTP with the password from the keychain', async () => {
    const id = await save({
      channel: {
        name: 'Mail the admins',
        config: {
          kind: 'email',
          host: smtp.host,
          port: smtp.port,
          security: 'none',
          user: SMTP_USER,
          from: 'Lifeboat <lifeboat@example.test>',
          to: ['admin@example.test', 'oncall@example.test'],
        },
      },
      secret: SMTP_PASSWORD,
    });
    expect(await call('notify/test-channel', { id })).toEqual({ ok: true, value: { delivered: true } });
    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail.user).toBe(SMTP_USER);
    expect(mail.from).toBe('lifeboat@example.test');
    expect(mail.to).toEqual(['admin@example.test', 'oncall@example.test']);
    expect(mail.subject).toBe('[Lifeboat] Lifeboat test notification');
    expect(mail.text).toContain('"Mail the admins" works');
    expectNoSecrets(mail.raw);
    expectNoSecrets(everythingStored());
  });

  it('fails with NOTIFY_FAILED when the SMTP server refuses the password', async () => {
    const id = await save({
      channel: {
        name: 'Wrong password',
        config: { kind: 'email', host: smtp.host, port: smtp.port, security: 'none', user: SMTP_USER, from: 'a@example.test', to: ['b@example.test'] },
      },
      secret: 'not-the-password-4e1',
    });
    const reply = await call('notify/test-channel', { id });
    expect(reply).toMatchObject({ ok: false, error: { code: 'NOTIFY_FAILED' } });
    if (reply.ok) return;
    expect(reply.error.message).toContain('refused the user name or password');
    expect(reply.error.message).not.toContain('not-the-password-4e1');
    expect(everythingStored()).not.toContain('not-the-password-4e1');
    expect(smtp.messages).toHaveLength(0);
  });

  it('fails with NOTIFY_FAILED and an audit entry when nothing listens on the port', async () => {
    const port = await closedPort();
    const id = await save({ channel: { name: 'Nobody home', config: { kind: 'webhook', url: `http://127.0.0.1:${port}/x` } } });
    const reply = await call('notify/test-channel', { id });
    expect(reply).toMatchObject({ ok: false, error: { code: 'NOTIFY_FAILED' } });
    if (reply.ok) return;
    expect(reply.error.message).toContain(`127.0.0.1:${port} refused the connection`);
    const entry = core.audit.list(1, 200).items.find((e) => e.action === 'notify.failed' && e.target === id);
    expect(entry).toBeDefined();
    expect(JSON.parse(entry!.details!)).toMatchObject({ channelId: id, kind: 'webhook', event: 'test', code: 'NOTIFY_FAILED' });
    expect(core.audit.list(1, 200).items.some((e) => e.action === 'notify.test' && e.target === id)).toBe(true);
  });

  it('fails on an HTTP error status and on a server that never answers (timeout)', async () => {
    const id = await save({ channel: { name: 'Flaky', config: { kind: 'webhook', url: `${http.url}/flaky` } } });
    http.respond = () => ({ status: 503, body: { error: 'maintenance' } });
    const failed = await call('notify/test-channel', { id });
    expect(failed.ok ? null : failed.error.message).toContain('answered HTTP 503');

    http.respond = () => 'hang';
    const started = Date.now();
    const hung = await call('notify/test-channel', { id });
    expect(hung.ok ? null : hung.error.code).toBe('NOTIFY_FAILED');
    expect(hung.ok ? null : hung.error.message).toContain('did not answer within 1.5 s');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('on closing, gives a hanging delivery a moment, then aborts and audits it', async () => {
    http.respond = () => 'hang';
    const other = makeTestCore({ notifications: { timeoutMs: 60_000, overdueCheckIntervalMs: 0 } });
    const saved = await dispatch(other.handlers, 'notify/save-channel', {
      channel: { name: 'Hangs', config: { kind: 'webhook', url: `${http.url}/hang` } },
    });
    expect(saved.ok).toBe(true);
    other.jobs.create({ id: 'j-hang', kind: 'backup', planId: null, planName: 'P', trigger: 'manual', startedAt: new Date().toISOString() });
    const job = other.jobs.finish('j-hang', { status: 'failed', finishedAt: new Date().toISOString(), durationMs: 5, errorCode: 'INTERNAL' });
    other.events.emit('jobs/updated', job);
    await http.waitFor(1, (r) => r.path === '/hang');
    const started = Date.now();
    await other.close();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(2900);
    expect(took).toBeLessThan(6000);
    const catalog = openCatalog(other.dataDir);
    const rows = catalog.prepare("SELECT details FROM audit_log WHERE action = 'notify.failed'").all() as { details: string }[];
    catalog.close();
    fs.rmSync(other.dataDir, { recursive: true, force: true });
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0].details)).toMatchObject({ code: 'NOTIFY_FAILED', jobId: 'j-hang', detail: expect.stringContaining('cancelled because Lifeboat is closing') });
  });
});
