import { isLeaseStampStale, type LeaseCheck } from './lease-rule';
import type { CatalogDb } from './catalog';

/**
 * Who runs a plan right now, across every process on the data dir (the app and CLIs): one row
 * per running plan, taken when its backup job starts, refreshed by a heartbeat, released when
 * the job ends.
 */
export interface PlanLease {
  planId: string;
  jobId: string;
  pid: number;
  host: string;
  /** ISO time of the holder's last heartbeat */
  heartbeatAt: string;
}

/** A holder whose heartbeat is older than this is gone (crashed on another host, or hung). */
export const LEASE_STALE_MS = 2 * 60_000;

export type { LeaseCheck } from './lease-rule';

interface LeaseRow {
  plan_id: string;
  job_id: string;
  pid: number;
  host: string;
  heartbeat_at: string;
}

const toLease = (row: LeaseRow): PlanLease => ({
  planId: row.plan_id,
  jobId: row.job_id,
  pid: row.pid,
  host: row.host,
  heartbeatAt: row.heartbeat_at,
});

/** Whether `lease` no longer holds its plan, seen from `taker` (the rule in lease-rule.ts). */
export function isLeaseStale(lease: PlanLease, taker: { pid: number; host: string }, check: LeaseCheck): boolean {
  return isLeaseStampStale(lease, taker, check, LEASE_STALE_MS);
}

/** The plan leases in the catalog. */
export class PlanLeasesRepo {
  constructor(private readonly db: CatalogDb) {}

  /**
   * Takes the plan's lease for `holder`, in one write transaction (two processes cannot both
   * win): free or stale, it is taken (a stale holder is taken over); held by a live process, it
   * is left alone and returned.
   */
  take(holder: Omit<PlanLease, 'heartbeatAt'>, check: LeaseCheck): { taken: true } | { taken: false; holder: PlanLease } {
    return this.db
      .transaction(() => {
        const current = this.get(holder.planId);
        if (current && !isLeaseStale(current, holder, check)) return { taken: false as const, holder: current };
        this.db
          .prepare(
            `INSERT INTO plan_leases (plan_id, job_id, pid, host, heartbeat_at) VALUES (@planId, @jobId, @pid, @host, @heartbeatAt)
             ON CONFLICT (plan_id) DO UPDATE SET job_id = excluded.job_id, pid = excluded.pid, host = excluded.host, heartbeat_at = excluded.heartbeat_at`,
          )
          .run({ ...holder, heartbeatAt: check.now.toISOString() });
        return { taken: true as const };
      })
      .immediate();
  }

  /** Refreshes the holder's heartbeat; false when the lease is no longer its own (taken over). */
  heartbeat(planId: string, jobId: string, now: Date): boolean {
    return this.db.prepare('UPDATE plan_leases SET heartbeat_at = ? WHERE plan_id = ? AND job_id = ?').run(now.toISOString(), planId, jobId).changes === 1;
  }

  /** Releases the lease if `jobId` still holds it. */
  release(planId: string, jobId: string): boolean {
    return this.db.prepare('DELETE FROM plan_leases WHERE plan_id = ? AND job_id = ?').run(planId, jobId).changes === 1;
  }

  get(planId: string): PlanLease | undefined {
    const row = this.db.prepare('SELECT * FROM plan_leases WHERE plan_id = ?').get(planId) as LeaseRow | undefined;
    return row ? toLease(row) : undefined;
  }
}
