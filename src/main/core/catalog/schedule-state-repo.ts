import type { CatalogDb } from './catalog';

/** What the scheduler remembers per plan across restarts. */
export interface ScheduleState {
  planId: string;
  /** the latest slot handled (run, skipped, or caught up): a restart never runs it again */
  lastSlotAt: string | null;
  /** when the plan is armed to run next; null when it is not armed (disabled, manual) */
  nextRunAt: string | null;
}

interface StateRow {
  plan_id: string;
  last_slot_at: string | null;
  next_run_at: string | null;
}

const toState = (row: StateRow): ScheduleState => ({
  planId: row.plan_id,
  lastSlotAt: row.last_slot_at,
  nextRunAt: row.next_run_at,
});

/**
 * The scheduler's per-plan state (table schedule_state). Rows go with their plan (ON DELETE
 * CASCADE), so callers write only for plans that exist. Times are ISO-8601 UTC strings.
 */
export class ScheduleStateRepo {
  constructor(private readonly db: CatalogDb) {}

  get(planId: string): ScheduleState | undefined {
    const row = this.db.prepare('SELECT * FROM schedule_state WHERE plan_id = ?').get(planId) as StateRow | undefined;
    return row ? toState(row) : undefined;
  }

  list(): ScheduleState[] {
    return (this.db.prepare('SELECT * FROM schedule_state ORDER BY plan_id').all() as StateRow[]).map(toState);
  }

  /**
   * Records `slotIso` as handled unless a later slot already is: a late timer or a second
   * catch-up must not move the mark backwards and make an older slot look missed.
   */
  recordSlot(planId: string, slotIso: string): void {
    this.db
      .prepare(
        `INSERT INTO schedule_state (plan_id, last_slot_at) VALUES (?, ?)
         ON CONFLICT(plan_id) DO UPDATE SET last_slot_at = excluded.last_slot_at
         WHERE last_slot_at IS NULL OR julianday(last_slot_at) < julianday(excluded.last_slot_at)`,
      )
      .run(planId, slotIso);
  }

  setNextRun(planId: string, nextIso: string | null): void {
    this.db
      .prepare(
        `INSERT INTO schedule_state (plan_id, next_run_at) VALUES (?, ?)
         ON CONFLICT(plan_id) DO UPDATE SET next_run_at = excluded.next_run_at`,
      )
      .run(planId, nextIso);
  }
}
