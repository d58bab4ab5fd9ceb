/**
 * Stall detection: a running job whose progress has not moved for the stall threshold (a
 * setting, default 10 min) is pushed again with `stall` set (since when, and what it waits on
 * where the server can tell), so that the window, the tray and the CLI show it; the first time,
 * an alert is raised. It follows the same `jobs/updated` events as every other subscriber.
 */
import type { JobSummary } from '../../../shared/job';
import type { Clock, EventBus } from '../ports';

/** What a stalled job waits on, in words ("a lock on table public.orders, held by …"), or null. */
export type StallProbe = (job: JobSummary) => Promise<string | null>;

export interface StallWatchDeps {
  events: EventBus;
  clock: Clock;
  /** minutes without progress, read at each check (the setting may change) */
  thresholdMs(): number;
  probe: StallProbe;
  /** called once per job when it first stalls */
  onStalled(job: JobSummary): void;
  /** how often running jobs are checked (default 30 s) */
  intervalMs?: number;
}

interface Tracked {
  job: JobSummary;
  key: string;
  movedAt: number;
  alerted: boolean;
  waitingOn: string | null;
  stalled: boolean;
}

/** Anything that changes while a job works: a different value is progress. */
function progressKey(job: JobSummary): string {
  const p = job.progress;
  return p ? [job.status, p.phase, p.bytesDone, p.filesDone, p.percent, p.currentItem ?? ''].join('\u0000') : job.status;
}

export class StallWatcher {
  private readonly tracked = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;
  private off: (() => void) | undefined;
  private checking = false;

  constructor(private readonly deps: StallWatchDeps) {}

  start(): void {
    this.off = this.deps.events.on('jobs/updated', (job) => this.observe(job));
    this.timer = setInterval(() => void this.check(), this.deps.intervalMs ?? 30_000);
    this.timer.unref();
  }

  stop(): void {
    this.off?.();
    clearInterval(this.timer);
    this.tracked.clear();
  }

  private observe(job: JobSummary): void {
    // our own push of a stalled job: nothing moved
    if (job.stall) return;
    if (job.status !== 'running') {
      this.tracked.delete(job.id);
      return;
    }
    const key = progressKey(job);
    const seen = this.tracked.get(job.id);
    const now = this.deps.clock.now().getTime();
    if (!seen) {
      this.tracked.set(job.id, { job, key, movedAt: now, alerted: false, waitingOn: null, stalled: false });
      return;
    }
    seen.job = job;
    if (seen.key !== key) {
      seen.key = key;
      seen.movedAt = now;
      if (seen.stalled) {
        seen.stalled = false;
        // moving again: say so, so that the window and the tray drop the stall
        this.deps.events.emit('jobs/updated', { ...job, stall: null });
      }
    }
  }

  /** Checks every running job now (the timer calls it; tests call it with a test clock). */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const now = this.deps.clock.now().getTime();
      const threshold = this.deps.thresholdMs();
      for (const [id, entry] of this.tracked) {
        if (now - entry.movedAt < threshold) continue;
        const waitingOn = await this.deps.probe(entry.job).catch(() => null);
        // the job may have moved or ended while the server was asked
        if (this.tracked.get(id) !== entry || this.deps.clock.now().getTime() - entry.movedAt < threshold) continue;
        // pushed at every check, not only when it changes: a window opened (or reloaded) since
        // reads running jobs from the catalog, which knows nothing of stalls, and learns it here
        entry.stalled = true;
        entry.waitingOn = waitingOn;
        const stalled: JobSummary = { ...entry.job, stall: { since: new Date(entry.movedAt).toISOString(), waitingOn } };
        this.deps.events.emit('jobs/updated', stalled);
        if (!entry.alerted) {
          entry.alerted = true;
          this.deps.onStalled(stalled);
        }
      }
    } finally {
      this.checking = false;
    }
  }
}

/** The alert's words: "“Shop DB nightly” has made no progress for 10 min — waiting on …". */
export function stallMessage(job: JobSummary, now: Date): string {
  const minutes = job.stall ? Math.max(1, Math.round((now.getTime() - Date.parse(job.stall.since)) / 60_000)) : 0;
  const what = job.kind === 'backup' ? 'The backup' : job.kind === 'restore' ? 'The restore' : job.kind === 'drill' ? 'The restore drill' : 'The verification';
  const name = job.planName ? ` of "${job.planName}"` : '';
  const waiting = job.stall?.waitingOn ? ` — waiting on ${job.stall.waitingOn}` : '';
  const fix = job.stall?.waitingOn?.includes('held by process')
    ? ' End or commit the session that holds the lock, or cancel the job.'
    : ' Check the server and the destination, or cancel the job.';
  return `${what}${name} has made no progress for ${minutes} min${waiting}.${fix}`;
}
