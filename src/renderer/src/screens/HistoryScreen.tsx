import { forwardRef, useEffect, useRef, useState } from 'react';
import { SortHeader, type SortState } from '../components/SortHeader';
import { Trunc } from '../components/Trunc';
import { SpacerRow, useVirtualRows } from '../components/VirtualRows';
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

const JobRow = forwardRef<HTMLTableRowElement, { job: JobSummary; selected: boolean; index: number; onOpen(): void }>(function JobRow(
  { job, selected, index, onOpen },
  ref,
) {
  const message = job.displayMessage ?? '';
  return (
    <tr ref={ref} data-index={index} className={selected ? 'row-selected' : undefined} onClick={onOpen} aria-selected={selected}>
      <td className="cell-plan">
        {/* the button makes the row reachable by keyboard and gives it an accessible name */}
        <button type="button" className="link-button trunc" title={job.planName ?? 'No plan'} onClick={(e) => (e.stopPropagation(), onOpen())}>
          {job.planName ?? 'No plan'}
        </button>
        {job.description && <Trunc text={job.description} className="muted small job-description" />}
      </td>
      <td className="col-kind">{job.kind}</td>
      <td className="col-status">
        <StatusBadge status={job.status} />
      </td>
      <td className="col-proven">
        {job.kind === 'backup' && (
          <span className="cell-line">
            <ProvenMark at={job.provenAt} />
            <UnencryptedMark encrypted={job.encrypted} />
          </span>
        )}
      </td>
      <td className="col-trigger">{humanize(job.trigger)}</td>
      <td className="col-date nowrap">{formatShortDateTime(job.startedAt)}</td>
      <td className="col-num col-duration nowrap num">{formatDuration(job.durationMs)}</td>
      <td className="col-num col-size nowrap num">{formatBytes(job.sizeBytes)}</td>
      <td className="cell-message">
        {isFinal(job.status) ? message && <Trunc text={message} /> : <JobProgressView job={job} compact />}
      </td>
    </tr>
  );
});

function JobsTable({ items, loading, selectedId, onOpen }: { items: JobSummary[]; loading: boolean; selectedId: string | null; onOpen(id: string): void }) {
  const filter = useJobsStore((s) => s.filter);
  const setFilter = useJobsStore((s) => s.setFilter);
  const sort: SortState = { sort: filter.sort ?? 'started', dir: filter.sortDir ?? 'desc' };
  const onSort = (next: SortState) => setFilter({ sort: next.sort, sortDir: next.dir });
  const scrollRef = useRef<HTMLDivElement>(null);
  const rows = useVirtualRows(items.length, scrollRef, 44);
  return (
    <div className="table-wrap table-fit table-scroll" ref={scrollRef}>
      <table className="table table-clickable table-fixed table-jobs" aria-label="Jobs" aria-busy={loading} aria-rowcount={items.length + 1}>
        <thead>
          <tr>
            <th scope="col" className="cell-plan">Plan</th>
            <th scope="col" className="col-kind">Kind</th>
            <th scope="col" className="col-status">Status</th>
            <th scope="col" className="col-proven">Proven restorable</th>
            <th scope="col" className="col-trigger">Trigger</th>
            <SortHeader label="Started" column="started" state={sort} onSort={onSort} className="col-date" />
            <SortHeader label="Duration" column="duration" state={sort} onSort={onSort} className="col-num col-duration" />
            <SortHeader label="Size" column="size" state={sort} onSort={onSort} className="col-num col-size" />
            <th scope="col" className="cell-message">Message</th>
          </tr>
        </thead>
        <tbody>
          <SpacerRow height={rows.before} />
          {rows.items.map((row) => {
            const job = items[row.index]!;
            return <JobRow key={job.id} ref={rows.measure} index={row.index} job={job} selected={job.id === selectedId} onOpen={() => onOpen(job.id)} />;
          })}
          <SpacerRow height={rows.after} />
        </tbody>
      </table>
    </div>
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
              {/* a new page starts at its top, not where the last one was scrolled to */}
              <JobsTable key={page} items={items} loading={loading} selectedId={selectedId} onOpen={(id) => void select(id)} />
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
