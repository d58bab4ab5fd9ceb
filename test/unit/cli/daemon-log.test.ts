/**
 * The daemon's log lines (text for journald, JSON lines) and the lease periods it takes from the
 * environment.
 */
import { describe, expect, it } from 'vitest';
import { createLogger, formatLogLine } from '../../../src/main/cli/daemon-log';
import { leaseTimingsFromEnv } from '../../../src/main/cli/daemon';

const AT = new Date('2026-03-10T12:00:00.000Z');

describe('formatLogLine', () => {
  it('text: `<level> <event> key=value ...`, quoting values with spaces, quotes, = or control characters', () => {
    expect(
      formatLogLine(
        'text',
        'info',
        'job.finished',
        { job: 'a1', plan: 'Shop "prod"', status: 'success', duration_s: 3.25, size_bytes: 1024, ok: true, message: 'Backed up 2 sources.\nDone', eq: 'a=b', empty: '' },
        AT,
      ),
    ).toBe('info job.finished job=a1 plan="Shop \\"prod\\"" status=success duration_s=3.25 size_bytes=1024 ok=true message="Backed up 2 sources.\\nDone" eq="a=b" empty=""');
  });

  it('leaves out fields that are null or undefined, and puts no time in text (journald stamps it)', () => {
    expect(formatLogLine('text', 'warn', 'lease.lost', { holder_pid: undefined, holder_host: null, path: '/tmp/x' }, AT)).toBe('warn lease.lost path=/tmp/x');
  });

  it('json: one object per line with time, level and event first', () => {
    const line = formatLogLine('json', 'error', 'alert.raised', { kind: 'overdue', plan_id: 'p1', job: null, count: 2 }, AT);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({ time: AT.toISOString(), level: 'error', event: 'alert.raised', kind: 'overdue', plan_id: 'p1', count: 2 });
    expect(Object.keys(JSON.parse(line)).slice(0, 3)).toEqual(['time', 'level', 'event']);
  });

  it('a logger whose output throws (a closed stdout) does not throw', () => {
    const log = createLogger('text', () => {
      throw new Error('EPIPE');
    });
    expect(() => log('info', 'daemon.started')).not.toThrow();
    const lines: string[] = [];
    createLogger('json', (l) => lines.push(l), () => AT)('info', 'daemon.stopped', { signal: 'SIGTERM' });
    expect(lines).toEqual([`{"time":"${AT.toISOString()}","level":"info","event":"daemon.stopped","signal":"SIGTERM"}`]);
  });
});

describe('leaseTimingsFromEnv', () => {
  it('reads LIFEBOAT_LEASE_HEARTBEAT_MS, _STALE_MS and _RETRY_MS; unset ones keep the defaults', () => {
    expect(leaseTimingsFromEnv({})).toEqual({});
    expect(leaseTimingsFromEnv({ LIFEBOAT_LEASE_HEARTBEAT_MS: '500', LIFEBOAT_LEASE_STALE_MS: '3000', LIFEBOAT_LEASE_RETRY_MS: '' })).toEqual({
      heartbeatMs: 500,
      staleAfterMs: 3000,
    });
  });

  it('refuses a value that is not a whole number of milliseconds from 100 to a day, naming the variable', () => {
    for (const bad of ['soon', '-5', '1.5', '99', '86400001']) {
      expect(() => leaseTimingsFromEnv({ LIFEBOAT_LEASE_STALE_MS: bad })).toThrow(`LIFEBOAT_LEASE_STALE_MS takes milliseconds from 100 to 86400000; not "${bad}"`);
    }
  });
});
