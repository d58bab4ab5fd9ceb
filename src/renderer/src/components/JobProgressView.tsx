import type { JobSummary } from '../../../shared/job';
import { formatBytes, formatEta, formatPercent, formatRate } from '../lib/format';
import { useJobsStore } from '../stores/jobs-store';

/**
 * Live progress of a pending or running job, with Cancel. A <progress> element rather than a
 * styled div: the CSP allows no inline styles, and screen readers announce it.
 */
export function JobProgressView({ job, compact = false }: { job: JobSummary; compact?: boolean }) {
  const cancel = useJobsStore((s) => s.cancel);
  const p = job.progress;
  const label = `${job.planName ?? job.kind} progress`;
  if (compact) {
    return (
      <span className="progress-compact">
        <progress max={100} value={p?.percent ?? 0} aria-label={label} />
        <span>
          {p ? `${p.phase} ${formatPercent(p.percent)}` : job.status === 'pending' ? 'queued' : 'starting'}
        </span>
      </span>
    );
  }
  return (
    <div className="progress-block">
      <div className="progress-head">
        <span className="progress-phase">{job.status === 'pending' ? 'Waiting for a free slot' : (p?.phase ?? 'starting')}</span>
        <span className="progress-percent">{formatPercent(p?.percent ?? 0)}</span>
      </div>
      <progress max={100} value={p?.percent ?? 0} aria-label={label} />
      <dl className="progress-facts">
        <div>
          <dt>Done</dt>
          <dd>
            {formatBytes(p?.bytesDone ?? 0)}
            {p?.bytesTotal ? ` of ${formatBytes(p.bytesTotal)}` : ''}
          </dd>
        </div>
        {p && (p.filesDone > 0 || p.filesTotal) ? (
          <div>
            <dt>Files</dt>
            <dd>
              {p.filesDone}
              {p.filesTotal ? ` of ${p.filesTotal}` : ''}
            </dd>
          </div>
        ) : null}
        <div>
          <dt>Rate</dt>
          <dd>{formatRate(p?.rate)}</dd>
        </div>
        <div>
          <dt>Time left</dt>
          <dd>{formatEta(p?.etaSeconds)}</dd>
        </div>
      </dl>
      {p?.currentItem && (
        <p className="progress-item" title={p.currentItem}>
          {p.currentItem}
        </p>
      )}
      <button type="button" className="button-danger" onClick={() => void cancel(job.id)}>
        Cancel
      </button>
    </div>
  );
}
