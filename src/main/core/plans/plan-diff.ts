/**
 * A field-by-field difference of two plans (in their file form, see plan-file.ts), for a person
 * to read before an import or an edit changes a plan: one line per field that was added, removed
 * or changed, by its path. Sources are matched by id (`databases[db1].host`), not by position, so
 * that removing the first database does not read as a change of every other one; other lists
 * (exclude patterns, week days) are values of their own.
 */
import type { PlanDefinition } from '../../../shared/plan';
import { toPlanFile } from './plan-file';

export interface PlanChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A list of objects that each have a string id, unique in the list: compared by id. */
function isKeyedList(value: unknown): value is Json[] {
  if (!Array.isArray(value) || value.length === 0) return false;
  const ids = value.map((item) => (isObject(item) && typeof item.id === 'string' ? item.id : null));
  return ids.every((id) => id !== null) && new Set(ids).size === ids.length;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** The leaves of a value as [path, value] pairs (a value that is not an object or keyed list is a leaf). */
function leaves(value: unknown, path: string): [string, unknown][] {
  if (isObject(value)) return Object.entries(value).flatMap(([key, child]) => leaves(child, join(path, key)));
  if (isKeyedList(value)) return value.flatMap((item) => leaves(item, `${path}[${String(item.id)}]`));
  return [[path, value]];
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function walk(before: unknown, after: unknown, path: string, changes: PlanChange[]): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined) {
    for (const [p, v] of leaves(after, path)) changes.push({ path: p, kind: 'added', after: v });
    return;
  }
  if (after === undefined) {
    for (const [p, v] of leaves(before, path)) changes.push({ path: p, kind: 'removed', before: v });
    return;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
    for (const key of keys) walk(before[key], after[key], join(path, key), changes);
    return;
  }
  if ((isKeyedList(before) || (Array.isArray(before) && before.length === 0)) && (isKeyedList(after) || (Array.isArray(after) && after.length === 0))) {
    const byId = (list: Json[]) => new Map(list.map((item) => [String(item.id), item]));
    const b = byId(before as Json[]);
    const a = byId(after as Json[]);
    const ids = [...b.keys(), ...[...a.keys()].filter((id) => !b.has(id))];
    for (const id of ids) walk(b.get(id), a.get(id), `${path}[${id}]`, changes);
    return;
  }
  if (!same(before, after)) {
    // an object that became a value (null) or the other way: the value against each leaf
    if (isObject(before) || isObject(after) || isKeyedList(before) || isKeyedList(after)) {
      walk(before, undefined, path, changes);
      walk(undefined, after, path, changes);
      return;
    }
    changes.push({ path, kind: 'changed', before, after });
  }
}

/** The changes that turn `before` (null: no plan yet) into `after`, in the order of the fields. */
export function diffPlans(before: Json | null, after: Json): PlanChange[] {
  const changes: PlanChange[] = [];
  walk(before ?? undefined, after, '', changes);
  return changes;
}

/**
 * The changes between two plans as their files say them (secrets as their references; no id,
 * timestamps or format marker): what an import or an edit changes. `before` null: a new plan.
 */
export function diffPlanDefinitions(before: PlanDefinition | null, after: PlanDefinition): PlanChange[] {
  const body = (plan: PlanDefinition) => {
    const { lifeboatPlan: _marker, ...rest } = toPlanFile(plan);
    return rest;
  };
  return diffPlans(before && body(before), body(after));
}

const show = (value: unknown) => JSON.stringify(value) ?? 'undefined';

/** One line per change: `~ schedule.time: "02:00" -> "03:30"`, `+ databases[db2].host: "h"`, `- options.passphraseFrom: "env:X"`. */
export function formatPlanDiff(changes: PlanChange[]): string[] {
  return changes.map((c) =>
    c.kind === 'added' ? `+ ${c.path}: ${show(c.after)}` : c.kind === 'removed' ? `- ${c.path}: ${show(c.before)}` : `~ ${c.path}: ${show(c.before)} -> ${show(c.after)}`,
  );
}
