/**
 * The scheduler channels through dispatch (the path IPC takes): schedule preview, presets,
 * status. Requests are validated by the contract; errors come back as { code, message }.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import { planInputSchema } from '../../../src/shared/plan';
import { TestClock } from '../../support/test-clock';
import { makeTestCore } from '../../support/temp-core';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function setup() {
  const clock = new TestClock(new Date('2026-03-07T12:00:00Z'));
  const core = makeTestCore({ clock });
  cleanups.push(() => core.cleanup());
  return { core, clock };
}

describe('scheduler handlers', () => {
  it('plans/preview-schedule lists the next runs from now, 5 by default, DST rules applied', async () => {
    const { core } = setup();
    const reply = await dispatch(core.handlers, 'plans/preview-schedule', {
      schedule: { kind: 'daily', time: '02:30' },
      timezone: 'America/New_York',
    });
    expect(reply).toEqual({
      ok: true,
      value: {
        runs: [
          '2026-03-08T07:00:00.000Z', // 03:00 EDT: 02:30 does not exist that night
          '2026-03-09T06:30:00.000Z',
          '2026-03-10T06:30:00.000Z',
          '2026-03-11T06:30:00.000Z',
          '2026-03-12T06:30:00.000Z',
        ],
      },
    });
    const manual = await dispatch(core.handlers, 'plans/preview-schedule', { schedule: { kind: 'manual' }, timezone: 'UTC', count: 3 });
    expect(manual).toEqual({ ok: true, value: { runs: [] } });
    const twenty = await dispatch(core.handlers, 'plans/preview-schedule', { schedule: { kind: 'hourly', everyHours: 1 }, timezone: 'UTC', count: 20 });
    expect(twenty.ok && twenty.value.runs).toHaveLength(20);
  });

  it('plans/preview-schedule refuses a bad zone, a bad cron expression, a bad schedule and count > 20', async () => {
    const { core } = setup();
    const zone = await dispatch(core.handlers, 'plans/preview-schedule', { schedule: { kind: 'daily', time: '02:00' }, timezone: 'Europe/Atlantis' });
    expect(zone.ok).toBe(false);
    expect(!zone.ok && zone.error.code).toBe('VALIDATION');
    expect(!zone.ok && zone.error.message).toMatch(/unknown time zone "Europe\/Atlantis"/);

    const cron = await dispatch(core.handlers, 'plans/preview-schedule', { schedule: { kind: 'cron', expression: '0 25 * * * *x' }, timezone: 'UTC' });
    expect(!cron.ok && cron.error.code).toBe('VALIDATION');
    expect(!cron.ok && cron.error.message).toMatch(/cron expression/);

    const time = await dispatch(core.handlers, 'plans/preview-schedule', { schedule: { kind: 'daily', time: '25:00' }, timezone: 'UTC' });
    expect(!time.ok && time.error.message).toMatch(/HH:mm/);

    const count = await dispatch(core.handlers, 'plans/preview-schedule', { schedule: { kind: 'daily', time: '02:00' }, timezone: 'UTC', count: 21 });
    expect(!count.ok && count.error.code).toBe('VALIDATION');
  });

  it('plans/presets are the three first-run plans of the spec, valid once sources and destination are filled in', async () => {
    const { core } = setup();
    const reply = await dispatch(core.handlers, 'plans/presets', undefined);
    if (!reply.ok) throw new Error(reply.error.message);
    const summary = reply.value.map((p) => ({ id: p.id, type: p.plan.type, schedule: p.plan.schedule, days: p.plan.retention?.days }));
    expect(summary).toEqual([
      { id: 'daily-full', type: 'full', schedule: { kind: 'daily', time: '02:00' }, days: 7 },
      { id: 'weekly-incremental', type: 'incremental', schedule: { kind: 'weekly', time: '03:00', days: [0] }, days: 30 },
      { id: 'database-daily', type: 'full', schedule: { kind: 'daily', time: '01:00' }, days: 14 },
    ]);
    expect(reply.value.find((p) => p.id === 'database-daily')?.sources).toBe('databases');
    for (const preset of reply.value) {
      const filled = {
        ...preset.plan,
        folders: [{ id: 'f1', path: '/srv/data' }],
        options: { ...preset.plan.options, destination: '/backups' },
      };
      const parsed = planInputSchema.safeParse(filled);
      expect(parsed.success).toBe(true);
      expect(parsed.data?.options.encrypt).toBe(true);
      // the preset runs in the machine's zone, which the scheduler accepts
      const preview = await dispatch(core.handlers, 'plans/preview-schedule', { schedule: preset.plan.schedule!, timezone: preset.plan.timezone! });
      expect(preview.ok).toBe(true);
    }
  });

  it('scheduler/status is stopped until the scheduler starts', async () => {
    const { core } = setup();
    // nobody runs the schedules (no scheduler lease, this scheduler stopped)
    expect(await dispatch(core.handlers, 'scheduler/status', undefined)).toEqual({ ok: true, value: { state: 'stopped', nextRuns: [], runBy: null } });
    core.scheduler.start();
    expect(await dispatch(core.handlers, 'scheduler/status', {})).toEqual({
      ok: true,
      value: { state: 'running', nextRuns: [], runBy: expect.objectContaining({ kind: 'this', pid: process.pid, role: 'app' }) },
    });
  });
});
