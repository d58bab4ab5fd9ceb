import type { JobSummary } from '../../../shared/job';
import { formatDateTime, formatShortDateTime } from '../lib/format';

/**
 * Whether a restore drill has proved a backup restorable, and when (the newest passed drill).
 * Empty for jobs that are not backups.
 */
export function ProvenMark({ job }: { job: Pick<JobSummary, 'kind' | 'provenAt'> }) {
  if (job.kind !== 'backup') return null;
  if (!job.provenAt) return <span className="muted">not drilled</span>;
  return (
    <span className="ok-text" title={`A restore drill proved this backup restorable on ${formatDateTime(job.provenAt)}`}>
      ✓ {formatShortDateTime(job.provenAt)}
    </span>
  );
}
