import { useEffect, useState } from 'react';
import type { RestoreInvokeResponses, RestoreRecord } from '../../../shared/restore';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { formatShortDateTime } from '../lib/format';
import { hrefFor } from '../lib/route';
import { useJobsStore } from '../stores/jobs-store';
import { ErrorBanner } from './ErrorBanner';
import { Pagination } from './Pagination';

const PAGE_SIZE = 10;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** "shop_copy (new) on db1:5432" / "files → /restore/here" — read from the target the catalog kept. */
export function describeRestoreTarget(target: Obj): string[] {
  const parts: string[] = [];
  const db = obj(target.database);
  if (db) {
    const server = obj(db.server);
    const where = server ? ` on ${str(server.host) ?? '?'}:${String(server.port ?? '')}` : '';
    const tables = Array.isArray(db.tables) ? `, ${db.tables.length} tables` : '';
    parts.push(`database “${str(db.database) ?? '?'}” (${db.mode === 'existing' ? 'over existing' : 'new'}${tables})${where}`);
  }
  const files = obj(target.files);
  if (files) {
    const paths = Array.isArray(files.paths) ? `${files.paths.length} selected paths` : 'whole tree';
    parts.push(`files (${paths}) → ${str(files.folder) ?? 'original place'}, ${str(files.conflict) ?? 'skip'}`);
  }
  return parts;
}

function outcome(record: RestoreRecord): string | null {
  const details = record.details;
  if (!details) return null;
  const error = obj(details.error);
  if (error) return str(error.message);
  const parts: string[] = [];
  const db = obj(details.database);
  if (db && Array.isArray(db.tables)) parts.push(`${db.tables.length} tables restored`);
  const files = obj(details.files);
  const counts = files ? obj(files.counts) : null;
  if (counts) parts.push(`${Number(counts.create ?? 0) + Number(counts.replace ?? 0) + Number(counts['keep-both'] ?? 0)} files written, ${Number(counts.skip ?? 0)} skipped`);
  return parts.join('; ') || null;
}

const statusBadge = (status: string) =>
  status === 'success' ? 'badge-success' : status === 'failed' ? 'badge-failed' : status === 'running' ? 'badge-running' : status === 'partial' ? 'badge-partial' : 'badge-cancelled';

/** The restores in the catalog, newest first: what was restored where, and how it ended. */
export function RestoreHistory() {
  const [page, setPage] = useState(1);
  const [result, setResult] = useState<RestoreInvokeResponses['restore/list'] | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const finishedCount = useJobsStore((s) => s.finishedCount);

  useEffect(() => {
    let current = true;
    call('restore/list', { page, pageSize: PAGE_SIZE })
      .then((r) => current && (setResult(r), setError(null)))
      .catch((e) => current && setError(toUiError(e)));
    return () => {
      current = false;
    };
  }, [page, finishedCount]);

  if (error) return <ErrorBanner error={error} />;
  if (!result) return <p className="muted">Loading…</p>;
  if (result.total === 0) return <p className="muted">No restores yet.</p>;
  return (
    <>
      <div className="table-wrap">
        <table className="table" aria-label="Restore history">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Backup</th>
              <th scope="col">Restored to</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {result.items.map((r) => (
              <tr key={r.id}>
                <td className="nowrap">
                  {r.jobId ? <a href={hrefFor('history', { job: r.jobId })}>{formatShortDateTime(r.createdAt)}</a> : formatShortDateTime(r.createdAt)}
                </td>
                <td className="mono break small">{r.backupPath}</td>
                <td>
                  {describeRestoreTarget(r.target).map((line) => (
                    <div key={line}>{line}</div>
                  ))}
                </td>
                <td>
                  <span className={`badge ${statusBadge(r.status)}`}>{r.status}</span>
                  {outcome(r) && <div className={`small ${r.status === 'failed' ? 'error-text' : 'muted'}`}>{outcome(r)}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pagination page={page} pageSize={PAGE_SIZE} total={result.total} nouns={['restore', 'restores']} onPage={setPage} />
    </>
  );
}
