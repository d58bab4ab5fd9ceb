import { useEffect, useState, type ReactNode } from 'react';
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

const PAGE_SIZE = 25;

/** A partial backup: restorable, but without the sources that failed. */
export function PartialMark({ job }: { job: JobSummary }) {
  const failed = job.failedSources?.length ? job.failedSources.join(', ') : null;
  return (
    <>
      {' '}
      <span className="badge badge-partial" title={failed ? `Failed: ${failed}` : 'Some sources failed'}>
        partial
      </span>
      {failed && <div className="muted small">without {failed}</div>}
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
export function BackupList({ columns = [], refreshKey = 0 }: { columns?: BackupColumn[]; refreshKey?: number }) {
  const [page, setPage] = useState(1);
  const [result, setResult] = useState<Page<JobSummary> | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const finishedCount = useJobsStore((s) => s.finishedCount);

  useEffect(() => {
    let current = true;
    call('jobs/list', { kind: 'backup', statuses: ['success', 'partial'], page, pageSize: PAGE_SIZE })
      .then((r) => current && (setResult(r), setError(null)))
      .catch((e) => current && setError(toUiError(e)));
    return () => {
      current = false;
    };
  }, [page, finishedCount, refreshKey]);

  if (error) return <ErrorBanner error={error} />;
  if (!result) return <p className="muted">Loading…</p>;
  if (result.total === 0) {
    return (
      <EmptyState title="No backups yet">
        Backups appear here after a plan has run successfully. See <a href={hrefFor('plans')}>Plans</a>.
      </EmptyState>
    );
  }
  return (
    <>
      <div className="table-wrap">
        <table className="table" aria-label="Backups">
          <thead>
            <tr>
              <th scope="col">Plan</th>
              <th scope="col">Made</th>
              <th scope="col">File</th>
              <th scope="col">Size</th>
              {columns.map((c) => (
                <th key={c.header} scope="col" className={c.className}>
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.items.map((job) => (
              <tr key={job.id}>
                <td>
                  <a href={hrefFor('history', { job: job.id })}>{job.planName ?? 'No plan'}</a>
                  {job.status === 'partial' && <PartialMark job={job} />}
                </td>
                <td className="nowrap">{formatShortDateTime(job.finishedAt ?? job.startedAt)}</td>
                <td className="mono break">{job.filePath ?? <span className="muted">file removed by retention</span>}</td>
                <td className="num nowrap">{formatBytes(job.sizeBytes)}</td>
                {columns.map((c) => (
                  <td key={c.header} className={c.className}>
                    {c.cell(job)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pagination page={page} pageSize={PAGE_SIZE} total={result.total} nouns={['backup', 'backups']} onPage={setPage} />
    </>
  );
}
