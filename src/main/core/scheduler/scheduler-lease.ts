/**
 * One scheduler at a time per catalog. The desktop app and the `lifeboat daemon` service may
 * share a data dir (LIFEBOAT_HOME); each starts its schedules through this keeper, which takes
 * the scheduler lease (catalog table scheduler_lease) first:
 * - taken: the scheduler starts (catching up missed slots), and a heartbeat refreshes the lease
 *   every `heartbeatMs`, carrying the pause switch so that the other process can show it;
 * - held by a live process: this one fires nothing, and asks again every `retryMs`;
 * - the holder died (dead pid on this host) or stopped heart-beating for `staleAfterMs`: it is
 *   taken over at the next try, and the dead holder's jobs are marked interrupted (`onTakeover`);
 * - a heartbeat that finds the lease taken over (this process looked dead: hung, or asleep while
 *   another host went on) stops the scheduler at once and goes back to waiting.
 * Leases compare wall-clock times across processes, so they use the system time, not the core's
 * clock (which tests move). Timers are unref'd: they never keep a process alive.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { PlanNextRun, SchedulerRunBy, SchedulerStatus } from '../../../shared/ipc-contract';
import type { AuditRepo } from '../catalog/audit-repo';
import type { PlansRepo } from '../catalog/plans-repo';
import type { ScheduleStateRepo } from '../catalog/schedule-state-repo';
import {
  SCHEDULER_LEASE_STALE_MS,
  type SchedulerLeaseHolder,
  type SchedulerLeaseRepo,
  type SchedulerRole,
} from '../catalog/scheduler-lease-repo';
import { isProcessAlive } from '../jobs/process-alive';
import type { EventBus } from '../ports';
import type { Scheduler } from './scheduler';

export interface SchedulerLeaseTimings {
  /** how often the holder refreshes the lease (default 10 s) */
  heartbeatMs: number;
  /** a holder silent for longer is taken over (default 60 s) */
  staleAfterMs: number;
  /** how often a waiting process asks again (default 15 s) */
  retryMs: number;
}

export const DEFAULT_SCHEDULER_LEASE_TIMINGS: SchedulerLeaseTimings = {
  heartbeatMs: 10_000,
  staleAfterMs: SCHEDULER_LEASE_STALE_MS,
  retryMs: 15_000,
};

/** What happened to the lease, for the daemon's log (and tests). */
export type SchedulerLeaseEvent =
  | { kind: 'taken'; holder: SchedulerLeaseHolder; takenOverFrom: SchedulerLeaseHolder | null }
  | { kind: 'waiting'; holder: SchedulerLeaseHolder }
  | { kind: 'lost'; holder: SchedulerLeaseHolder | null }
  | { kind: 'released'; holder: SchedulerLeaseHolder };

export interface SchedulerLeaseDeps {
  repo: SchedulerLeaseRepo;
  scheduler: Pick<Scheduler, 'start' | 'stop' | 'reinitialize' | 'status' | 'isStarted'>;
  plans: Pick<PlansRepo, 'list'>;
  state: Pick<ScheduleStateRepo, 'list'>;
  audit: Pick<AuditRepo, 'record'>;
  events: Pick<EventBus, 'on'>;
  isPaused(): boolean;
  /** what this process is: the desktop app or the service */
  role: SchedulerRole;
  timings?: Partial<SchedulerLeaseTimings>;
  /** a dead holder was taken over: its jobs left `running` are interrupted now, not at the next start */
  onTakeover?(previous: SchedulerLeaseHolder): void;
  /** tests: another process's identity, and which pids are alive */
  pid?: number;
  host?: string;
  isAlive?: (pid: number) => boolean;
}

const ACTOR = 'scheduler';

const runByOf = (holder: Pick<SchedulerLeaseHolder, 'pid' | 'host' | 'role'>, kind: SchedulerRunBy['kind']): SchedulerRunBy => ({
  kind,
  pid: holder.pid,
  host: holder.host,
  role: holder.role,
});

/** Soonest first, unarmed ones last, then by name (as Scheduler.status sorts them). */
function sortNextRuns(runs: PlanNextRun[]): PlanNextRun[] {
  return runs.sort((a, b) => {
    if (a.at !== b.at) return a.at === null ? 1 : b.at === null ? -1 : a.at < b.at ? -1 : 1;
    return a.planName.localeCompare(b.planName);
  });
}

/** Takes, keeps and gives back the scheduler lease, starting and stopping the scheduler with it. */
export class SchedulerLease {
  private readonly timings: SchedulerLeaseTimings;
  private readonly pid: number;
  private readonly host: string;
  private readonly isAlive: (pid: number) => boolean;
  private readonly listeners = new Set<(event: SchedulerLeaseEvent) => void>();
  /** a fresh id per taking: a lease taken over and taken back is a new holding */
  private holderId = randomUUID();
  private holding = false;
  private wanted = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private offPaused: (() => void) | null = null;
  /** the live holder last seen while waiting, so that "waiting" is said once per holder */
  private waitingFor: string | null = null;

  constructor(private readonly deps: SchedulerLeaseDeps) {
    this.timings = { ...DEFAULT_SCHEDULER_LEASE_TIMINGS, ...deps.timings };
    this.pid = deps.pid ?? process.pid;
    this.host = deps.host ?? os.hostname();
    this.isAlive = deps.isAlive ?? isProcessAlive;
  }

  /** Listens to what happens to the lease; returns the unsubscribe. */
  onEvent(listener: (event: SchedulerLeaseEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether this process holds the lease (and so runs the schedules). */
  holds(): boolean {
    return this.holding;
  }

  /**
   * Runs the schedules when this process can: takes the lease now and starts the scheduler, or
   * waits for the holder to go away, asking again every `retryMs`. Does nothing if already started.
   */
  start(): void {
    if (this.wanted) return;
    this.wanted = true;
    // the holder writes its pause switch into the lease at once: the other process shows it
    this.offPaused = this.deps.events.on('app/paused-changed', ({ paused }) => {
      if (this.holding) this.safely(() => this.deps.repo.heartbeat(this.holderId, new Date(), paused));
    });
    this.tryTake();
  }

  /** Stops the schedules and gives the lease back (on quit; the next process takes it at once). */
  stop(): void {
    this.wanted = false;
    this.offPaused?.();
    this.offPaused = null;
    this.clearTimers();
    this.deps.scheduler.stop();
    if (!this.holding) return;
    this.holding = false;
    const holder = this.safely(() => this.deps.repo.get());
    const released = this.safely(() => this.deps.repo.release(this.holderId));
    if (released && holder) this.emit({ kind: 'released', holder });
  }

  /**
   * Re-reads plans and settings: re-arms every plan (catching up missed slots) when this process
   * holds the lease; otherwise asks for it once more now (the holder may be gone), starting the
   * schedules if it is taken. A scheduler started without the lease (tests) is re-armed as before.
   */
  reinitialize(): SchedulerStatus {
    if (!this.holding && !this.wanted) {
      // never started through the lease: another live process runs the schedules, or this one takes over now
      if (this.liveOther()) return this.status();
      this.start();
    } else if (!this.holding) {
      this.clearTimers();
      this.tryTake();
    }
    // re-read the catalog even when the scheduler was already started (start() would not)
    if (this.holding) this.deps.scheduler.reinitialize();
    return this.status();
  }

  /**
   * The scheduler's status as this process should show it: its own scheduler's when it runs the
   * schedules; when another live process does, that process's state (paused or running) and the
   * next runs it armed (schedule_state.next_run_at), with `runBy` naming it.
   */
  status(): SchedulerStatus {
    if (this.holding) return { ...this.deps.scheduler.status(), runBy: runByOf({ pid: this.pid, host: this.host, role: this.deps.role }, 'this') };
    const other = this.liveOther();
    if (other) {
      const nextRunAt = new Map(this.deps.state.list().map((s) => [s.planId, s.nextRunAt]));
      const nextRuns = this.deps.plans.list().map((plan) => ({
        planId: plan.id,
        planName: plan.name,
        at: plan.enabled && plan.schedule.kind !== 'manual' ? (nextRunAt.get(plan.id) ?? null) : null,
      }));
      return { state: other.paused ? 'paused' : 'running', nextRuns: sortNextRuns(nextRuns), runBy: runByOf(other, 'other') };
    }
    const own = this.deps.scheduler.status();
    return { ...own, runBy: this.deps.scheduler.isStarted() ? runByOf({ pid: this.pid, host: this.host, role: this.deps.role }, 'this') : null };
  }

  /** The live holder of the lease when it is another process. */
  private liveOther(): SchedulerLeaseHolder | undefined {
    if (this.holding) return undefined;
    const holder = this.safely(() =>
      this.deps.repo.liveHolder(this.identity(), { now: new Date(), isAlive: this.isAlive, staleAfterMs: this.timings.staleAfterMs }),
    );
    return holder ?? undefined;
  }

  private identity() {
    return { holderId: this.holderId, pid: this.pid, host: this.host, role: this.deps.role, paused: this.deps.isPaused() };
  }

  private tryTake(): void {
    if (!this.wanted || this.holding) return;
    const result = this.safely(() =>
      this.deps.repo.take(this.identity(), { now: new Date(), isAlive: this.isAlive, staleAfterMs: this.timings.staleAfterMs }),
    );
    if (result?.taken) {
      this.holding = true;
      this.waitingFor = null;
      const holder = this.safely(() => this.deps.repo.get());
      if (result.previous) {
        const { pid, host, role, heartbeatAt } = result.previous;
        this.safely(() => this.deps.audit.record(ACTOR, 'scheduler.lease-takeover', null, { pid, host, role, heartbeatAt }));
        this.safely(() => this.deps.onTakeover?.(result.previous!));
      }
      if (holder) this.emit({ kind: 'taken', holder, takenOverFrom: result.previous });
      this.heartbeatTimer = setInterval(() => this.beat(), this.timings.heartbeatMs);
      this.heartbeatTimer.unref();
      this.deps.scheduler.start();
      return;
    }
    if (result && !result.taken && this.waitingFor !== result.holder.holderId) {
      this.waitingFor = result.holder.holderId;
      this.emit({ kind: 'waiting', holder: result.holder });
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.tryTake();
    }, this.timings.retryMs);
    this.retryTimer.unref();
  }

  private beat(): void {
    if (!this.holding) return;
    let ours: boolean;
    try {
      ours = this.deps.repo.heartbeat(this.holderId, new Date(), this.deps.isPaused());
    } catch {
      // the catalog is busy (another writer beyond busy_timeout) or closing: try at the next beat
      return;
    }
    if (ours) return;
    // taken over while this process looked dead: another process runs the schedules now
    this.holding = false;
    this.clearTimers();
    this.deps.scheduler.stop();
    this.holderId = randomUUID();
    const holder = this.safely(() => this.deps.repo.get()) ?? null;
    this.safely(() => this.deps.audit.record(ACTOR, 'scheduler.lease-lost', null, holder ? { pid: holder.pid, host: holder.host } : {}));
    this.emit({ kind: 'lost', holder });
    this.tryTake();
  }

  private clearTimers(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.heartbeatTimer = null;
    this.retryTimer = null;
  }

  private emit(event: SchedulerLeaseEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a broken listener (a log on a closed stream) must not stop the lease
      }
    }
  }

  /** Catalog work from a timer must never throw (it would take the process down). */
  private safely<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch {
      return undefined;
    }
  }
}
