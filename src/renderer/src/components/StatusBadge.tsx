import type { JobStatus } from '../../../shared/job';

/** Status as text plus colour: colour alone would not reach every reader. */
export function StatusBadge({ status }: { status: JobStatus }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}
