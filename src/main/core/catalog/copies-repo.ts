/**
 * The copies of each backup at its plan's other destinations (migration 11, `backup_copies`):
 * one row per backup and destination, never a secret. A row's status says what the copy is:
 * 'uploaded' (size and the SHA-256 computed on the way matched), 'verified' (also read back and
 * matched), 'failed' (the last upload failed; or, for a backup retention removed, the delete of
 * the copy failed and is tried again), 'deleted' (removed with its backup).
 */
import type { BackupCopy, CopyStatus, DestinationKind } from '../../../shared/destination';
import type { CatalogDb } from './catalog';

interface CopyRow {
  backup_id: string;
  destination_id: string;
  kind: DestinationKind;
  destination_url: string;
  key: string;
  url: string;
  status: CopyStatus;
  size_bytes: number | null;
  sha256: string | null;
  uploaded_at: string | null;
  verified_at: string | null;
  error: string | null;
  attempts: number;
}

function toCopy(row: CopyRow): BackupCopy {
  return {
    backupId: row.backup_id,
    destinationId: row.destination_id,
    kind: row.kind,
    destinationUrl: row.destination_url,
    url: row.url,
    key: row.key,
    status: row.status,
    sizeBytes: row.size_bytes,
    sha256: row.sha256,
    uploadedAt: row.uploaded_at,
    verifiedAt: row.verified_at,
    error: row.error,
    attempts: row.attempts,
  };
}

/** Where a copy is going: what an upload attempt records before it knows the outcome. */
export interface CopyTarget {
  backupId: string;
  destinationId: string;
  kind: DestinationKind;
  destinationUrl: string;
  key: string;
  url: string;
}

/** Statuses of a copy that can be read from, best first (restore from the nearest healthy copy). */
export const HEALTHY_COPY_STATUSES: readonly CopyStatus[] = ['verified', 'uploaded'];

/** Copies of backups at other destinations. */
export class CopiesRepo {
  constructor(private readonly db: CatalogDb) {}

  /** Every copy of one backup, in the order they were first recorded. */
  forBackup(backupId: string): BackupCopy[] {
    return (this.db.prepare('SELECT * FROM backup_copies WHERE backup_id = ? ORDER BY rowid').all(backupId) as CopyRow[]).map(toCopy);
  }

  get(backupId: string, destinationId: string): BackupCopy | undefined {
    const row = this.db.prepare('SELECT * FROM backup_copies WHERE backup_id = ? AND destination_id = ?').get(backupId, destinationId) as
      | CopyRow
      | undefined;
    return row ? toCopy(row) : undefined;
  }

  /** The copies of the plan's newest backup still on disk (successful or partial), with that backup's id; null when it has none. */
  forNewestBackup(planId: string): { backupId: string; copies: BackupCopy[] } | null {
    const row = this.db
      .prepare(
        `SELECT id FROM jobs WHERE plan_id = ? AND kind = 'backup' AND status IN ('success', 'partial') AND file_path IS NOT NULL
          ORDER BY started_at DESC, rowid DESC LIMIT 1`,
      )
      .get(planId) as { id: string } | undefined;
    return row ? { backupId: row.id, copies: this.forBackup(row.id) } : null;
  }

  /**
   * The first copy of a backup a restore may read, best first: verified before uploaded, then in
   * the order they were recorded. Null when none is healthy.
   */
  healthyCopy(backupId: string): BackupCopy | null {
    const copies = this.forBackup(backupId).filter((c) => HEALTHY_COPY_STATUSES.includes(c.status));
    copies.sort((a, b) => HEALTHY_COPY_STATUSES.indexOf(a.status) - HEALTHY_COPY_STATUSES.indexOf(b.status));
    return copies[0] ?? null;
  }

  /**
   * Copies to upload again: of the plan's `limit` newest backups still on disk, each pair
   * (backup, destination id in `destinationIds`) whose copy failed or was never recorded, newest
   * backup first. A backup still running (not success/partial) is not among them.
   */
  missingOrFailed(planId: string, destinationIds: readonly string[], limit: number): { backupId: string; destinationId: string; copy: BackupCopy | null }[] {
    if (destinationIds.length === 0 || limit <= 0) return [];
    const backups = this.db
      .prepare(
        `SELECT id FROM jobs WHERE plan_id = ? AND kind = 'backup' AND status IN ('success', 'partial') AND file_path IS NOT NULL
          ORDER BY started_at DESC, rowid DESC LIMIT ?`,
      )
      .all(planId, limit) as { id: string }[];
    const out: { backupId: string; destinationId: string; copy: BackupCopy | null }[] = [];
    for (const { id } of backups) {
      const byDest = new Map(this.forBackup(id).map((c) => [c.destinationId, c]));
      for (const destinationId of destinationIds) {
        const copy = byDest.get(destinationId) ?? null;
        if (!copy || copy.status === 'failed') out.push({ backupId: id, destinationId, copy });
      }
    }
    return out;
  }

  /**
   * Copies whose backup is gone (retention, a delete by hand, a cancelled run) but that are not
   * deleted yet: a delete that failed, to try again. Of one plan, oldest backup first; a backup
   * still running (no file recorded yet) is not gone.
   */
  pendingDeletes(planId: string): BackupCopy[] {
    return (
      this.db
        .prepare(
          `SELECT c.* FROM backup_copies c JOIN jobs j ON j.id = c.backup_id
            WHERE j.plan_id = ? AND j.file_path IS NULL AND j.status NOT IN ('running', 'pending') AND c.status != 'deleted'
            ORDER BY j.started_at, c.rowid`,
        )
        .all(planId) as CopyRow[]
    ).map(toCopy);
  }

  /** Copies of the backups of one plan, newest backup first (the off-site status, History). */
  forPlan(planId: string, limit = 1000): BackupCopy[] {
    return (
      this.db
        .prepare(
          `SELECT c.* FROM backup_copies c JOIN jobs j ON j.id = c.backup_id
            WHERE j.plan_id = ? ORDER BY j.started_at DESC, c.rowid LIMIT ?`,
        )
        .all(planId, limit) as CopyRow[]
    ).map(toCopy);
  }

  /** An upload succeeded: size and SHA-256 as checked; `verifiedAt` when the object was also read back and matched. */
  recordUploaded(target: CopyTarget, result: { sizeBytes: number; sha256: string; uploadedAt: string; verifiedAt: string | null }): BackupCopy {
    this.db
      .prepare(
        `INSERT INTO backup_copies (backup_id, destination_id, kind, destination_url, key, url, status, size_bytes, sha256, uploaded_at, verified_at, error, attempts)
         VALUES (@backupId, @destinationId, @kind, @destinationUrl, @key, @url, @status, @sizeBytes, @sha256, @uploadedAt, @verifiedAt, NULL, 1)
         ON CONFLICT (backup_id, destination_id) DO UPDATE SET
           kind = excluded.kind, destination_url = excluded.destination_url, key = excluded.key, url = excluded.url,
           status = excluded.status, size_bytes = excluded.size_bytes, sha256 = excluded.sha256,
           uploaded_at = excluded.uploaded_at, verified_at = excluded.verified_at, error = NULL, attempts = attempts + 1`,
      )
      .run({ ...target, ...result, status: result.verifiedAt ? 'verified' : 'uploaded' });
    return this.get(target.backupId, target.destinationId)!;
  }

  /** An upload failed: the message must be secret-free already. Keeps nothing of an earlier copy's checks. */
  recordFailed(target: CopyTarget, error: string): BackupCopy {
    this.db
      .prepare(
        `INSERT INTO backup_copies (backup_id, destination_id, kind, destination_url, key, url, status, error, attempts)
         VALUES (@backupId, @destinationId, @kind, @destinationUrl, @key, @url, 'failed', @error, 1)
         ON CONFLICT (backup_id, destination_id) DO UPDATE SET
           kind = excluded.kind, destination_url = excluded.destination_url, key = excluded.key, url = excluded.url,
           status = 'failed', size_bytes = NULL, sha256 = NULL, uploaded_at = NULL, verified_at = NULL,
           error = excluded.error, attempts = attempts + 1`,
      )
      .run({ ...target, error });
    return this.get(target.backupId, target.destinationId)!;
  }

  /** A verification of the copy where it lies passed (verify/run with `copy`): verified now, any earlier error cleared. */
  markVerified(backupId: string, destinationId: string, verifiedAt: string): BackupCopy | undefined {
    this.db
      .prepare("UPDATE backup_copies SET status = 'verified', verified_at = ?, error = NULL WHERE backup_id = ? AND destination_id = ?")
      .run(verifiedAt, backupId, destinationId);
    return this.get(backupId, destinationId);
  }

  /**
   * A verification of the copy where it lies failed: the reason must be secret-free already.
   * No longer verified (its earlier verified_at goes), so a restore skips it and the plan's next
   * run uploads it again (missingOrFailed).
   */
  markVerifyFailed(backupId: string, destinationId: string, error: string): BackupCopy | undefined {
    this.db
      .prepare("UPDATE backup_copies SET status = 'failed', verified_at = NULL, error = ? WHERE backup_id = ? AND destination_id = ?")
      .run(error, backupId, destinationId);
    return this.get(backupId, destinationId);
  }

  /** The copy was deleted at its destination (with its backup). */
  markDeleted(backupId: string, destinationId: string): void {
    this.db
      .prepare("UPDATE backup_copies SET status = 'deleted', error = NULL WHERE backup_id = ? AND destination_id = ?")
      .run(backupId, destinationId);
  }

  /** Deleting the copy failed (its backup is gone): kept as failed with the reason, to try again. */
  markDeleteFailed(backupId: string, destinationId: string, error: string): void {
    this.db
      .prepare("UPDATE backup_copies SET status = 'failed', error = ?, attempts = attempts + 1 WHERE backup_id = ? AND destination_id = ?")
      .run(error, backupId, destinationId);
  }
}
