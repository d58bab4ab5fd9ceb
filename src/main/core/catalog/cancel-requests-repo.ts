import type { CatalogDb } from './catalog';

/** A job as the cancel of another process needs it: whether it is still under way, and whose it is. */
export interface JobOwnership {
  id: string;
  status: string;
  ownerPid: number | null;
}

/**
 * Cancels across processes (column jobs.cancel_requested): the app cannot abort the signal of a
 * job the `lifeboat daemon` service (or a CLI) runs, so it writes the request into the job's
 * row, and the process running the job polls for requests on its own jobs and cancels them.
 */
export class CancelRequestsRepo {
  constructor(private readonly db: CatalogDb) {}

  ownership(jobId: string): JobOwnership | undefined {
    return this.db.prepare('SELECT id, status, owner_pid AS ownerPid FROM jobs WHERE id = ?').get(jobId) as JobOwnership | undefined;
  }

  /** Asks for the cancel of a job that is still pending or running; false when it has ended. */
  request(jobId: string, at: Date): boolean {
    return (
      this.db
        .prepare("UPDATE jobs SET cancel_requested = COALESCE(cancel_requested, ?) WHERE id = ? AND status IN ('pending', 'running')")
        .run(at.toISOString(), jobId).changes === 1
    );
  }

  /** Which of `jobIds` (the caller's own active jobs) another process asked to cancel. */
  requestedAmong(jobIds: readonly string[]): string[] {
    if (jobIds.length === 0) return [];
    const rows = this.db
      .prepare('SELECT id FROM jobs WHERE cancel_requested IS NOT NULL AND id IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(jobIds)) as { id: string }[];
    return rows.map((r) => r.id);
  }
}
