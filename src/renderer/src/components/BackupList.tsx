import { useEffect, useRef, useState, type ReactNode } from 'react';
import { DEFAULT_SORT, SortHeader, type SortState } from './SortHeader';
import { FileName } from './Trunc';
import { SpacerRow, useVirtualRows } from './VirtualRows';
import type { JobSummary } from '../../../shared/job';
import type { Page } from '../../../shared/ipc-contract';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { formatBytes, formatShortDateTime } from '../lib/format';
import { hrefFor } from '../lib/route';
import { useJobsStore } from '../stores/jobs-store';
import { EmptyState } from './EmptyState';
import { ErrorBanner } from './ErrorBanner';
import { Pagination } from './Pagination';

/** Virtualized rows: a page can be long. */
const PAGE_SIZE = 100;

/** A partial backup: restorable, but without the sources that failed. */
export function PartialMark({ job }: { job: JobSummary }) {
  const failed = job.failedSources?.length ? job.failedSources.join(', ') : null;
  return (
    <>
      {' '}
      <span className="badge badge-partial" title={failed ? `Failed: ${failed}` : 'Some sources failed'}>
        partial
      </span>
      {failed && <span className="muted small"> without {failed}</span>}
    </>
  );
}

/** A column a screen adds to the list (verification state, actions). */
export interface BackupColumn {
  header: string;
  cell(job: JobSummary): ReactNode;
  className?: string;
}

/**
 * The backups in the catalog that hold data, newest first: successful ones and partial ones (some
 * sources failed; marked, with which): what Verify and Restore work on. It reloads when a job
 * finishes, and when `refreshKey` changes (an import adds backups).
 */
export function BackupList({ columns = [], refreshKey = 0, tableClassName }: { columns?: BackupColumn[]; refreshKey?: number; tableClassName?: string }) {
  const [page, setPage] = useState(1);
  // backups whose file retention removed cannot be verified or restored: hidden unless asked for
  const [onDiskOnly, setOnDiskOnly] = useState(true);
  const [sort, setSort] = useState<SortState>(DEFAULT_SORT);
  const scrollRef = useRef<HTMLDivElement>(null);
  const [result, setResult] = useState<Page<JobSummary> | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const finishedCount = useJobsStore((s) => s.finishedCount);

  useEffect(() => {
    let current = true;
    call('jobs/list', {
      kind: 'backup',
      statuses: ['success', 'partial'],
      page,
      pageSize: PAGE_SIZE,
      ...(onDiskOnly ? { onDisk: true } : {}),
      ...(sort.sort !== 'started' || sort.dir !== 'desc' ? { sort: sort.sort, sortDir: sort.dir } : {}),
    })
      .then((r) => current && (setResult(r), setError(null)))
      .catch((e) => current && setError(toUiError(e)));
    return () => {
      current = false;
    };
  }, [page, finishedCount, refreshKey, onDiskOnly, sort]);
  const rows = useVirtualRows(result?.items.length ?? 0, scrollRef, 48);

  if (error) return <ErrorBanner error={error} />;
  if (!result) return <p className="muted">Loading…</p>;
  const toolbar = (
    <div className="list-toolbar">
      <label>
        <input type="checkbox" checked={onDiskOnly} onChange={(e) => (setPage(1), setOnDiskOnly(e.target.checked))} />
        Only backups still on disk
      </label>
    </div>
  );
  if (result.total === 0 && onDiskOnly) {
    return (
      <>
        {toolbar}
        <EmptyState title="No backups on disk">
          Backups appear here after a plan has run successfully. See <a href={hrefFor('plans')}>Plans</a>.
        </EmptyState>
      </>
    );
  }
  if (result.total === 0) {
    return (
      <EmptyState title="No backups yet">
        Backups appear here after a plan has run successfully. See <a href={hrefFor('plans')}>Plans</a>.
      </EmptyState>
    );
  }
  return (
    <>
      {toolbar}
      <div className="table-wrap table-fit table-scroll" ref={scrollRef}>
        <table className={`table table-fixed${tableClassName ? ` ${tableClassName}` : ''}`} aria-label="Backups">
          <thead>
            <tr>
              <th scope="col" className="cell-plan">Plan</th>
              <SortHeader label="Made" column="started" state={sort} onSort={(next) => (setPage(1), setSort(next))} className="col-date" />
              <th scope="col" className="col-file">File</th>
              <SortHeader label="Size" column="size" state={sort} onSort={(next) => (setPage(1), setSort(next))} className="col-num col-size" />
              {columns.map((c) => (
                <th key={c.header} scope="col" className={c.className}>
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <SpacerRow height={rows.before} />
            {rows.items.map((row) => {
              const job = result.items[row.index]!;
              return (
                <tr key={job.id} ref={rows.measure} data-index={row.index}>
                  <td className="cell-plan">
                    <a href={hrefFor('history', { job: job.id })} className="trunc" title={job.planName ?? 'No plan'}>
                      {job.planName ?? 'No plan'}
                    </a>
                    {job.status === 'partial' && <PartialMark job={job} />}
                  </td>
                  <td className="nowrap">{formatShortDateTime(job.finishedAt ?? job.startedAt)}</td>
                  <td className="col-file">{job.filePath ? <FileName path={job.filePath} /> : <span className="muted">file removed by retention</span>}</td>
                  <td className="num nowrap col-size">{formatBytes(job.sizeBytes)}</td>
                  {columns.map((c) => (
                    <td key={c.header} className={c.className}>
                      {c.cell(job)}
                    </td>
                  ))}
                </tr>
              );
            })}
            <SpacerRow height={rows.after} />
          </tbody>
        </table>
      </div>
      <Pagination
        page={page}
        pageSize={PAGE_SIZE}
        total={result.total}
        nouns={['backup', 'backups']}
        // a new page starts at its top, not where the last one was scrolled to
        onPage={(p) => (setPage(p), scrollRef.current?.scrollTo({ top: 0 }))}
      />
    </>
  );
}
