import { useEffect, useState } from 'react';
import { FINAL_STATUSES, type JobDetail, type JobStatus, type JobSummary } from '../../../shared/job';
import { call, subscribe } from './api';

const isFinal = (status: JobStatus) => FINAL_STATUSES.includes(status);

/** A job as a screen follows it: the summary while it runs, the detail (per-source results) once it ended. */
export type FollowedJob = JobSummary & Partial<Pick<JobDetail, 'sources' | 'stderrTail'>>;

/**
 * Follows one job live: loads it, applies every 'jobs/updated' of it, and reloads the detail
 * when it reaches a final status. A reply that arrives late never turns a finished job back
 * into a running one.
 */
export function useJob(jobId: string | null): FollowedJob | null {
  const [state, setState] = useState<{ id: string; job: FollowedJob | null } | null>(null);

  useEffect(() => {
    if (!jobId) return;
    let current = true;
    const apply = (job: FollowedJob) =>
      setState((prev) => {
        const before = prev?.id === jobId ? prev.job : null;
        if (before && isFinal(before.status) && !isFinal(job.status)) return prev;
        return { id: jobId, job: before ? { ...before, ...job } : job };
      });
    const load = () =>
      call('jobs/get', { id: jobId })
        .then((detail) => current && apply(detail))
        .catch(() => undefined);
    const off = subscribe('jobs/updated', (job) => {
      if (!current || job.id !== jobId) return;
      apply(job);
      if (isFinal(job.status)) void load();
    });
    void load();
    return () => {
      current = false;
      off();
    };
  }, [jobId]);

  return jobId && state?.id === jobId ? state.job : null;
}
