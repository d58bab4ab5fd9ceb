import type { CatalogDb } from './catalog';

/** A plan's "Next run: full": who asked and when. */
export interface FullRequest {
  planId: string;
  requestedAt: string;
  requestedBy: string;
}

/**
 * "Next run: full" per plan (migration 9): the next run of an incremental or differential plan
 * starts a new chain with a full backup. Cleared by the full backup that honoured it.
 */
export class FullRequestsRepo {
  constructor(private readonly db: CatalogDb) {}

  get(planId: string): FullRequest | undefined {
    return this.db
      .prepare('SELECT plan_id AS planId, requested_at AS requestedAt, requested_by AS requestedBy FROM plan_full_requests WHERE plan_id = ?')
      .get(planId) as FullRequest | undefined;
  }

  /** Every plan with a request. */
  all(): FullRequest[] {
    return this.db.prepare('SELECT plan_id AS planId, requested_at AS requestedAt, requested_by AS requestedBy FROM plan_full_requests').all() as FullRequest[];
  }

  request(planId: string, at: string, by: string): void {
    this.db
      .prepare(
        `INSERT INTO plan_full_requests (plan_id, requested_at, requested_by) VALUES (?, ?, ?)
         ON CONFLICT(plan_id) DO UPDATE SET requested_at = excluded.requested_at, requested_by = excluded.requested_by`,
      )
      .run(planId, at, by);
  }

  /** Removes the request; with `madeBefore`, only one made at or before that instant (a newer one waits for the next run). */
  clear(planId: string, madeBefore?: string): boolean {
    const result = madeBefore
      ? this.db.prepare('DELETE FROM plan_full_requests WHERE plan_id = ? AND requested_at <= ?').run(planId, madeBefore)
      : this.db.prepare('DELETE FROM plan_full_requests WHERE plan_id = ?').run(planId);
    return result.changes > 0;
  }
}
