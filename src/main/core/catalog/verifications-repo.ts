import type { CatalogDb } from './catalog';

export type VerificationStatus = 'passed' | 'warnings' | 'failed';

export interface VerificationRecord {
  id: string;
  jobId: string | null;
  backupJobId: string | null;
  filePath: string;
  status: VerificationStatus;
  drill: boolean;
  reasons: string[];
  createdAt: string;
}

interface VerificationRow {
  id: string;
  job_id: string | null;
  backup_job_id: string | null;
  file_path: string;
  status: VerificationStatus;
  drill: number;
  reasons: string;
  created_at: string;
}

function fromRow(r: VerificationRow): VerificationRecord {
  return {
    id: r.id,
    jobId: r.job_id,
    backupJobId: r.backup_job_id,
    filePath: r.file_path,
    status: r.status,
    drill: r.drill === 1,
    reasons: JSON.parse(r.reasons) as string[],
    createdAt: r.created_at,
  };
}

/** Verification results per backup (and restore drills). */
export class VerificationsRepo {
  constructor(private readonly db: CatalogDb) {}

  record(v: VerificationRecord): void {
    this.db
      .prepare(
        `INSERT INTO verifications (id, job_id, backup_job_id, file_path, status, drill, reasons, created_at)
         VALUES (@id, @jobId, @backupJobId, @filePath, @status, @drill, @reasons, @createdAt)`,
      )
      .run({ ...v, drill: v.drill ? 1 : 0, reasons: JSON.stringify(v.reasons) });
  }

  /** The newest verification status of a backup, or null if it was never verified. */
  latestStatus(backupJobId: string): VerificationStatus | null {
    // a verification of one chosen off-site copy (its file_path is that copy's URL) speaks for the
    // copy, whose row in backup_copies it updates, not for the backup's primary file
    const row = this.db
      .prepare(
        `SELECT status FROM verifications WHERE backup_job_id = @id
           AND (file_path IS NULL OR file_path NOT IN (SELECT url FROM backup_copies WHERE backup_id = @id))
         ORDER BY created_at DESC, rowid DESC LIMIT 1`,
      )
      .get({ id: backupJobId }) as { status: VerificationStatus } | undefined;
    return row?.status ?? null;
  }

  forBackup(backupJobId: string): VerificationRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM verifications WHERE backup_job_id = ? ORDER BY created_at DESC, rowid DESC')
        .all(backupJobId) as VerificationRow[]
    ).map(fromRow);
  }

  /** Verifications newest first, optionally of one backup, with counts over all of them. */
  list(filter: { backupJobId?: string; drill?: boolean }, page: number, pageSize: number) {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.backupJobId) {
      where.push('backup_job_id = @backupJobId');
      params.backupJobId = filter.backupJobId;
    }
    if (filter.drill !== undefined) {
      where.push('drill = @drill');
      params.drill = filter.drill ? 1 : 0;
    }
    const sql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.db
      .prepare(`SELECT * FROM verifications ${sql} ORDER BY created_at DESC, rowid DESC LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: pageSize, offset: (page - 1) * pageSize }) as VerificationRow[];
    const stats = this.db
      .prepare(
        `SELECT COUNT(*) AS total,
                COALESCE(SUM(status = 'passed'), 0) AS passed,
                COALESCE(SUM(status = 'warnings'), 0) AS warnings,
                COALESCE(SUM(status = 'failed'), 0) AS failed,
                COALESCE(SUM(drill = 1), 0) AS drills,
                MAX(CASE WHEN drill = 1 AND status = 'passed' THEN created_at END) AS lastProvenAt
           FROM verifications ${sql}`,
      )
      .get(params) as { total: number; passed: number; warnings: number; failed: number; drills: number; lastProvenAt: string | null };
    const { total, ...counts } = stats;
    return { items: rows.map(fromRow), total, page, pageSize, stats: counts };
  }
}
