import type { CatalogDb } from './catalog';
import { alertRulesSchema } from '../../../shared/alert-rules';
import { hooksSchema } from '../../../shared/hooks';
import { databaseSourceSchema, planOptionsSchema, retentionSchema, type Plan, type PlanDefinition } from '../../../shared/plan';

interface PlanRow {
  id: string;
  definition: string;
  created_at: string;
  updated_at: string;
}

function toPlan(row: PlanRow): Plan {
  const definition = JSON.parse(row.definition) as PlanDefinition;
  // a plan saved before an option existed gets that option's default
  const options = planOptionsSchema.parse(definition.options);
  const retention = retentionSchema.parse(definition.retention ?? {});
  const databases = (definition.databases ?? []).map((db) => databaseSourceSchema.parse(db));
  const extras = {
    description: definition.description ?? '',
    alerts: alertRulesSchema.parse(definition.alerts ?? {}),
    hooks: hooksSchema.parse(definition.hooks ?? {}),
  };
  return { ...definition, databases, options, retention, ...extras, id: row.id, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** Backup plans. The definition is stored as validated JSON; secrets are never part of it. */
export class PlansRepo {
  constructor(private readonly db: CatalogDb) {}

  list(): Plan[] {
    return (this.db.prepare('SELECT * FROM plans ORDER BY name COLLATE NOCASE').all() as PlanRow[]).map(toPlan);
  }

  get(id: string): Plan | undefined {
    const row = this.db.prepare('SELECT * FROM plans WHERE id = ?').get(id) as PlanRow | undefined;
    return row ? toPlan(row) : undefined;
  }

  findByName(name: string): Plan | undefined {
    const row = this.db.prepare('SELECT * FROM plans WHERE name = ? COLLATE NOCASE').get(name) as PlanRow | undefined;
    return row ? toPlan(row) : undefined;
  }

  upsert(id: string, definition: PlanDefinition, nowIso: string): Plan {
    const { id: _ignored, ...rest } = definition;
    this.db
      .prepare(
        `INSERT INTO plans (id, name, enabled, definition, created_at, updated_at)
         VALUES (@id, @name, @enabled, @definition, @now, @now)
         ON CONFLICT(id) DO UPDATE SET name = @name, enabled = @enabled, definition = @definition, updated_at = @now`,
      )
      .run({ id, name: rest.name, enabled: rest.enabled ? 1 : 0, definition: JSON.stringify(rest), now: nowIso });
    return this.get(id)!;
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM plans WHERE id = ?').run(id).changes > 0;
  }
}
