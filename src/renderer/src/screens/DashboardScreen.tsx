import { useEffect, useState } from 'react';
import type { JobSummary } from '../../../shared/job';
import { EmptyState } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { JobProgressView } from '../components/JobProgressView';
import { StatusBadge } from '../components/StatusBadge';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { formatBytes, formatShortDateTime } from '../lib/format';
import { describeSchedule } from '../lib/plan-form';
import { hrefFor } from '../lib/route';
import { useAppStore } from '../stores/app-store';
import { isFinal, useJobsStore } from '../stores/jobs-store';
import { usePlansStore } from '../stores/plans-store';

interface Summary {
  lastByPlan: Record<string, JobSummary | null>;
  failures: JobSummary[];
}

/** The last backup of every plan and the latest failures, read fresh from the catalog. */
async function loadSummary(planIds: string[]): Promise<Summary> {
  // a few recent backups per plan: the newest may still be running, the result is the newest finished
  const recent = await Promise.all(
    planIds.map((planId) => call('jobs/list', { planId, kind: 'backup', page: 1, pageSize: 5 })),
  );
  const lastByPlan: Record<string, JobSummary | null> = {};
  planIds.forEach((id, i) => (lastByPlan[id] = recent[i].items.find((job) => isFinal(job.status)) ?? null));
  const [failed, partial] = await Promise.all([
    call('jobs/list', { status: 'failed', page: 1, pageSize: 5 }),
    call('jobs/list', { status: 'partial', page: 1, pageSize: 5 }),
  ]);
  const failures = [...failed.items, ...partial.items]
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .slice(0, 5);
  return { lastByPlan, failures };
}

export function DashboardScreen() {
  const { paused, setPaused } = useAppStore();
  const plans = usePlansStore((s) => s.plans);
  const plansLoaded = usePlansStore((s) => s.loaded);
  const active = useJobsStore((s) => s.active);
  const finishedCount = useJobsStore((s) => s.finishedCount);
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

  const running = Object.values(active);

  return (
    <section className="screen" aria-labelledby="dashboard-title">
      <header className="screen-header">
        <h1 id="dashboard-title">Dashboard</h1>
      </header>
      <ErrorBanner error={error} />

      <div className="stat-row">
        <div className="card stat">
          <span className="stat-label">Scheduler</span>
          <span className={`stat-value ${paused ? 'warn-text' : 'ok-text'}`}>{paused ? 'Paused' : 'Running'}</span>
          <button type="button" onClick={() => void setPaused(!paused)}>
            {paused ? 'Resume schedules' : 'Pause all'}
          </button>
        </div>
        <div className="card stat">
          <span className="stat-label">Plans</span>
          <span className="stat-value">{plans.length}</span>
          <a href={hrefFor('plans')}>Manage plans</a>
        </div>
        <div className="card stat">
          <span className="stat-label">Jobs running</span>
          <span className="stat-value">{running.length}</span>
          <a href={hrefFor('history')}>Open history</a>
        </div>
      </div>

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

      <section className="section" aria-labelledby="last-title">
        <h2 id="last-title">Last result per plan</h2>
        {plansLoaded && plans.length === 0 ? (
          <EmptyState title="No plans yet">
            <a href={hrefFor('plans')}>Create a plan</a> to start backing up.
          </EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table" aria-label="Last result per plan">
              <thead>
                <tr>
                  <th scope="col">Plan</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Last result</th>
                  <th scope="col">Started</th>
                  <th scope="col">Size</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {plans.map((plan) => {
                  const last = summary?.lastByPlan[plan.id];
                  return (
                    <tr key={plan.id}>
                      <td>{plan.name}</td>
                      <td className="muted">{plan.enabled ? describeSchedule(plan.schedule) : 'Disabled'}</td>
                      <td>
                        {last ? (
                          <StatusBadge status={last.status} />
                        ) : (
                          // undefined: still loading; null: the catalog has no backup of this plan
                          <span className="muted">{last === null ? 'never run' : '…'}</span>
                        )}
                      </td>
                      <td className="nowrap">{last ? <a href={hrefFor('history', { job: last.id })}>{formatShortDateTime(last.startedAt)}</a> : '—'}</td>
                      <td className="num">{formatBytes(last?.sizeBytes)}</td>
                      <td className="cell-message">{last?.displayMessage ?? ''}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="section" aria-labelledby="failures-title">
        <h2 id="failures-title">Recent failures</h2>
        {summary && summary.failures.length === 0 && <p className="muted">No failed or partial jobs. </p>}
        {summary && summary.failures.length > 0 && (
          <ul className="failure-list">
            {summary.failures.map((job) => (
              <li key={job.id} className="card failure">
                <div>
                  <StatusBadge status={job.status} /> <a href={hrefFor('history', { job: job.id })}>{job.planName ?? job.kind}</a>{' '}
                  <span className="muted">{formatShortDateTime(job.startedAt)}</span>
                </div>
                {job.displayMessage && <p className="error-text">{job.displayMessage}</p>}
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}
