import type { CatalogDb } from './catalog';
import type { JobStatus } from '../../../shared/job';
import type { BackupType } from '../../../shared/plan';
import type { BackupRun } from '../notify/alerts';

interface RunRow {
  id: string;
  status: JobStatus;
  backup_type: BackupType | null;
  started_at: string;
  duration_ms: number | null;
  size_bytes: number | null;
}

/** Read-only queries over finished backup jobs, for alerts and overdue checks. */
export class BackupHistoryRepo {
  constructor(private readonly db: CatalogDb) {}

  /** The plan's finished backup runs (cancelled ones included), newest first. */
  recentRuns(planId: string, limit = 50): BackupRun[] {
    const rows = this.db
      .prepare(
        `SELECT id, status, backup_type, started_at, duration_ms, size_bytes FROM jobs
         WHERE plan_id = ? AND kind = 'backup' AND status IN ('success', 'failed', 'partial', 'cancelled', 'interrupted')
         ORDER BY started_at DESC, rowid DESC LIMIT ?`,
      )
      .all(planId, limit) as RunRow[];
    return rows.map((r) => ({
      jobId: r.id,
      status: r.status,
      backupType: r.backup_type,
      startedAt: r.started_at,
      durationMs: r.duration_ms,
      sizeBytes: r.size_bytes,
    }));
  }

  /** When each plan's newest successful backup started. */
  lastSuccessByPlan(): Map<string, Date> {
    const rows = this.db
      .prepare(
        `SELECT plan_id AS planId, MAX(started_at) AS at FROM jobs
         WHERE kind = 'backup' AND status = 'success' AND plan_id IS NOT NULL GROUP BY plan_id`,
      )
      .all() as { planId: string; at: string }[];
    return new Map(rows.map((r) => [r.planId, new Date(r.at)]));
  }

  /** Jobs marked interrupted at or after `since` (the start-up recovery marks them). */
  interruptedSince(since: string): string[] {
    return (
      this.db.prepare("SELECT id FROM jobs WHERE status = 'interrupted' AND finished_at >= ? ORDER BY started_at").all(since) as {
        id: string;
      }[]
    ).map((r) => r.id);
  }
}
