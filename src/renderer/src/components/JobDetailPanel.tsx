import { useEffect, useState } from 'react';
import type { JobDetail } from '../../../shared/job';
import { failureLabel } from '../../../shared/health';
import { failureOfJob } from '../../../shared/error-field';
import { fileNameOf } from '../../../shared/format';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { hrefFor, navigate } from '../lib/route';
import { usePlansStore } from '../stores/plans-store';
import { FocusScope } from 'react-aria';
import { BackupCopies } from './BackupCopies';
import { DeleteBackup } from './DeleteBackup';
import { ErrorBanner } from './ErrorBanner';
import { JobProgressView } from './JobProgressView';
import { StatusBadge } from './StatusBadge';
import { formatBytes, formatDateTime, formatDuration, humanize } from '../lib/format';
import { isFinal, useJobsStore } from '../stores/jobs-store';
import { ProvenMark } from './ProvenMark';
import { UNENCRYPTED_NOTE } from './UnencryptedMark';

/** Everything a bug report or a colleague needs, as plain text. */
export function jobDetailsText(job: JobDetail): string {
  const lines = [
    `${failureLabel(job)}: ${job.planName ?? job.kind}`,
    `Job: ${job.id} (${job.kind}, ${job.status}, ${job.trigger})`,
    `Started: ${formatDateTime(job.startedAt)}`,
    `Finished: ${formatDateTime(job.finishedAt)}`,
  ];
  if (job.errorCode) lines.push(`Error code: ${job.errorCode}`);
  if (job.displayMessage) lines.push(`Message: ${job.displayMessage}`);
  if (job.filePath) lines.push(`File: ${job.filePath}`);
  for (const source of job.sources) {
    lines.push(`Source ${source.kind} ${source.label}: ${source.status}${source.message ? ` — ${source.errorCode ? `${source.errorCode}: ` : ''}${source.message}` : ''}`);
  }
  if (job.stderrTail) lines.push('', 'Tool output (last lines):', job.stderrTail);
  return lines.join('\n');
}

/**
 * The Edit plan link's query: the plan, the error code, and the source or hook that failed, so
 * that the editor opens on the field to fix (src/shared/error-field.ts).
 */
export function editPlanParams(job: Pick<JobDetail, 'planId' | 'errorCode' | 'sources' | 'hooks'>): Record<string, string> {
  const params: Record<string, string> = { edit: job.planId ?? '' };
  const failure = failureOfJob(job);
  if (!failure) return params;
  params.field = failure.code;
  if (failure.sourceLabel) params.source = failure.sourceLabel;
  if (failure.hookPhase) params.hook = failure.hookPhase;
  return params;
}

/**
 * What to do about a job that did not succeed: run it again (the plan; the same verification;
 * a restore or drill from its form, which holds its target), edit the plan, copy the details.
 */
function FailureActions({ job }: { job: JobDetail }) {
  const runNow = usePlansStore((s) => s.runNow);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const retry = async () => {
    setError(null);
    setNote(null);
    try {
      if (job.kind === 'backup' && job.planId) {
        const jobId = await runNow(job.planId);
        setNote('Started again.');
        navigate('history', { job: jobId });
      } else if (job.kind === 'verify' && job.filePath) {
        const { jobId } = await call('verify/run', { filePath: job.filePath });
        navigate('history', { job: jobId });
      } else if (job.kind === 'drill') {
        navigate('verify');
      } else {
        navigate('restore');
      }
    } catch (e) {
      setError(toUiError(e));
    }
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(jobDetailsText(job));
      setNote('Details copied.');
    } catch {
      setNote('Copying was refused: select the text below instead.');
    }
  };
  const retryLabel =
    job.kind === 'backup' ? (job.planId ? 'Retry (run the plan now)' : null) : job.kind === 'verify' ? (job.filePath ? 'Verify again' : null) : job.kind === 'drill' ? 'New drill…' : 'Restore again…';
  return (
    <div className="detail-actions" role="group" aria-label="What to do">
      {retryLabel && (
        <button type="button" className="button-primary" onClick={() => void retry()}>
          {retryLabel}
        </button>
      )}
      {job.kind === 'backup' && job.planId && (
        <a className="button" href={hrefFor('plans', editPlanParams(job))}>
          Edit plan
        </a>
      )}
      <button type="button" onClick={() => void copy()}>
        Copy details
      </button>
      {note && (
        <span className="muted small" role="status">
          {note}
        </span>
      )}
      <ErrorBanner error={error} />
    </div>
  );
}

/**
 * The selected job: everything the catalog knows, live while it runs. A drawer over the right
 * edge, so that the table keeps its full width; Escape closes it.
 */
export function JobDetailPanel({ onClose }: { onClose(): void }) {
  const detail = useJobsStore((s) => s.detail);
  const detailError = useJobsStore((s) => s.detailError);
  const reload = useJobsStore((s) => s.load);
  const select = useJobsStore((s) => s.select);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  return (
    // focus moves into the panel when it opens and back to the row's button when it closes
    <FocusScope autoFocus restoreFocus>
    <aside className="panel detail-panel" aria-label="Job details">
      <header className="panel-header">
        <h2>{detail ? (detail.planName ?? 'Job') : 'Job'}</h2>
        <button type="button" className="button-ghost" onClick={onClose} aria-label="Close job details">
          Close
        </button>
      </header>
      <ErrorBanner error={detailError} />
      {!detail && !detailError && <p className="muted">Loading…</p>}
      {detail && (
        <>
          <div className="detail-status">
            <StatusBadge status={detail.status} />
            <span className="muted">
              {detail.kind} · {humanize(detail.trigger)}
              {detail.cancelledBy ? ` · cancelled by ${detail.cancelledBy}` : ''}
            </span>
          </div>
          {!isFinal(detail.status) && <JobProgressView job={detail} />}
          {detail.displayMessage && (
            <p className={detail.status === 'failed' || detail.status === 'partial' ? 'detail-message error-text' : 'detail-message'}>
              {detail.errorCode && <strong className="banner-code">{detail.errorCode}</strong>}
              {detail.displayMessage}
            </p>
          )}
          {isFinal(detail.status) && detail.status !== 'success' && <FailureActions job={detail} />}
          {detail.kind === 'backup' && detail.status === 'partial' && detail.filePath && (
            <p className="detail-message" role="note">
              Partial backup: it holds every source but {detail.failedSources?.join(', ') || 'the failed ones'}, and restores like any other.
            </p>
          )}
          <dl className="facts">
            <dt>Started</dt>
            <dd>{formatDateTime(detail.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{formatDateTime(detail.finishedAt)}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(detail.durationMs)}</dd>
            <dt>Size</dt>
            <dd>{formatBytes(detail.sizeBytes)}</dd>
            {detail.compressionRatio !== null && (
              <>
                <dt>Compression</dt>
                <dd>{detail.compressionRatio.toFixed(2)}×</dd>
              </>
            )}
            {detail.filePath && (
              <>
                <dt>File</dt>
                <dd className="mono break">
                  <strong>{fileNameOf(detail.filePath)}</strong>
                  <br />
                  <span className="muted small">{detail.filePath}</span>
                </dd>
              </>
            )}
            {detail.checksum && (
              <>
                <dt>SHA-256</dt>
                <dd className="mono break">{detail.checksum}</dd>
              </>
            )}
            {detail.kind === 'backup' && (
              <>
                <dt>Proven restorable</dt>
                <dd>
                  <ProvenMark at={detail.provenAt} />
                </dd>
                {detail.encrypted !== null && (
                  <>
                    <dt>Encrypted</dt>
                    <dd>{detail.encrypted ? 'yes (AES-256-GCM)' : <span className="warn-text">{UNENCRYPTED_NOTE}</span>}</dd>
                  </>
                )}
              </>
            )}
            <dt>Job id</dt>
            <dd className="mono break">{detail.id}</dd>
          </dl>

          {detail.kind === 'backup' && detail.filePath && isFinal(detail.status) && (
            <BackupCopies backupId={detail.id} planId={detail.planId} refreshKey={`${detail.status}:${detail.finishedAt ?? ''}`} />
          )}

          {detail.sources.length > 0 && (
            <>
              <h3>Sources</h3>
              <table className="table table-compact" aria-label="Source results">
                <thead>
                  <tr>
                    <th scope="col">Source</th>
                    <th scope="col">Result</th>
                    <th scope="col">Size</th>
                    <th scope="col">Files</th>
                  </tr>
                </thead>
                <tbody>
                  {detail.sources.map((source, index) => (
                    <tr key={index}>
                      <td>
                        <span className="muted">{source.kind}</span> {source.label}
                        {source.message && <div className="error-text small">{source.errorCode ? `${source.errorCode}: ` : ''}{source.message}</div>}
                      </td>
                      <td>
                        <span className={`badge badge-${source.status === 'success' ? 'success' : source.status === 'failed' ? 'failed' : 'cancelled'}`}>
                          {source.status}
                        </span>
                      </td>
                      <td className="num">{formatBytes(source.bytes)}</td>
                      <td className="num">{source.files}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}

          {detail.kind === 'backup' && detail.filePath && isFinal(detail.status) && (
            <DeleteBackup
              key={detail.id}
              job={detail}
              onDeleted={() => {
                void reload();
                void select(detail.id);
              }}
            />
          )}

          {detail.stderrTail && (
            <>
              <h3>Tool output (last lines)</h3>
              <pre className="stderr" aria-label="Tool output">{detail.stderrTail}</pre>
            </>
          )}
        </>
      )}
    </aside>
    </FocusScope>
  );
}
