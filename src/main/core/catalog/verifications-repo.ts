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
    const row = this.db
      .prepare('SELECT status FROM verifications WHERE backup_job_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1')
      .get(backupJobId) as { status: VerificationStatus } | undefined;
    return row?.status ?? null;
  }

  forBackup(backupJobId: string): VerificationRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM verifications WHERE backup_job_id = ? ORDER BY created_at DESC, rowid DESC')
        .all(backupJobId) as {
        id: string;
        job_id: string | null;
        backup_job_id: string | null;
        file_path: string;
        status: VerificationStatus;
        drill: number;
        reasons: string;
        created_at: string;
      }[]
    ).map((r) => ({
      id: r.id,
      jobId: r.job_id,
      backupJobId: r.backup_job_id,
      filePath: r.file_path,
      status: r.status,
      drill: r.drill === 1,
      reasons: JSON.parse(r.reasons) as string[],
      createdAt: r.created_at,
    }));
  }
}
