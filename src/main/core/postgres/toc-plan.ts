/**
 * Planning a restore from a dump's table of contents (`pg_restore --list --verbose`, which gives
 * each entry's dump id, catalog oid and dependencies): the order in which a whole dump can be
 * restored with --clean over an existing database, and the entries that restore a selection of
 * tables with everything they need. Pure: the target database's state comes in as data
 * (restore/table-selection.ts reads it), so every rule here is unit-tested on its own.
 *
 * Tables are found by their catalog oid (the manifest records it), never by re-reading the names
 * pg_restore prints: it prints a newline in a name as a space and does not quote names, so
 * "a b", "a\nb" and "a" followed by an owner "b ..." look alike. Backups made before the oid was
 * recorded fall back to the printed names and refuse what they cannot tell apart.
 */
import { AppError } from '../../../shared/errors';
import type { ManifestTable } from '../../../shared/manifest';
import type { TableRef } from '../../../shared/restore';
import type { TocEntry } from './restore';

/** pg_class's oid: the catalog of a TABLE entry */
const PG_CLASS = 1259;

/** Relations: a dependency on one that is not restored means its definition must come along (or be there). */
const RELATION_DESCS = new Set(['TABLE', 'VIEW', 'MATERIALIZED VIEW', 'FOREIGN TABLE']);

/** Objects other than relations that a table's definition may need: created with it when the target lacks them. */
const DEFINITION_DESCS = new Set([
  'SCHEMA',
  'EXTENSION',
  'TYPE',
  'SHELL TYPE',
  'DOMAIN',
  'FUNCTION',
  'PROCEDURE',
  'AGGREGATE',
  'OPERATOR',
  'OPERATOR CLASS',
  'OPERATOR FAMILY',
  'COLLATION',
  'CONVERSION',
  'CAST',
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'TEXT SEARCH PARSER',
  'TEXT SEARCH TEMPLATE',
  'SEQUENCE',
  'PROCEDURAL LANGUAGE',
  'ACCESS METHOD',
  'FOREIGN DATA WRAPPER',
  'SERVER',
  'TRANSFORM',
]);

/** Entries that hang off an object and are restored with it when everything they use is there. */
const ATTACHED_DESCS = new Set([
  'DEFAULT',
  'CONSTRAINT',
  'CHECK CONSTRAINT',
  'FK CONSTRAINT',
  'INDEX',
  'INDEX ATTACH',
  'TABLE ATTACH',
  'TRIGGER',
  'RULE',
  'POLICY',
  'ROW SECURITY',
  'COMMENT',
  'ACL',
  'SECURITY LABEL',
  'STATISTICS',
  // an owned or identity sequence depends on its table: it comes with the table
  'SEQUENCE',
  'SEQUENCE OWNED BY',
]);

/** Attached entries whose use of another relation brings that relation's definition (a trigger's or a policy's subquery). */
const PULLS_RELATIONS = new Set(['DEFAULT', 'CHECK CONSTRAINT', 'TRIGGER', 'POLICY', 'RULE']);

/** Which target catalog answers whether an object of this desc exists. */
const FAMILY: Record<string, TargetObject['family']> = {
  SCHEMA: 'schema',
  EXTENSION: 'extension',
  TYPE: 'type',
  'SHELL TYPE': 'type',
  DOMAIN: 'type',
  FUNCTION: 'function',
  PROCEDURE: 'function',
  AGGREGATE: 'function',
  COLLATION: 'collation',
  SEQUENCE: 'relation',
  TABLE: 'relation',
  VIEW: 'relation',
  'MATERIALIZED VIEW': 'relation',
  'FOREIGN TABLE': 'relation',
};

/** A name as `pg_restore --list` prints it. */
export function tocName(name: string): string {
  return name.replace(/[\r\n]/g, ' ');
}

const key = (t: TableRef) => `${t.schema}\0${t.name}`;

/** A table name for messages: plain when it is a plain identifier, else in JSON quotes (a newline shows as \n). */
export function tableLabel(t: TableRef): string {
  const part = (s: string) => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : JSON.stringify(s));
  return `${part(t.schema)}.${part(t.name)}`;
}
const label = tableLabel;
/** An SQL identifier in double quotes (as quote_ident, always quoted). */
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const qualified = (t: TableRef) => `${ident(t.schema)}.${ident(t.name)}`;

/** `rest` starts with this object's printed schema and tag (the owner follows). */
function restIs(rest: string, schema: string | null, tag: string): boolean {
  const head = `${schema === null ? '-' : tocName(schema)} ${tocName(tag)}`;
  return rest === head || rest.startsWith(`${head} `);
}

/** An entry as a person reads it: desc, schema and tag (the owner after them left out). */
export function describeEntry(entry: TocEntry): string {
  const words = entry.rest.split(' ');
  const body = words.length >= 3 ? words.slice(0, -1).join(' ') : entry.rest;
  return `${entry.desc} ${body.replace(/^- /, '')}`.trim();
}

// ---------------------------------------------------------------------------------------------
// whole dump over an existing database

/**
 * The dump's entries in an order that pg_restore --clean can both drop (it drops in reverse
 * order) and create (in order). pg_dump lists a partitioned table's unique and primary key
 * constraints before its partitions' (which are attached to them, INDEX ATTACH), so --clean
 * would drop a partition's constraint first: "cannot drop inherited constraint". Here every
 * attached index and constraint comes before the ones it is attached to: the drop of the
 * parent's then takes the partitions' with it (their drops find nothing: IF EXISTS), and the
 * create order still works (a partition's key first, then the parent's ON ONLY, then the
 * ATTACH). Everything else keeps the dump's order.
 */
export function orderForClean(entries: TocEntry[]): TocEntry[] {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const position = new Map(entries.map((e, i) => [e.id, i]));
  // before.get(x): entries that must come before x
  const before = new Map<number, Set<number>>();
  for (const [child, parents] of attachedIndexes(entries, byId)) {
    for (const parent of parents) {
      if (!before.has(parent)) before.set(parent, new Set());
      before.get(parent)!.add(child);
    }
  }
  return stableTopoSort(entries, position, before);
}

/**
 * Attached indexes and constraints of partitions: child entry id → the entries (of the
 * partitioned tables above it) it is attached to, from the INDEX ATTACH entries. An INDEX ATTACH
 * depends on the child, on the parent and, for deeper levels, on the parent's parents; the child
 * is the one of those that none of the others depends on.
 */
export function attachedIndexes(entries: TocEntry[], byId = new Map(entries.map((e) => [e.id, e]))): Map<number, Set<number>> {
  const result = new Map<number, Set<number>>();
  for (const attach of entries) {
    if (attach.desc !== 'INDEX ATTACH') continue;
    const indexes = [...new Set(attach.deps)].filter((d) => {
      const desc = byId.get(d)?.desc;
      return desc === 'INDEX' || desc === 'CONSTRAINT';
    });
    const children = indexes.filter((x) => !indexes.some((y) => y !== x && byId.get(y)!.deps.includes(x)));
    for (const child of children) {
      if (!result.has(child)) result.set(child, new Set());
      for (const other of indexes) if (other !== child) result.get(child)!.add(other);
    }
  }
  return result;
}

/** Kahn's algorithm, always taking the earliest available entry: the input order wherever the constraints allow. */
function stableTopoSort(entries: TocEntry[], position: Map<number, number>, before: Map<number, Set<number>>): TocEntry[] {
  const waiting = new Map<number, number>();
  const after = new Map<number, number[]>();
  for (const e of entries) waiting.set(e.id, 0);
  for (const [x, prerequisites] of before) {
    for (const p of prerequisites) {
      if (!waiting.has(p) || !waiting.has(x)) continue;
      waiting.set(x, waiting.get(x)! + 1);
      if (!after.has(p)) after.set(p, []);
      after.get(p)!.push(x);
    }
  }
  const ready = entries.filter((e) => waiting.get(e.id) === 0).map((e) => e.id);
  const out: TocEntry[] = [];
  const byId = new Map(entries.map((e) => [e.id, e]));
  while (ready.length) {
    ready.sort((a, b) => position.get(a)! - position.get(b)!);
    const next = ready.shift()!;
    out.push(byId.get(next)!);
    for (const x of after.get(next) ?? []) {
      waiting.set(x, waiting.get(x)! - 1);
      if (waiting.get(x) === 0) ready.push(x);
    }
  }
  // a cycle (none is known to occur): keep the rest in the dump's order rather than lose it
  if (out.length < entries.length) {
    const seen = new Set(out.map((e) => e.id));
    out.push(...entries.filter((e) => !seen.has(e.id)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// the dump's tables

/** The dump's tables, matched to the manifest's, and how they relate. */
export interface TocTables {
  entries: TocEntry[];
  byId: Map<number, TocEntry>;
  /** TABLE entry of each manifest table (by key schema\0name); null when it cannot be told (why in `unmatched`) */
  entryOf: Map<string, number | null>;
  unmatched: Map<string, string>;
  /** manifest table of each TABLE entry id */
  tableOf: Map<number, ManifestTable>;
  /** partitioned TABLE entry id → its partitions' TABLE entry ids (TABLE ATTACH) */
  partitions: Map<number, number[]>;
  /** partition TABLE entry id → its partitioned table's */
  partitionParent: Map<number, number>;
  /** TABLE DATA entry of each TABLE entry id */
  dataOf: Map<number, TocEntry>;
  /** each FK CONSTRAINT with the table it is on and the table it references (when they can be told) */
  foreignKeys: { entry: TocEntry; from: number; to: number }[];
  /** attached index/constraint → the ones it is attached to */
  attached: Map<number, Set<number>>;
}

/**
 * Matches the manifest's tables to the dump's TABLE entries: by oid when the manifest has it,
 * else by the printed name (older backups), where two tables that print alike match neither.
 */
export function indexToc(entries: TocEntry[], tables: ManifestTable[]): TocTables {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const tableEntries = entries.filter((e) => e.desc === 'TABLE');
  const entryOf = new Map<string, number | null>();
  const unmatched = new Map<string, string>();
  const tableOf = new Map<number, ManifestTable>();
  for (const table of tables) {
    let found: TocEntry[] = [];
    if (table.oid !== undefined) found = tableEntries.filter((e) => e.oid === table.oid && (e.tableoid === PG_CLASS || e.tableoid === 0));
    if (found.length === 0) {
      found = tableEntries.filter((e) => restIs(e.rest, table.schema, table.name));
      // "a" also prefixes "a b <owner>": prefer an entry where only the owner (one word) follows
      if (found.length > 1) {
        const head = `${tocName(table.schema)} ${tocName(table.name)}`;
        const exact = found.filter((e) => !e.rest.slice(head.length + 1).includes(' '));
        if (exact.length) found = exact;
      }
    }
    const k = key(table);
    if (found.length === 1) {
      entryOf.set(k, found[0]!.id);
      tableOf.set(found[0]!.id, table);
    } else {
      entryOf.set(k, null);
      unmatched.set(
        k,
        found.length === 0
          ? `table ${label(table)} is not in the dump`
          : `table ${label(table)} cannot be told apart from another one with a similar name in this backup's table of contents (it was made before Lifeboat recorded table oids): restore the whole database`,
      );
    }
  }
  // a name matched by two manifest tables (older backups) belongs to neither
  const claims = new Map<number, string[]>();
  for (const [k, id] of entryOf) if (id !== null) claims.set(id, [...(claims.get(id) ?? []), k]);
  for (const [id, keys] of claims) {
    if (keys.length < 2) continue;
    tableOf.delete(id);
    for (const k of keys) {
      entryOf.set(k, null);
      unmatched.set(k, `table ${label(tables.find((x) => key(x) === k)!)} cannot be told apart from another one in this backup's table of contents (it was made before Lifeboat recorded table oids): restore the whole database`);
    }
  }

  const partitions = new Map<number, number[]>();
  const partitionParent = new Map<number, number>();
  for (const attach of entries) {
    if (attach.desc !== 'TABLE ATTACH') continue;
    const rels = [...new Set(attach.deps)].filter((d) => byId.get(d)?.desc === 'TABLE');
    // the partition's own TABLE entry depends on its partitioned table
    const child = rels.find((x) => rels.some((y) => y !== x && byId.get(x)!.deps.includes(y)));
    const parent = rels.find((y) => y !== child);
    if (child === undefined || parent === undefined) continue;
    partitionParent.set(child, parent);
    partitions.set(parent, [...(partitions.get(parent) ?? []), child]);
  }

  const dataOf = new Map<number, TocEntry>();
  for (const e of entries) {
    if (e.desc === 'TABLE DATA') {
      const table = e.deps.find((d) => byId.get(d)?.desc === 'TABLE');
      if (table !== undefined) dataOf.set(table, e);
    }
  }

  const foreignKeys: TocTables['foreignKeys'] = [];
  for (const fk of entries) {
    if (fk.desc !== 'FK CONSTRAINT') continue;
    const rels = [...new Set(fk.deps)].filter((d) => byId.get(d)?.desc === 'TABLE');
    if (rels.length === 1) {
      foreignKeys.push({ entry: fk, from: rels[0]!, to: rels[0]! });
      continue;
    }
    // the referenced table is the one the referenced key (a constraint or unique index) is on
    const keys = fk.deps.map((d) => byId.get(d)).filter((d): d is TocEntry => d?.desc === 'CONSTRAINT' || d?.desc === 'INDEX');
    const referenced = rels.filter((r) => keys.some((k) => k.deps.includes(r)));
    if (rels.length === 2 && referenced.length === 1) {
      foreignKeys.push({ entry: fk, from: rels.find((r) => r !== referenced[0])!, to: referenced[0]! });
    } else {
      // cannot tell the ends apart: treat it as tying every table it names to every other
      for (const from of rels) for (const to of rels) if (from !== to) foreignKeys.push({ entry: fk, from, to });
    }
  }
  return { entries, byId, entryOf, unmatched, tableOf, partitions, partitionParent, dataOf, foreignKeys, attached: attachedIndexes(entries, byId) };
}

// ---------------------------------------------------------------------------------------------
// a selection of tables

/** A relation of the target database (exact names). */
export interface TargetRelation {
  oid: number;
  schema: string;
  name: string;
  /** pg_class.relkind: r, p, v, m, f, S... */
  relkind: string;
  /** the partitioned table it is a partition of */
  partitionOf: number | null;
}

/** An object of the target database other than a relation, named as pg_dump tags it (functions: `name(argtypes)`). */
export interface TargetObject {
  family: 'schema' | 'extension' | 'type' | 'function' | 'collation' | 'relation';
  /** null for schemas and extensions */
  schema: string | null;
  tag: string;
}

/** What a restore over an existing database needs to know of it, as data. */
export interface TargetState {
  relations: TargetRelation[];
  /**
   * every foreign key constraint (clones on partitions too): the relation it is on → the one it
   * references; `inherited`: a partition's copy of its parent's; `definition`: pg_get_constraintdef
   * with every name qualified
   */
  foreignKeys: { from: number; to: number; inherited: boolean; name: string; definition: string }[];
  objects: TargetObject[];
  /** enabled user triggers (not internal ones): O origin, A always, R replica */
  triggers: { relation: number; name: string; enabled: 'O' | 'A' | 'R' }[];
}

/** A table whose rows are restored. */
export interface PlannedTable {
  schema: string;
  name: string;
  /** the manifest's row count compares with count(*) FROM ONLY (newer backups) or count(*) (older ones) */
  own: boolean;
  how: 'create' | 'in-place';
  /** the chosen partitioned table that brought it, null when chosen itself */
  via: TableRef | null;
}

export interface TablePlan {
  tables: PlannedTable[];
  definitionsOnly: TableRef[];
  objects: string[];
  /** the --use-list: what pg_restore restores, in the order it must */
  entries: TocEntry[];
  /**
   * Over an existing database, the SQL around pg_restore's script in the same transaction: before
   * it, the user triggers of the tables replaced in place off and the foreign keys between them
   * dropped, then the tables emptied; after it, those keys added again (checking every row) and
   * the triggers back as they were. Empty when nothing is replaced in place.
   */
  prelude: string;
  postlude: string;
  /** why the chosen selection cannot be restored; empty when it can */
  problems: string[];
  /** the smallest selection around the chosen one that can (when the chosen one cannot and one can) */
  minimalSet: TableRef[] | null;
}

interface Attempt {
  plan: Omit<TablePlan, 'problems' | 'minimalSet'>;
  /** tables to add, with why */
  missing: { table: TableRef; reason: string }[];
  /** what no added table can fix */
  blockers: string[];
}

/**
 * Plans restoring `selected` (tables of the manifest) from the dump: into a new database when
 * `target` is null, else over the existing database `target` describes.
 *
 * - A partitioned table brings its partitions (and theirs). A partition or an inheritance child
 *   brings its parent's definition (no rows), as it brings the types, domains, enums, sequences,
 *   schemas and functions (of its defaults, checks and triggers) it needs; over an existing
 *   database only those the target lacks.
 * - With each table come its defaults, owned sequences, constraints, indexes, triggers, rules,
 *   policies, comments; a foreign key once the table it references is restored (or is there);
 *   views and other objects that merely use a table do not.
 * - Over an existing database a table that is there is replaced in place: emptied (TRUNCATE,
 *   all of a partitioned table's partitions) and reloaded, so that a partition stays attached
 *   and views, grants and the table's own indexes and triggers stay; its sequences keep their
 *   (later) values, so no id is handed out twice. The rows load with its user triggers off and
 *   without the foreign keys between reloaded tables, added again afterwards (see `prelude`).
 *   A table that is not there is created.
 * - It cannot be restored as chosen when a restored table references one that is neither
 *   restored nor (over an existing database) there, or when, over an existing database, a table
 *   that is not restored references one that is emptied (TRUNCATE would break it). Then
 *   `problems` says why and `minimalSet` names the smallest selection around it that can be, or
 *   is null when none can (a table of the target that the backup lacks references it).
 *
 * Throws RESTORE_SELECTION_MISSING for a table the dump does not hold (or cannot tell apart).
 */
export function planTableSelection(toc: TocTables, selected: TableRef[], target: TargetState | null): TablePlan {
  const first = attempt(toc, selected, target);
  if (first.blockers.length === 0 && first.missing.length === 0) return { ...first.plan, problems: [], minimalSet: null };
  const problems = [...first.blockers, ...first.missing.map((m) => m.reason)];
  const current = [...selected];
  const known = new Set(current.map(key));
  let { blockers, missing } = first;
  // grow the selection by what it lacks until nothing is missing: each round adds at least one table
  while (blockers.length === 0 && missing.length > 0) {
    const fresh = missing.filter((m) => !known.has(key(m.table)));
    // nothing new to add and still missing: no selection around this one can be restored
    if (fresh.length === 0) return { ...first.plan, problems, minimalSet: null };
    for (const m of fresh) {
      if (known.has(key(m.table))) continue;
      known.add(key(m.table));
      current.push(m.table);
    }
    ({ blockers, missing } = attempt(toc, current, target));
    for (const reason of [...blockers, ...missing.map((m) => m.reason)]) if (!problems.includes(reason)) problems.push(reason);
  }
  return { ...first.plan, problems, minimalSet: blockers.length === 0 ? current : null };
}

function attempt(toc: TocTables, selected: TableRef[], target: TargetState | null): Attempt {
  const { entries, byId } = toc;
  const missing: Attempt['missing'] = [];
  const blockers: string[] = [];
  const refOf = (id: number): TableRef => {
    const t = toc.tableOf.get(id);
    return t ? { schema: t.schema, name: t.name } : { schema: '?', name: describeEntry(byId.get(id)!).replace(/^TABLE /, '') };
  };

  // the tables whose rows are restored: the chosen ones and every partition below a chosen one
  const full = new Map<number, TableRef | null>();
  for (const table of selected) {
    const id = toc.entryOf.get(key(table));
    if (id === undefined || id === null) {
      throw new AppError('RESTORE_SELECTION_MISSING', { detail: toc.unmatched.get(key(table)) ?? `table ${label(table)} is not in the dump` });
    }
    full.set(id, null);
  }
  for (const [id, via] of [...full]) {
    const stack = [...(toc.partitions.get(id) ?? [])];
    while (stack.length) {
      const p = stack.pop()!;
      if (!full.has(p)) full.set(p, via ?? refOf(id));
      stack.push(...(toc.partitions.get(p) ?? []));
    }
  }

  // over an existing database: which tables are there (replaced in place) and which are created
  const relByKey = new Map((target?.relations ?? []).map((r) => [key(r), r]));
  const relById = new Map((target?.relations ?? []).map((r) => [r.oid, r]));
  const inPlace = new Map<number, TargetRelation>();
  if (target) {
    for (const id of full.keys()) {
      const table = toc.tableOf.get(id);
      const rel = table ? relByKey.get(key(table)) : undefined;
      if (!table || !rel) continue;
      const wanted = table.kind === 'partitioned' ? 'p' : 'r';
      if (rel.relkind !== wanted) {
        blockers.push(
          `${label(table)} is ${table.kind === 'partitioned' ? 'a partitioned table' : 'an ordinary table'} in the backup but ${relkindName(rel.relkind)} in the target: restore it into a new database, or restore the whole database`,
        );
        continue;
      }
      inPlace.set(id, rel);
    }
  }

  const present = (entry: TocEntry): boolean => (target ? presentInTarget(entry, toc, target, relByKey) : false);
  const included = new Set<number>();
  const ddl = new Set<number>();
  const objects = new Set<number>();
  const need = (start: number) => {
    const stack = [start];
    while (stack.length) {
      const id = stack.pop()!;
      if (included.has(id) || inPlace.has(id)) continue;
      const entry = byId.get(id);
      if (!entry || present(entry)) continue;
      if (RELATION_DESCS.has(entry.desc)) {
        if (!full.has(id)) ddl.add(id);
      } else if (DEFINITION_DESCS.has(entry.desc)) {
        objects.add(id);
      } else {
        continue;
      }
      included.add(id);
      stack.push(...entry.deps);
    }
  };
  for (const id of full.keys()) if (!inPlace.has(id)) need(id);

  // what hangs off the definitions restored, until nothing more can come
  const attachedTo = new Map<number, Set<number>>();
  for (const [child, parents] of toc.attached) attachedTo.set(child, parents);
  // about a definition restored here: its relation when it has one (a trigger on another table that
  // merely uses a function restored here is not), else the object it hangs off
  const takenFrom = (entry: TocEntry) => {
    const relations = entry.deps.filter((d) => RELATION_DESCS.has(byId.get(d)?.desc ?? ''));
    return (relations.length ? relations : entry.deps).some((d) => included.has(d));
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const entry of entries) {
      if (included.has(entry.id) || !ATTACHED_DESCS.has(entry.desc) || !takenFrom(entry)) continue;
      // a partition's index attached to one of a partitioned table that is there: ATTACH PARTITION makes it
      const parents = attachedTo.get(entry.id);
      if (parents && [...parents].some((p) => !included.has(p))) continue;
      const toNeed: number[] = [];
      let ok = true;
      for (const d of entry.deps) {
        if (included.has(d)) continue;
        const dep = byId.get(d);
        if (!dep || inPlace.has(d) || present(dep)) continue;
        if (DEFINITION_DESCS.has(dep.desc) || (RELATION_DESCS.has(dep.desc) && PULLS_RELATIONS.has(entry.desc))) {
          toNeed.push(d);
          continue;
        }
        ok = false;
        break;
      }
      if (!ok) continue;
      for (const d of toNeed) need(d);
      included.add(entry.id);
      changed = true;
    }
  }

  // foreign keys: a restored table's rows need the rows it references
  const partitionAncestors = new Set<number>();
  for (const id of full.keys()) {
    for (let p = toc.partitionParent.get(id); p !== undefined; p = toc.partitionParent.get(p)) partitionAncestors.add(p);
  }
  const addMissing = (to: number, reason: string) => {
    const table = toc.tableOf.get(to);
    if (table) missing.push({ table: { schema: table.schema, name: table.name }, reason });
    else blockers.push(`${reason}, and that table cannot be chosen in this backup`);
  };
  for (const fk of toc.foreignKeys) {
    const { from, to } = fk;
    // rows under a key Lifeboat creates are restored: the table's own, or a partition's below it
    // (a key that is there already checks the rows as they are loaded)
    const rowsRestored = (full.has(from) && !inPlace.has(from)) || (partitionAncestors.has(from) && included.has(from));
    if (!rowsRestored) continue;
    const referencedThere = full.has(to) || inPlace.has(to) || (target !== null && present(byId.get(to)!));
    if (!referencedThere) addMissing(to, `${label(refOf(from))} has a foreign key to ${label(refOf(to))}, which is not restored${target ? ' and not in the target' : ''}`);
  }

  // over an existing database: what is emptied, and who else references it
  const emptied = new Set<number>();
  const truncate: string[] = [];
  if (target) {
    const children = new Map<number, number[]>();
    for (const r of target.relations) if (r.partitionOf !== null) children.set(r.partitionOf, [...(children.get(r.partitionOf) ?? []), r.oid]);
    const inPlaceOids = new Set([...inPlace.values()].map((r) => r.oid));
    for (const rel of inPlace.values()) {
      // a partition whose partitioned table is emptied as a whole goes with it
      let covered = false;
      for (let p = rel.partitionOf; p !== null; p = relById.get(p)?.partitionOf ?? null) {
        if (inPlaceOids.has(p) && relById.get(p)?.relkind === 'p') covered = true;
      }
      const stack = [rel.oid];
      while (stack.length) {
        const oid = stack.pop()!;
        emptied.add(oid);
        stack.push(...(children.get(oid) ?? []));
      }
      if (!covered) truncate.push(rel.relkind === 'p' ? qualified(rel) : `ONLY ${qualified(rel)}`);
    }
    const backupByKey = new Map([...toc.tableOf.values()].map((t) => [key(t), t]));
    for (const fk of target.foreignKeys) {
      if (!emptied.has(fk.to) || emptied.has(fk.from)) continue;
      const from = relById.get(fk.from);
      const to = relById.get(fk.to);
      if (!from || !to) continue;
      // the referencing table; for a key a partition inherits, the partitioned table at the top that
      // the backup holds (the key is that table's: all of it must come); else the nearest the backup holds
      let candidate: TargetRelation | undefined;
      for (let r: TargetRelation | undefined = from; r; r = r.partitionOf === null ? undefined : relById.get(r.partitionOf)) {
        if (backupByKey.has(key(r)) && (fk.inherited || !candidate)) candidate = r;
      }
      const reason = `${label(from)} has a foreign key to ${label(to)}, which is emptied and reloaded`;
      if (candidate) missing.push({ table: { schema: candidate.schema, name: candidate.name }, reason: `${reason}: it must be restored with it` });
      else blockers.push(`${reason}; ${label(from)} is not in the backup, so it cannot be restored with it: restore into a new database, or restore the whole database`);
    }
  }

  // the list, in the dump's order: pg_restore reads the dump from a pipe, so its data only in the order it was written
  const data = new Set<number>();
  for (const id of full.keys()) {
    const d = toc.dataOf.get(id);
    if (d) data.add(d.id);
  }
  for (const e of entries) {
    if (e.desc === 'SEQUENCE SET' && e.deps.some((d) => objects.has(d) || included.has(d))) included.add(e.id);
  }
  const list = entries.filter((e) => included.has(e.id) || data.has(e.id));

  // As pg_restore loads rows before it makes triggers and foreign keys, the rows reloaded in place
  // are loaded with their tables' user triggers off (the rows are the backup's, not what a trigger
  // makes of them, and no trigger writes elsewhere), and without the foreign keys between reloaded
  // tables: those are dropped and added again after the load, which checks every row at once (the
  // data cannot be loaded in key order: pg_restore reads it from a pipe in the order it was dumped).
  const triggers = target ? target.triggers.filter((tr) => emptied.has(tr.relation)) : [];
  const aboveEmptied = new Set<number>();
  for (const oid of emptied) {
    for (let p = relById.get(oid)?.partitionOf ?? null; p !== null; p = relById.get(p)?.partitionOf ?? null) aboveEmptied.add(p);
  }
  const reloaded = (oid: number) => emptied.has(oid) || aboveEmptied.has(oid);
  const keys = target ? target.foreignKeys.filter((fk) => !fk.inherited && reloaded(fk.from) && reloaded(fk.to)) : [];
  const relName = (oid: number) => qualified(relById.get(oid)!);
  const prelude = truncate.length
    ? [
        ...triggers.map((tr) => `ALTER TABLE ONLY ${relName(tr.relation)} DISABLE TRIGGER ${ident(tr.name)};`),
        ...keys.map((fk) => `ALTER TABLE ${relName(fk.from)} DROP CONSTRAINT ${ident(fk.name)};`),
        `TRUNCATE TABLE ${truncate.join(', ')};`,
        '',
      ].join('\n')
    : '';
  const enable = { O: 'ENABLE', A: 'ENABLE ALWAYS', R: 'ENABLE REPLICA' } as const;
  const postlude = [
    ...keys.map((fk) => `ALTER TABLE ${relName(fk.from)} ADD CONSTRAINT ${ident(fk.name)} ${fk.definition};`),
    ...triggers.map((tr) => `ALTER TABLE ONLY ${relName(tr.relation)} ${enable[tr.enabled]} TRIGGER ${ident(tr.name)};`),
    '',
  ].join('\n');

  const tables: PlannedTable[] = entries
    .filter((e) => full.has(e.id))
    .map((e) => {
      const t = toc.tableOf.get(e.id);
      const ref = refOf(e.id);
      return { schema: ref.schema, name: ref.name, own: t?.kind !== undefined, how: inPlace.has(e.id) ? 'in-place' : 'create', via: full.get(e.id) ?? null };
    });
  return {
    plan: {
      tables,
      definitionsOnly: entries.filter((e) => ddl.has(e.id) && e.desc === 'TABLE').map((e) => refOf(e.id)),
      objects: entries.filter((e) => objects.has(e.id) || (ddl.has(e.id) && e.desc !== 'TABLE')).map(describeEntry),
      entries: list,
      prelude,
      postlude,
    },
    missing: dedupe(missing),
    blockers: [...new Set(blockers)],
  };
}

function dedupe(missing: Attempt['missing']): Attempt['missing'] {
  const seen = new Set<string>();
  return missing.filter((m) => {
    const k = `${key(m.table)}\0${m.reason}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function relkindName(relkind: string): string {
  const names: Record<string, string> = { r: 'an ordinary table', p: 'a partitioned table', v: 'a view', m: 'a materialized view', f: 'a foreign table', S: 'a sequence' };
  return names[relkind] ?? `a relation of kind ${relkind}`;
}

/**
 * Whether the target already has the object of this entry. Relations: the manifest's exact name
 * when the entry is one of its tables, else the printed name. Other objects by printed name;
 * kinds Lifeboat does not look up count as there (creating one that is would fail the restore).
 */
function presentInTarget(entry: TocEntry, toc: TocTables, target: TargetState, relByKey: Map<string, TargetRelation>): boolean {
  const table = toc.tableOf.get(entry.id);
  if (table) return relByKey.has(key(table));
  const family = FAMILY[entry.desc];
  if (family === 'relation') return target.relations.some((r) => restIs(entry.rest, r.schema, r.name));
  if (family) return target.objects.some((o) => o.family === family && restIs(entry.rest, o.schema, o.tag));
  if (ATTACHED_DESCS.has(entry.desc)) {
    // an index or constraint of a relation that is there
    return entry.deps.some((d) => {
      const dep = toc.byId.get(d);
      return dep !== undefined && RELATION_DESCS.has(dep.desc) && presentInTarget(dep, toc, target, relByKey);
    });
  }
  return true;
}
