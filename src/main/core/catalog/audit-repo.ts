import type { CatalogDb } from './catalog';
import type { AuditEntry, Page } from '../../../shared/ipc-contract';

/** The audit log: one row per change or action, who did it and to what. Never holds secrets. */
export class AuditRepo {
  constructor(
    private readonly db: CatalogDb,
    private readonly now: () => Date,
  ) {}

  record(actor: string, action: string, target: string | null, details?: Record<string, unknown>): void {
    this.db
      .prepare('INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)')
      .run(this.now().toISOString(), actor, action, target, details ? JSON.stringify(details) : null);
  }

  /** Entries recorded at or after `from` (every entry for null), oldest first: what `lifeboat logs` shows. */
  since(from: string | null): AuditEntry[] {
    const sql = `SELECT * FROM audit_log ${from ? 'WHERE at >= ?' : ''} ORDER BY id`;
    return (from ? this.db.prepare(sql).all(from) : this.db.prepare(sql).all()) as AuditEntry[];
  }

  list(page: number, pageSize: number): Page<AuditEntry> {
    const total = (this.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
    const items = this.db
      .prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?')
      .all(pageSize, (page - 1) * pageSize) as AuditEntry[];
    return { items, total, page, pageSize };
  }
}
