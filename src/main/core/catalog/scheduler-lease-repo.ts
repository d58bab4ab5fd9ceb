import { isLeaseStampStale, type LeaseCheck } from './lease-rule';
import type { CatalogDb } from './catalog';

/**
 * Who fires the schedules of this catalog: one process at a time (the desktop app, or the
 * `lifeboat daemon` service), so that two processes on one data dir never run the same slot
 * twice. One row, taken at start, refreshed by a heartbeat, released on exit; a holder that died
 * (dead pid on this host) or stopped heart-beating is taken over. The approach of the plan run
 * leases (plan-leases-repo.ts), for the scheduler as a whole.
 */
export type SchedulerRole = 'app' | 'service';

export interface SchedulerLeaseHolder {
  /** random per taking: tells this holder from an earlier one of the same pid */
  holderId: string;
  pid: number;
  host: string;
  role: SchedulerRole;
  /** ISO time the holder took the lease */
  acquiredAt: string;
  /** ISO time of the holder's last heartbeat */
  heartbeatAt: string;
  /** whether the holder's pause switch is on (its slots are skipped) */
  paused: boolean;
}

/** What a process asking for the lease says about itself. */
export type SchedulerLeaseTaker = Pick<SchedulerLeaseHolder, 'holderId' | 'pid' | 'host' | 'role' | 'paused'>;

/** Default: a holder whose heartbeat is older than this is gone (crashed on another host, or hung). */
export const SCHEDULER_LEASE_STALE_MS = 60_000;

export type SchedulerLeaseCheck = LeaseCheck;

interface LeaseRow {
  holder_id: string;
  pid: number;
  host: string;
  role: SchedulerRole;
  acquired_at: string;
  heartbeat_at: string;
  paused: number;
}

const toHolder = (row: LeaseRow): SchedulerLeaseHolder => ({
  holderId: row.holder_id,
  pid: row.pid,
  host: row.host,
  role: row.role,
  acquiredAt: row.acquired_at,
  heartbeatAt: row.heartbeat_at,
  paused: row.paused === 1,
});

/**
 * Whether `lease` no longer holds the scheduler, seen from `taker`: the rule of lease-rule.ts
 * (its own process under another holder id counts as gone), except that the taker's own holder
 * id is never stale.
 */
export function isSchedulerLeaseStale(
  lease: SchedulerLeaseHolder,
  taker: Pick<SchedulerLeaseTaker, 'holderId' | 'pid' | 'host'>,
  check: SchedulerLeaseCheck,
): boolean {
  if (lease.holderId === taker.holderId) return false;
  return isLeaseStampStale(lease, taker, check, SCHEDULER_LEASE_STALE_MS);
}

export type TakeSchedulerLease =
  | { taken: true; previous: SchedulerLeaseHolder | null }
  | { taken: false; holder: SchedulerLeaseHolder };

/** The scheduler lease in the catalog (table scheduler_lease, one row). */
export class SchedulerLeaseRepo {
  constructor(private readonly db: CatalogDb) {}

  /**
   * Takes the lease for `taker` in one write transaction (two processes cannot both win): free,
   * stale or already the taker's, it is taken, and `previous` names a stale holder taken over;
   * held by a live holder, it is left alone and that holder returned.
   */
  take(taker: SchedulerLeaseTaker, check: SchedulerLeaseCheck): TakeSchedulerLease {
    return this.db
      .transaction((): TakeSchedulerLease => {
        const current = this.get();
        if (current && !isSchedulerLeaseStale(current, taker, check)) {
          if (current.holderId !== taker.holderId) return { taken: false, holder: current };
        }
        const now = check.now.toISOString();
        const acquiredAt = current?.holderId === taker.holderId ? current.acquiredAt : now;
        this.db
          .prepare(
            `INSERT INTO scheduler_lease (id, holder_id, pid, host, role, acquired_at, heartbeat_at, paused)
             VALUES (1, @holderId, @pid, @host, @role, @acquiredAt, @now, @paused)
             ON CONFLICT (id) DO UPDATE SET holder_id = excluded.holder_id, pid = excluded.pid, host = excluded.host,
               role = excluded.role, acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at, paused = excluded.paused`,
          )
          .run({ ...taker, acquiredAt, now, paused: taker.paused ? 1 : 0 });
        const previous = current && current.holderId !== taker.holderId ? current : null;
        return { taken: true, previous };
      })
      .immediate();
  }

  /**
   * Refreshes the holder's heartbeat (and its pause state); false when the lease is no longer its
   * own (it was taken over while this holder looked dead).
   */
  heartbeat(holderId: string, now: Date, paused: boolean): boolean {
    return (
      this.db
        .prepare('UPDATE scheduler_lease SET heartbeat_at = ?, paused = ? WHERE id = 1 AND holder_id = ?')
        .run(now.toISOString(), paused ? 1 : 0, holderId).changes === 1
    );
  }

  /** Releases the lease if `holderId` still holds it. */
  release(holderId: string): boolean {
    return this.db.prepare('DELETE FROM scheduler_lease WHERE id = 1 AND holder_id = ?').run(holderId).changes === 1;
  }

  /** The row as it stands, live or stale. */
  get(): SchedulerLeaseHolder | undefined {
    const row = this.db.prepare('SELECT * FROM scheduler_lease WHERE id = 1').get() as LeaseRow | undefined;
    return row ? toHolder(row) : undefined;
  }

  /** The holder if it is live, seen from `viewer` (a stale row counts as no holder). */
  liveHolder(viewer: Pick<SchedulerLeaseTaker, 'holderId' | 'pid' | 'host'>, check: SchedulerLeaseCheck): SchedulerLeaseHolder | undefined {
    const current = this.get();
    return current && !isSchedulerLeaseStale(current, viewer, check) ? current : undefined;
  }
}
