/**
 * The monitoring snapshot in the Prometheus text exposition format (version 0.0.4), as the
 * daemon serves it at /metrics. Pure. Every metric is a gauge; timestamps are Unix seconds, and
 * 0 means "never" (a plan that never succeeded, or was never proven restorable), so that an
 * alert rule on the age of the last success fires for it instead of finding no series.
 */
import type { MonitoringSnapshot } from './monitoring-snapshot';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The statuses lifeboat_plan_last_run_status reports, one series each (1 for the last run's). */
export const RUN_STATUSES = ['success', 'partial', 'failed', 'cancelled', 'interrupted'] as const;

type Labels = Record<string, string>;

/** A label value as the exposition format wants it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: backslash and line feed escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

const seconds = (iso: string | null): number => (iso ? Date.parse(iso) / 1000 : 0);

class Exposition {
  private readonly lines: string[] = [];

  gauge(name: string, help: string, samples: readonly { labels?: Labels; value: number }[]): void {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} gauge`);
    for (const { labels, value } of samples) {
      const pairs = Object.entries(labels ?? {}).map(([key, v]) => `${key}="${escapeLabelValue(v)}"`);
      this.lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
    }
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/**
 * Renders the snapshot. `pid` and `host` are the serving process's: the lease holder series says
 * whether it is the one running the schedules.
 */
export function renderPrometheus(snapshot: MonitoringSnapshot, options: { pid: number; host: string }): string {
  const out = new Exposition();
  const plans = snapshot.plans;
  const planLabels = (plan: (typeof plans)[number]): Labels => ({ plan: plan.name, plan_id: plan.id });

  out.gauge('lifeboat_up', 'Whether Lifeboat answers (always 1 when it does).', [{ value: 1 }]);
  out.gauge('lifeboat_healthy', 'Whether every enabled scheduled plan is on time and not failing repeatedly (what /healthz says).', [
    { value: snapshot.health.ok ? 1 : 0 },
  ]);
  out.gauge('lifeboat_plan_enabled', 'Whether the plan is enabled.', plans.map((p) => ({ labels: planLabels(p), value: p.enabled ? 1 : 0 })));
  out.gauge(
    'lifeboat_plan_last_success_timestamp_seconds',
    'When the newest successful backup of the plan started (0: never).',
    plans.map((p) => ({ labels: planLabels(p), value: seconds(p.lastSuccessAt) })),
  );
  out.gauge(
    'lifeboat_plan_last_run_status',
    'The status of the newest finished backup run of the plan: 1 for its status, 0 for the others (all 0: no run yet).',
    plans.flatMap((p) => RUN_STATUSES.map((status) => ({ labels: { ...planLabels(p), status }, value: p.lastRun?.status === status ? 1 : 0 }))),
  );
  out.gauge(
    'lifeboat_plan_last_duration_seconds',
    'How long the newest finished backup run of the plan took.',
    plans.filter((p) => p.lastRun?.durationMs != null).map((p) => ({ labels: planLabels(p), value: p.lastRun!.durationMs! / 1000 })),
  );
  out.gauge(
    'lifeboat_plan_last_size_bytes',
    'The size of the file the newest finished backup run of the plan wrote.',
    plans.filter((p) => p.lastRun?.sizeBytes != null).map((p) => ({ labels: planLabels(p), value: p.lastRun!.sizeBytes! })),
  );
  out.gauge(
    'lifeboat_plan_consecutive_failures',
    'Failed, partial or interrupted backup runs of the plan in a row, newest first (cancelled runs skipped).',
    plans.map((p) => ({ labels: planLabels(p), value: p.consecutiveFailures })),
  );
  out.gauge(
    'lifeboat_plan_proven_restorable_timestamp_seconds',
    'When a restore drill last proved a backup of the plan restorable (0: never).',
    plans.map((p) => ({ labels: planLabels(p), value: seconds(p.provenAt) })),
  );
  out.gauge(
    'lifeboat_plan_next_run_timestamp_seconds',
    'When the scheduler armed the plan to run next (absent: not armed, manual or disabled).',
    plans.filter((p) => p.nextRunAt).map((p) => ({ labels: planLabels(p), value: seconds(p.nextRunAt) })),
  );
  out.gauge(
    'lifeboat_destination_bytes_used',
    'Bytes of the backups the catalog knows on disk in the folder.',
    snapshot.destinations.map((d) => ({ labels: { destination: d.path }, value: d.bytes })),
  );
  out.gauge(
    'lifeboat_destination_backups',
    'Backup files the catalog knows on disk in the folder.',
    snapshot.destinations.map((d) => ({ labels: { destination: d.path }, value: d.backups })),
  );
  const holder = snapshot.schedulerHolder;
  out.gauge('lifeboat_scheduler_running', 'Whether a live process (the app or the service) holds the scheduler lease and runs the schedules.', [
    { value: holder ? 1 : 0 },
  ]);
  out.gauge(
    'lifeboat_scheduler_lease_holder',
    'The process holding the scheduler lease (role app or service; this_process: whether it is the one answering).',
    holder
      ? [{ labels: { pid: String(holder.pid), host: holder.host, role: holder.role, this_process: String(holder.pid === options.pid && holder.host === options.host) }, value: 1 }]
      : [],
  );
  return out.text();
}
