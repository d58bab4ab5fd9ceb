import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { AppError, toTransferable } from '../../../shared/errors';
import {
  EMPTY_PROGRESS,
  type CancelledBy,
  type JobKind,
  type JobProgress,
  type JobSourceResult,
  type JobStatus,
  type JobSummary,
  type JobTrigger,
} from '../../../shared/job';
import type { BackupType } from '../../../shared/plan';
import type { JobsRepo, TempDatabase } from '../catalog/jobs-repo';
import type { PlanLeasesRepo } from '../catalog/plan-leases-repo';
import type { Clock, EventBus } from '../ports';
import { clampConcurrentJobs } from './concurrency-setting';
import { isProcessAlive } from './process-alive';

/** What a running job's work function gets. */
export interface JobContext {
  jobId: string;
  signal: AbortSignal;
  /** Report progress; saved and pushed at most about once a second (and at each phase change). */
  progress(update: Partial<JobProgress>): void;
  /** The temp file being written, so that a crash or cancel can remove it. */
  setTempPath(path: string | null): void;
  /**
   * A database this job is about to create and drops again (a restore's new database until the
   * restore has succeeded, a drill's throwaway one): recorded in the catalog before it exists, so
   * that start-up recovery can drop what a crash or a lost server left behind.
   */
  recordTempDatabase(db: TempDatabase): void;
  /** Forgets a recorded temp database: it was dropped, or it is the user's result now. */
  forgetTempDatabase(db: TempDatabase): void;
}

/** What a job's work function returns; failures may also be thrown as AppError. */
export interface JobOutcome {
  status: Extract<JobStatus, 'success' | 'failed' | 'partial'>;
  displayMessage?: string | null;
  errorCode?: string | null;
  bytesIn?: number | null;
  sizeBytes?: number | null;
  compressionRatio?: number | null;
  checksum?: string | null;
  filePath?: string | null;
  stderrTail?: string | null;
  sources?: JobSourceResult[];
  /** backups: what the run really was (an incremental without a base runs as full) */
  backupType?: BackupType;
  /** backups: whether the file was written encrypted */
  encrypted?: boolean;
  baseJobId?: string | null;
}

export interface JobSpec {
  kind: JobKind;
  planId: string | null;
  planName: string | null;
  trigger: JobTrigger;
  backupType?: BackupType;
  /** backups: the run's free-text description */
  description?: string | null;
}

type Work = (ctx: JobContext) => Promise<JobOutcome>;

interface Active {
  spec: JobSpec;
  controller: AbortController;
  cancelledBy: CancelledBy | null;
  done: Promise<JobSummary>;
  start?: () => void;
  /** refreshes the plan's lease while the job is pending or running */
  heartbeat?: NodeJS.Timeout;
}

const PROGRESS_INTERVAL_MS = 1000;

/** How often a plan's lease is refreshed; far below LEASE_STALE_MS, after which others take it. */
const LEASE_HEARTBEAT_MS = 10_000;

/** What the interrupted message calls a job of each kind. */
const KIND_NOUN: Record<JobKind, string> = { backup: 'backup', verify: 'verification', restore: 'restore', drill: 'restore drill' };

/**
 * Runs jobs: at most `maxConcurrent` at once (the rest wait as `pending`), never two of the
 * same plan (in this process; with `leases`, in any process on the catalog), each with an
 * AbortSignal for cancellation, progress throttled to about once a second into the catalog and
 * onto the event bus.
 */
export class JobRunner {
  private readonly active = new Map<string, Active>();
  private readonly queue: string[] = [];
  private running = 0;

  constructor(
    private readonly deps: {
      jobs: JobsRepo;
      events: EventBus;
      clock: Clock;
      /** a number, or read at each start (the app's setting, which the user may change while jobs wait) */
      maxConcurrent: number | (() => number);
      leases?: PlanLeasesRepo;
    },
  ) {}

  /** How many jobs may run at once now: 1-8 (MAX_CONCURRENT_JOBS), whatever the setting holds. */
  maxConcurrent(): number {
    const { maxConcurrent } = this.deps;
    return clampConcurrentJobs(typeof maxConcurrent === 'function' ? maxConcurrent() : maxConcurrent);
  }

  /** The cap changed (the setting): starts waiting jobs that now fit. */
  capacityChanged(): void {
    this.pump();
  }

  /** Whether a job of this plan is pending or running. */
  isPlanActive(planId: string): boolean {
    for (const a of this.active.values()) if (a.spec.planId === planId) return true;
    return false;
  }

  activeJobIds(): string[] {
    return [...this.active.keys()];
  }

  /**
   * Creates the job row and schedules `work`. Throws PLAN_BUSY if the plan already has a job
   * pending or running, here or (with `leases`) in another live process.
   */
  start(spec: JobSpec, work: Work): JobSummary {
    if (spec.planId && this.isPlanActive(spec.planId)) throw new AppError('PLAN_BUSY');
    const id = randomUUID();
    const heartbeat = spec.planId ? this.takeLease(spec.planId, spec.planName, id) : undefined;
    let job: JobSummary;
    try {
      job = this.deps.jobs.create({
        id,
        kind: spec.kind,
        planId: spec.planId,
        planName: spec.planName,
        trigger: spec.trigger,
        startedAt: this.deps.clock.now().toISOString(),
        backupType: spec.backupType,
        description: spec.description,
      });
    } catch (error) {
      this.releaseLease(spec.planId, id, heartbeat);
      throw error;
    }
    this.deps.events.emit('jobs/updated', job);
    const controller = new AbortController();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const entry: Active = { spec, controller, cancelledBy: null, done: undefined as never, start: release, heartbeat };
    this.active.set(id, entry);
    entry.done = gate.then(() => this.execute(id, entry, work));
    this.queue.push(id);
    this.pump();
    return job;
  }

  /** Resolves with the final job row. */
  wait(jobId: string): Promise<JobSummary> {
    const entry = this.active.get(jobId);
    if (entry) return entry.done;
    const job = this.deps.jobs.get(jobId);
    if (!job) return Promise.reject(new AppError('NOT_FOUND'));
    return Promise.resolve(job);
  }

  /** Cancels a pending or running job; returns false if it is not active. */
  cancel(jobId: string, by: CancelledBy): boolean {
    const entry = this.active.get(jobId);
    if (!entry) return false;
    entry.cancelledBy ??= by;
    entry.controller.abort(new AppError('CANCELLED'));
    const queued = this.queue.indexOf(jobId);
    if (queued >= 0) {
      // never started: release it so that it records itself as cancelled
      this.queue.splice(queued, 1);
      entry.start?.();
    }
    return true;
  }

  /** Cancels everything (on quit) and waits for the jobs to record their outcome. */
  async cancelAll(by: CancelledBy): Promise<void> {
    const waits = [...this.active.entries()].map(([id, entry]) => {
      this.cancel(id, by);
      return entry.done.catch(() => undefined);
    });
    await Promise.all(waits);
  }

  /**
   * Jobs that were running or pending when the app stopped (crash, power loss): marks them
   * interrupted and removes their temp files. Call once at start, before any job runs. The
   * databases they recorded are left to tasks/recover-temp-databases.ts (it takes the network).
   */
  recoverInterrupted(): number {
    const unfinished = this.deps.jobs
      .unfinished()
      .filter((j) => !this.active.has(j.id) && !(j.ownerPid && j.ownerPid !== process.pid && isProcessAlive(j.ownerPid)));
    for (const job of unfinished) {
      if (job.tempPath) removeTempPath(job.tempPath);
      const row = this.deps.jobs.get(job.id)!;
      this.deps.jobs.finish(job.id, {
        status: 'interrupted',
        finishedAt: this.deps.clock.now().toISOString(),
        durationMs: Math.max(0, this.deps.clock.now().getTime() - Date.parse(row.startedAt)),
        displayMessage: `Interrupted: Lifeboat stopped while this ${KIND_NOUN[row.kind]} was running.${job.tempPath ? ' Its partial file was removed.' : ''}`,
      });
    }
    return unfinished.length;
  }

  /**
   * Takes the plan's lease in the catalog, so that no other process on it (another CLI, the app)
   * runs the plan at the same time, and refreshes it while the job is active. PLAN_BUSY naming
   * the holder when a live process has it. Leases compare wall-clock times across processes,
   * so they use the system time, not the core's clock.
   */
  private takeLease(planId: string, planName: string | null, jobId: string): NodeJS.Timeout | undefined {
    const leases = this.deps.leases;
    if (!leases) return undefined;
    const taken = leases.take({ planId, jobId, pid: process.pid, host: os.hostname() }, { now: new Date(), isAlive: isProcessAlive });
    if (!taken.taken) {
      const { pid, host } = taken.holder;
      throw new AppError('PLAN_BUSY', { detail: `"${planName ?? planId}" is already running (pid ${pid} on host ${host})` });
    }
    const heartbeat = setInterval(() => {
      try {
        leases.heartbeat(planId, jobId, new Date());
      } catch {
        // the catalog is closing: the job ends with it
      }
    }, LEASE_HEARTBEAT_MS);
    heartbeat.unref();
    return heartbeat;
  }

  private releaseLease(planId: string | null, jobId: string, heartbeat: NodeJS.Timeout | undefined): void {
    clearInterval(heartbeat);
    if (!planId || !this.deps.leases) return;
    try {
      this.deps.leases.release(planId, jobId);
    } catch {
      // a lease that stays behind is stale once this process is gone
    }
  }

  private pump(): void {
    const cap = this.maxConcurrent();
    while (this.running < cap && this.queue.length > 0) {
      const id = this.queue.shift()!;
      const entry = this.active.get(id);
      if (!entry) continue;
      this.running++;
      entry.start?.();
      entry.start = undefined;
    }
  }

  private async execute(id: string, entry: Active, work: Work): Promise<JobSummary> {
    const { jobs, events, clock } = this.deps;
    const startedAt = clock.now().getTime();
    const wasQueued = entry.start === undefined; // pump cleared it: we hold a slot
    let tempPath: string | null = null;
    let progress: JobProgress = { ...EMPTY_PROGRESS };
    let lastPush = 0;
    const push = (force: boolean): void => {
      const now = Date.now();
      if (!force && now - lastPush < PROGRESS_INTERVAL_MS) return;
      lastPush = now;
      jobs.saveProgress(id, progress);
      const row = jobs.get(id);
      if (row) events.emit('jobs/updated', row);
    };
    const ctx: JobContext = {
      jobId: id,
      signal: entry.controller.signal,
      progress: (update) => {
        const phaseChanged = update.phase !== undefined && update.phase !== progress.phase;
        progress = { ...progress, ...update };
        push(phaseChanged);
      },
      setTempPath: (p) => {
        tempPath = p;
        jobs.setTempPath(id, p);
      },
      recordTempDatabase: (db) => jobs.recordTempDatabase(id, db),
      forgetTempDatabase: (db) => jobs.forgetTempDatabase(id, db),
    };

    let final: JobSummary;
    try {
      if (entry.controller.signal.aborted) throw entry.controller.signal.reason;
      jobs.markRunning(id, null);
      push(true);
      const outcome = await work(ctx);
      if (entry.controller.signal.aborted) throw entry.controller.signal.reason;
      for (const source of outcome.sources ?? []) jobs.addSourceResult(id, source);
      final = jobs.finish(id, {
        status: outcome.status,
        finishedAt: clock.now().toISOString(),
        durationMs: clock.now().getTime() - startedAt,
        bytesIn: outcome.bytesIn,
        sizeBytes: outcome.sizeBytes,
        compressionRatio: outcome.compressionRatio,
        checksum: outcome.checksum,
        filePath: outcome.filePath,
        displayMessage: outcome.displayMessage ?? null,
        errorCode: outcome.errorCode ?? null,
        stderrTail: outcome.stderrTail ?? null,
        backupType: outcome.backupType,
        baseJobId: outcome.baseJobId ?? null,
        encrypted: outcome.encrypted ?? null,
      });
    } catch (error) {
      if (tempPath) removeTempPath(tempPath);
      const cancelled = entry.controller.signal.aborted;
      const transferable = toTransferable(error);
      const sources = error instanceof JobFailure ? error.sources : [];
      for (const source of sources) jobs.addSourceResult(id, source);
      final = jobs.finish(id, {
        status: cancelled ? 'cancelled' : 'failed',
        finishedAt: clock.now().toISOString(),
        durationMs: clock.now().getTime() - startedAt,
        displayMessage: cancelled
          ? entry.cancelledBy === 'system'
            ? 'Cancelled because Lifeboat was closing. Nothing was written.'
            : 'Cancelled by the user. Nothing was written.'
          : transferable.message,
        errorCode: cancelled ? 'CANCELLED' : transferable.code,
        cancelledBy: cancelled ? (entry.cancelledBy ?? 'user') : null,
        stderrTail: error instanceof JobFailure ? error.stderrTail : null,
      });
    } finally {
      this.active.delete(id);
      this.releaseLease(entry.spec.planId, id, entry.heartbeat);
      if (wasQueued) this.running--;
      this.pump();
    }
    events.emit('jobs/updated', final);
    return final;
  }
}

/**
 * Removes a job's temp path: a backup's `<file>.part`, or a file restore's staging folder
 * (`.lifeboat-restore-*`, which holds the files staged so far); nothing else is ever recursed into.
 */
function removeTempPath(tempPath: string): void {
  try {
    fs.rmSync(tempPath, { force: true, recursive: path.basename(tempPath).startsWith('.lifeboat-restore-') });
  } catch {
    // a temp path that cannot be removed (a folder of another name, no permission) must not stop
    // the recovery of the other jobs or the job's own outcome; it stays where it is
  }
}

/** A failed job that still has per-source results and tool output to record. */
export class JobFailure extends AppError {
  constructor(
    base: AppError,
    readonly sources: JobSourceResult[],
    readonly stderrTail: string | null,
  ) {
    super(base.code, { detail: base.detail, cause: base });
  }
}
