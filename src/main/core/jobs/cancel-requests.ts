/**
 * Cancelling a job another process runs (the app cancelling a backup of the `lifeboat daemon`
 * service, or the other way round): the request goes into the job's catalog row, and every
 * core polls for requests on the jobs its own runner holds and cancels them as a user cancel.
 */
import type { CancelRequestsRepo } from '../catalog/cancel-requests-repo';
import type { JobRunner } from './job-runner';

/** How often a core looks for cancel requests on its own jobs (only while it has some). */
export const CANCEL_POLL_MS = 1000;

/**
 * Records a cancel request for a job this process does not run, if it is pending or running
 * and its owner process is alive; false otherwise (ended, unknown, or its owner is gone: the next
 * start of any core marks it interrupted).
 */
export function requestCancelElsewhere(
  repo: Pick<CancelRequestsRepo, 'ownership' | 'request'>,
  jobId: string,
  now: Date,
  isAlive: (pid: number) => boolean,
): { requested: boolean; ownerPid: number | null } {
  const job = repo.ownership(jobId);
  if (!job || (job.status !== 'pending' && job.status !== 'running') || job.ownerPid === null) {
    return { requested: false, ownerPid: job?.ownerPid ?? null };
  }
  if (!isAlive(job.ownerPid)) return { requested: false, ownerPid: job.ownerPid };
  return { requested: repo.request(jobId, now), ownerPid: job.ownerPid };
}

/**
 * Polls the catalog (every CANCEL_POLL_MS, on an unref'd timer: it never keeps a process alive)
 * for cancel requests on the runner's active jobs, and cancels them as the user's.
 */
export class CancelRequestWatcher {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: {
      runner: Pick<JobRunner, 'activeJobIds' | 'cancel'>;
      requests: Pick<CancelRequestsRepo, 'requestedAmong'>;
      intervalMs?: number;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poll(), this.deps.intervalMs ?? CANCEL_POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Cancels the active jobs another process asked to cancel; returns their ids. */
  poll(): string[] {
    const active = this.deps.runner.activeJobIds();
    if (active.length === 0) return [];
    let requested: string[];
    try {
      requested = this.deps.requests.requestedAmong(active);
    } catch {
      // the catalog is busy or closing: look again at the next tick
      return [];
    }
    return requested.filter((id) => this.deps.runner.cancel(id, 'user'));
  }
}
