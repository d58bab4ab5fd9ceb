/**
 * The options of `lifeboat plan create` / `plan edit` for a plan's description, its databases'
 * dump options (--schema, --exclude-schema, --exclude-table, --exclude-table-data), its pre- and
 * post-backup hooks and its alert rules: the flags, what they change in the plan, and how
 * `plan show` prints them.
 */
import type { Command } from 'commander';
import { alertRulesSchema, type AlertRules } from '../../shared/alert-rules';
import { DUMP_FILTER_FIELDS, DUMP_FILTER_FLAGS, dumpPatternProblem, type DumpFilterField } from '../../shared/dump-filter';
import { AppError } from '../../shared/errors';
import { DEFAULT_HOOK_TIMEOUT_SECONDS, MAX_HOOK_TIMEOUT_SECONDS, splitCommandLine, type Hook, type Hooks } from '../../shared/hooks';
import type { Plan, PlanDefinition, PlanInput } from '../../shared/plan';
import { formatByteSize, parseByteSize, SIZE_FORMS } from '../../shared/size';

export interface PlanExtraFlags {
  description?: string;
  schema: string[];
  excludeSchema: string[];
  excludeTable: string[];
  excludeTableData: string[];
  preHook?: string;
  postHook?: string;
  hookTimeout?: string;
  alertFailures?: string;
  alertSizeFactor?: string;
  alertDurationFactor?: string;
  alertDurationMinutes?: string;
  alertDiskPercent?: string;
  alertDiskFree?: string;
  alertOverdueGrace?: string;
}

/** The flag of each dump-filter field (commander's camelCase key, the flag as typed). */
const FILTER_FLAG_KEYS: Record<DumpFilterField, keyof PlanExtraFlags> = {
  schemas: 'schema',
  excludeSchemas: 'excludeSchema',
  excludeTables: 'excludeTable',
  excludeTableData: 'excludeTableData',
};

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Adds the options to `plan create` or `plan edit`. */
export function addPlanExtraOptions(command: Command, mode: 'create' | 'edit'): Command {
  const replaces = mode === 'edit' ? '; replaces the patterns of every database ("" removes them)' : '';
  return command
    .option('--description <text>', 'a label of the plan\'s backups, shown in History and the CSV export ("" removes it)')
    .option('--schema <pattern>', `databases: dump only the schemas matching this pg_dump pattern (repeatable)${replaces}`, collect, [])
    .option('--exclude-schema <pattern>', `databases: leave out the schemas matching this pattern (repeatable)${replaces}`, collect, [])
    .option('--exclude-table <pattern>', `databases: leave out the tables matching this pattern, e.g. public.tmp_* (repeatable)${replaces}`, collect, [])
    .option(
      '--exclude-table-data <pattern>',
      `databases: keep the tables matching this pattern but not their rows, e.g. public.audit_log (repeatable)${replaces}`,
      collect,
      [],
    )
    .option('--pre-hook <cmd>', 'a command run before each backup, without a shell; a failure fails the run before anything is written ("" removes it)')
    .option('--post-hook <cmd>', 'a command run after each backup, without a shell, with LIFEBOAT_BACKUP_PATH and LIFEBOAT_BACKUP_STATUS ("" removes it)')
    .option('--hook-timeout <seconds>', `how long each hook may run (1-${MAX_HOOK_TIMEOUT_SECONDS}, default ${DEFAULT_HOOK_TIMEOUT_SECONDS})`)
    .option('--alert-failures <n>', 'alert after n failed runs in a row (default 2; off: never)')
    .option('--alert-size-factor <x>', 'alert when a backup is more than x times, or less than 1/x of, its usual size (default 2; off)')
    .option('--alert-duration-factor <x>', 'alert when a run takes more than x times its usual duration (default 3; off)')
    .option('--alert-duration-minutes <n>', 'alert when a run takes longer than n minutes (default off)')
    .option('--alert-disk-percent <n>', 'alert when less than n % is free at the destination (default 10; off)')
    .option('--alert-disk-free <size>', `alert when less than this is free at the destination: ${SIZE_FORMS} (default 1GB; off)`)
    .option('--alert-overdue-grace <minutes>', 'alert when no backup succeeded within one schedule interval plus n minutes (default: twice the interval; off: never)');
}

/** `off` (null), or a number in [min, max] (whole when `integer`). VALIDATION naming the flag and the forms. */
function parseNumberOrOff(text: string | undefined, flag: string, min: number, max: number, integer: boolean): number | null | undefined {
  if (text === undefined) return undefined;
  const t = text.trim().toLowerCase();
  if (t === 'off' || t === 'none') return null;
  const n = Number(t);
  if (t === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new AppError('VALIDATION', { detail: `${flag} takes ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, or off; not "${text}"` });
  }
  return n;
}

/** A hook from its flag: null for "" (remove), else the command checked as it will be run. */
function hookFrom(text: string, flag: string, timeoutSeconds: number): Hook | null {
  if (text.trim() === '') return null;
  const split = splitCommandLine(text);
  if (!split.ok) throw new AppError('VALIDATION', { detail: `${flag} "${text}": ${split.reason}` });
  return { command: text.trim(), timeoutSeconds };
}

/**
 * `input` (built from the other flags) with what these flags change; `existing` is the plan being
 * edited (null: a new one). Dump patterns apply to every database of the plan.
 */
export function applyPlanExtraFlags(input: PlanInput, existing: PlanDefinition | null, f: PlanExtraFlags, given: (key: string) => boolean): PlanInput {
  // what the other flags' builder does not carry over from the plan being edited
  const out: PlanInput = {
    ...input,
    ...(existing?.description ? { description: existing.description } : {}),
    ...(existing?.alerts ? { alerts: existing.alerts } : {}),
    ...(existing?.hooks ? { hooks: existing.hooks } : {}),
  };
  if (f.description !== undefined) out.description = f.description.trim();

  // dump options: every pattern checked here, naming its flag
  const patterns: Partial<Record<DumpFilterField, string[]>> = {};
  for (const field of DUMP_FILTER_FIELDS) {
    const key = FILTER_FLAG_KEYS[field];
    if (!given(key)) continue;
    const list = (f[key] as string[]).filter((p, _i, all) => !(p.trim() === '' && all.length === 1));
    for (const pattern of list) {
      const problem = dumpPatternProblem(field, pattern.trim());
      if (problem) throw new AppError('VALIDATION', { detail: `${DUMP_FILTER_FLAGS[field]} "${pattern}": ${problem}` });
    }
    patterns[field] = list.map((p) => p.trim());
  }
  if (Object.keys(patterns).length) {
    const databases = input.databases ?? [];
    if (!databases.length) {
      throw new AppError('VALIDATION', { detail: '--schema, --exclude-schema, --exclude-table and --exclude-table-data apply to databases: give a --db' });
    }
    out.databases = databases.map((db) => ({ ...db, ...patterns }));
  }

  // hooks: a new timeout applies to the hooks given now and to the ones the plan has
  const before: Hooks = existing?.hooks ?? { pre: null, post: null };
  const timeout = parseNumberOrOff(f.hookTimeout, '--hook-timeout', 1, MAX_HOOK_TIMEOUT_SECONDS, true);
  if (timeout === null) throw new AppError('VALIDATION', { detail: `--hook-timeout takes a number of seconds from 1 to ${MAX_HOOK_TIMEOUT_SECONDS}; a hook always has a timeout` });
  if (given('preHook') || given('postHook') || timeout !== undefined) {
    const seconds = (hook: Hook | null) => timeout ?? hook?.timeoutSeconds ?? DEFAULT_HOOK_TIMEOUT_SECONDS;
    const pre = f.preHook !== undefined ? hookFrom(f.preHook, '--pre-hook', seconds(before.pre)) : before.pre && { ...before.pre, timeoutSeconds: seconds(before.pre) };
    const post = f.postHook !== undefined ? hookFrom(f.postHook, '--post-hook', seconds(before.post)) : before.post && { ...before.post, timeoutSeconds: seconds(before.post) };
    if (timeout !== undefined && !pre && !post) throw new AppError('VALIDATION', { detail: '--hook-timeout is the timeout of a hook: give --pre-hook or --post-hook' });
    out.hooks = { pre, post };
  }

  const rules = alertRulesFrom(existing?.alerts, f);
  if (rules) out.alerts = rules;
  return out;
}

/** The alert rules with what the alert flags change; undefined when none is given. */
function alertRulesFrom(current: AlertRules | undefined, f: PlanExtraFlags): AlertRules | undefined {
  const r: AlertRules = structuredClone(current ?? alertRulesSchema.parse({}));
  let changed = false;
  const failures = parseNumberOrOff(f.alertFailures, '--alert-failures', 1, 100, true);
  if (failures !== undefined) {
    changed = true;
    r.consecutiveFailures = failures === null ? { ...r.consecutiveFailures, enabled: false } : { enabled: true, count: failures };
  }
  const size = parseNumberOrOff(f.alertSizeFactor, '--alert-size-factor', 1.1, 1000, false);
  if (size !== undefined) {
    changed = true;
    r.sizeChange = size === null ? { ...r.sizeChange, enabled: false } : { enabled: true, factor: size };
  }
  const durationFactor = parseNumberOrOff(f.alertDurationFactor, '--alert-duration-factor', 1.1, 1000, false);
  const durationMinutes = parseNumberOrOff(f.alertDurationMinutes, '--alert-duration-minutes', 1, 525_600, true);
  if (durationFactor !== undefined || durationMinutes !== undefined) {
    changed = true;
    const factor = durationFactor !== undefined ? durationFactor : r.duration.factor;
    const minutes = durationMinutes !== undefined ? durationMinutes : r.duration.minutes;
    r.duration = { enabled: factor !== null || minutes !== null, factor, minutes };
  }
  const percent = parseNumberOrOff(f.alertDiskPercent, '--alert-disk-percent', 0.1, 99, false);
  let bytes: number | null | undefined;
  if (f.alertDiskFree !== undefined) {
    const t = f.alertDiskFree.trim().toLowerCase();
    bytes = t === 'off' || t === 'none' ? null : parseByteSize(f.alertDiskFree);
    if (bytes === 0 || (bytes === null && t !== 'off' && t !== 'none')) {
      throw new AppError('VALIDATION', { detail: `--alert-disk-free takes ${SIZE_FORMS}, or off; not "${f.alertDiskFree}"` });
    }
  }
  if (percent !== undefined || bytes !== undefined) {
    changed = true;
    const p = percent !== undefined ? percent : r.lowDisk.percent;
    const b = bytes !== undefined ? bytes : r.lowDisk.bytes;
    r.lowDisk = { enabled: p !== null || b !== null, percent: p, bytes: b };
  }
  if (f.alertOverdueGrace !== undefined) {
    changed = true;
    const t = f.alertOverdueGrace.trim().toLowerCase();
    if (t === 'default') r.overdue = { enabled: true, graceMinutes: null };
    else {
      const grace = parseNumberOrOff(f.alertOverdueGrace, '--alert-overdue-grace', 0, 525_600, true);
      r.overdue = grace === null ? { ...r.overdue, enabled: false } : { enabled: true, graceMinutes: grace ?? null };
    }
  }
  return changed ? r : undefined;
}

/** The flag that sets a field of these options, for validation messages. */
export function extraFlagOf(field: string): string | undefined {
  if (field === 'description') return '--description';
  if (field.startsWith('hooks.pre')) return '--pre-hook / --hook-timeout';
  if (field.startsWith('hooks.post')) return '--post-hook / --hook-timeout';
  const filter = /^databases\[\d+\]\.(schemas|excludeSchemas|excludeTables|excludeTableData)/.exec(field);
  if (filter) return DUMP_FILTER_FLAGS[filter[1] as DumpFilterField];
  if (field.startsWith('alerts.')) return 'the --alert-* options';
  return undefined;
}

/** `plan show` lines for these options. */
export function describePlanExtras(plan: Plan): string[] {
  const lines: string[] = [];
  if (plan.description) lines.push(`  description:  ${plan.description}`);
  for (const db of plan.databases) {
    const parts = DUMP_FILTER_FIELDS.filter((f) => (db[f]?.length ?? 0) > 0).map((f) => `${DUMP_FILTER_FLAGS[f]} ${db[f]!.join(' ')}`);
    if (parts.length) lines.push(`  dump options of ${db.id}: ${parts.join('; ')}`);
  }
  const hooks = plan.hooks;
  if (hooks?.pre) lines.push(`  pre-hook:     ${hooks.pre.command} (timeout ${hooks.pre.timeoutSeconds} s)`);
  if (hooks?.post) lines.push(`  post-hook:    ${hooks.post.command} (timeout ${hooks.post.timeoutSeconds} s)`);
  lines.push(`  alerts:       ${describeAlertRules(plan.alerts ?? alertRulesSchema.parse({}))}`);
  return lines;
}

/** The alert rules in one line. */
export function describeAlertRules(r: AlertRules): string {
  const duration = [r.duration.factor !== null && `${r.duration.factor}x usual`, r.duration.minutes !== null && `${r.duration.minutes} min`].filter(Boolean).join(' or ');
  const disk = [r.lowDisk.percent !== null && `${r.lowDisk.percent}%`, r.lowDisk.bytes !== null && formatByteSize(r.lowDisk.bytes)].filter(Boolean).join(' or ');
  return [
    r.consecutiveFailures.enabled ? `${r.consecutiveFailures.count} failures in a row` : 'failures off',
    r.sizeChange.enabled ? `size ${r.sizeChange.factor}x` : 'size off',
    r.duration.enabled ? `duration ${duration}` : 'duration off',
    r.lowDisk.enabled ? `disk below ${disk}` : 'disk off',
    r.overdue.enabled ? `overdue after ${r.overdue.graceMinutes === null ? '2 intervals' : `1 interval + ${r.overdue.graceMinutes} min`}` : 'overdue off',
  ].join(', ');
}
