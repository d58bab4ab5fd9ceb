/**
 * A database source's dump filter in the manifest: which tables pg_dump left out, and which it
 * dumped without rows, so that the manifest says why a restored table is empty or missing and
 * the row checks of a restore or a drill expect what the dump really holds.
 */
import { defaultSearchPath, hasDumpFilter, tableFate, type DumpFilter } from '../../../shared/dump-filter';
import type { ManifestDatabaseSource, ManifestObjectAcl, ManifestSource, ManifestTable } from '../../../shared/manifest';
import type { DatabaseSource } from '../../../shared/plan';

/** The filter fields of a source (older plans may lack them). */
export function dumpFilterOf(source: Partial<DumpFilter>): DumpFilter {
  return {
    schemas: source.schemas ?? [],
    excludeSchemas: source.excludeSchemas ?? [],
    excludeTables: source.excludeTables ?? [],
    excludeTableData: source.excludeTableData ?? [],
  };
}

/**
 * The manifest's record of one database with its source's filter applied: tables left out are
 * removed from `tables` and named in `dumpFilter.excludedTables`; tables dumped without rows keep
 * their place with `rows: 0`, `rowsAtBackup` and `dataExcludedBy`. Unqualified table patterns
 * reach the schemas of the default search path (`"$user", public`), as pg_dump's do.
 * Returns the record unchanged when the source has no filter.
 */
export function applyDumpFilter(manifest: ManifestDatabaseSource, source: Partial<DumpFilter> & Pick<DatabaseSource, 'user'>): ManifestDatabaseSource {
  const filter = dumpFilterOf(source);
  if (!hasDumpFilter(filter)) return manifest;
  const searchPath = defaultSearchPath(source.user);
  const visible = (schema: string) => searchPath.includes(schema);
  const tables: ManifestTable[] = [];
  const excludedTables: NonNullable<ManifestDatabaseSource['dumpFilter']>['excludedTables'] = [];
  for (const table of manifest.tables) {
    const fate = tableFate(filter, table.schema, table.name, visible);
    if (fate.fate === 'excluded') excludedTables.push({ schema: table.schema, name: table.name, excludedBy: fate.by });
    else if (fate.fate === 'data-excluded') tables.push({ ...table, rows: 0, rowsAtBackup: table.rows, dataExcludedBy: fate.by });
    else tables.push(table);
  }
  return { ...manifest, tables, dumpFilter: { ...filter, excludedTables } };
}

/** The manifest's sources with each database's filter applied (sources matched by id). */
export function withDumpFilters(sources: ManifestSource[], databases: readonly { source: DatabaseSource }[]): ManifestSource[] {
  return sources.map((s) => {
    if (s.kind !== 'database') return s;
    const input = databases.find((d) => d.source.id === s.id)?.source;
    return input ? applyDumpFilter(s, input) : s;
  });
}

/** Kinds of objects that pg_dump's table patterns (-t / -T) select: relations. */
const RELATION_KINDS = new Set(['table', 'view', 'materialized view', 'sequence', 'foreign table']);

/**
 * Whether an object recorded at backup time can be missing after a restore because the dump
 * filter left it out: a schema not dumped, an object in such a schema, a relation an excluded
 * table pattern names, a sequence when tables were left out (an identity column's goes with its
 * table), a large object when only some schemas were dumped (pg_dump leaves them out then).
 */
export function leftOutByFilter(object: Pick<ManifestObjectAcl, 'kind' | 'schema' | 'name'>, source: ManifestDatabaseSource): boolean {
  const filter = source.dumpFilter;
  if (!filter) return false;
  const schemaOut = (schema: string) => tableFate({ ...filter, excludeTables: [], excludeTableData: [] }, schema, '', () => false).fate === 'excluded';
  if (object.kind === 'schema') return schemaOut(object.name);
  if (object.kind === 'large object') return filter.schemas.length > 0;
  if (object.schema === null) return false;
  if (schemaOut(object.schema)) return true;
  if (!RELATION_KINDS.has(object.kind)) return false;
  if (filter.excludedTables.some((t) => t.schema === object.schema && t.name === object.name)) return true;
  if (object.kind === 'sequence' && filter.excludedTables.length > 0) return true;
  const visible = defaultSearchPath(source.user).includes(object.schema);
  return tableFate({ ...filter, excludeTableData: [] }, object.schema, object.name, () => visible).fate === 'excluded';
}
