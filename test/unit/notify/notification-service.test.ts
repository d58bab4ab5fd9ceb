/**
 * The notification service and its handlers without a network: channels and their secrets,
 * settings, desktop notifications and alerts raised from job history. Deliveries to real
 * receivers are in test/integration/notify.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import { secretKeys } from '../../../src/main/core/paths';
import { payloadText } from '../../../src/main/core/notify/format';
import { scrubSecrets, slackMessage } from '../../../src/main/core/notify/channels';
import type { JobStatus } from '../../../src/shared/job';
import type { AlertEntry, NotificationPayload } from '../../../src/shared/notify';
import type { InvokeChannel, InvokeRequest, InvokeResponses } from '../../../src/shared/ipc-contract';
import { createLifeboatCore } from '../../../src/main/core/lifeboat';
import { MemorySecretStore, type Notifier } from '../../../src/main/core/ports';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

type Desktop = Parameters<Notifier['notify']>[0];

class MutableClock {
  constructor(public current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

const cores: ReturnType<typeof makeTestCore>[] = [];
afterEach(async () => {
  for (const core of cores.splice(0)) await core.cleanup();
});

function setup(options: { freeBytes?: number } = {}) {
  const shown: Desktop[] = [];
  const clock = new MutableClock(new Date('2026-03-01T10:00:00Z'));
  const core = makeTestCore({
    notifier: { notify: (m) => shown.push(m) },
    clock,
    notifications: {
      overdueCheckIntervalMs: 0,
      diskUsage: async () => ({ freeBytes: options.freeBytes ?? 500e9, totalBytes: 1000e9 }),
    },
  });
  cores.push(core);
  const raised: AlertEntry[] = [];
  core.events.on('alerts/raised', (a) => raised.push(a));
  async function call<K extends InvokeChannel>(channel: K, request?: InvokeRequest<K>): Promise<InvokeResponses[K]> {
    const reply = await dispatch(core.handlers, channel, request);
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
    return reply.value;
  }
  /** Records a finished backup of plan p1 and announces it the way the job runner does. */
  async function finishJob(status: JobStatus, over: { sizeBytes?: number; durationMs?: number } = {}) {
    const id = randomUUID();
    core.jobs.create({ id, kind: 'backup', planId: 'p1', planName: 'Nightly', trigger: 'scheduled', startedAt: clock.now().toISOString() });
    clock.advance(over.durationMs ?? 60_000);
    const job = core.jobs.finish(id, {
      status,
      finishedAt: clock.now().toISOString(),
      durationMs: over.durationMs ?? 60_000,
      sizeBytes: status === 'failed' ? null : (over.sizeBytes ?? 1_000_000),
      displayMessage: status === 'failed' ? 'The folder does not exist (/nowhere)' : 'Backed up 1 source.',
      errorCode: status === 'failed' ? 'FOLDER_MISSING' : null,
      filePath: status === 'failed' ? null : `/backups/nightly-${id}.lifeboat`,
      backupType: 'full',
    });
    core.events.emit('jobs/updated', job);
    await core.notifications.idle();
    clock.advance(3_600_000);
    return job;
  }
  return { core, clock, shown, raised, call, finishJob };
}

const webhook = { name: 'Ops hook', config: { kind: 'webhook' as const, url: 'http://127.0.0.1:9/hook' } };

describe('notification channels', () => {
  it('keeps the secret in the keychain, never in the catalog, and lists it with hasSecret', async () => {
    const { core, call } = setup();
    const saved = await call('notify/save-channel', { channel: webhook, secret: 'Bearer s3cr3t-value' });
    expect(saved).toMatchObject({ kind: 'webhook', name: 'Ops hook', enabled: true, onSuccess: false, hasSecret: true });
    expect(saved.config).toEqual({ kind: 'webhook', url: 'http://127.0.0.1:9/hook', authHeader: 'Authorization' });
    expect(await core.secrets.get(secretKeys.notifySecret(saved.id))).toBe('Bearer s3cr3t-value');
    const dump = JSON.stringify(core.catalog.prepare('SELECT * FROM notification_channels').all());
    expect(dump).not.toContain('s3cr3t');
    expect(JSON.stringify(core.audit.list(1, 50))).not.toContain('s3cr3t');
    expect(await call('notify/list-channels')).toEqual([saved]);

    // left out: kept; '': removed
    const renamed = await call('notify/save-channel', { channel: { ...webhook, id: saved.id, name: 'Renamed' } });
    expect(renamed.hasSecret).toBe(true);
    const cleared = await call('notify/save-channel', { channel: { ...webhook, id: saved.id }, secret: '' });
    expect(cleared.hasSecret).toBe(false);
    expect(await core.secrets.get(secretKeys.notifySecret(saved.id))).toBeNull();
  });

  it('requires the secret a kind cannot work without, and checks its shape', async () => {
    const { call } = setup();
    await expect(call('notify/save-channel', { channel: { name: 'Slack', config: { kind: 'slack' } } })).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('Slack incoming webhook URL'),
    });
    await expect(
      call('notify/save-channel', { channel: { name: 'Slack', config: { kind: 'slack' } }, secret: 'not a url' }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(
      call('notify/save-channel', {
        channel: { name: 'Bot', config: { kind: 'telegram', chatId: '-100123' } },
        secret: 'has spaces in it',
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    const email = { name: 'Mail', config: { kind: 'email' as const, host: 'smtp.example.com', user: 'ops', from: 'a@example.com', to: ['b@example.com'] } };
    await expect(call('notify/save-channel', { channel: email })).rejects.toMatchObject({ code: 'VALIDATION' });
    const saved = await call('notify/save-channel', { channel: email, secret: 'pw' });
    expect(saved.config).toMatchObject({ port: 587, security: 'starttls' });
  });

  it('rejects invalid configs through the contract schema', async () => {
    const { call } = setup();
    await expect(
      call('notify/save-channel', { channel: { name: 'x', config: { kind: 'webhook', url: 'ftp://example.com' } } }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(
      call('notify/save-channel', {
        channel: { name: 'x', config: { kind: 'email', host: 'h', from: 'nobody', to: ['b@example.com'] } },
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(call('notify/test-channel', { id: 'missing' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // a password in the address would land in the catalog
    await expect(
      call('notify/save-channel', { channel: { name: 'x', config: { kind: 'webhook', url: 'https://ops:hunter2@example.com/hook' } } }),
    ).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('put a token in the secret') });
  });

  it('forgets the old secret when the kind changes, and deletes the secret with the channel', async () => {
    const { core, call } = setup();
    const slack = await call('notify/save-channel', {
      channel: { name: 'Chat', config: { kind: 'slack' } },
      secret: 'http://127.0.0.1:9/services/T000/B000/XXXX',
    });
    const asHook = await call('notify/save-channel', { channel: { ...webhook, id: slack.id } });
    expect(asHook.hasSecret).toBe(false);
    expect(await core.secrets.get(secretKeys.notifySecret(slack.id))).toBeNull();
    await call('notify/save-channel', { channel: { ...webhook, id: slack.id }, secret: 'token' });
    expect(await call('notify/delete-channel', { id: slack.id })).toEqual({ deleted: true });
    expect(await core.secrets.get(secretKeys.notifySecret(slack.id))).toBeNull();
    expect(await call('notify/list-channels')).toEqual([]);
    expect(core.audit.list(1, 50).items.map((e) => e.action)).toEqual(
      expect.arrayContaining(['notify.channel-create', 'notify.channel-update', 'notify.channel-delete']),
    );
  });
});

describe('settings', () => {
  it('reads and changes notifyOnSuccess (off by default), partially', async () => {
    const { core, call } = setup();
    // no desktop here: start at login reads as off, and the tray start is the default (and 2 jobs at once)
    const desktopDefaults = { startAtLogin: false, startMinimized: true, maxConcurrentJobs: 2, stallMinutes: 10 };
    expect(await call('settings/get')).toEqual({ notifyOnSuccess: false, ...desktopDefaults });
    expect(await call('settings/set', { notifyOnSuccess: true })).toEqual({ notifyOnSuccess: true, ...desktopDefaults });
    expect(await call('settings/set', {})).toEqual({ notifyOnSuccess: true, ...desktopDefaults });
    expect(core.settings.get('notify.onSuccess', false)).toBe(true);
    await expect(call('settings/set', { notifyOnSuccess: 'yes' } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('turns start at login on and off through the desktop, and keeps the tray choice in the catalog', async () => {
    let loginItem = false;
    const core = makeTestCore({ desktop: { getStartAtLogin: () => loginItem, setStartAtLogin: (on) => void (loginItem = on) } });
    cores.push(core);
    const call = async (request: InvokeRequest<'settings/set'>) => {
      const reply = await dispatch(core.handlers, 'settings/set', request);
      if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
      return reply.value;
    };
    expect(await call({ startAtLogin: true, startMinimized: false })).toMatchObject({ startAtLogin: true, startMinimized: false });
    expect(loginItem).toBe(true);
    // a change made in the OS settings shows
    loginItem = false;
    expect(await dispatch(core.handlers, 'settings/get', undefined)).toMatchObject({ ok: true, value: { startAtLogin: false } });
    expect(core.audit.list(1, 10).items[0]).toMatchObject({ action: 'settings.update' });
  });

  it('refuses start at login without a desktop, before changing anything', async () => {
    const { core, call } = setup();
    await expect(call('settings/set', { notifyOnSuccess: true, startAtLogin: true })).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('desktop app'),
    });
    expect(core.settings.get('notify.onSuccess', false)).toBe(false);
  });
});

describe('channel messages of a failed job', () => {
  it('carry what to do and the job id to a webhook', async () => {
    const bodies: NotificationPayload[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        bodies.push(JSON.parse(body) as NotificationPayload);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { call, finishJob } = setup();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      await call('notify/save-channel', { channel: { name: 'Ops hook', config: { kind: 'webhook', url } } });
      const job = await finishJob('failed');
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toMatchObject({ event: 'job.failed', job: { id: job.id, errorCode: 'FOLDER_MISSING' } });
      expect(bodies[0].whatToDo).toEqual([
        'Check the path in the plan and its permissions.',
        `Open the job in Lifeboat (History, job ${job.id}) for its details and tool output.`,
        `Run it again with Retry in the job's panel, or from a terminal: lifeboat run "Nightly"`,
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('desktop notifications', () => {
  it('shows every failure with its job id, and successes only when asked to', async () => {
    const { shown, call, finishJob } = setup();
    const failed = await finishJob('failed');
    expect(shown).toEqual([
      { title: 'Backup failed: Nightly', body: expect.stringContaining('The folder does not exist'), jobId: failed.id, level: 'error' },
    ]);
    await finishJob('success');
    expect(shown).toHaveLength(1);
    await call('settings/set', { notifyOnSuccess: true });
    const ok = await finishJob('success');
    expect(shown[1]).toEqual({ title: 'Backup finished: Nightly', body: expect.stringContaining('Backed up 1 source.'), jobId: ok.id, level: 'info' });
  });

  it('treats partial and interrupted runs as failures, and user cancels as nothing', async () => {
    const { shown, finishJob } = setup();
    await finishJob('partial');
    await finishJob('cancelled');
    await finishJob('interrupted');
    expect(shown.map((m) => [m.title, m.level])).toEqual([
      ['Backup partly failed: Nightly', 'error'],
      ['Backup was interrupted: Nightly', 'error'],
      // two failed runs in a row (the cancelled one in between does not count)
      ['Failing repeatedly: Nightly', 'error'],
    ]);
  });
});

describe('alerts from job history', () => {
  it('raises consecutive failures once per streak, stores and pushes it', async () => {
    const { call, raised, finishJob } = setup();
    await finishJob('failed');
    expect(raised).toEqual([]);
    const second = await finishJob('failed');
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ kind: 'consecutive-failures', planId: 'p1', jobId: second.id });
    await finishJob('failed');
    expect(raised).toHaveLength(1);
    await finishJob('success');
    await finishJob('failed');
    await finishJob('failed');
    expect(raised).toHaveLength(2);
    const page = await call('alerts/list', { page: 1, pageSize: 10 });
    expect(page.total).toBe(2);
    expect(page.items[0].id).toBe(raised[1].id);
  });

  it('raises a size alert against the usual size', async () => {
    const { raised, finishJob } = setup();
    for (let i = 0; i < 3; i++) await finishJob('success', { sizeBytes: 1_000_000 });
    await finishJob('success', { sizeBytes: 2_000_000 });
    expect(raised).toEqual([]);
    await finishJob('success', { sizeBytes: 5_000_000 });
    expect(raised.map((a) => a.kind)).toEqual(['size-anomaly']);
  });

  it('raises low disk space at the destination at most once a day', async () => {
    const { raised, clock, finishJob } = setup({ freeBytes: 50e9 });
    await finishJob('success');
    await finishJob('success');
    expect(raised.map((a) => a.kind)).toEqual(['low-disk']);
    clock.advance(24 * 3_600_000);
    await finishJob('success');
    expect(raised.map((a) => a.kind)).toEqual(['low-disk', 'low-disk']);
  });

  it('checks for overdue plans at start and on demand, once per window', async () => {
    const { core, clock, raised, shown, call } = setup();
    const plan = await call('plans/save', {
      plan: { name: 'Daily docs', schedule: { kind: 'daily', time: '02:00' }, folders: [{ id: 'f', path: '/tmp' }], options: { destination: '/tmp', encrypt: false } },
      secrets: { dbPasswords: {} },
    });
    expect(await core.notifications.checkOverdue()).toEqual([]);
    clock.advance(49 * 3_600_000);
    const [alert] = await core.notifications.checkOverdue();
    expect(alert).toMatchObject({ kind: 'overdue', planId: plan.id, jobId: null });
    expect(alert.message).toContain('"Daily docs" has never backed up successfully');
    expect(raised).toEqual([alert]);
    expect(shown.at(-1)).toMatchObject({ title: 'No recent backup: Daily docs', level: 'error' });
    clock.advance(3_600_000);
    expect(await core.notifications.checkOverdue()).toEqual([]);
    clock.advance(48 * 3_600_000);
    expect(await core.notifications.checkOverdue()).toHaveLength(1);
  });
});

describe('overdue plans at start', () => {
  it('are alerted when the core starts, unless watching is off', async () => {
    const dataDir = makeTempDir();
    const secrets = new MemorySecretStore();
    const clock = new MutableClock(new Date('2026-03-01T10:00:00Z'));
    const first = createLifeboatCore({ dataDir, appVersion: 't', secrets, clock, notifications: { watchOverdue: false } });
    await dispatch(first.handlers, 'plans/save', {
      plan: { name: 'Weekly', schedule: { kind: 'weekly', time: '03:00', days: [0] }, folders: [{ id: 'f', path: '/tmp' }], options: { destination: '/tmp', encrypt: false } },
      secrets: { dbPasswords: {} },
    });
    await first.close();

    clock.advance(15 * 24 * 3_600_000);
    const quiet = createLifeboatCore({ dataDir, appVersion: 't', secrets, clock, notifications: { watchOverdue: false } });
    await quiet.notifications.idle();
    expect(quiet.notifications.alerts.list(1, 10).total).toBe(0);
    await quiet.close();

    const shown: Desktop[] = [];
    const second = makeTestCore({ dataDir, secrets, clock, notifier: { notify: (m) => shown.push(m) }, notifications: { overdueCheckIntervalMs: 0 } });
    cores.push(second);
    await second.notifications.idle();
    expect(second.notifications.alerts.list(1, 10).items).toEqual([
      expect.objectContaining({ kind: 'overdue', message: expect.stringContaining('"Weekly" has never backed up successfully in the 15 d') }),
    ]);
    expect(shown).toEqual([expect.objectContaining({ title: 'No recent backup: Weekly', level: 'error' })]);
  });
});

describe('message formatting', () => {
  const payload: NotificationPayload = {
    version: 1,
    event: 'job.failed',
    at: '2026-03-01T10:00:00.000Z',
    title: 'Backup failed: <Nightly> & co',
    message: 'The folder does not exist (/srv/<data>)',
    plan: { id: 'p1', name: '<Nightly> & co' },
    job: {
      id: 'j1',
      kind: 'backup',
      status: 'failed',
      trigger: 'scheduled',
      startedAt: '2026-03-01T09:59:00.000Z',
      finishedAt: '2026-03-01T10:00:00.000Z',
      durationMs: 60_000,
      sizeBytes: null,
      filePath: null,
      errorCode: 'FOLDER_MISSING',
      displayMessage: 'The folder does not exist (/srv/<data>)',
    },
    alert: null,
    source: { app: 'Lifeboat', version: '1.0.0', host: 'admin-pc' },
  };

  it('escapes Slack mrkdwn and keeps a plain-text fallback', () => {
    const message = slackMessage(payload);
    expect(message.text).toBe('Backup failed: <Nightly> & co\nThe folder does not exist (/srv/<data>)');
    const json = JSON.stringify(message.blocks);
    expect(json).toContain('/srv/&lt;data&gt;');
    expect(json).toContain('Plan: *&lt;Nightly&gt; &amp; co*');
  });

  it('writes the plain text with the plan, the job and the error code', () => {
    const { subject, text } = payloadText(payload);
    expect(subject).toBe('[Lifeboat] Backup failed: <Nightly> & co');
    expect(text).toContain('Plan: <Nightly> & co');
    expect(text).toContain('Error code: FOLDER_MISSING');
    expect(text).toContain('Duration: 1 min');
  });

  it('scrubs secrets out of anything', () => {
    expect(scrubSecrets('GET /bot123:ABC/sendMessage failed for 123:ABC', ['123:ABC', null])).toBe(
      'GET /bot[secret]/sendMessage failed for [secret]',
    );
  });
});
