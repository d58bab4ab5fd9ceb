import type { FollowedJob } from '../lib/use-job';
import { JobProgressView } from './JobProgressView';

/** How a verification job ended ("passed", "warnings", "failed" and why), or its live progress. */
export function VerifyOutcome({ job }: { job: FollowedJob }) {
  if (job.status === 'pending' || job.status === 'running') return <JobProgressView job={job} compact />;
  const warnings = job.status === 'success' && Boolean(job.displayMessage?.startsWith('Verified with warnings'));
  const label = job.status === 'success' ? (warnings ? 'warnings' : 'passed') : job.status;
  const badge = job.status === 'success' ? (warnings ? 'badge-partial' : 'badge-success') : job.status === 'cancelled' ? 'badge-cancelled' : 'badge-failed';
  return (
    <div className="verify-outcome" role="status">
      <span className={`badge ${badge}`}>{label}</span>
      <span className={job.status === 'success' ? undefined : 'error-text'}>{job.displayMessage}</span>
    </div>
  );
}
