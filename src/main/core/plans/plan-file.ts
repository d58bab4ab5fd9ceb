/**
 * A plan as a file ("plans as code"): JSON or YAML holding `lifeboatPlan: 1` and the plan as the
 * app's own schema reads it (planInputSchema), without its id, its timestamps or any secret. A
 * secret is named by where it comes from: `passwordFrom` (a database, the drill server) and
 * `passphraseFrom` (the plan) are env:NAME, file:/absolute/path, or keychain (the app keeps it:
 * what an exported plan says for a password or passphrase the app stored).
 *
 * Reading a file reports every problem at once, each with its field path: the syntax (all YAML
 * errors, with line and column), the format marker, every schema issue, every field the schema
 * does not know (a misspelt `retension` must not vanish silently), an unknown time zone and a
 * cron expression that does not parse.
 */
import YAML from 'yaml';
import { z } from 'zod';
import { DEFAULT_ALERT_RULES } from '../../../shared/alert-rules';
import { DUMP_FILTER_FIELDS } from '../../../shared/dump-filter';
import { AppError } from '../../../shared/errors';
import { planInputSchema, scheduleSchema, type PlanDefinition } from '../../../shared/plan';
import { resolveTimeZone, validateSchedule } from '../scheduler/next-run';
import type { PlanIssue } from './headless-save';

/** The version of the plan file format this Lifeboat writes and reads. */
export const PLAN_FILE_VERSION = 1;

export type PlanFileFormat = 'json' | 'yaml';

/**
 * Fields a plan file may carry that are not part of the plan, and are ignored: the format marker,
 * and what the catalog and `plan show --json` add (id, timestamps, schedule text, next run).
 */
const FILE_ONLY_KEYS = ['lifeboatPlan', 'id', 'createdAt', 'updatedAt', 'scheduleText', 'nextRun'];

/** The format a file name asks for: .yaml / .yml is YAML, anything else JSON. */
export function planFileFormatOf(fileName: string): PlanFileFormat {
  return /\.ya?ml$/i.test(fileName) ? 'yaml' : 'json';
}

/**
 * The file form of a plan: the marker first, then the fields in a fixed order; no id, no
 * timestamps, no hasPassword / hasSecret. A password, passphrase or copy's secret the keychain keeps reads `keychain`.
 */
export function toPlanFile(plan: PlanDefinition): Record<string, unknown> {
  const o = plan.options;
  const passwordFrom = (source: { hasPassword: boolean; passwordFrom?: string }) =>
    source.passwordFrom ? { passwordFrom: source.passwordFrom } : source.hasPassword ? { passwordFrom: 'keychain' } : {};
  const passphraseFrom = o.passphraseFrom ?? (o.encrypt ? 'keychain' : undefined);
  return {
    lifeboatPlan: PLAN_FILE_VERSION,
    name: plan.name,
    enabled: plan.enabled,
    type: plan.type,
    databases: plan.databases.map((db) => ({
      id: db.id,
      host: db.host,
      port: db.port,
      user: db.user,
      database: db.database,
      sslMode: db.sslMode,
      ...passwordFrom(db),
      // pg_dump's schemas and tables left out: only the lists that say something
      ...Object.fromEntries(DUMP_FILTER_FIELDS.filter((f) => (db[f]?.length ?? 0) > 0).map((f) => [f, db[f]])),
    })),
    folders: plan.folders.map((f) => ({ id: f.id, path: f.path, excludes: f.excludes })),
    schedule: plan.schedule,
    timezone: plan.timezone,
    retention: plan.retention,
    options: {
      destination: o.destination,
      compressionLevel: o.compressionLevel,
      encrypt: o.encrypt,
      ...(passphraseFrom ? { passphraseFrom } : {}),
      verifyAfter: o.verifyAfter,
      drillAfter: o.drillAfter,
      drillServer: o.drillServer
        ? { host: o.drillServer.host, port: o.drillServer.port, user: o.drillServer.user, sslMode: o.drillServer.sslMode, ...passwordFrom(o.drillServer) }
        : null,
      retries: o.retries,
      // the copies (3-2-1): as the plan keeps them, but a secret the keychain holds reads `secretFrom: keychain`
      ...(o.copies.length
        ? {
            copies: o.copies.map(({ hasSecret, ...copy }) => (hasSecret && !copy.secretFrom ? { ...copy, secretFrom: 'keychain' } : copy)),
          }
        : {}),
    },
    ...(plan.description ? { description: plan.description } : {}),
    ...(plan.hooks && (plan.hooks.pre || plan.hooks.post) ? { hooks: plan.hooks } : {}),
    // the rules only when they are not the defaults (a plan file stays as short as the plan)
    ...(plan.alerts && JSON.stringify(plan.alerts) !== JSON.stringify(DEFAULT_ALERT_RULES) ? { alerts: plan.alerts } : {}),
  };
}

/**
 * The text of a plan file. YAML is written so that YAML 1.1 readers (PyYAML, Ansible) read it
 * as YAML 1.2 ones do: a time such as "02:30" or a word such as "no" is quoted.
 */
export function serializePlanFile(file: Record<string, unknown>, format: PlanFileFormat): string {
  return format === 'yaml' ? YAML.stringify(file, { version: '1.1', lineWidth: 0 }) : `${JSON.stringify(file, null, 2)}\n`;
}

/** `databases[0].port` for zod's ['databases', 0, 'port']. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : `${text ? '.' : ''}${String(key)}`;
  return text || '(the file)';
}

/** The fields of `value` that `schema` does not know, as paths, walking the branches that apply. */
function unknownFields(schema: z.ZodType, value: unknown, path: PropertyKey[], found: string[]): void {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) {
    if (value !== undefined && value !== null) unknownFields(schema.unwrap() as z.ZodType, value, path, found);
    return;
  }
  if (schema instanceof z.ZodArray) {
    if (Array.isArray(value)) value.forEach((item, i) => unknownFields(schema.element as z.ZodType, item, [...path, i], found));
    return;
  }
  if (schema instanceof z.ZodUnion) {
    // the branch the value is meant for: the one it parses as (none parses: zod reports it)
    const branch = (schema.options as readonly z.ZodType[]).find((option) => option.safeParse(value).success);
    if (branch) unknownFields(branch, value, path, found);
    return;
  }
  if (schema instanceof z.ZodObject && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const shape = schema.shape as Record<string, z.ZodType>;
    for (const [key, child] of Object.entries(value)) {
      if (path.length === 0 && FILE_ONLY_KEYS.includes(key)) continue;
      if (!(key in shape)) found.push(formatIssuePath([...path, key]));
      else unknownFields(shape[key]!, child, [...path, key], found);
    }
  }
}

/** The schedule's own checks the schema cannot make: a known time zone, a cron expression that runs. */
function scheduleIssues(raw: Record<string, unknown>): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const detail = (error: unknown) => (error instanceof AppError ? (error.detail ?? error.message) : String(error));
  if (typeof raw.timezone === 'string' && raw.timezone.length > 0) {
    try {
      resolveTimeZone(raw.timezone);
    } catch (error) {
      issues.push({ path: 'timezone', message: detail(error) });
    }
  }
  const schedule = scheduleSchema.safeParse(raw.schedule);
  if (schedule.success && schedule.data.kind === 'cron') {
    try {
      validateSchedule(schedule.data, 'UTC');
    } catch (error) {
      issues.push({ path: 'schedule.expression', message: detail(error) });
    }
  }
  return issues;
}

export type PlanFileResult = { ok: true; plan: PlanDefinition } | { ok: false; issues: PlanIssue[] };

/** Checks the parsed content of a plan file; every issue at once. */
export function checkPlanFile(raw: unknown): PlanFileResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, issues: [{ path: '(the file)', message: `a plan file holds one plan (an object starting with lifeboatPlan: ${PLAN_FILE_VERSION})` }] };
  }
  const record = raw as Record<string, unknown>;
  const issues: PlanIssue[] = [];
  if (record.lifeboatPlan === undefined) {
    issues.push({ path: 'lifeboatPlan', message: `missing: a Lifeboat plan file says lifeboatPlan: ${PLAN_FILE_VERSION} (lifeboat plan export writes one)` });
  } else if (record.lifeboatPlan !== PLAN_FILE_VERSION) {
    issues.push({ path: 'lifeboatPlan', message: `this Lifeboat reads plan files of version ${PLAN_FILE_VERSION}, not ${JSON.stringify(record.lifeboatPlan)}` });
  }
  const planFields = Object.fromEntries(Object.entries(record).filter(([key]) => !FILE_ONLY_KEYS.includes(key)));
  const parsed = planInputSchema.safeParse(planFields);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push({ path: formatIssuePath(issue.path), message: issue.message });
  }
  const unknown: string[] = [];
  unknownFields(planInputSchema, record, [], unknown);
  for (const path of unknown) issues.push({ path, message: 'not a field of a plan (misspelt?)' });
  issues.push(...scheduleIssues(record));
  if (issues.length || !parsed.success) return { ok: false, issues };
  return { ok: true, plan: parsed.data };
}

/** Parses and checks the text of a plan file: syntax errors (all of YAML's), then checkPlanFile. */
export function parsePlanFile(text: string, format: PlanFileFormat): PlanFileResult {
  let raw: unknown;
  if (format === 'yaml') {
    const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length) {
      return {
        ok: false,
        issues: doc.errors.map((e) => ({
          path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(the file)',
          message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
        })),
      };
    }
    raw = doc.toJS();
  } else {
    try {
      raw = JSON.parse(text);
    } catch (error) {
      return { ok: false, issues: [{ path: '(the file)', message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` }] };
    }
  }
  return checkPlanFile(raw);
}
