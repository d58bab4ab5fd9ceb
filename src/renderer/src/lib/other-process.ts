/**
 * The app next to another Lifeboat process on the same catalog (the `lifeboat daemon` service,
 * or a CLI): who runs the schedules, and the jobs that process runs, which the app does not get
 * pushed (they are not its own) and so reads from the catalog. Pure.
 */
import type { SchedulerRunBy } from '../../../shared/ipc-contract';
import type { JobSummary } from '../../../shared/job';

/** "Schedules are run by the Lifeboat service (pid N)" when another process runs them; null otherwise. */
export function schedulesRunByText(runBy: SchedulerRunBy | null | undefined): string | null {
  if (!runBy || runBy.kind !== 'other') return null;
  return `Schedules are run by the Lifeboat ${runBy.role === 'service' ? 'service' : 'app'} (pid ${runBy.pid})`;
}

/** Whether another process runs the job (a job of unknown owner counts as this one's: it is pushed). */
export function isForeignJob(job: JobSummary, ownPid: number): boolean {
  return job.ownerPid !== null && job.ownerPid !== undefined && job.ownerPid !== ownPid;
}

/**
 * What a poll of the catalog's pending and running jobs changes in the store's active jobs, for
 * the jobs of other processes only (this process's own arrive pushed): the ones new or changed
 * (`updates`), and the ones no longer pending or running (`ended`: their final row must be read).
 */
export function diffForeignJobs(
  active: Readonly<Record<string, JobSummary>>,
  polled: readonly JobSummary[],
  ownPid: number,
): { updates: JobSummary[]; ended: string[] } {
  const foreign = polled.filter((job) => isForeignJob(job, ownPid));
  const seen = new Set(foreign.map((job) => job.id));
  const updates = foreign.filter((job) => {
    const known = active[job.id];
    return !known || known.status !== job.status || JSON.stringify(known.progress) !== JSON.stringify(job.progress);
  });
  const ended = Object.values(active)
    .filter((job) => isForeignJob(job, ownPid) && !seen.has(job.id))
    .map((job) => job.id);
  return { updates, ended };
}
