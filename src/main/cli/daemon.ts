/**
 * `lifeboat daemon`: the app's engine without Electron, for a server or a user service
 * (systemd, launchd). The same core the app builds (createLifeboatCore), whose schedules it runs
 * through the scheduler lease (one scheduler per catalog: if the app already runs them, the
 * daemon waits and takes over when the app goes away, and the other way round), with catch-up of
 * missed slots, retention, verify and drill after backup, notification channels and alerts.
 *
 * It logs one line per event on stdout (daemon-log.ts: text for journald, or JSON lines), and
 * serves Prometheus metrics and a health check with `--metrics host:port`.
 * SIGTERM / SIGINT: running jobs are cancelled as a system cancel (their `.part` removed), the
 * lease is given back, exit 0. SIGHUP: plans and settings are read again (the scheduler re-armed).
 *
 * Secrets as everywhere in the CLI for now: the plans' passphrase from --passphrase-file or
 * LIFEBOAT_PASSPHRASE (one for every plan), database passwords from PGPASSWORD or ~/.pgpass; the
 * app's keychain is not readable here.
 */
import os from 'node:os';
import { Option, type Command } from 'commander';
import { AppError } from '../../shared/errors';
import type { SchedulerStatus } from '../../shared/ipc-contract';
import { FINAL_STATUSES, type JobStatus, type JobSummary } from '../../shared/job';
import type { AlertKind } from '../../shared/notify';
import { createLifeboatCore, type LifeboatCore } from '../core/lifeboat';
import { cliCoreOptions } from './core-options';
import { parseListenAddress, startMonitoringServer, type MonitoringServer } from '../core/metrics/metrics-server';
import { readMonitoringSnapshot } from '../core/metrics/monitoring-snapshot';
import { renderPrometheus } from '../core/metrics/prometheus';
import type { SecretStore } from '../core/ports';
import { DEFAULT_SCHEDULER_LEASE_TIMINGS, type SchedulerLeaseEvent, type SchedulerLeaseTimings } from '../core/scheduler/scheduler-lease';
import { readPassphrase } from './args';
import { createLogger, LOG_FORMATS, type LogFormat, type Logger, type LogLevel } from './daemon-log';

export interface DaemonDeps {
  io: { out: (text: string) => void; err: (text: string) => void; env: NodeJS.ProcessEnv };
  appVersion: string;
  /** the CLI's secret store: the passphrase given, PGPASSWORD */
  secrets(passphrase: string | null): SecretStore;
}

export interface DaemonOptions {
  logFormat: LogFormat;
  /** host:port to serve /metrics and /healthz on */
  metrics?: string;
  passphrase: string | null;
}

/** Environment variables that set the scheduler lease's periods (milliseconds), for tests and tuning. */
export const LEASE_ENV = {
  heartbeatMs: 'LIFEBOAT_LEASE_HEARTBEAT_MS',
  staleAfterMs: 'LIFEBOAT_LEASE_STALE_MS',
  retryMs: 'LIFEBOAT_LEASE_RETRY_MS',
} as const satisfies Record<keyof SchedulerLeaseTimings, string>;

/** The lease periods the environment sets; VALIDATION naming the variable when one is not a whole number of ms. */
export function leaseTimingsFromEnv(env: NodeJS.ProcessEnv): Partial<SchedulerLeaseTimings> {
  const timings: Partial<SchedulerLeaseTimings> = {};
  for (const [key, name] of Object.entries(LEASE_ENV) as [keyof SchedulerLeaseTimings, string][]) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(value >= 100 && value <= 86_400_000)) {
      throw new AppError('VALIDATION', { detail: `${name} takes milliseconds from 100 to 86400000; not "${text}"` });
    }
    timings[key] = value;
  }
  return timings;
}

/** How often the daemon looks whether next runs moved (besides the events that move them). */
const NEXT_RUN_CHECK_MS = 30_000;

const JOB_LEVEL: Record<JobStatus, LogLevel> = {
  pending: 'info',
  running: 'info',
  success: 'info',
  partial: 'warn',
  cancelled: 'warn',
  failed: 'error',
  interrupted: 'error',
};

const ALERT_LEVEL: Record<AlertKind, LogLevel> = {
  'consecutive-failures': 'error',
  'low-disk': 'error',
  overdue: 'error',
  'size-anomaly': 'warn',
  'duration-anomaly': 'warn',
  'storage-cap': 'error',
  stalled: 'warn',
  offsite: 'error',
};

/** Logs what happens to the jobs this process runs: started, each phase change, finished. */
function followJobs(core: LifeboatCore, log: Logger): () => void {
  const phases = new Map<string, string | null>();
  return core.events.on('jobs/updated', (job: JobSummary) => {
    const fields = { job: job.id, kind: job.kind, plan: job.planName, plan_id: job.planId };
    if (!phases.has(job.id)) {
      phases.set(job.id, null);
      log('info', 'job.started', { ...fields, trigger: job.trigger, status: job.status });
    }
    const phase = job.progress?.phase ?? null;
    if (phase && phase !== 'queued' && phase !== phases.get(job.id) && !FINAL_STATUSES.includes(job.status)) {
      phases.set(job.id, phase);
      log('info', 'job.progress', { ...fields, phase, percent: Math.round(job.progress?.percent ?? 0) });
    }
    if (FINAL_STATUSES.includes(job.status)) {
      phases.delete(job.id);
      log(JOB_LEVEL[job.status], 'job.finished', {
        ...fields,
        status: job.status,
        duration_s: job.durationMs !== null ? Number((job.durationMs / 1000).toFixed(3)) : null,
        size_bytes: job.sizeBytes,
        file: job.filePath,
        error_code: job.errorCode,
        cancelled_by: job.cancelledBy,
        message: job.displayMessage,
      });
    }
  });
}

function logLeaseEvent(log: Logger, event: SchedulerLeaseEvent, retryMs: number): void {
  switch (event.kind) {
    case 'taken':
      log('info', 'lease.taken', {
        pid: event.holder.pid,
        host: event.holder.host,
        taken_over_pid: event.takenOverFrom?.pid,
        taken_over_host: event.takenOverFrom?.host,
        taken_over_role: event.takenOverFrom?.role,
      });
      return;
    case 'waiting': {
      const { pid, host, role } = event.holder;
      log('info', 'lease.waiting', {
        holder_pid: pid,
        holder_host: host,
        holder_role: role,
        retry_s: retryMs / 1000,
        message: `Schedules are run by the Lifeboat ${role} (pid ${pid}); waiting to take over when it stops`,
      });
      return;
    }
    case 'lost':
      log('warn', 'lease.lost', {
        holder_pid: event.holder?.pid,
        holder_host: event.holder?.host,
        message: 'another process took the schedules over; this one stopped firing them',
      });
      return;
    case 'released':
      log('info', 'lease.released', { pid: event.holder.pid, host: event.holder.host });
  }
}

/**
 * Runs the daemon until SIGTERM or SIGINT; resolves once it has shut down cleanly. Throws (before
 * running anything) when the catalog cannot be opened or the metrics address cannot be bound.
 */
export async function runDaemon(deps: DaemonDeps, options: DaemonOptions): Promise<void> {
  const { io } = deps;
  const log = createLogger(options.logFormat, io.out);
  const timings = leaseTimingsFromEnv(io.env);
  const listen = options.metrics !== undefined ? parseListenAddress(options.metrics) : null;
  const core = createLifeboatCore({
    ...cliCoreOptions(io.env),
    appVersion: deps.appVersion,
    secrets: deps.secrets(options.passphrase),
    actor: 'daemon',
    schedulerRole: 'service',
    schedulerLeaseTimings: timings,
    onCatalogNotice: (notice) => log('warn', 'catalog.notice', { kind: notice.kind, path: notice.path, message: notice.message }),
  });
  const host = os.hostname();
  let server: MonitoringServer | null = null;
  if (listen) {
    const snapshot = () => readMonitoringSnapshot(core, { now: new Date(), leaseStaleAfterMs: timings.staleAfterMs });
    try {
      server = await startMonitoringServer(listen, {
        metrics: () => renderPrometheus(snapshot(), { pid: process.pid, host }),
        health: () => snapshot().health,
      });
    } catch (error) {
      await core.close();
      throw error;
    }
  }
  log('info', 'daemon.started', {
    pid: process.pid,
    host,
    version: deps.appVersion,
    data_dir: core.dataDir,
    metrics: server ? `${server.address.host}:${server.address.port}` : null,
    passphrase: options.passphrase ? 'given' : 'none',
  });

  // next runs, logged when they move: after the lease is taken, a slot fired, a plan changed, a reload
  let lastNext = new Map<string, string | null>();
  const logNextRuns = () => {
    let status: SchedulerStatus;
    try {
      status = core.schedulerLease.status();
    } catch {
      // the catalog is busy or closing: the next look tells (a timer must never throw)
      return;
    }
    if (status.runBy?.kind !== 'this') {
      lastNext = new Map();
      return;
    }
    const next = new Map(status.nextRuns.map((r) => [r.planId, r.at]));
    for (const run of status.nextRuns) {
      if (lastNext.get(run.planId) === run.at) continue;
      if (run.at) log('info', 'scheduler.next-run', { plan: run.planName, plan_id: run.planId, at: run.at, state: status.state });
      else if (lastNext.get(run.planId)) log('info', 'scheduler.disarmed', { plan: run.planName, plan_id: run.planId });
    }
    lastNext = next;
  };
  const soon = () => setImmediate(() => logNextRuns());
  const logArmed = (status: SchedulerStatus) => log('info', 'scheduler.armed', { state: status.state, plans: status.nextRuns.filter((r) => r.at).length });

  const offs = [
    followJobs(core, log),
    core.events.on('jobs/updated', (job) => {
      if (job.status === 'pending') soon();
    }),
    core.events.on('plans/changed', soon),
    core.events.on('alerts/raised', (alert) =>
      log(ALERT_LEVEL[alert.kind], 'alert.raised', { kind: alert.kind, plan_id: alert.planId, job: alert.jobId, message: alert.message }),
    ),
    core.schedulerLease.onEvent((event) => {
      logLeaseEvent(log, event, timings.retryMs ?? DEFAULT_SCHEDULER_LEASE_TIMINGS.retryMs);
      if (event.kind === 'taken') {
        // told before the scheduler starts: what it armed, once it has
        setImmediate(() => {
          if (!core.schedulerLease.holds()) return;
          logArmed(core.schedulerLease.status());
          logNextRuns();
        });
      }
      if (event.kind === 'lost') lastNext = new Map();
    }),
  ];
  // a ref'd timer: it keeps the daemon alive while it waits for the lease with nothing armed
  const tick = setInterval(logNextRuns, NEXT_RUN_CHECK_MS);

  let stopping: Promise<void> | null = null;
  let resolveStopped!: () => void;
  let rejectStopped!: (error: unknown) => void;
  const stopped = new Promise<void>((resolve, reject) => {
    resolveStopped = resolve;
    rejectStopped = reject;
  });
  const onReload = () => {
    log('info', 'daemon.reload', { signal: 'SIGHUP' });
    try {
      const status = core.schedulerLease.reinitialize();
      if (status.runBy?.kind === 'this') logArmed(status);
    } catch (error) {
      log('error', 'daemon.reload-failed', { message: error instanceof Error ? error.message : String(error) });
    }
    logNextRuns();
  };
  const onStop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log('warn', 'daemon.stopping', { signal, message: 'already stopping: waiting for running jobs to record their cancel' });
      return;
    }
    log('info', 'daemon.stopping', { signal, running_jobs: core.runner.activeJobIds().length });
    stopping = (async () => {
      clearInterval(tick);
      await server?.close();
      // cancels running jobs as a system cancel (their .part removed) and gives the lease back
      await core.close();
      for (const off of offs) off();
      log('info', 'daemon.stopped', { signal });
    })();
    stopping
      .finally(() => {
        process.off('SIGTERM', onStop);
        process.off('SIGINT', onStop);
        process.off('SIGHUP', onReload);
      })
      // a failed shutdown ends the command with its error (exit 1), not an unhandled rejection
      .then(resolveStopped, rejectStopped);
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onReload);

  core.schedulerLease.start();
  await stopped;
}

/** `lifeboat daemon`, registered on the CLI's program. */
export function registerDaemonCommand(program: Command, deps: DaemonDeps): void {
  program
    .command('daemon')
    .description('run the schedules without the window (a service): one log line per event on stdout; SIGTERM stops, SIGHUP reloads plans')
    .addOption(new Option('--log-format <format>', 'text (journald) or json (one object per line)').choices(LOG_FORMATS).default('text'))
    .option('--metrics <host:port>', 'serve Prometheus metrics at /metrics and a health check at /healthz on this address only, e.g. 127.0.0.1:9187')
    .option('--passphrase-file <file>', 'file whose first line is the plans\' passphrase (or set LIFEBOAT_PASSPHRASE)')
    .action(async (opts) => {
      await runDaemon(deps, {
        logFormat: opts.logFormat as LogFormat,
        metrics: opts.metrics as string | undefined,
        passphrase: readPassphrase(opts.passphraseFile, deps.io.env),
      });
    });
}
