/**
 * The scheduler: one one-shot timer per scheduled plan, armed at computeNextRun(...). The time
 * is always our pure function; node-schedule only fires it (no polling, no interval loops).
 *
 * A slot is handled once: it runs, or it is recorded as skipped (paused, plan busy), and its time
 * goes into schedule_state.last_slot_at either way. That mark is what makes catch-up safe:
 * - catchUp() (at start, and by the shell when the OS resumes) looks at each plan's latest slot
 *   at or before now; if it is later than the last handled slot and later than the plan's
 *   creation, the app was closed or asleep then and the slot runs ONCE, as 'catch-up', however
 *   many slots were missed. A restart never runs it again.
 * - While paused, a due or missed slot is recorded as handled (audit 'schedule.skip-paused') and
 *   not run later: resuming means "from now on", not "replay what was paused".
 * - A plan never overlaps itself: a slot due while the plan runs is skipped ('schedule.skip-busy'),
 *   never queued behind it.
 * - When a plan starts being armed (enabled, or its schedule or time zone changed), the slots it
 *   had before count as handled: a disabled plan does not catch up when it is enabled again.
 * - The next slot is armed whatever happened to this one, so a run is never postponed forever.
 */
import schedule from 'node-schedule';
import { AppError } from '../../../shared/errors';
import type { PlanNextRun, SchedulerStatus } from '../../../shared/ipc-contract';
import type { JobSummary, JobTrigger } from '../../../shared/job';
import type { Plan } from '../../../shared/plan';
import type { AuditRepo } from '../catalog/audit-repo';
import type { PlansRepo } from '../catalog/plans-repo';
import type { ScheduleStateRepo } from '../catalog/schedule-state-repo';
import type { JobRunner } from '../jobs/job-runner';
import type { Clock, EventBus } from '../ports';
import { computeNextRun, previousRun } from './next-run';

/** Who the audit log names for what the scheduler does on its own. */
const ACTOR = 'scheduler';

/** Fires `fire` once at `at`; returns a function that cancels it. */
export interface SlotTimer {
  arm(name: string, at: Date, fire: () => void): () => void;
}

/**
 * node-schedule's one-shot Date jobs. A slot that is already due when armed (it fell due between
 * computing it and arming it) fires on the next tick: node-schedule refuses past dates.
 */
export const nodeScheduleTimer: SlotTimer = {
  arm(name, at, fire) {
    if (at.getTime() > Date.now()) {
      const job = schedule.scheduleJob(name, at, fire);
      if (job) return () => void job.cancel();
      // refused after all (the date passed meanwhile); node-schedule may still list the name
      schedule.cancelJob(name);
    }
    const immediate = setImmediate(fire);
    return () => clearImmediate(immediate);
  },
};

/** What the scheduler needs: a few repositories, the runner's busy check, the pause switch and how to start a plan's backup. */
export interface SchedulerDeps {
  plans: Pick<PlansRepo, 'list' | 'get'>;
  runner: Pick<JobRunner, 'isPlanActive'>;
  audit: Pick<AuditRepo, 'record'>;
  events: EventBus;
  clock: Clock;
  state: ScheduleStateRepo;
  isPaused(): boolean;
  startPlanBackup(plan: Plan, trigger: JobTrigger): JobSummary;
  /** node-schedule unless a test passes its own */
  timer?: SlotTimer;
}

interface Armed {
  at: Date;
  /** schedule + time zone the slot was computed from: a change of either re-baselines catch-up */
  fingerprint: string;
  cancel(): void;
}

export type SlotOutcome = 'started' | 'skipped-paused' | 'skipped-busy' | 'failed' | 'already-handled';

let nameSequence = 0;

const fingerprintOf = (plan: Plan) => JSON.stringify([plan.schedule, plan.timezone]);
const isScheduled = (plan: Plan | undefined): plan is Plan => !!plan && plan.enabled && plan.schedule.kind !== 'manual';

/**
 * Arms each enabled, scheduled plan at its next slot and runs it when the slot comes; catches up
 * missed slots; honours the pause switch. See the file header for the rules.
 */
export class Scheduler {
  private readonly armed = new Map<string, Armed>();
  /** plans armed since start, with the fingerprint they were armed with */
  private readonly known = new Map<string, string>();
  private readonly timer: SlotTimer;
  private readonly prefix = `lifeboat:${++nameSequence}:`;
  private armSequence = 0;
  private unsubscribe: (() => void)[] = [];
  private started = false;

  constructor(private readonly deps: SchedulerDeps) {
    this.timer = deps.timer ?? nodeScheduleTimer;
  }

  /**
   * How the node-schedule job names of a plan's timers start (tests look them up in
   * scheduledJobs). Each timer gets its own name: node-schedule forgets a fired one-shot job by
   * name only after our callback has re-armed, so a reused name would drop the new job's entry.
   */
  jobNamePrefix(planId: string): string {
    return `${this.prefix}${planId}:`;
  }

  isStarted(): boolean {
    return this.started;
  }

  /**
   * Starts scheduling: catches up missed slots, arms every scheduled plan, and follows plan
   * changes and the pause switch. Does nothing if already started.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    const { events } = this.deps;
    this.unsubscribe = [
      events.on('plans/changed', ({ planId }) => this.guard(planId, () => this.arm(planId))),
      events.on('app/paused-changed', ({ paused }) => {
        // slots skipped while paused stay skipped; recompute from now
        if (!paused) this.armAll();
      }),
    ];
    this.catchUp();
  }

  /** Cancels every timer and stops following changes. Jobs already running go on. */
  stop(): void {
    this.started = false;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    for (const armed of this.armed.values()) armed.cancel();
    this.armed.clear();
    this.known.clear();
  }

  /** Rebuilds every timer from the catalog, catching up missed slots first. */
  reinitialize(): SchedulerStatus {
    this.stop();
    this.start();
    return this.status();
  }

  /** Running, paused or stopped, and every plan's next armed run (soonest first). */
  status(): SchedulerStatus {
    const nextRuns: PlanNextRun[] = this.deps.plans.list().map((plan) => ({
      planId: plan.id,
      planName: plan.name,
      at: this.armed.get(plan.id)?.at.toISOString() ?? null,
    }));
    nextRuns.sort((a, b) => {
      if (a.at !== b.at) return a.at === null ? 1 : b.at === null ? -1 : a.at < b.at ? -1 : 1;
      return a.planName.localeCompare(b.planName);
    });
    return { state: !this.started ? 'stopped' : this.deps.isPaused() ? 'paused' : 'running', nextRuns };
  }

  /**
   * Runs, once, the latest slot each plan missed while the app was closed or the machine asleep,
   * then re-arms every plan from the current time (timers do not tick while the machine sleeps).
   * Called at start and by the shell when the OS resumes. Returns how many catch-up runs started.
   */
  catchUp(): number {
    if (!this.started) return 0;
    const now = this.deps.clock.now();
    let started = 0;
    for (const plan of this.deps.plans.list()) {
      if (!isScheduled(plan)) continue;
      this.guard(plan.id, () => {
        const slot = previousRun(plan.schedule, plan.timezone, now);
        if (!slot) return;
        const last = this.deps.state.get(plan.id)?.lastSlotAt;
        if (last && slot.getTime() <= Date.parse(last)) return;
        if (slot.getTime() <= Date.parse(plan.createdAt)) {
          // the plan did not exist then: nothing was missed
          this.deps.state.recordSlot(plan.id, slot.toISOString());
          return;
        }
        if (this.runSlot(plan, slot, 'catch-up') === 'started') started++;
      });
    }
    this.armAll();
    return started;
  }

  private armAll(): void {
    if (!this.started) return;
    const plans = this.deps.plans.list();
    const ids = new Set(plans.map((p) => p.id));
    for (const planId of [...this.armed.keys()]) if (!ids.has(planId)) this.disarm(planId);
    for (const plan of plans) this.guard(plan.id, () => this.arm(plan.id));
  }

  private disarm(planId: string): void {
    this.armed.get(planId)?.cancel();
    this.armed.delete(planId);
  }

  /** (Re)arms one plan at its next slot after now (and after `handled`, the slot just handled). */
  private arm(planId: string, handled?: Date): void {
    this.disarm(planId);
    if (!this.started) return;
    const plan = this.deps.plans.get(planId);
    if (!isScheduled(plan)) {
      this.known.delete(planId);
      if (plan) this.deps.state.setNextRun(planId, null);
      return;
    }
    const now = this.deps.clock.now();
    const fingerprint = fingerprintOf(plan);
    if (this.known.get(planId) !== fingerprint) {
      // newly enabled or rescheduled: slots before now were not missed, they did not exist
      const baseline = previousRun(plan.schedule, plan.timezone, now);
      if (baseline) this.deps.state.recordSlot(planId, baseline.toISOString());
      this.known.set(planId, fingerprint);
    }
    const after = handled && handled > now ? handled : now;
    const at = computeNextRun(plan.schedule, plan.timezone, after);
    this.deps.state.setNextRun(planId, at ? at.toISOString() : null);
    if (!at) return;
    const cancel = this.timer.arm(`${this.jobNamePrefix(planId)}${++this.armSequence}`, at, () => this.fire(planId, at));
    this.armed.set(planId, { at, fingerprint, cancel });
  }

  /** A timer fired: handle its slot, then arm the next one whatever happened. */
  private fire(planId: string, slot: Date): void {
    if (this.armed.get(planId)?.at !== slot) return; // re-armed meanwhile: a stale timer
    this.armed.delete(planId);
    this.guard(planId, () => {
      const plan = this.deps.plans.get(planId);
      if (isScheduled(plan)) this.runSlot(plan, slot, 'scheduled');
    });
    this.guard(planId, () => this.arm(planId, slot));
  }

  /**
   * Runs one slot of a plan, or records why not; the slot counts as handled in every case, so
   * neither a restart nor a late timer runs it again.
   */
  private runSlot(plan: Plan, slot: Date, trigger: Extract<JobTrigger, 'scheduled' | 'catch-up'>): SlotOutcome {
    const { audit, state } = this.deps;
    const slotIso = slot.toISOString();
    const last = state.get(plan.id)?.lastSlotAt;
    // catch-up on resume and an overdue timer can race for the same slot: the first one wins
    if (last && slot.getTime() <= Date.parse(last)) return 'already-handled';
    state.recordSlot(plan.id, slotIso);
    if (this.deps.isPaused()) {
      audit.record(ACTOR, 'schedule.skip-paused', plan.id, { slot: slotIso, trigger });
      return 'skipped-paused';
    }
    if (this.deps.runner.isPlanActive(plan.id)) {
      audit.record(ACTOR, 'schedule.skip-busy', plan.id, { slot: slotIso, trigger });
      return 'skipped-busy';
    }
    try {
      const job = this.deps.startPlanBackup(plan, trigger);
      if (trigger === 'catch-up') audit.record(ACTOR, 'schedule.catch-up', plan.id, { slot: slotIso, jobId: job.id });
      return 'started';
    } catch (error) {
      if (error instanceof AppError && error.code === 'PLAN_BUSY') {
        audit.record(ACTOR, 'schedule.skip-busy', plan.id, { slot: slotIso, trigger });
        return 'skipped-busy';
      }
      audit.record(ACTOR, 'schedule.start-failed', plan.id, { slot: slotIso, trigger, error: errorText(error) });
      return 'failed';
    }
  }

  /**
   * Timers and event listeners must never throw (an exception in a timer would take the main
   * process down); a plan whose schedule cannot be computed is left unarmed and audited.
   */
  private guard(planId: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      try {
        this.deps.audit.record(ACTOR, 'schedule.error', planId, { error: errorText(error) });
      } catch {
        // the catalog itself failed (closing): nothing more to do here
      }
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
