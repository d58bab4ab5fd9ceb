import { describe, expect, it, vi } from 'vitest';
import { AUTO_CHECK_KEY, NOT_CONFIGURED_MESSAGE, type UpdateFeed } from '../../../src/main/shell/update-feed';
import { UpdateService, type UpdaterPort, type UpdateServiceOptions } from '../../../src/main/shell/update-service';

const configured: UpdateFeed = { configured: true, provider: 'generic', url: 'https://downloads.acme.test/l', source: 'build' };
const notConfigured: UpdateFeed = { configured: false, reason: NOT_CONFIGURED_MESSAGE };

function memorySettings(initial: Record<string, unknown> = {}) {
  const values = new Map(Object.entries(initial));
  return { get: <T>(key: string, fallback: T) => (values.has(key) ? (values.get(key) as T) : fallback), set: (key: string, value: unknown) => values.set(key, value), values };
}

/** Timers the test fires by hand. */
function manualTimers() {
  const pending: Array<{ fn: () => void; ms: number; cancelled: boolean }> = [];
  return {
    pending,
    setTimer: (fn: () => void, ms: number) => {
      const timer = { fn, ms, cancelled: false };
      pending.push(timer);
      return { cancel: () => (timer.cancelled = true) };
    },
    live: () => pending.filter((t) => !t.cancelled),
  };
}

function service(overrides: Partial<UpdateServiceOptions> = {}, port?: Partial<UpdaterPort>) {
  const check = vi.fn(port?.check ?? (async () => null));
  let downloaded: ((version: string) => void) | null = null;
  const createUpdater = vi.fn(() => ({ check, onDownloaded: (listener: (v: string) => void) => (downloaded = listener) }));
  const timers = manualTimers();
  const settings = memorySettings();
  const audit = vi.fn();
  const svc = new UpdateService({
    feed: configured,
    currentVersion: '0.1.0',
    createUpdater,
    settings,
    log: () => undefined,
    audit,
    setTimer: timers.setTimer,
    now: () => new Date('2025-03-01T10:00:00.000Z'),
    ...overrides,
  });
  return { svc, check, createUpdater, timers, settings, audit, download: (v: string) => downloaded?.(v) };
}

describe('the update service', () => {
  it('without a feed, answers "not configured" and never builds an updater or sets a timer', async () => {
    const { svc, createUpdater, timers } = service({ feed: notConfigured });
    svc.start();
    expect(timers.live()).toHaveLength(0);
    const result = await svc.check();
    expect(result.outcome).toBe('not-configured');
    expect(result.message).toBe('Updates are not configured for this build.');
    expect(createUpdater).not.toHaveBeenCalled();
    expect(svc.status()).toMatchObject({ configured: false, reason: NOT_CONFIGURED_MESSAGE, lastCheck: result });
  });

  it('checks automatically after start and again later, while allowed', async () => {
    const { svc, check, timers } = service({ intervalMs: 1000, firstDelayMs: 5 });
    svc.start();
    expect(timers.live().map((t) => t.ms)).toEqual([5]);
    timers.live()[0]!.fn();
    await vi.waitFor(() => expect(timers.pending.map((t) => t.ms)).toEqual([5, 1000]));
    expect(check).toHaveBeenCalledOnce();
  });

  it('turned off, never checks on its own; the choice is kept and audited', async () => {
    const { svc, check, timers, settings, audit } = service();
    svc.start();
    expect(svc.setAutoCheck(false).autoCheck).toBe(false);
    expect(settings.values.get(AUTO_CHECK_KEY)).toBe(false);
    expect(audit).toHaveBeenCalledWith('settings.update', { autoCheckUpdates: false });
    expect(timers.live()).toHaveLength(0);
    expect(check).not.toHaveBeenCalled();

    // a new start reads the stored choice
    const again = service({ settings });
    again.svc.start();
    expect(again.timers.live()).toHaveLength(0);
    // turning it back on arms the check again
    again.svc.setAutoCheck(true);
    expect(again.timers.live()).toHaveLength(1);
  });

  it('a check on demand reports a newer version, and a download replaces it', async () => {
    const { svc, download } = service({}, { check: async () => '0.2.0' });
    expect((await svc.check()).outcome).toBe('available');
    download('0.2.0');
    expect(svc.status().lastCheck).toMatchObject({ outcome: 'downloaded', version: '0.2.0' });
    // checking again while the download waits to be installed still says it is ready
    expect((await svc.check()).outcome).toBe('downloaded');
  });

  it('never rejects: a failed check is a result, and concurrent checks share one request', async () => {
    let fail!: (error: Error) => void;
    const { svc, check } = service({}, { check: () => new Promise<string | null>((_, reject) => (fail = reject)) });
    const first = svc.check();
    const second = svc.check();
    fail(new Error('getaddrinfo ENOTFOUND downloads.acme.test'));
    const [a, b] = await Promise.all([first, second]);
    expect(check).toHaveBeenCalledOnce();
    expect(a).toBe(b);
    expect(a.outcome).toBe('failed');
    expect(a.message).toContain('ENOTFOUND');
  });
});
