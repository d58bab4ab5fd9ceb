import type { CatalogDb } from './catalog';

/** Key/value settings of the engine (JSON values). Never holds secrets: those go to the keychain. */
export class SettingsRepo {
  constructor(
    private readonly db: CatalogDb,
    private readonly now: () => Date,
  ) {}

  get<T>(key: string, fallback: T): T {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : fallback;
  }

  set<T>(key: string, value: T): void {
    this.db
      .prepare(
        `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(key, JSON.stringify(value), this.now().toISOString());
  }
}
