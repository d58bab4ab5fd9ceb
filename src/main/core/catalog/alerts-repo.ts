import type { CatalogDb } from './catalog';
import type { Page } from '../../../shared/ipc-contract';
import type { AlertEntry, AlertKind } from '../../../shared/notify';

interface AlertRow {
  id: number;
  at: string;
  plan_id: string | null;
  job_id: string | null;
  kind: AlertKind;
  message: string;
}

function toEntry(row: AlertRow): AlertEntry {
  return { id: row.id, at: row.at, planId: row.plan_id, jobId: row.job_id, kind: row.kind, message: row.message };
}

/** Alerts raised about plans and jobs, newest first. */
export class AlertsRepo {
  constructor(private readonly db: CatalogDb) {}

  record(alert: Omit<AlertEntry, 'id'>): AlertEntry {
    const { lastInsertRowid } = this.db
      .prepare('INSERT INTO alerts (at, plan_id, job_id, kind, message) VALUES (@at, @planId, @jobId, @kind, @message)')
      .run(alert);
    return { ...alert, id: Number(lastInsertRowid) };
  }

  list(page: number, pageSize: number): Page<AlertEntry> {
    const total = (this.db.prepare('SELECT COUNT(*) AS n FROM alerts').get() as { n: number }).n;
    const items = (
      this.db.prepare('SELECT * FROM alerts ORDER BY at DESC, id DESC LIMIT ? OFFSET ?').all(pageSize, (page - 1) * pageSize) as AlertRow[]
    ).map(toEntry);
    return { items, total, page, pageSize };
  }

  /** The newest alert of this kind about this plan, if any (to avoid raising the same one again). */
  latest(planId: string, kind: AlertKind): AlertEntry | undefined {
    const row = this.db
      .prepare('SELECT * FROM alerts WHERE plan_id = ? AND kind = ? ORDER BY at DESC, id DESC LIMIT 1')
      .get(planId, kind) as AlertRow | undefined;
    return row ? toEntry(row) : undefined;
  }
}
