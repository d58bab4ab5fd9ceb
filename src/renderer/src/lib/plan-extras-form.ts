/**
 * The plan editor's model of a plan's description, alert rules and hooks, and of a database's
 * dump options: strings as typed, turned into the plan's fields (checked by the same zod schemas
 * main validates with, in validateDraft).
 */
import { alertRulesSchema, type AlertRules } from '../../../shared/alert-rules';
import { DUMP_FILTER_FIELDS, type DumpFilterField } from '../../../shared/dump-filter';
import { DEFAULT_HOOK_TIMEOUT_SECONDS } from '../../../shared/hooks';
import type { DatabaseSource, Plan, PlanInput } from '../../../shared/plan';
import { formatByteSize, parseByteSize } from '../../../shared/size';

/** One pattern per line, per dump-filter field. */
export type DumpFilterDraft = Record<DumpFilterField, string>;

export interface PlanExtrasDraft {
  description: string;
  preHook: string;
  postHook: string;
  hookTimeout: string;
  failuresOn: boolean;
  failures: string;
  sizeOn: boolean;
  sizeFactor: string;
  durationOn: boolean;
  durationFactor: string;
  durationMinutes: string;
  diskOn: boolean;
  diskPercent: string;
  /** a size as typed: 1GB, 500MiB */
  diskFree: string;
  overdueOn: boolean;
  overdueGrace: string;
}

const text = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));

export function emptyFilterDraft(): DumpFilterDraft {
  return { schemas: '', excludeSchemas: '', excludeTables: '', excludeTableData: '' };
}

export function filterDraftFrom(db: Partial<DatabaseSource>): DumpFilterDraft {
  return Object.fromEntries(DUMP_FILTER_FIELDS.map((f) => [f, (db[f] ?? []).join('\n')])) as DumpFilterDraft;
}

/** The patterns of one field: one per line, trimmed, blank lines left out. */
export function patternLines(value: string): string[] {
  return value
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** The fields that hold patterns (an absent field: no rule, so a plan without any stays as it was). */
export function filterToInput(filter: DumpFilterDraft | undefined): Partial<Record<DumpFilterField, string[]>> {
  if (!filter) return {};
  return Object.fromEntries(DUMP_FILTER_FIELDS.map((f) => [f, patternLines(filter[f])] as const).filter(([, lines]) => lines.length > 0));
}

export function extrasFromPlan(plan: Pick<Plan, 'description' | 'alerts' | 'hooks'>): PlanExtrasDraft {
  const r: AlertRules = plan.alerts ?? alertRulesSchema.parse({});
  return {
    description: plan.description ?? '',
    preHook: plan.hooks?.pre?.command ?? '',
    postHook: plan.hooks?.post?.command ?? '',
    hookTimeout: String(plan.hooks?.pre?.timeoutSeconds ?? plan.hooks?.post?.timeoutSeconds ?? DEFAULT_HOOK_TIMEOUT_SECONDS),
    failuresOn: r.consecutiveFailures.enabled,
    failures: String(r.consecutiveFailures.count),
    sizeOn: r.sizeChange.enabled,
    sizeFactor: String(r.sizeChange.factor),
    durationOn: r.duration.enabled,
    durationFactor: text(r.duration.factor),
    durationMinutes: text(r.duration.minutes),
    diskOn: r.lowDisk.enabled,
    diskPercent: text(r.lowDisk.percent),
    diskFree: r.lowDisk.bytes === null ? '' : formatByteSize(r.lowDisk.bytes),
    overdueOn: r.overdue.enabled,
    overdueGrace: text(r.overdue.graceMinutes),
  };
}

export function emptyExtras(): PlanExtrasDraft {
  return extrasFromPlan({});
}

/** '' is null (no limit of that kind); anything else a number, or NaN for zod to refuse. */
function numOrNull(value: string): number | null {
  const t = value.trim();
  return t === '' ? null : Number(t);
}

/**
 * The plan's description, hooks and alert rules from the draft (validated with the plan); each
 * left out when it says nothing (no description, no hook, the default rules), which the plan
 * reads the same way.
 */
export function extrasToInput(d: PlanExtrasDraft | undefined): Pick<PlanInput, 'description' | 'hooks' | 'alerts'> {
  if (!d) return {};
  const timeoutSeconds = Number(d.hookTimeout.trim() || DEFAULT_HOOK_TIMEOUT_SECONDS);
  const hook = (command: string) => (command.trim() ? { command: command.trim(), timeoutSeconds } : null);
  const diskFree = d.diskFree.trim() === '' ? null : (parseByteSize(d.diskFree) ?? Number.NaN);
  const hooks = { pre: hook(d.preHook), post: hook(d.postHook) };
  const alerts = alertsFromDraft(d, diskFree);
  return {
    ...(d.description.trim() ? { description: d.description.trim() } : {}),
    ...(hooks.pre || hooks.post ? { hooks } : {}),
    ...(JSON.stringify(alerts) !== JSON.stringify(alertRulesSchema.parse({})) ? { alerts } : {}),
  };
}

function alertsFromDraft(d: PlanExtrasDraft, diskFree: number | null): AlertRules {
  return {
    consecutiveFailures: { enabled: d.failuresOn, count: Number(d.failures) },
    sizeChange: { enabled: d.sizeOn, factor: Number(d.sizeFactor) },
    duration: { enabled: d.durationOn, factor: numOrNull(d.durationFactor), minutes: numOrNull(d.durationMinutes) },
    lowDisk: { enabled: d.diskOn, percent: numOrNull(d.diskPercent), bytes: diskFree },
    overdue: { enabled: d.overdueOn, graceMinutes: numOrNull(d.overdueGrace) },
  };
}
