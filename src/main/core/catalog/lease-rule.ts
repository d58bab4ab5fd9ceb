/**
 * When a lease in the catalog (a plan's run, the scheduler) no longer holds: the one rule both
 * leases use, each with its own default staleness.
 */

export interface LeaseCheck {
  /** the taker's wall-clock time */
  now: Date;
  /** whether a process of this host is alive */
  isAlive: (pid: number) => boolean;
  staleAfterMs?: number;
}

/** What the rule needs of a holder: its process and its last heartbeat (ISO time). */
export interface LeaseStamp {
  pid: number;
  host: string;
  heartbeatAt: string;
}

/**
 * Whether `lease` no longer holds, seen from `taker`: its heartbeat is older than
 * `check.staleAfterMs` (else `defaultStaleMs`), or it belongs to a process of the taker's host
 * that is dead, or that is the taker's own process (which knows it is not the holder: a release
 * that never happened, or a dead holder's pid handed out again).
 */
export function isLeaseStampStale(lease: LeaseStamp, taker: { pid: number; host: string }, check: LeaseCheck, defaultStaleMs: number): boolean {
  if (check.now.getTime() - Date.parse(lease.heartbeatAt) > (check.staleAfterMs ?? defaultStaleMs)) return true;
  if (lease.host !== taker.host) return false;
  return lease.pid === taker.pid || !check.isAlive(lease.pid);
}
