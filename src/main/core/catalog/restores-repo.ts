import type { CatalogDb } from './catalog';
import type { JobSourceResult } from '../../../shared/job';
import type { BackupType } from '../../../shared/plan';
import type { RestoreRecord } from '../../../shared/restore';

/** Restore history: one row per restore job, with its target (never a secret) and outcome. */
export class RestoresRepo {
  constructor(private readonly db: CatalogDb) {}

  create(r: { id: string; jobId: string | null; backupPath: string; target: Record<string, unknown>; createdAt: string }): void {
    this.db
      .prepare(
        `INSERT INTO restores (id, job_id, backup_path, target, status, created_at)
         VALUES (@id, @jobId, @backupPath, @target, 'running', @createdAt)`,
      )
      .run({ ...r, target: JSON.stringify(r.target) });
  }

  finish(id: string, status: string, details: Record<string, unknown> | null): void {
    this.db.prepare('UPDATE restores SET status = ?, details = ? WHERE id = ?').run(status, details ? JSON.stringify(details) : null, id);
  }

  get(id: string): RestoreRecord | undefined {
    const row = this.db.prepare('SELECT * FROM restores WHERE id = ?').get(id) as RestoreRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  forJob(jobId: string): RestoreRecord | undefined {
    const row = this.db.prepare('SELECT * FROM restores WHERE job_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(jobId) as
      | RestoreRow
      | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(page: number, pageSize: number): { items: RestoreRecord[]; total: number; page: number; pageSize: number } {
    const total = (this.db.prepare('SELECT COUNT(*) AS n FROM restores').get() as { n: number }).n;
    const rows = this.db
      .prepare('SELECT * FROM restores ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?')
      .all(pageSize, (page - 1) * pageSize) as RestoreRow[];
    return { items: rows.map(fromRow), total, page, pageSize };
  }
}

interface RestoreRow {
  id: string;
  job_id: string | null;
  backup_path: string;
  target: string;
  status: string;
  details: string | null;
  created_at: string;
}

function fromRow(r: RestoreRow): RestoreRecord {
  return {
    id: r.id,
    jobId: r.job_id,
    backupPath: r.backup_path,
    target: JSON.parse(r.target) as Record<string, unknown>,
    status: r.status,
    details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
    createdAt: r.created_at,
  };
}

/** A backup made elsewhere (or before the catalog was lost), entered into the catalog as a finished job. */
export interface ImportedBackup {
  id: string;
  planId: string | null;
  planName: string | null;
  status: 'success' | 'partial';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  bytesIn: number;
  sizeBytes: number;
  checksum: string;
  filePath: string;
  backupType: BackupType;
  baseJobId: string | null;
  displayMessage: string;
  importedAt: string;
  encrypted: boolean;
  sources: JobSourceResult[];
}

/** Inserts imported backups as jobs (kind backup, trigger manual, imported_at set). */
export class ImportedBackupsRepo {
  constructor(private readonly db: CatalogDb) {}

  /** Inserts the job and its sources in one transaction; false when the id is already in the catalog. */
  insert(b: ImportedBackup): boolean {
    return this.db.transaction(() => {
      const exists = this.db.prepare('SELECT 1 FROM jobs WHERE id = ?').get(b.id);
      if (exists) return false;
      this.db
        .prepare(
          `INSERT INTO jobs (id, kind, plan_id, plan_name, status, trigger, started_at, finished_at, duration_ms, bytes_in,
             size_bytes, compression_ratio, checksum, file_path, backup_type, base_job_id, display_message, imported_at, encrypted)
           VALUES (@id, 'backup', @planId, @planName, @status, 'manual', @startedAt, @finishedAt, @durationMs, @bytesIn,
             @sizeBytes, @compressionRatio, @checksum, @filePath, @backupType, @baseJobId, @displayMessage, @importedAt, @encrypted)`,
        )
        .run({ ...b, encrypted: b.encrypted ? 1 : 0, compressionRatio: b.sizeBytes > 0 ? b.bytesIn / b.sizeBytes : null });
      const insertSource = this.db.prepare(
        `INSERT INTO job_sources (job_id, kind, label, status, bytes, files, error_code, message)
         VALUES (@jobId, @kind, @label, @status, @bytes, @files, @errorCode, @message)`,
      );
      for (const source of b.sources) insertSource.run({ jobId: b.id, ...source });
      return true;
    })();
  }

  /** When a job was imported, or null for one this catalog ran itself. */
  importedAt(id: string): string | null {
    return (this.db.prepare('SELECT imported_at AS at FROM jobs WHERE id = ?').get(id) as { at: string | null } | undefined)?.at ?? null;
  }
}
