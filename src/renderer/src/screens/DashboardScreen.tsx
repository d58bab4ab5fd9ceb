import { lazy, Suspense, useEffect, useState } from 'react';
import type { PlanNextRun, SchedulerState } from '../../../shared/ipc-contract';
import type { JobSummary } from '../../../shared/job';
import type { Plan } from '../../../shared/plan';
import type { JobStats } from '../../../shared/stats';
import { AlertList } from '../components/AlertList';
import { HealthBanner } from '../components/HealthBanner';
import { Trunc } from '../components/Trunc';
import { failureLabel } from '../../../shared/health';
import { fileNameOf } from '../../../shared/format';
import { useHealth, useHealthStore } from '../stores/health-store';
import { EmptyState } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { JobProgressView } from '../components/JobProgressView';
import { StatusBadge } from '../components/StatusBadge';
import { call } from '../lib/api';
import { labelDays, localTimeZone, STATS_DAYS } from '../lib/dashboard-stats';
import { toUiError, type UiError } from '../lib/errors';
import { formatBytes, formatDuration, formatShortDateTime } from '../lib/format';
import { describeSchedule } from '../lib/plan-form';
import { hrefFor } from '../lib/route';
import { formatRelative } from '../lib/schedule-format';
import { useAppStore } from '../stores/app-store';
import { activeJobOfPlan, isFinal, useJobsStore } from '../stores/jobs-store';
import { useNotifyStore } from '../stores/notify-store';
import { planName, usePlansStore } from '../stores/plans-store';
import { useSchedulerStore } from '../stores/scheduler-store';
import { ProvenMark } from '../components/ProvenMark';
import { OffsiteStatus } from '../components/OffsiteStatus';
import { schedulesRunByText } from '../lib/other-process';

// recharts is most of the bundle's weight and only this screen draws charts: load it with them
const BackupTrendCharts = lazy(() => import('../components/charts/BackupTrendCharts').then((m) => ({ default: m.BackupTrendCharts })));

/** Next runs that have passed are re-armed by main; look again now and then. */
const STATUS_REFRESH_MS = 60_000;

interface Summary {
  lastByPlan: Record<string, JobSummary | null>;
  /** the figures main counted over the whole catalog, its days cut in this renderer's time zone */
  stats: JobStats;
}

/**
 * What the dashboard shows of the catalog besides health, read fresh: a few small requests,
 * whatever the history's length. The failures come with the health (stores/health-store.ts).
 */
async function loadSummary(planIds: string[]): Promise<Summary> {
  // a few recent backups per plan: the newest may still be running, the result is the newest finished
  const perPlan = Promise.all(planIds.map((planId) => call('jobs/list', { planId, kind: 'backup', page: 1, pageSize: 5 })));
  const [recentPerPlan, stats] = await Promise.all([perPlan, call('jobs/stats', { timeZone: localTimeZone(), days: STATS_DAYS })]);
  const lastByPlan: Record<string, JobSummary | null> = {};
  planIds.forEach((id, i) => (lastByPlan[id] = recentPerPlan[i].items.find((job) => isFinal(job.status)) ?? null));
  return { lastByPlan, stats };
}

const STATE_TEXT: Record<SchedulerState, { label: string; className: string; hint: string }> = {
  running: { label: 'Running', className: 'ok-text', hint: 'Plans run on their schedules.' },
  paused: { label: 'Paused', className: 'warn-text', hint: 'No scheduled backup starts. Run now still works.' },
  stopped: { label: 'Stopped', className: 'error-text', hint: 'No schedule is armed. Re-initialise to start them.' },
};

function SchedulerCard() {
  const paused = useAppStore((s) => s.paused);
  const { status, busy, setPaused, reinitialize } = useSchedulerStore();
  const [notice, setNotice] = useState<string | null>(null);
  const state = status?.state ?? null;
  const text = state ? STATE_TEXT[state] : null;
  // another process (the `lifeboat daemon` service) runs the schedules: its pause switch is its own
  const runByOther = schedulesRunByText(status?.runBy);

  const reinit = async () => {
    setNotice(null);
    if (await reinitialize()) {
      const current = useSchedulerStore.getState().status;
      const armed = current?.nextRuns.filter((r) => r.at).length ?? 0;
      const other = schedulesRunByText(current?.runBy);
      // the other process re-reads changed plans itself; nothing was re-armed here
      setNotice(other ? `${other}: it follows plan changes itself.` : `Re-armed from the catalog: ${armed} plan${armed === 1 ? '' : 's'} scheduled.`);
    }
  };

  return (
    <div className="card stat stat-scheduler" aria-label="Scheduler" role="group">
      <span className="stat-label">Scheduler</span>
      <span className={`stat-value ${text?.className ?? ''}`}>{text?.label ?? '…'}</span>
      <span className="muted small">{runByOther ? `${runByOther}, on host ${status?.runBy?.host}.` : (text?.hint ?? '')}</span>
      <div className="button-row">
        <button
          type="button"
          disabled={busy || runByOther !== null}
          title={runByOther ? 'Another Lifeboat process runs the schedules: stop it to pause them' : undefined}
          onClick={() => void setPaused(!paused)}
        >
          {paused ? 'Resume' : 'Pause all'}
        </button>
        <button type="button" disabled={busy} onClick={() => void reinit()} title="Re-arm every plan from the catalog, catching up missed runs">
          Re-initialise
        </button>
      </div>
      {notice && (
        <span className="muted small" role="status">
          {notice}
        </span>
      )}
    </div>
  );
}

/** Green from 95 %, amber from 80 %: one failure in twenty is already worth a look. */
function rateClass(rate: number | null): string {
  if (rate === null) return '';
  return rate >= 0.95 ? 'ok-text' : rate >= 0.8 ? 'warn-text' : 'error-text';
}

function unarmedReason(plan: Plan | undefined, state: SchedulerState | undefined): string {
  if (!plan) return 'not scheduled';
  if (!plan.enabled) return 'disabled';
  if (plan.schedule.kind === 'manual') return 'manual only';
  if (state === 'stopped') return 'scheduler stopped';
  return 'not armed';
}

function NextRuns({ runs, plans, state }: { runs: PlanNextRun[]; plans: Plan[]; state: SchedulerState | undefined }) {
  const now = new Date();
  return (
    <section className="card section" aria-labelledby="next-runs-title">
      <h2 id="next-runs-title">Next runs</h2>
      {runs.length === 0 ? (
        <p className="muted">No plans yet.</p>
      ) : (
        <table className="table table-compact dash-table" aria-label="Next runs">
          <tbody>
            {runs.map((run) => {
              const plan = plans.find((p) => p.id === run.planId);
              return (
                <tr key={run.planId}>
                  <th scope="row">{run.planName}</th>
                  <td className="nowrap">
                    {run.at ? (
                      <time dateTime={run.at}>{formatShortDateTime(run.at)}</time>
                    ) : (
                      <span className="muted">{unarmedReason(plan, state)}</span>
                    )}
                  </td>
                  <td className="muted nowrap num">
                    {run.at ? (state === 'paused' ? 'skipped while paused' : formatRelative(run.at, now)) : ''}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * The newest failures of every kind, each labelled by what failed: a failed restore or drill of
 * a plan's backup is never shown as if the plan's backup had failed.
 */
function RecentFailures({ failures, loaded }: { failures: JobSummary[]; loaded: boolean }) {
  return (
    <section className="section" aria-labelledby="failures-title">
      <h2 id="failures-title">Recent failures</h2>
      {loaded && failures.length === 0 && <p className="muted">No failed, partial or interrupted jobs.</p>}
      {failures.length > 0 && (
        <ul className="failure-list">
          {failures.slice(0, 5).map((job) => (
            <li key={job.id} className="card failure">
              <div className="failure-line">
                <StatusBadge status={job.status} />
                <span className="failure-kind">{failureLabel(job)}</span>
                <a href={hrefFor('history', { job: job.id })} className="trunc" title={job.filePath ?? job.planName ?? job.kind}>
                  {job.kind === 'backup' ? (job.planName ?? 'backup') : `${job.planName ?? 'a backup'}${job.filePath ? ` (${fileNameOf(job.filePath)})` : ''}`}
                </a>
                <span className="muted nowrap">{formatShortDateTime(job.startedAt)}</span>
              </div>
              {job.displayMessage && (
                <p className="error-text" title={job.displayMessage}>
                  {job.displayMessage}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function RecentAlerts({ plans }: { plans: Plan[] }) {
  const { alerts, alertsLoaded, alertsError, alertsTotal, loadAlerts } = useNotifyStore();
  useEffect(() => {
    void loadAlerts();
  }, [loadAlerts]);
  return (
    <section className="card section" aria-labelledby="alerts-title">
      <div className="section-head">
        <h2 id="alerts-title">Recent alerts</h2>
        {alertsTotal > alerts.length && <a href={hrefFor('settings')}>All {alertsTotal} alerts</a>}
      </div>
      <ErrorBanner error={alertsError} />
      {alertsLoaded && alerts.length === 0 && <p className="muted">No alerts. Failing runs, unusual sizes or durations, low disk space and overdue plans show up here.</p>}
      {alerts.length > 0 && <AlertList alerts={alerts} planName={(id) => planName(plans, id)} label="Recent alerts" />}
    </section>
  );
}

export function DashboardScreen() {
  const plans = usePlansStore((s) => s.plans);
  const plansLoaded = usePlansStore((s) => s.loaded);
  const runNow = usePlansStore((s) => s.runNow);
  const active = useJobsStore((s) => s.active);
  const finishedCount = useJobsStore((s) => s.finishedCount);
  const schedulerStatus = useSchedulerStore((s) => s.status);
  const schedulerError = useSchedulerStore((s) => s.error);
  const loadScheduler = useSchedulerStore((s) => s.load);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [error, setError] = useState<UiError | null>(null);

  const planIds = plans.map((p) => p.id).join(',');
  useEffect(() => {
    let current = true;
    loadSummary(planIds ? planIds.split(',') : [])
      .then((s) => current && (setSummary(s), setError(null)))
      .catch((e) => current && setError(toUiError(e)));
    return () => {
      current = false;
    };
  }, [planIds, finishedCount]);

  useEffect(() => {
    void loadScheduler();
    const timer = setInterval(() => void loadScheduler(), STATUS_REFRESH_MS);
    return () => clearInterval(timer);
  }, [loadScheduler]);

  const running = Object.values(active);
  const health = useHealth();
  const failures = useHealthStore((s) => s.failures);
  const failuresLoaded = useHealthStore((s) => s.loaded);
  const rate = summary?.stats.successRate ?? null;
  const storage = summary?.stats.storageUsed ?? null;
  const series = summary ? labelDays(summary.stats.daily) : null;
  const proven = summary?.stats.lastProvenByPlan ?? null;
  const hasTrend = series?.some((p) => p.runs > 0) ?? false;

  return (
    <section className="screen" aria-labelledby="dashboard-title">
      <header className="screen-header">
        <h1 id="dashboard-title">Dashboard</h1>
      </header>
      <HealthBanner health={health} />
      <ErrorBanner error={error} />
      <ErrorBanner error={schedulerError} />

      <div className="dash-stats">
        <SchedulerCard />
        <div className="card stat" role="group" aria-label="Success rate">
          <span className="stat-label">Success rate · {STATS_DAYS} days</span>
          <span className={`stat-value ${rateClass(rate?.rate ?? null)}`}>{rate?.rate == null ? '—' : `${Math.round(rate.rate * 100)}%`}</span>
          <span className="muted small">
            {rate ? (rate.counted ? `${rate.succeeded} of ${rate.counted} backup runs succeeded` : 'No finished backups yet') : '…'}
          </span>
        </div>
        <div className="card stat" role="group" aria-label="Storage used">
          <span className="stat-label">Storage used</span>
          <span className="stat-value">{storage ? formatBytes(storage.bytes) : '—'}</span>
          <span className="muted small">
            {storage ? `${storage.backups} backup${storage.backups === 1 ? '' : 's'} on disk` : '…'}
          </span>
        </div>
        <div className="card stat" role="group" aria-label="Jobs running">
          <span className="stat-label">Jobs running</span>
          <span className="stat-value">{running.length}</span>
          <a className="small" href={hrefFor('history')}>
            Open history
          </a>
        </div>
      </div>

      <RecentFailures failures={failures} loaded={failuresLoaded} />

      {running.length > 0 && (
        <section className="section" aria-labelledby="running-title">
          <h2 id="running-title">Running now</h2>
          {running.map((job) => (
            <div className="card" key={job.id}>
              <h3>
                <a href={hrefFor('history', { job: job.id })}>{job.planName ?? job.kind}</a> <span className="muted">{job.kind}</span>
              </h3>
              <JobProgressView job={job} />
            </div>
          ))}
        </section>
      )}

      <div className="dash-columns">
        <NextRuns runs={schedulerStatus?.nextRuns ?? []} plans={plans} state={schedulerStatus?.state} />
        <RecentAlerts plans={plans} />
      </div>

      <section className="section" aria-labelledby="last-title">
        <h2 id="last-title">Last result per plan</h2>
        {plansLoaded && plans.length === 0 ? (
          <EmptyState title="No plans yet">
            <a href={hrefFor('plans')}>Create a plan</a> to start backing up.
          </EmptyState>
        ) : (
          <div className="table-wrap table-fit">
            <table className="table table-fixed table-last" aria-label="Last result per plan">
              <thead>
                <tr>
                  <th scope="col" className="cell-plan">Plan</th>
                  <th scope="col" className="col-wide col-schedule">Schedule</th>
                  <th scope="col" className="col-status">Last result</th>
                  <th scope="col" className="col-proven">Proven restorable</th>
                  <th scope="col" className="col-date">Started</th>
                  <th scope="col" className="col-num col-duration">Duration</th>
                  <th scope="col" className="col-num col-size">Size</th>
                  <th scope="col" className="cell-message">Message</th>
                  <th scope="col" className="col-run">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {plans.map((plan) => {
                  const last = summary?.lastByPlan[plan.id];
                  return (
                    <tr key={plan.id}>
                      <td className="cell-plan">
                        <Trunc text={plan.name} />
                      </td>
                      <td className="muted col-schedule">
                        <Trunc text={plan.enabled ? describeSchedule(plan.schedule) : 'Disabled'} />
                      </td>
                      <td className="col-status">
                        {last ? (
                          <StatusBadge status={last.status} />
                        ) : (
                          // undefined: still loading; null: the catalog has no backup of this plan
                          <span className="muted">{last === null ? 'never run' : '…'}</span>
                        )}
                      </td>
                      <td className="nowrap col-proven">
                        <ProvenMark at={proven?.[plan.id] ?? null} none={plan.options.drillAfter ? 'not yet' : 'no drill'} />
                      </td>
                      <td className="nowrap col-date">{last ? <a href={hrefFor('history', { job: last.id })}>{formatShortDateTime(last.startedAt)}</a> : '—'}</td>
                      <td className="nowrap num col-duration">{formatDuration(last?.durationMs)}</td>
                      <td className="nowrap num col-size">{formatBytes(last?.sizeBytes)}</td>
                      <td className="cell-message">{last?.displayMessage ? <Trunc text={last.displayMessage} /> : ''}</td>
                      <td className="nowrap">
                        <button
                          type="button"
                          disabled={Boolean(activeJobOfPlan(active, plan.id))}
                          onClick={() => void runNow(plan.id).catch((e: unknown) => setError(toUiError(e)))}
                        >
                          Run now
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <OffsiteStatus plans={plans} refreshKey={finishedCount} />

      <section className="section" aria-labelledby="trends-title">
        <h2 id="trends-title">Backups over the last {STATS_DAYS} days</h2>
        {series && hasTrend && (
          <Suspense fallback={<p className="muted">Loading the charts…</p>}>
            <BackupTrendCharts points={series} />
          </Suspense>
        )}
        {series && !hasTrend && <p className="muted">No successful backups in the last {STATS_DAYS} days yet: the size and duration charts start with the first one.</p>}
      </section>

    </section>
  );
}
