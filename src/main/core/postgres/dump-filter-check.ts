/**
 * The plan editor's check of a database's dump options against the live database: what each
 * pattern matches, with the same matching the manifest uses, and a warning for a pattern that
 * matches nothing (a typo would otherwise back up what the admin meant to leave out, or leave
 * out nothing).
 */
import type pg from 'pg';
import {
  compileDumpPattern,
  defaultSearchPath,
  DUMP_FILTER_FIELDS,
  DUMP_FILTER_FLAGS,
  DUMP_FILTER_TARGET,
  dumpPatternProblem,
  type DumpFilterField,
} from '../../../shared/dump-filter';
import type { DumpFilterCheck, DumpPatternCheck } from '../../../shared/ipc-contract';
import type { DatabaseSource } from '../../../shared/plan';
import { connectDatabase } from './connection';

/** At most this many matches are named per pattern. */
const MAX_NAMED_MATCHES = 20;

export interface LiveObjects {
  schemas: string[];
  /** relations pg_dump's table patterns select (tables, views, sequences...), with whether they hold rows */
  relations: { schema: string; name: string; hasData: boolean }[];
}

/** Reads the schemas and relations of the connected database (system schemas and extension members left out). */
export async function readLiveObjects(client: pg.Client): Promise<LiveObjects> {
  const userSchema = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;
  const schemas = await client.query<{ name: string }>(`SELECT n.nspname AS name FROM pg_namespace n WHERE ${userSchema} ORDER BY 1`);
  const relations = await client.query<{ schema: string; name: string; relkind: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${userSchema}
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 1, 2`,
  );
  return {
    schemas: schemas.rows.map((r) => r.name),
    relations: relations.rows.map((r) => ({ schema: r.schema, name: r.name, hasData: r.relkind === 'r' || r.relkind === 'p' || r.relkind === 'm' })),
  };
}

/** What each pattern of `source` matches among `live`; pure, so it is tested without a server. */
export function matchDumpFilter(source: Pick<DatabaseSource, 'user' | 'database' | DumpFilterField>, live: LiveObjects): DumpFilterCheck {
  const searchPath = defaultSearchPath(source.user);
  const patterns: DumpPatternCheck[] = [];
  const warnings: string[] = [];
  for (const field of DUMP_FILTER_FIELDS) {
    for (const pattern of source[field] ?? []) {
      const flag = `${DUMP_FILTER_FLAGS[field]} ${pattern}`;
      const problem = dumpPatternProblem(field, pattern);
      if (problem) {
        patterns.push({ field, pattern, problem, count: 0, matches: [] });
        warnings.push(`${flag}: ${problem}`);
        continue;
      }
      const matcher = compileDumpPattern(pattern);
      const matched =
        DUMP_FILTER_TARGET[field] === 'schema'
          ? live.schemas.filter((s) => matcher.matchesSchema(s))
          : live.relations
              .filter((r) => (field !== 'excludeTableData' || r.hasData) && matcher.matchesTable(r.schema, r.name, searchPath.includes(r.schema)))
              .map((r) => `${r.schema}.${r.name}`);
      patterns.push({ field, pattern, problem: null, count: matched.length, matches: matched.slice(0, MAX_NAMED_MATCHES) });
      if (matched.length === 0) {
        const what = DUMP_FILTER_TARGET[field] === 'schema' ? 'schema' : 'table';
        const hint =
          what === 'table' && !pattern.includes('.')
            ? ` A name without a schema only finds tables in ${searchPath.map((s) => `"${s}"`).join(' or ')}: write schema.table (or *.table) for others.`
            : ' Check the spelling; names are folded to lower case unless "quoted".';
        warnings.push(`${flag} matches no ${what} in ${source.database}.${hint}`);
      }
    }
  }
  return { patterns, warnings };
}

/** Connects to the source's database and checks its dump options (connection failures throw, as AppError). */
export async function checkDumpFilter(source: DatabaseSource, password: string | null, signal?: AbortSignal): Promise<DumpFilterCheck> {
  const client = await connectDatabase(source, password, { signal, connectTimeoutMs: 10_000 });
  try {
    return matchDumpFilter(source, await readLiveObjects(client));
  } finally {
    await client.end().catch(() => undefined);
  }
}
