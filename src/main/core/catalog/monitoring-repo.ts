import path from 'node:path';
import type { CatalogDb } from './catalog';

/** The backups on disk in one folder, as the catalog records them. */
export interface DestinationUsage {
  /** the folder holding the backup files */
  path: string;
  bytes: number;
  backups: number;
}

/** Read-only queries for monitoring (the daemon's /metrics) that no screen needs. */
export class MonitoringRepo {
  constructor(private readonly db: CatalogDb) {}

  /**
   * Bytes of the backups whose file is still on disk (retention clears the path), per folder
   * holding them: what each destination uses, plan or one-off alike. Sorted by folder.
   */
  destinationUsage(): DestinationUsage[] {
    const rows = this.db
      .prepare(
        `SELECT file_path AS filePath, COALESCE(size_bytes, 0) AS bytes FROM jobs
          WHERE kind = 'backup' AND status IN ('success', 'partial') AND file_path IS NOT NULL AND file_path <> ''`,
      )
      .all() as { filePath: string; bytes: number }[];
    const byFolder = new Map<string, DestinationUsage>();
    for (const row of rows) {
      const folder = path.dirname(row.filePath);
      const usage = byFolder.get(folder) ?? { path: folder, bytes: 0, backups: 0 };
      usage.bytes += row.bytes;
      usage.backups += 1;
      byFolder.set(folder, usage);
    }
    return [...byFolder.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}
