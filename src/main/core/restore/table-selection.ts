/**
 * A selection of tables against a restore target: reading what the existing database holds
 * (for postgres/toc-plan.ts, which decides), the preview of the plan, and the refusal of a
 * selection that cannot be restored as chosen. The restore and its preview share these, so the
 * preview says exactly what the restore will do or refuse, before anything runs.
 */
import type pg from 'pg';
import { AppError } from '../../../shared/errors';
import type { ManifestDatabaseSource } from '../../../shared/manifest';
import type { TableRef, TableSelectionPreview } from '../../../shared/restore';
import type { TocEntry } from '../postgres/restore';
import { indexToc, planTableSelection, tableLabel, type TablePlan, type TargetState } from '../postgres/toc-plan';

export { tableLabel };

/** Plans restoring `selected` of `source` from the dump with this table of contents (see planTableSelection). */
export function planSelection(toc: TocEntry[], source: ManifestDatabaseSource, selected: TableRef[], target: TargetState | null): TablePlan {
  return planTableSelection(indexToc(toc, source.tables), selected, target);
}

/** The preview of a plan (shared/restore.ts TableSelectionPreview). */
export function selectionPreview(plan: TablePlan): TableSelectionPreview {
  return {
    tables: plan.tables.map((t) => ({ schema: t.schema, name: t.name, how: t.how, via: t.via })),
    definitionsOnly: plan.definitionsOnly,
    objects: plan.objects,
    problems: plan.problems,
    minimalSet: plan.minimalSet,
  };
}

/** What the preview and the refusal say about a selection that cannot be restored as chosen; null when it can. */
export function selectionProblem(plan: TablePlan): string | null {
  if (plan.problems.length === 0) return null;
  const fix = plan.minimalSet
    ? `restore these tables together: ${plan.minimalSet.map(tableLabel).join(', ')}`
    : 'no selection of tables around it can be restored here: restore into a new database, or restore the whole database';
  return `${plan.problems.join('; ')}. So ${fix}.`;
}

/** Throws RESTORE_SELECTION_INCOMPLETE, naming the set to restore, when the plan cannot run as chosen. */
export function assertRestorable(plan: TablePlan): void {
  const problem = selectionProblem(plan);
  if (problem) throw new AppError('RESTORE_SELECTION_INCOMPLETE', { detail: problem });
}

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;

/**
 * Reads what a restore over the connected database needs to know (toc-plan TargetState): its
 * relations, foreign keys, enabled user triggers, and the schemas, types, functions, collations
 * and extensions it has, named as pg_dump tags them (functions as name(argument types), types
 * qualified unless in pg_catalog: the search path is empty while they are formatted, as in
 * pg_dump, and while the foreign keys' definitions are, so they name every table in full).
 */
export async function readTargetState(client: pg.Client): Promise<TargetState> {
  // partitions since PostgreSQL 10, their inherited foreign keys (conparentid) since 11
  const version = Number((await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
  const partitionOf = version >= 100000 ? '(SELECT i.inhparent::int8 FROM pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition)' : 'NULL::int8';
  const relations = await client.query<{ oid: string; schema: string; name: string; relkind: string; partition_of: string | null }>(
    `SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
            ${partitionOf} AS partition_of
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND ${USER_SCHEMAS}`,
  );
  const triggers = await client.query<{ relation: string; name: string; enabled: 'O' | 'A' | 'R' }>(
    `SELECT tgrelid::int8 AS relation, tgname AS name, tgenabled::text AS enabled FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'`,
  );
  await client.query('BEGIN');
  let objects: pg.QueryResult<{ family: TargetState['objects'][number]['family']; schema: string | null; tag: string }>;
  let foreignKeys: pg.QueryResult<{ from: string; to: string; inherited: boolean; name: string; definition: string }>;
  try {
    await client.query(`SELECT pg_catalog.set_config('search_path', '', true)`);
    foreignKeys = await client.query(
      `SELECT conrelid::int8 AS "from", confrelid::int8 AS "to", ${version >= 110000 ? 'conparentid <> 0' : 'false'} AS inherited,
              conname AS name, pg_catalog.pg_get_constraintdef(oid) AS definition
         FROM pg_catalog.pg_constraint WHERE contype = 'f'`,
    );
    objects = await client.query(
      `SELECT 'schema' AS family, NULL AS schema, n.nspname AS tag FROM pg_namespace n WHERE ${USER_SCHEMAS}
       UNION ALL SELECT 'extension', NULL, e.extname FROM pg_extension e
       UNION ALL SELECT 'type', n.nspname, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ${USER_SCHEMAS}
       UNION ALL SELECT 'function', n.nspname, p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')'
                   FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_SCHEMAS}
       UNION ALL SELECT 'collation', n.nspname, c.collname FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace WHERE ${USER_SCHEMAS}`,
    );
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
  return {
    relations: relations.rows.map((r) => ({
      oid: Number(r.oid),
      schema: r.schema,
      name: r.name,
      relkind: r.relkind,
      partitionOf: r.partition_of === null ? null : Number(r.partition_of),
    })),
    foreignKeys: foreignKeys.rows.map((f) => ({ from: Number(f.from), to: Number(f.to), inherited: f.inherited, name: f.name, definition: f.definition })),
    objects: objects.rows,
    triggers: triggers.rows.map((t) => ({ relation: Number(t.relation), name: t.name, enabled: t.enabled })),
  };
}
