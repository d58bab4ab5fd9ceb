/**
 * `lifeboat plan ...`: plans as code. list, show, create, edit, delete, enable, disable, export,
 * import. Plans are saved through the core's savePlan, as the app saves them (the same schema,
 * time-zone and cron checks, audit lines), without a keychain: a plan made here names where its
 * secrets come from (passwordFrom / passphraseFrom: env:NAME or file:/path), and `lifeboat run`
 * reads them there each time (plan-secrets.ts). A plan file is the plan in the app's schema
 * (core/plans/plan-file.ts), JSON or YAML, with no secret in it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { AppError } from '../../shared/errors';
import { formatByteSize, parseByteSize, SIZE_FORMS } from '../../shared/size';
import { BACKUP_TYPES, DEFAULT_EXCLUDES, planInputSchema, secretRefSchema, type Plan, type PlanDefinition, type PlanInput } from '../../shared/plan';
import { checkHeadlessSave, saveHeadlessPlan, type PlanIssue } from '../core/plans/headless-save';
import { diffPlanDefinitions, formatPlanDiff } from '../core/plans/plan-diff';
import { formatIssuePath, parsePlanFile, planFileFormatOf, serializePlanFile, toPlanFile, type PlanFileFormat } from '../core/plans/plan-file';
import { deletePlan } from '../core/plans/save-plan';
import { computeNextRun, resolveTimeZone } from '../core/scheduler/next-run';
import type { LifeboatCore } from '../core/lifeboat';
import { MIN_PASSPHRASE_CHARS, parseDatabaseUrl } from './args';
import { confirm } from './confirm';
import { printTable } from './format';
import { addPlanCopyOptions, applyPlanCopyFlags, copyFlagOf, describePlanCopies, type PlanCopyFlags } from './plan-copy-options';
import { addPlanExtraOptions, applyPlanExtraFlags, describePlanExtras, extraFlagOf, type PlanExtraFlags } from './plan-extra-options';
import { checkSecretRef, normalizeSecretRef } from './plan-secrets';
import type { CliDeps } from './restore-commands';
import { formatSchedule, parseScheduleText, SCHEDULE_FORMS } from './schedule-arg';

/** What the plan and maintenance commands use of the CLI. */
export interface HeadlessDeps extends CliDeps {
  io: CliDeps['io'] & { isTty: boolean; stdinIsTty?: boolean };
  setExit(code: number): void;
}

/** Exit codes, as index.ts's EXIT (imported from there, they would make an import circle). */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A plan by id or name; NOT_FOUND naming where the plans are listed. */
export function findPlan(core: Pick<LifeboatCore, 'plans'>, nameOrId: string): Plan {
  const plan = core.plans.get(nameOrId) ?? core.plans.findByName(nameOrId);
  if (!plan) throw new AppError('NOT_FOUND', { detail: `no plan named "${nameOrId}"; lifeboat plan list shows the plans` });
  return plan;
}

/** The plan without its timestamps: what savePlan takes. */
function definitionOf(plan: Plan): PlanDefinition {
  const { createdAt: _created, updatedAt: _updated, ...definition } = plan;
  return definition;
}

/** This computer's time zone (TZ when it names an IANA zone), for a new plan. */
function localTimeZone(env: NodeJS.ProcessEnv): string {
  if (env.TZ) {
    try {
      resolveTimeZone(env.TZ);
      return env.TZ;
    } catch {
      // a POSIX TZ string such as EST5EDT: let Intl say which zone it is
    }
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The next run of an enabled, scheduled plan (ISO), or null. */
function nextRunOf(plan: Plan, now: Date): string | null {
  if (!plan.enabled) return null;
  try {
    return computeNextRun(plan.schedule, plan.timezone, now)?.toISOString() ?? null;
  } catch {
    return null;
  }
}

/** The options of `plan create` and `plan edit`: the backup command's, and a plan's own. */
function addPlanOptions(command: Command, mode: 'create' | 'edit'): Command {
  const createOnly = (text: string) => (mode === 'create' ? text : '');
  return command
    .option('--name <name>', mode === 'create' ? 'the plan name (unique)' : 'rename the plan')
    .option('--db <url>', `postgres://user@host:port/db to back up (repeatable)${mode === 'edit' ? '; replaces the databases' : ''}`, collect, [])
    .option(
      '--password-from <ref>',
      'where the --db password comes from when the plan runs: env:NAME or file:/path (its first line; chmod 600), none; one for all databases or one per --db (repeatable); without it PGPASSWORD or ~/.pgpass',
      collect,
      [],
    )
    .option('--folder <dir>', `a folder to back up (repeatable)${mode === 'edit' ? '; replaces the folders' : ''}`, collect, [])
    .option('--exclude <pattern>', `exclude pattern for the folders, added to the defaults (repeatable; the defaults: ${DEFAULT_EXCLUDES.join(' ')})`, collect, [])
    .option('--no-default-excludes', 'do not exclude the default patterns; only the --exclude ones')
    .option('--out <dir>', `destination folder of the backups${createOnly(' (required)')}`)
    .option('--passphrase-file <file>', 'the plan reads its passphrase from this file when it runs (kept as passphraseFrom file:<path>, never the passphrase)')
    .option('--passphrase-from <ref>', `where the passphrase comes from: env:NAME or file:/path${createOnly('; default env:LIFEBOAT_PASSPHRASE when that is set')}`)
    .option('--encrypt', 'encrypt the backups (the default for a new plan)')
    .option('--no-encrypt', 'write unencrypted (still checksummed) backups')
    .option('--compression <level>', 'compression level 0-9 (default 1)')
    .option('--schedule <when>', `when it runs: ${SCHEDULE_FORMS}${createOnly(' (default daily 02:00)')}`)
    .option('--timezone <zone>', `IANA time zone of the schedule${createOnly(" (default this computer's)")}`)
    .addOption(new Option('--type <type>', 'backup type').choices(BACKUP_TYPES))
    .option('--keep-days <n>', 'retention: keep backups of the last n days (none: no age rule)')
    .option('--keep-max <n>', 'retention: keep at most n backups (none: no cap)')
    .option('--keep-last <n>', 'retention: keep the n newest')
    .option('--keep-daily <n>', 'retention: keep the newest of each of the last n days')
    .option('--keep-weekly <n>', 'retention: keep the newest of each of the last n weeks')
    .option('--keep-monthly <n>', 'retention: keep the newest of each of the last n months')
    .option('--keep-chains <n>', 'retention: keep the n newest chains whole (a full and the incrementals or differentials built on it)')
    .option('--cap <size>', 'storage cap: after each run remove the oldest chains while the backups take more than this (50MB, 2GB, 500MiB; none: no cap)')
    .option('--full-every <runs>', 'incremental/differential: start a new chain with a full backup every n runs (none: no run-count rule)')
    .option('--full-every-days <n>', `incremental/differential: start a new chain with a full backup when the chain's full is n days old${createOnly(' (default 7)')} (none: no age rule)`)
    .option('--verify-after', 'verify each backup after it is written (the default)')
    .option('--no-verify-after', 'do not verify after the backup')
    .option('--no-verify', 'the same as --no-verify-after (as for lifeboat backup)')
    .option('--drill-after', 'after each backup, restore its databases into a throwaway database and compare row counts')
    .option('--no-drill-after', 'no restore drill after the backup');
}

interface PlanFlags {
  name?: string;
  db: string[];
  passwordFrom: string[];
  folder: string[];
  exclude: string[];
  defaultExcludes: boolean;
  out?: string;
  passphraseFile?: string;
  passphraseFrom?: string;
  encrypt?: boolean;
  compression?: string;
  schedule?: string;
  timezone?: string;
  type?: PlanDefinition['type'];
  keepDays?: string;
  keepMax?: string;
  keepLast?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  keepChains?: string;
  cap?: string;
  fullEvery?: string;
  fullEveryDays?: string;
  verifyAfter?: boolean;
  verify?: boolean;
  drillAfter?: boolean;
  disabled?: boolean;
}

/** A secret reference given on the command line, checked and made absolute. */
function cliSecretRef(text: string, flag: string): string {
  const ref = normalizeSecretRef(text.trim());
  if (!secretRefSchema.safeParse(ref).success) throw new AppError('VALIDATION', { detail: `${flag} "${text}": give env:NAME, file:/path or keychain` });
  return ref;
}

/** A whole number for a retention flag; `none` (null) where the rule can be off. */
function parseCount(text: string | undefined, flag: string, nullable: boolean): number | null | undefined {
  if (text === undefined) return undefined;
  if (nullable && text.trim().toLowerCase() === 'none') return null;
  if (!/^\d+$/.test(text.trim())) throw new AppError('VALIDATION', { detail: `${flag} takes a whole number${nullable ? ' or none' : ''}, not "${text}"` });
  return Number(text.trim());
}

/** Gives sources without an id (`new`) the first free `<prefix>N`. */
function assignIds<T extends { id: string }>(sources: T[], prefix: string): T[] {
  const taken = new Set(sources.map((s) => s.id));
  let n = 1;
  return sources.map((s) => {
    if (s.id !== 'new') return s;
    while (taken.has(`${prefix}${n}`)) n++;
    taken.add(`${prefix}${n}`);
    return { ...s, id: `${prefix}${n}` };
  });
}

/**
 * The plan the flags describe: a new one (`existing` null), or `existing` with what the flags
 * change. Not validated yet (validatePlanInput); `notes` collects what the user should know.
 */
function buildPlanInput(existing: PlanDefinition | null, f: PlanFlags, given: (key: string) => boolean, env: NodeJS.ProcessEnv, notes: string[]): PlanInput {
  // databases: --db replaces them, keeping the id (and keychain password) of one that stays
  let databases = existing?.databases ?? [];
  if (f.db.length) {
    const kept = new Set<string>();
    databases = assignIds(
      f.db.map((url) => {
        const parsed = parseDatabaseUrl(url, 'new');
        const same = existing?.databases.find(
          (d) => !kept.has(d.id) && d.host === parsed.host && d.port === parsed.port && d.user === parsed.user && d.database === parsed.database,
        );
        if (!same) return parsed;
        kept.add(same.id);
        return { ...same, sslMode: parsed.sslMode };
      }),
      'db',
    );
  }
  if (f.passwordFrom.length) {
    if (!databases.length) throw new AppError('VALIDATION', { detail: '--password-from names where a database password comes from: give a --db' });
    if (f.passwordFrom.length !== 1 && f.passwordFrom.length !== databases.length) {
      throw new AppError('VALIDATION', { detail: `give one --password-from for every database, or one per database (${databases.length})` });
    }
    databases = databases.map((db, i) => {
      const text = f.passwordFrom[f.passwordFrom.length === 1 ? 0 : i]!;
      const { passwordFrom: _old, ...rest } = db;
      if (text.trim().toLowerCase() === 'none') return rest;
      const ref = cliSecretRef(text, '--password-from');
      const warning = checkSecretRef(ref, env, `the password of database ${db.id}`);
      if (warning) notes.push(warning);
      return { ...rest, passwordFrom: ref };
    });
  }

  // folders: --folder replaces them (keeping the id and excludes of one that stays); --exclude sets every folder's
  if (f.exclude.some((p) => p.trim() === '')) throw new AppError('VALIDATION', { detail: '--exclude takes a pattern such as "*.iso" or "cache", not an empty one' });
  const excludesGiven = f.exclude.length > 0 || given('defaultExcludes');
  const excludes = [...new Set([...(f.defaultExcludes ? DEFAULT_EXCLUDES : []), ...f.exclude])];
  let folders = existing?.folders ?? [];
  if (f.folder.length) {
    folders = assignIds(
      f.folder.map((dir) => {
        const folderPath = path.resolve(dir);
        return existing?.folders.find((x) => x.path === folderPath) ?? { id: 'new', path: folderPath, excludes };
      }),
      'folder',
    );
  }
  if (excludesGiven) {
    if (!folders.length) throw new AppError('VALIDATION', { detail: '--exclude and --no-default-excludes apply to folders; give a --folder' });
    folders = folders.map((x) => ({ ...x, excludes }));
  }

  // encryption: the passphrase is named, never given
  const encrypt = given('encrypt') ? Boolean(f.encrypt) : (existing?.options.encrypt ?? true);
  if (f.passphraseFile && f.passphraseFrom) throw new AppError('VALIDATION', { detail: 'give --passphrase-file or --passphrase-from, not both' });
  if (!encrypt && (f.passphraseFile || f.passphraseFrom)) throw new AppError('VALIDATION', { detail: 'give --passphrase-file / --passphrase-from or --no-encrypt, not both' });
  let passphraseFrom = encrypt ? existing?.options.passphraseFrom : undefined;
  const newRef = f.passphraseFile ? `file:${path.resolve(f.passphraseFile)}` : f.passphraseFrom ? cliSecretRef(f.passphraseFrom, '--passphrase-from') : undefined;
  if (newRef) passphraseFrom = newRef;
  else if (encrypt && !passphraseFrom && !existing?.options.encrypt && env.LIFEBOAT_PASSPHRASE) {
    passphraseFrom = 'env:LIFEBOAT_PASSPHRASE';
    notes.push('the plan takes its passphrase from env:LIFEBOAT_PASSPHRASE when it runs (--passphrase-file or --passphrase-from name another place)');
  }
  if (passphraseFrom && passphraseFrom !== existing?.options.passphraseFrom) {
    const warning = checkSecretRef(passphraseFrom, env, 'the passphrase', MIN_PASSPHRASE_CHARS);
    if (warning) notes.push(warning);
  }

  let compressionLevel = existing?.options.compressionLevel;
  if (f.compression !== undefined) {
    const n = Number(f.compression);
    if (!/^\d$/.test(f.compression.trim())) throw new AppError('VALIDATION', { detail: '--compression takes 0 to 9' });
    compressionLevel = n;
  }

  const keep = {
    days: parseCount(f.keepDays, '--keep-days', true),
    maxCount: parseCount(f.keepMax, '--keep-max', true),
    keepLast: parseCount(f.keepLast, '--keep-last', false),
    keepDaily: parseCount(f.keepDaily, '--keep-daily', false),
    keepWeekly: parseCount(f.keepWeekly, '--keep-weekly', false),
    keepMonthly: parseCount(f.keepMonthly, '--keep-monthly', false),
    keepChains: parseCount(f.keepChains, '--keep-chains', false),
    capBytes: parseCap(f.cap),
  };
  const keepGiven = Object.fromEntries(Object.entries(keep).filter(([, v]) => v !== undefined));
  // rules given on a new plan are its only rules (not added to the default of 7 days)
  // (the cap alone is not a keep rule: a new plan given only --cap keeps the default 7 days)
  const keepRuleGiven = Object.keys(keepGiven).some((key) => key !== 'capBytes');
  const retention = Object.keys(keepGiven).length
    ? {
        ...(existing?.retention ??
          (keepRuleGiven
            ? { days: null, maxCount: null, keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepChains: 0, capBytes: null }
            : { days: 7, maxCount: null, keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepChains: 0, capBytes: null })),
        ...keepGiven,
      }
    : existing?.retention;
  const type = f.type ?? existing?.type;
  const fullEveryRuns = parseCount(f.fullEvery, '--full-every', true);
  const fullEveryDays = parseCount(f.fullEveryDays, '--full-every-days', true);
  if ((fullEveryRuns !== undefined || fullEveryDays !== undefined) && (type ?? 'full') === 'full') {
    throw new AppError('VALIDATION', { detail: '--full-every and --full-every-days start new chains of an incremental or differential plan: add --type incremental (or differential)' });
  }

  const verifyAfter = given('verifyAfter') ? Boolean(f.verifyAfter) : given('verify') && f.verify === false ? false : (existing?.options.verifyAfter ?? true);
  const drillAfter = given('drillAfter') ? Boolean(f.drillAfter) : (existing?.options.drillAfter ?? false);
  if (drillAfter && databases.length === 0) {
    throw new AppError('VALIDATION', { detail: 'a restore drill (--drill-after) restores databases: give a --db, or --no-drill-after' });
  }
  const destination = f.out ? path.resolve(f.out) : existing?.options.destination;
  if (!destination) throw new AppError('VALIDATION', { detail: 'say where the backups go: --out <dir>' });

  const { passphraseFrom: _previous, ...keptOptions } = existing?.options ?? { passphraseFrom: undefined };
  return {
    ...(existing?.id ? { id: existing.id } : {}),
    name: f.name ?? existing?.name ?? '',
    enabled: existing ? existing.enabled : !f.disabled,
    type,
    databases,
    folders,
    schedule: f.schedule !== undefined ? parseScheduleText(f.schedule) : existing?.schedule,
    timezone: f.timezone ?? existing?.timezone ?? localTimeZone(env),
    retention,
    options: {
      ...keptOptions,
      compressionLevel,
      encrypt,
      ...(passphraseFrom ? { passphraseFrom } : {}),
      verifyAfter,
      drillAfter,
      ...(fullEveryRuns !== undefined ? { fullEveryRuns } : {}),
      ...(fullEveryDays !== undefined ? { fullEveryDays } : {}),
      destination,
    },
  };
}

/** `--cap 50MB`: bytes, or null for `none`; VALIDATION naming the forms it takes. */
function parseCap(text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text.trim().toLowerCase() === 'none') return null;
  const bytes = parseByteSize(text);
  if (bytes === null) throw new AppError('VALIDATION', { detail: `--cap takes ${SIZE_FORMS}, or none; not "${text}"` });
  return bytes;
}

/** The flag that sets a field, for messages about a plan built from flags. */
const FLAG_OF: Record<string, string> = {
  name: '--name',
  databases: '--db / --folder',
  timezone: '--timezone',
  'options.destination': '--out',
  'options.compressionLevel': '--compression',
  'retention.days': '--keep-days',
  'retention.maxCount': '--keep-max',
  'retention.keepLast': '--keep-last',
  'retention.keepDaily': '--keep-daily',
  'retention.keepWeekly': '--keep-weekly',
  'retention.keepMonthly': '--keep-monthly',
  'retention.keepChains': '--keep-chains',
  'retention.capBytes': '--cap',
  'options.fullEveryRuns': '--full-every',
  'options.fullEveryDays': '--full-every-days',
};

/** Validates a plan built from flags with the app's schema; VALIDATION listing every issue. */
function validatePlanInput(input: PlanInput): PlanDefinition {
  const parsed = planInputSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const field = formatIssuePath(issue.path);
    const flag = FLAG_OF[field] ?? extraFlagOf(field) ?? copyFlagOf(field);
    return `${flag ? `${flag} (${field})` : field}: ${issue.message}`;
  });
  throw new AppError('VALIDATION', { detail: issues.join('; ') });
}

/** Prints a plan file's problems, every one, and sets exit 2; nothing was changed. */
function reportIssues(deps: HeadlessDeps, what: string, issues: PlanIssue[], json: boolean): void {
  const message = `${what} is not a valid Lifeboat plan (${issues.length} problem${issues.length === 1 ? '' : 's'}); nothing was changed`;
  if (json) deps.io.out(JSON.stringify({ error: { code: 'VALIDATION', message }, issues }, null, 2));
  else {
    deps.io.err(`lifeboat: ${message}:`);
    for (const issue of issues) deps.io.err(`  ${issue.path}: ${issue.message}`);
  }
  deps.setExit(EXIT_USAGE);
}

function warn(deps: HeadlessDeps, notes: string[]): void {
  for (const note of notes) deps.io.err(`lifeboat: note: ${note}`);
}

/** A plan for --json: the plan as the catalog keeps it, its schedule as text and its next run. */
function planJson(plan: Plan, now: Date): Plan & { scheduleText: string; nextRun: string | null } {
  return { ...plan, scheduleText: formatSchedule(plan.schedule), nextRun: nextRunOf(plan, now) };
}

const secretSource = (ref: string | undefined, inKeychain: boolean, fallback: string) => ref ?? (inKeychain ? 'keychain' : fallback);

/** `plan show`, for a person. */
function describePlan(plan: Plan, now: Date): string[] {
  const o = plan.options;
  const r = plan.retention;
  const rules = [
    r.days !== null && `${r.days} days`,
    r.maxCount !== null && `at most ${r.maxCount}`,
    r.keepLast && `last ${r.keepLast}`,
    r.keepDaily && `${r.keepDaily} daily`,
    r.keepWeekly && `${r.keepWeekly} weekly`,
    r.keepMonthly && `${r.keepMonthly} monthly`,
    r.keepChains && `${r.keepChains} chain${r.keepChains === 1 ? '' : 's'}`,
  ].filter(Boolean);
  const chains = [o.fullEveryRuns !== null && `every ${o.fullEveryRuns} runs`, o.fullEveryDays !== null && `every ${o.fullEveryDays} days`].filter(Boolean);
  const lines = [
    `plan ${plan.name} (${plan.id})`,
    `  enabled:      ${plan.enabled ? 'yes' : 'no'}`,
    `  type:         ${plan.type}`,
    `  schedule:     ${formatSchedule(plan.schedule)} (${plan.timezone})${plan.enabled ? `, next run ${nextRunOf(plan, now) ?? 'none'}` : ''}`,
    `  retention:    ${rules.length ? `keep ${rules.join(', ')}` : 'keep everything'}${r.capBytes !== null ? `; storage cap ${formatByteSize(r.capBytes)}` : ''}`,
    ...(plan.type !== 'full' ? [`  new full:     ${chains.length ? chains.join(' or ') : 'never (only when asked: lifeboat run --full)'}`] : []),
    `  destination:  ${o.destination}`,
    `  encryption:   ${o.encrypt ? `yes, passphrase from ${secretSource(o.passphraseFrom, true, 'keychain')}` : 'no'}`,
    `  compression:  ${o.compressionLevel}`,
    `  after backup: ${o.verifyAfter ? 'verify' : 'no verify'}${o.drillAfter ? `, restore drill on ${o.drillServer ? `${o.drillServer.user}@${o.drillServer.host}:${o.drillServer.port}` : "each database's server"}` : ''}`,
  ];
  for (const db of plan.databases) {
    lines.push(
      `  database ${db.id}: ${db.user}@${db.host}:${db.port}/${db.database} (sslmode ${db.sslMode}), password from ${secretSource(db.passwordFrom, db.hasPassword, 'PGPASSWORD or ~/.pgpass')}`,
    );
  }
  for (const folder of plan.folders) lines.push(`  folder ${folder.id}: ${folder.path} (excluding ${folder.excludes.join(' ') || 'nothing'})`);
  lines.push(...describePlanCopies(o.copies));
  lines.push(...describePlanExtras(plan));
  return lines;
}

/** Registers `lifeboat plan` and its subcommands. */
export function registerPlanCommands(program: Command, deps: HeadlessDeps): void {
  const { io } = deps;
  const plan = program.command('plan').description('plans as code: list, show, create, edit, delete, enable, disable, export, import');

  /** Opens the core, runs `work`, closes it. */
  const withCore = async <T>(work: (core: LifeboatCore) => Promise<T>): Promise<T> => {
    const core = deps.openCore(null);
    try {
      return await work(core);
    } finally {
      await core.close();
    }
  };

  plan
    .command('list')
    .description('the plans: schedule, next run, sources, destination')
    .option('--json', 'print as JSON')
    .action(async (opts) =>
      withCore(async (core) => {
        const now = new Date();
        const plans = core.plans.list();
        if (opts.json) {
          io.out(JSON.stringify(plans.map((p) => planJson(p, now)), null, 2));
          return;
        }
        if (!plans.length) {
          io.out('No plans yet. Create one with lifeboat plan create (see --help) or lifeboat plan import <file>.');
          return;
        }
        printTable(
          io.out,
          ['plan', 'enabled', 'type', 'schedule', 'next run', 'sources', 'destination'],
          plans.map((p) => [
            p.name,
            p.enabled ? 'yes' : 'no',
            p.type,
            `${formatSchedule(p.schedule)} ${p.timezone}`,
            nextRunOf(p, now)?.replace('T', ' ').slice(0, 16) ?? '-',
            `${p.databases.length} db, ${p.folders.length} folder`,
            `${p.options.destination}${p.options.copies.length ? ` (+${p.options.copies.length} ${p.options.copies.length === 1 ? 'copy' : 'copies'})` : ''}`,
          ]),
        );
      }),
    );

  plan
    .command('show')
    .argument('<plan>', 'plan name or id')
    .description('everything about a plan, and where its secrets come from')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts) =>
      withCore(async (core) => {
        const found = findPlan(core, name);
        if (opts.json) io.out(JSON.stringify(planJson(found, new Date()), null, 2));
        else for (const line of describePlan(found, new Date())) io.out(line);
      }),
    );

  addPlanCopyOptions(addPlanExtraOptions(addPlanOptions(plan.command('create').description('create a plan (secrets named by env:NAME or file:/path, never given)'), 'create'), 'create'), 'create')
    .option('--disabled', 'create it disabled (it runs only with lifeboat run)')
    .option('--json', 'print the plan as JSON')
    .action(async (opts, command: Command) =>
      withCore(async (core) => {
        if (!opts.name) throw new AppError('VALIDATION', { detail: 'name the plan: --name <name>' });
        if (!opts.out) throw new AppError('VALIDATION', { detail: 'say where the backups go: --out <dir>' });
        if (core.plans.findByName(opts.name)) {
          throw new AppError('VALIDATION', { detail: `a plan named "${opts.name}" exists: change it with lifeboat plan edit, or replace it with lifeboat plan import` });
        }
        const notes: string[] = [];
        const given = (key: string) => command.getOptionValueSource(key) === 'cli';
        const definition = validatePlanInput(
          applyPlanCopyFlags(applyPlanExtraFlags(buildPlanInput(null, opts as PlanFlags, given, io.env, notes), null, opts as PlanExtraFlags, given), null, opts as PlanCopyFlags, io.env, notes),
        );
        if (!definition.options.encrypt || definition.options.passphraseFrom) warn(deps, notes);
        else {
          throw new AppError('PASSPHRASE_REQUIRED', {
            detail: 'a plan made with the lifeboat command names where its passphrase comes from: --passphrase-file <file>, --passphrase-from env:NAME, or LIFEBOAT_PASSPHRASE set now (kept as env:LIFEBOAT_PASSPHRASE); or --no-encrypt',
          });
        }
        const { plan: saved, warnings } = await saveHeadlessPlan(core, definition, 'cli');
        warn(deps, warnings);
        if (opts.json) io.out(JSON.stringify(planJson(saved, new Date()), null, 2));
        else io.out(`Created plan "${saved.name}" (${saved.id}): ${formatSchedule(saved.schedule)} (${saved.timezone}), next run ${nextRunOf(saved, new Date()) ?? 'none'}.`);
      }),
    );

  addPlanCopyOptions(
    addPlanExtraOptions(addPlanOptions(plan.command('edit').argument('<plan>', 'plan name or id').description('change a plan: only what the options say; shows the changes'), 'edit'), 'edit'),
    'edit',
  )
    .option('--json', 'print the plan as JSON')
    .action(async (name: string, opts, command: Command) =>
      withCore(async (core) => {
        const existing = findPlan(core, name);
        if (opts.name && opts.name !== existing.name && core.plans.findByName(opts.name)) {
          throw new AppError('VALIDATION', { detail: `another plan is named "${opts.name}"` });
        }
        const notes: string[] = [];
        const given = (key: string) => command.getOptionValueSource(key) === 'cli';
        const definition = validatePlanInput(
          applyPlanCopyFlags(
            applyPlanExtraFlags(buildPlanInput(definitionOf(existing), opts as PlanFlags, given, io.env, notes), definitionOf(existing), opts as PlanExtraFlags, given),
            definitionOf(existing),
            opts as PlanCopyFlags,
            io.env,
            notes,
          ),
        );
        const check = checkHeadlessSave(definition, existing);
        if (check.issues.length) throw new AppError('PASSPHRASE_REQUIRED', { detail: check.issues.map((i) => i.message).join('; ') });
        warn(deps, notes);
        const changes = diffPlanDefinitions(existing, check.definition);
        if (!changes.length) {
          if (opts.json) io.out(JSON.stringify(planJson(existing, new Date()), null, 2));
          else io.out(`Plan "${existing.name}": nothing to change.`);
          return;
        }
        const { plan: saved, warnings } = await saveHeadlessPlan(core, definition, 'cli');
        warn(deps, warnings);
        if (opts.json) {
          io.out(JSON.stringify(planJson(saved, new Date()), null, 2));
          return;
        }
        io.out(`Updated plan "${saved.name}":`);
        for (const line of formatPlanDiff(changes)) io.out(`  ${line}`);
      }),
    );

  plan
    .command('delete')
    .argument('<plan>', 'plan name or id')
    .description('delete a plan (its backups stay); asks first on a terminal')
    .option('--yes', 'do not ask (needed when stdin is not a terminal)')
    .action(async (name: string, opts) =>
      withCore(async (core) => {
        const found = findPlan(core, name);
        const yes = await confirm(`Delete plan "${found.name}"? Its backups stay.`, { yes: Boolean(opts.yes), stdinIsTty: io.stdinIsTty });
        if (!yes) {
          io.out('Nothing was deleted.');
          deps.setExit(EXIT_FAILED);
          return;
        }
        await deletePlan(core, found.id, 'cli');
        io.out(`Deleted plan "${found.name}". Its backups stay: lifeboat list shows them.`);
        if (found.databases.some((d) => d.hasPassword) || (found.options.encrypt && !found.options.passphraseFrom)) {
          io.err("lifeboat: note: the secrets the app kept for it in its keychain are the app's to remove; the lifeboat command cannot reach them.");
        }
      }),
    );

  for (const enabled of [true, false]) {
    plan
      .command(enabled ? 'enable' : 'disable')
      .argument('<plan>', 'plan name or id')
      .description(enabled ? 'run the plan on its schedule again' : 'stop running the plan on its schedule (lifeboat run still runs it)')
      .action(async (name: string) =>
        withCore(async (core) => {
          const found = findPlan(core, name);
          if (found.enabled === enabled) {
            io.out(`Plan "${found.name}" is already ${enabled ? 'enabled' : 'disabled'}.`);
            return;
          }
          await saveHeadlessPlan(core, { ...definitionOf(found), enabled }, 'cli');
          io.out(`${enabled ? 'Enabled' : 'Disabled'} plan "${found.name}".`);
        }),
      );
  }

  plan
    .command('export')
    .argument('<plan>', 'plan name or id')
    .description('write a plan as a file (JSON, or YAML): no secret, only where each comes from')
    .addOption(new Option('--format <format>', 'json or yaml (default: from the --out name, else json)').choices(['json', 'yaml']))
    .option('--out <file>', 'write to this file (default: standard output)')
    .action(async (name: string, opts) =>
      withCore(async (core) => {
        const found = findPlan(core, name);
        const format: PlanFileFormat = opts.format ?? (opts.out ? planFileFormatOf(opts.out) : 'json');
        const text = serializePlanFile(toPlanFile(found), format);
        if (!opts.out) {
          io.out(text.trimEnd());
          return;
        }
        fs.writeFileSync(path.resolve(opts.out), text);
        io.out(`Wrote plan "${found.name}" to ${path.resolve(opts.out)}.`);
      }),
    );

  plan
    .command('import')
    .argument('<file>', 'a plan file (JSON or YAML) as lifeboat plan export writes')
    .description('create or update (by name) a plan from a file; shows the changes first and asks on a terminal')
    .addOption(new Option('--format <format>', 'json or yaml (default: .yaml/.yml is YAML, else JSON)').choices(['json', 'yaml']))
    .option('--yes', 'apply without asking (needed when stdin is not a terminal)')
    .option('--dry-run', 'only show the changes')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts) => {
      const filePath = path.resolve(file);
      let text: string;
      try {
        text = fs.readFileSync(filePath, 'utf8');
      } catch (cause) {
        throw new AppError('NOT_FOUND', { detail: `cannot read ${filePath}`, cause });
      }
      const parsed = parsePlanFile(text, opts.format ?? planFileFormatOf(filePath));
      const json = Boolean(opts.json);
      await withCore(async (core) => {
        const issues = parsed.ok ? [] : [...parsed.issues];
        const existing = parsed.ok ? core.plans.findByName(parsed.plan.name) : undefined;
        const check = parsed.ok ? checkHeadlessSave({ ...parsed.plan, ...(existing ? { id: existing.id } : {}) }, existing) : null;
        if (check) issues.push(...check.issues);
        if (!check || issues.length) {
          reportIssues(deps, filePath, issues, json);
          return;
        }
        const name = check.definition.name;
        const changes = diffPlanDefinitions(existing ?? null, check.definition);
        const result = (action: string, saved: Plan | undefined) =>
          io.out(JSON.stringify({ action, plan: saved ? planJson(saved, new Date()) : null, changes, warnings: check.warnings }, null, 2));
        if (!changes.length) {
          if (json) result('unchanged', existing);
          else io.out(`Plan "${name}" is already as ${filePath} says; nothing to change.`);
          return;
        }
        if (!json) {
          io.out(existing ? `Changes to plan "${name}" (${existing.id}):` : `New plan "${name}":`);
          for (const line of formatPlanDiff(changes)) io.out(`  ${line}`);
        }
        warn(deps, check.warnings);
        if (opts.dryRun) {
          if (json) result('none (dry run)', existing);
          else io.out('Dry run: nothing was changed.');
          return;
        }
        const yes = await confirm(existing ? `Apply these changes to plan "${name}"?` : `Create plan "${name}"?`, {
          yes: Boolean(opts.yes),
          stdinIsTty: io.stdinIsTty,
          hint: '--yes to apply them (or --dry-run to only show them)',
        });
        if (!yes) {
          io.out('Nothing was changed.');
          deps.setExit(EXIT_FAILED);
          return;
        }
        const { plan: saved } = await saveHeadlessPlan(core, check.definition, 'cli');
        if (json) result(existing ? 'updated' : 'created', saved);
        else io.out(`${existing ? 'Updated' : 'Created'} plan "${saved.name}" (${saved.id}).`);
      });
    });
}
