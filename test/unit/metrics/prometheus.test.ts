/**
 * The /metrics body: every series of a snapshot in the text exposition format, label values
 * escaped (backslash, double quote, line feed), 0 for "never", absent series for "not known";
 * and the --metrics address parser.
 */
import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../../../src/main/core/metrics/metrics-server';
import type { MonitoringSnapshot } from '../../../src/main/core/metrics/monitoring-snapshot';
import { escapeLabelValue, renderPrometheus } from '../../../src/main/core/metrics/prometheus';

const snapshot: MonitoringSnapshot = {
  at: '2026-03-10T12:00:00.000Z',
  plans: [
    {
      id: 'p1',
      name: 'Shop "prod"\\eu\nline',
      enabled: true,
      schedule: { kind: 'daily', time: '02:00' },
      lastRun: { jobId: 'j1', status: 'partial', backupType: 'full', startedAt: '2026-03-10T02:00:00.000Z', durationMs: 61_500, sizeBytes: 123_456 },
      lastSuccessAt: '2026-03-09T02:00:00.000Z',
      consecutiveFailures: 1,
      provenAt: '2026-03-09T02:05:00.000Z',
      nextRunAt: '2026-03-11T02:00:00.000Z',
    },
    {
      id: 'p2',
      name: 'Manual',
      enabled: false,
      schedule: { kind: 'manual' },
      lastRun: null,
      lastSuccessAt: null,
      consecutiveFailures: 0,
      provenAt: null,
      nextRunAt: null,
    },
  ],
  destinations: [{ path: '/mnt/backups "nas"', bytes: 5_000_000_000, backups: 7 }],
  schedulerHolder: { holderId: 'h', pid: 4242, host: 'box', role: 'service', acquiredAt: '2026-03-10T00:00:00.000Z', heartbeatAt: '2026-03-10T11:59:55.000Z', paused: false },
  health: { ok: false, reasons: [] },
};

describe('renderPrometheus', () => {
  const text = renderPrometheus(snapshot, { pid: 4242, host: 'box' });
  const p1 = 'plan="Shop \\"prod\\"\\\\eu\\nline",plan_id="p1"';
  const p2 = 'plan="Manual",plan_id="p2"';

  it('escapes label values as the exposition format wants', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it('renders every metric with HELP and TYPE, one sample per line, ending with a line feed', () => {
    for (const name of [
      'lifeboat_up',
      'lifeboat_healthy',
      'lifeboat_plan_enabled',
      'lifeboat_plan_last_success_timestamp_seconds',
      'lifeboat_plan_last_run_status',
      'lifeboat_plan_last_duration_seconds',
      'lifeboat_plan_last_size_bytes',
      'lifeboat_plan_consecutive_failures',
      'lifeboat_plan_proven_restorable_timestamp_seconds',
      'lifeboat_plan_next_run_timestamp_seconds',
      'lifeboat_destination_bytes_used',
      'lifeboat_destination_backups',
      'lifeboat_scheduler_running',
      'lifeboat_scheduler_lease_holder',
    ]) {
      expect(text).toContain(`\n# TYPE ${name} gauge\n`.slice(name === 'lifeboat_up' ? 1 : 0));
      expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    }
    expect(text.endsWith('\n')).toBe(true);
    // every sample line is `name{labels} value` or `name value`
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+(\{([a-z_]+="([^"\\\n]|\\["\\n])*",?)+\})? -?[\d.e+]+$/);
    }
  });

  it('reports the values of the snapshot; 0 for never, no series for unknown', () => {
    const lines = text.split('\n');
    expect(lines).toContain('lifeboat_up 1');
    expect(lines).toContain('lifeboat_healthy 0');
    expect(lines).toContain(`lifeboat_plan_enabled{${p1}} 1`);
    expect(lines).toContain(`lifeboat_plan_enabled{${p2}} 0`);
    expect(lines).toContain(`lifeboat_plan_last_success_timestamp_seconds{${p1}} ${Date.parse('2026-03-09T02:00:00.000Z') / 1000}`);
    expect(lines).toContain(`lifeboat_plan_last_success_timestamp_seconds{${p2}} 0`);
    expect(lines).toContain(`lifeboat_plan_last_run_status{${p1},status="partial"} 1`);
    expect(lines).toContain(`lifeboat_plan_last_run_status{${p1},status="success"} 0`);
    expect(lines.filter((l) => l.startsWith(`lifeboat_plan_last_run_status{${p2}`))).toHaveLength(5);
    expect(lines.filter((l) => l.startsWith(`lifeboat_plan_last_run_status{${p2}`)).every((l) => l.endsWith(' 0'))).toBe(true);
    expect(lines).toContain(`lifeboat_plan_last_duration_seconds{${p1}} 61.5`);
    expect(lines).toContain(`lifeboat_plan_last_size_bytes{${p1}} 123456`);
    expect(text).not.toContain(`lifeboat_plan_last_duration_seconds{${p2}}`);
    expect(lines).toContain(`lifeboat_plan_consecutive_failures{${p1}} 1`);
    expect(lines).toContain(`lifeboat_plan_proven_restorable_timestamp_seconds{${p1}} ${Date.parse('2026-03-09T02:05:00.000Z') / 1000}`);
    expect(lines).toContain(`lifeboat_plan_proven_restorable_timestamp_seconds{${p2}} 0`);
    expect(lines).toContain(`lifeboat_plan_next_run_timestamp_seconds{${p1}} ${Date.parse('2026-03-11T02:00:00.000Z') / 1000}`);
    expect(text).not.toContain(`lifeboat_plan_next_run_timestamp_seconds{${p2}}`);
    expect(lines).toContain('lifeboat_destination_bytes_used{destination="/mnt/backups \\"nas\\""} 5000000000');
    expect(lines).toContain('lifeboat_destination_backups{destination="/mnt/backups \\"nas\\""} 7');
    expect(lines).toContain('lifeboat_scheduler_running 1');
    expect(lines).toContain('lifeboat_scheduler_lease_holder{pid="4242",host="box",role="service",this_process="true"} 1');
  });

  it('says when another process holds the lease, and when nobody does', () => {
    expect(renderPrometheus(snapshot, { pid: 1, host: 'box' })).toContain('this_process="false"} 1\n');
    const nobody = renderPrometheus({ ...snapshot, schedulerHolder: null }, { pid: 1, host: 'box' });
    expect(nobody).toContain('\nlifeboat_scheduler_running 0\n');
    expect(nobody).not.toMatch(/^lifeboat_scheduler_lease_holder\{/m);
  });
});

describe('parseListenAddress', () => {
  it('takes host:port, [ipv6]:port, or a bare port on 127.0.0.1', () => {
    expect(parseListenAddress('127.0.0.1:9187')).toEqual({ host: '127.0.0.1', port: 9187 });
    expect(parseListenAddress('[::1]:9187')).toEqual({ host: '::1', port: 9187 });
    expect(parseListenAddress('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseListenAddress('9187')).toEqual({ host: '127.0.0.1', port: 9187 });
    expect(parseListenAddress(':9187')).toEqual({ host: '127.0.0.1', port: 9187 });
  });

  it('refuses anything else, naming the form', () => {
    for (const bad of ['', 'localhost', '127.0.0.1:0', '127.0.0.1:70000', '::1:9187', 'host:port']) {
      expect(() => parseListenAddress(bad)).toThrow(/--metrics takes host:port, for example 127\.0\.0\.1:9187/);
    }
  });
});
