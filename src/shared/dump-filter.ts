/**
 * What pg_dump leaves out of a database's dump: schemas to include or exclude, tables to exclude,
 * and tables whose data to exclude (their definition stays). Patterns are pg_dump's own (`-n`,
 * `-N`, `-T`, `--exclude-table-data`): `*` any characters, `?` one, `schema.table`, a "quoted"
 * part taken literally and case-sensitively, other letters folded to lower case. Pure: the
 * renderer checks them as the user types, main passes them to pg_dump and records in the
 * manifest what they left out, with the same matching.
 */
import { z } from 'zod';

export const DUMP_FILTER_FIELDS = ['schemas', 'excludeSchemas', 'excludeTables', 'excludeTableData'] as const;
export type DumpFilterField = (typeof DUMP_FILTER_FIELDS)[number];

/** The pg_dump option behind each field, for messages and the command line. */
export const DUMP_FILTER_FLAGS: Record<DumpFilterField, string> = {
  schemas: '--schema',
  excludeSchemas: '--exclude-schema',
  excludeTables: '--exclude-table',
  excludeTableData: '--exclude-table-data',
};

/** What a pattern of each field names: a schema or a table. */
export const DUMP_FILTER_TARGET: Record<DumpFilterField, 'schema' | 'table'> = {
  schemas: 'schema',
  excludeSchemas: 'schema',
  excludeTables: 'table',
  excludeTableData: 'table',
};

export interface DumpFilter {
  schemas: string[];
  excludeSchemas: string[];
  excludeTables: string[];
  excludeTableData: string[];
}

export const EMPTY_DUMP_FILTER: DumpFilter = { schemas: [], excludeSchemas: [], excludeTables: [], excludeTableData: [] };

/** A pattern split into its dot-separated parts (quotes removed), or the reason it is not one. */
export type ParsedPattern = { ok: true; parts: PatternPart[] } | { ok: false; reason: string };

/** One dot-separated part: each piece is literal text (quoted) or pattern text (unquoted). */
export type PatternPart = { quoted: boolean; text: string }[];

/**
 * Splits a pg_dump pattern at the dots outside double quotes; `""` inside quotes is one `"`.
 * Refuses what pg_dump would refuse or misread: an unclosed quote, control characters, an
 * empty part.
 */
export function parseDumpPattern(pattern: string): ParsedPattern {
  if (/[\u0000-\u001f\u007f]/.test(pattern)) return { ok: false, reason: 'a pattern is one line of text, without tabs or control characters' };
  const parts: PatternPart[] = [[]];
  let inQuotes = false;
  let piece = '';
  const flush = () => {
    if (piece) parts[parts.length - 1]!.push({ quoted: inQuotes, text: piece });
    piece = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '"') {
      if (inQuotes && pattern[i + 1] === '"') {
        piece += '"';
        i++;
        continue;
      }
      flush();
      inQuotes = !inQuotes;
      continue;
    }
    if (ch === '.' && !inQuotes) {
      flush();
      parts.push([]);
      continue;
    }
    piece += ch;
  }
  if (inQuotes) return { ok: false, reason: 'a double quote is not closed: write "Name" with both quotes' };
  flush();
  if (parts.some((p) => p.length === 0)) return { ok: false, reason: 'a part of the name is empty: write schema.table, without a leading, trailing or double dot' };
  return { ok: true, parts };
}

/**
 * Why `pattern` cannot be used for `field`, naming the fix; null when it can. A schema pattern
 * has one part, a table pattern one or two (schema.table); pg_dump's database-qualified forms
 * are refused: the plan already names the database.
 */
export function dumpPatternProblem(field: DumpFilterField, pattern: string): string | null {
  if (pattern.trim() === '') return 'enter a pattern, or remove the empty line';
  const parsed = parseDumpPattern(pattern);
  if (!parsed.ok) return parsed.reason;
  const max = DUMP_FILTER_TARGET[field] === 'schema' ? 1 : 2;
  if (parsed.parts.length > max) {
    return max === 1
      ? 'a schema pattern is one name such as audit or tmp_*; quote a name that holds a dot ("my.schema")'
      : 'a table pattern is table or schema.table, such as public.logs or *.audit_*; quote a name that holds a dot';
  }
  try {
    for (const part of parsed.parts) new RegExp(partRegexSource(part));
  } catch {
    return 'the pattern is not valid: use * and ? as wildcards, and quote names that hold other special characters';
  }
  return null;
}

/** Regular-expression source of one part, as pg_dump builds it (processSQLNamePattern). */
function partRegexSource(part: PatternPart): string {
  let out = '';
  for (const piece of part) {
    for (const ch of piece.text) {
      if (piece.quoted) out += /[|*+?()[\]{}.^$\\]/.test(ch) ? `\\${ch}` : ch;
      else if (ch === '*') out += '.*';
      else if (ch === '?') out += '.';
      else if (ch === '$') out += '\\$';
      // outside quotes other characters pass through as regular-expression syntax, as in pg_dump
      else out += ch.toLowerCase();
    }
  }
  return `^(?:${out})$`;
}

/** A compiled pattern: matches a schema name, or a table by schema and name. */
export interface DumpPatternMatcher {
  pattern: string;
  matchesSchema(schema: string): boolean;
  /**
   * `visible`: whether the table is found through the search path (an unqualified table
   * pattern matches only those, as in pg_dump)
   */
  matchesTable(schema: string, name: string, visible: boolean): boolean;
}

/** Compiles a pattern checked with dumpPatternProblem (an invalid one matches nothing). */
export function compileDumpPattern(pattern: string): DumpPatternMatcher {
  const parsed = parseDumpPattern(pattern);
  const parts = parsed.ok ? parsed.parts.map((p) => safeRegex(partRegexSource(p))) : [];
  const none = () => false;
  if (parts.length === 0) return { pattern, matchesSchema: none, matchesTable: none };
  return {
    pattern,
    matchesSchema: (schema) => parts.length === 1 && parts[0]!.test(schema),
    matchesTable: (schema, name, visible) =>
      parts.length === 2 ? parts[0]!.test(schema) && parts[1]!.test(name) : parts.length === 1 && visible && parts[0]!.test(name),
  };
}

function safeRegex(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch {
    return /(?!)/;
  }
}

/** The schemas of the search path of a session with the default one (`"$user", public`). */
export function defaultSearchPath(user: string): string[] {
  return [user, 'public'];
}

/** What the filter does with one table: dumped whole, without its rows, or not at all (and which option said so). */
export type TableFate =
  | { fate: 'dumped' }
  | { fate: 'data-excluded'; by: string }
  | { fate: 'excluded'; by: string };

/**
 * What pg_dump does with a table under `filter`: not dumped when its schema is not among
 * `schemas` (if any) or is in `excludeSchemas`, or the table is in `excludeTables`; dumped
 * without its rows when it is in `excludeTableData`. `visible(schema)`: whether an unqualified
 * table pattern reaches that schema (the search path).
 */
export function tableFate(filter: DumpFilter, schema: string, name: string, visible: (schema: string) => boolean): TableFate {
  const flag = (field: DumpFilterField, pattern: string) => `${DUMP_FILTER_FLAGS[field]} ${pattern}`;
  if (filter.schemas.length && !filter.schemas.some((p) => compileDumpPattern(p).matchesSchema(schema))) {
    return { fate: 'excluded', by: `${DUMP_FILTER_FLAGS.schemas} ${filter.schemas.join(', ')}` };
  }
  const schemaOut = filter.excludeSchemas.find((p) => compileDumpPattern(p).matchesSchema(schema));
  if (schemaOut !== undefined) return { fate: 'excluded', by: flag('excludeSchemas', schemaOut) };
  const isVisible = visible(schema);
  const tableOut = filter.excludeTables.find((p) => compileDumpPattern(p).matchesTable(schema, name, isVisible));
  if (tableOut !== undefined) return { fate: 'excluded', by: flag('excludeTables', tableOut) };
  const dataOut = filter.excludeTableData.find((p) => compileDumpPattern(p).matchesTable(schema, name, isVisible));
  if (dataOut !== undefined) return { fate: 'data-excluded', by: flag('excludeTableData', dataOut) };
  return { fate: 'dumped' };
}

/** Whether the filter leaves anything out. */
export function hasDumpFilter(filter: Partial<DumpFilter>): boolean {
  return DUMP_FILTER_FIELDS.some((f) => (filter[f]?.length ?? 0) > 0);
}

/** pg_dump's arguments for the filter, one `--option=pattern` each (no shell: the pattern is passed as it is). */
export function dumpFilterArgs(filter: Partial<DumpFilter>): string[] {
  return DUMP_FILTER_FIELDS.flatMap((field) => (filter[field] ?? []).map((pattern) => `${DUMP_FILTER_FLAGS[field]}=${pattern}`));
}

function patternsSchema(field: DumpFilterField) {
  return z
    .array(
      z
        .string()
        .trim()
        .max(512)
        .superRefine((pattern, ctx) => {
          const problem = dumpPatternProblem(field, pattern);
          if (problem) ctx.addIssue({ code: 'custom', message: `${DUMP_FILTER_FLAGS[field]} "${pattern}": ${problem}` });
        }),
    )
    .max(100)
    .optional();
}

/** The filter fields of a database source (each a list of patterns; absent or empty: no rule). */
export const dumpFilterShape = {
  /** pg_dump --schema: only these schemas (empty: every schema) */
  schemas: patternsSchema('schemas'),
  /** pg_dump --exclude-schema */
  excludeSchemas: patternsSchema('excludeSchemas'),
  /** pg_dump --exclude-table: these tables are not in the backup at all */
  excludeTables: patternsSchema('excludeTables'),
  /** pg_dump --exclude-table-data: these tables are in the backup without their rows */
  excludeTableData: patternsSchema('excludeTableData'),
};
