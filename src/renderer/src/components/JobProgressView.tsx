import { useEffect, useState } from 'react';
import type { JobSummary } from '../../../shared/job';
import { formatBytes, formatDuration, formatEta, formatPercent, formatRate } from '../lib/format';
import { useJobsStore } from '../stores/jobs-store';

/**
 * Live progress of a pending or running job, with Cancel. A <progress> element rather than a
 * styled div: the CSP allows no inline styles, and screen readers announce it.
 */
/** The clock, ticking while a job runs, for its elapsed time. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

/** "stalled 12 min: waiting on a lock on table public.orders, held by …" (jobs/stall-watch.ts) */
export function stallText(job: JobSummary, now: number): string | null {
  if (!job.stall) return null;
  const minutes = Math.max(1, Math.round((now - Date.parse(job.stall.since)) / 60_000));
  return `stalled, no progress for ${minutes} min${job.stall.waitingOn ? `: waiting on ${job.stall.waitingOn}` : ''}`;
}

export function JobProgressView({ job, compact = false }: { job: JobSummary; compact?: boolean }) {
  const cancel = useJobsStore((s) => s.cancel);
  const p = job.progress;
  const running = job.status === 'running';
  const now = useNow(running);
  const elapsed = running ? formatDuration(Math.max(0, now - Date.parse(job.startedAt))) : null;
  const stall = stallText(job, now);
  const label = `${job.planName ?? job.kind} progress`;
  if (compact) {
    return (
      <span className="progress-compact">
        <progress max={100} value={p?.percent ?? 0} aria-label={label} />
        {/* one line in a table cell: a stall says more than the phase, so it takes its place */}
        {stall ? (
          <span className="progress-stall trunc" title={`${stall} (running for ${elapsed ?? '—'})`} tabIndex={0}>
            {stall}
          </span>
        ) : (
          <span>
            {p ? `${p.phase} ${formatPercent(p.percent)}` : job.status === 'pending' ? 'queued' : 'starting'}
            {elapsed && <span className="progress-elapsed"> · {elapsed}</span>}
          </span>
        )}
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
      {stall && (
        <p className="progress-stall" role="status">
          {stall.charAt(0).toUpperCase() + stall.slice(1)}
        </p>
      )}
      <dl className="progress-facts">
        {elapsed && (
          <div>
            <dt>Elapsed</dt>
            <dd>{elapsed}</dd>
          </div>
        )}
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
