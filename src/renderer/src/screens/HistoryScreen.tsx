import { useEffect, useState } from 'react';
import { JOB_STATUSES, type JobStatus, type JobSummary } from '../../../shared/job';
import { EmptyState } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { JobDetailPanel } from '../components/JobDetailPanel';
import { JobProgressView } from '../components/JobProgressView';
import { ProvenMark } from '../components/ProvenMark';
import { UnencryptedMark } from '../components/UnencryptedMark';
import { Pagination } from '../components/Pagination';
import { StatusBadge } from '../components/StatusBadge';
import { call } from '../lib/api';
import { downloadText } from '../lib/download';
import { toUiError, type UiError } from '../lib/errors';
import { formatBytes, formatDuration, formatShortDateTime, humanize } from '../lib/format';
import { hrefFor, navigate } from '../lib/route';
import { cleanFilter, HISTORY_PAGE_SIZE, isFinal, useJobsStore } from '../stores/jobs-store';
import { usePlansStore } from '../stores/plans-store';

function JobRow({ job, selected, onOpen }: { job: JobSummary; selected: boolean; onOpen(): void }) {
  return (
    <tr className={selected ? 'row-selected' : undefined} onClick={onOpen} aria-selected={selected}>
      <td className="cell-plan">
        {/* the button makes the row reachable by keyboard and gives it an accessible name */}
        <button type="button" className="link-button" onClick={(e) => (e.stopPropagation(), onOpen())}>
          {job.planName ?? 'No plan'}
        </button>
        {job.description && <div className="muted small job-description">{job.description}</div>}
      </td>
      <td>{job.kind}</td>
      <td>
        <StatusBadge status={job.status} />
      </td>
      <td className="nowrap">
        {job.kind === 'backup' && <ProvenMark at={job.provenAt} />} {job.kind === 'backup' && <UnencryptedMark encrypted={job.encrypted} />}
      </td>
      <td>{humanize(job.trigger)}</td>
      <td className="nowrap">{formatShortDateTime(job.startedAt)}</td>
      <td className="nowrap num">{formatDuration(job.durationMs)}</td>
      <td className="nowrap num">{formatBytes(job.sizeBytes)}</td>
      <td className="cell-message">
        {isFinal(job.status) ? (job.displayMessage ?? '') : <JobProgressView job={job} compact />}
      </td>
    </tr>
  );
}

export function HistoryScreen({ jobId }: { jobId: string | null }) {
  const { filter, page, items, total, loaded, loading, error, selectedId, setFilter, clearFilter, setPage, load, select } =
    useJobsStore();
  const plans = usePlansStore((s) => s.plans);
  const [search, setSearch] = useState(filter.search ?? '');
  const [exportError, setExportError] = useState<UiError | null>(null);

  useEffect(() => {
    void load();
  }, [load]);

  // a link such as #/history?job=<id> (a notification, the dashboard) opens that job
  useEffect(() => {
    if (jobId) void select(jobId);
  }, [jobId, select]);

  // search as the user types, but one request per pause rather than per key
  useEffect(() => {
    if ((filter.search ?? '') === search) return;
    const timer = setTimeout(() => setFilter({ search }), 300);
    return () => clearTimeout(timer);
  }, [search, filter.search, setFilter]);

  const filtered = Boolean(filter.planId || filter.status || filter.search);

  const exportCsv = async () => {
    setExportError(null);
    try {
      const { csv } = await call('jobs/export-csv', cleanFilter(filter));
      downloadText(`lifeboat-history-${new Date().toISOString().slice(0, 10)}.csv`, csv, 'text/csv;charset=utf-8');
    } catch (e) {
      setExportError(toUiError(e));
    }
  };

  return (
    <section className="screen" aria-labelledby="history-title">
      <header className="screen-header">
        <h1 id="history-title">History</h1>
        <button type="button" onClick={() => void exportCsv()} disabled={total === 0}>
          Export CSV
        </button>
      </header>

      <div className="toolbar" role="search">
        <label className="toolbar-field">
          <span>Plan</span>
          <select value={filter.planId ?? ''} onChange={(e) => setFilter({ planId: e.target.value || undefined })}>
            <option value="">All plans</option>
            {plans.map((plan) => (
              <option key={plan.id} value={plan.id}>
                {plan.name}
              </option>
            ))}
          </select>
        </label>
        <label className="toolbar-field">
          <span>Status</span>
          <select
            value={filter.status ?? ''}
            onChange={(e) => setFilter({ status: (e.target.value || undefined) as JobStatus | undefined })}
          >
            <option value="">All statuses</option>
            {JOB_STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        <label className="toolbar-field toolbar-grow">
          <span>Search</span>
          <input
            type="search"
            value={search}
            placeholder="Plan, label, message, file or job id"
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
      </div>

      <ErrorBanner error={error} />
      <ErrorBanner error={exportError} onDismiss={() => setExportError(null)} />

      <div className="history-body">
          {loaded && total === 0 && !filtered && (
            <EmptyState title="No jobs yet">
              Backups, verifications and restores appear here once they run. <a href={hrefFor('plans')}>Create a plan</a>{' '}
              and run it, or wait for its schedule.
            </EmptyState>
          )}
          {loaded && total === 0 && filtered && (
            <EmptyState title="No jobs match these filters">
              <button type="button" onClick={() => (setSearch(''), clearFilter())}>
                Clear filters
              </button>
            </EmptyState>
          )}
          {total > 0 && (
            <>
              <div className="table-wrap">
                <table className="table table-clickable" aria-label="Jobs" aria-busy={loading}>
                  <thead>
                    <tr>
                      <th scope="col">Plan</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Status</th>
                      <th scope="col">Proven restorable</th>
                      <th scope="col">Trigger</th>
                      <th scope="col">Started</th>
                      <th scope="col">Duration</th>
                      <th scope="col">Size</th>
                      <th scope="col">Message</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((job) => (
                      <JobRow key={job.id} job={job} selected={job.id === selectedId} onOpen={() => void select(job.id)} />
                    ))}
                  </tbody>
                </table>
              </div>
              <Pagination page={page} pageSize={HISTORY_PAGE_SIZE} total={total} nouns={['job', 'jobs']} onPage={setPage} />
            </>
          )}
      </div>
      {selectedId && (
        <JobDetailPanel
          onClose={() => {
            void select(null);
            // drop ?job= so that following the same link again reopens the job
            if (jobId) navigate('history');
          }}
        />
      )}
    </section>
  );
}
