/**
 * The plan editor's form model. Inputs hold strings (what the user typed); `validateDraft`
 * turns them into a PlanInput and checks it with the same zod schema main validates with, so
 * the form and main can never disagree on what a valid plan is.
 */
import type { z } from 'zod';
import type { PlanPreset } from '../../../shared/ipc-contract';
import {
  DEFAULT_EXCLUDES,
  planInputSchema,
  planOptionsSchema,
  planSecretsSchema,
  retentionSchema,
  type BackupType,
  type Plan,
  type PlanInput,
  type PlanSecrets,
  type Schedule,
  SSL_MODES,
} from '../../../shared/plan';
import { formatByteSize, parseByteSize, SIZE_FORMS } from '../../../shared/size';
import {
  destinationFormErrors,
  destinationFromDraft,
  destinationIssueMessage,
  destinationSecrets,
  draftFromDestination,
  type DestinationDraft,
} from './destination-form';
import { newId } from './ids';
import {
  emptyExtras,
  emptyFilterDraft,
  extrasFromPlan,
  extrasToInput,
  filterDraftFrom,
  filterToInput,
  type DumpFilterDraft,
  type PlanExtrasDraft,
} from './plan-extras-form';
import { EMPTY_SERVER, type ServerDraft } from './server-draft';

export type SslMode = (typeof SSL_MODES)[number];
export type ScheduleKind = Schedule['kind'];

export interface DatabaseDraft {
  id: string;
  host: string;
  port: string;
  user: string;
  database: string;
  sslMode: SslMode;
  /** a password is already in the keychain for this source */
  hasPassword: boolean;
  /** typed by the user; sent only in secrets.dbPasswords, never in the plan */
  password: string;
  removePassword: boolean;
  /** where the password comes from (env:NAME, file:/path), set with the lifeboat command: shown read-only, kept as it is */
  passwordFrom?: string;
  /** pg_dump's schemas and tables to leave out, one pattern per line (plan-extras-form.ts) */
  filter: DumpFilterDraft;
}

export interface FolderDraft {
  id: string;
  path: string;
  /** one pattern per line (the editor shows them as chips: excludePatterns, addExclude, removeExclude) */
  excludes: string;
}

export interface PlanDraft {
  id?: string;
  name: string;
  enabled: boolean;
  type: BackupType;
  databases: DatabaseDraft[];
  folders: FolderDraft[];
  scheduleKind: ScheduleKind;
  time: string;
  weekDays: number[];
  monthDay: string;
  everyHours: string;
  cron: string;
  timezone: string;
  retentionDays: string;
  maxCount: string;
  keepLast: string;
  keepDaily: string;
  keepWeekly: string;
  keepMonthly: string;
  /** keep the N newest chains whole; '0' or '' = no chain rule */
  keepChains: string;
  /** storage cap as typed ("50MB"); '' = no cap */
  cap: string;
  /** incremental/differential: a new full every N runs ('' = no run-count rule) or N days ('' = no age rule) */
  fullEveryRuns: string;
  fullEveryDays: string;
  compressionLevel: string;
  encrypt: boolean;
  /** whether the saved plan was already encrypted (so a passphrase is in the keychain) */
  hadEncryption: boolean;
  passphrase: string;
  passphraseConfirm: string;
  /** where the passphrase comes from (env:NAME, file:/path), set with the lifeboat command: shown read-only, kept as it is */
  passphraseFrom?: string;
  /** the same for the drill server's password */
  drillPasswordFrom?: string;
  verifyAfter: boolean;
  /** restore drill after each backup */
  drillAfter: boolean;
  /** 'own': each database's own server and credentials; 'other': drillServer */
  drillOn: 'own' | 'other';
  /** the drill server; its password is typed here and sent only in secrets.drillPassword */
  drillServer: ServerDraft;
  /** a drill server password is already in the keychain */
  hadDrillPassword: boolean;
  retriesCount: string;
  backoffSeconds: string;
  destination: string;
  /** the copies at other destinations (options.copies; destination-form.ts), their secrets typed here */
  copies: DestinationDraft[];
  /** description, alert rules and hooks (plan-extras-form.ts) */
  extras: PlanExtrasDraft;
}

export const WEEK_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function localTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export function newDatabaseDraft(): DatabaseDraft {
  return {
    id: newId(),
    host: 'localhost',
    port: '5432',
    user: 'postgres',
    database: '',
    sslMode: 'prefer',
    hasPassword: false,
    password: '',
    removePassword: false,
    filter: emptyFilterDraft(),
  };
}

export function newFolderDraft(): FolderDraft {
  return { id: newId(), path: '', excludes: DEFAULT_EXCLUDES.join('\n') };
}

/** The patterns of a folder's excludes: one per line, trimmed, without blank lines or repeats. */
export function excludePatterns(excludes: string): string[] {
  return [
    ...new Set(
      excludes
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean),
    ),
  ];
}

/** Whether `pattern` is one of Lifeboat's defaults (a new folder starts with all of them). */
export function isDefaultExclude(pattern: string): boolean {
  return DEFAULT_EXCLUDES.includes(pattern);
}

/** The excludes with `typed` added at the end (trimmed; nothing changes when it is blank or already there). */
export function addExclude(excludes: string, typed: string): string {
  const pattern = typed.trim();
  const patterns = excludePatterns(excludes);
  if (!pattern || patterns.includes(pattern)) return patterns.join('\n');
  return [...patterns, pattern].join('\n');
}

/** The excludes without `pattern`. */
export function removeExclude(excludes: string, pattern: string): string {
  return excludePatterns(excludes)
    .filter((p) => p !== pattern)
    .join('\n');
}

/** The defaults the user removed from these excludes, in their default order. */
export function missingDefaultExcludes(excludes: string): string[] {
  const patterns = excludePatterns(excludes);
  return DEFAULT_EXCLUDES.filter((p) => !patterns.includes(p));
}

/** The excludes with every removed default back, after the patterns already there. */
export function restoreDefaultExcludes(excludes: string): string {
  return [...excludePatterns(excludes), ...missingDefaultExcludes(excludes)].join('\n');
}

/** A new plan: daily full at 02:00 in the local timezone, kept 7 days, encrypted. */
export function emptyDraft(defaults: { destination: string; timezone?: string }): PlanDraft {
  return {
    name: '',
    enabled: true,
    type: 'full',
    databases: [],
    folders: [],
    scheduleKind: 'daily',
    time: '02:00',
    weekDays: [0],
    monthDay: '1',
    everyHours: '6',
    cron: '',
    timezone: defaults.timezone ?? localTimezone(),
    retentionDays: '7',
    maxCount: '',
    keepLast: '0',
    keepDaily: '0',
    keepWeekly: '0',
    keepMonthly: '0',
    keepChains: '0',
    cap: '',
    fullEveryRuns: '',
    fullEveryDays: '7',
    compressionLevel: '1',
    encrypt: true,
    hadEncryption: false,
    passphrase: '',
    passphraseConfirm: '',
    verifyAfter: true,
    drillAfter: false,
    drillOn: 'own',
    drillServer: EMPTY_SERVER,
    hadDrillPassword: false,
    retriesCount: '2',
    backoffSeconds: '30',
    destination: defaults.destination,
    copies: [],
    extras: emptyExtras(),
  };
}

const str = (n: number | null | undefined): string => (n === null || n === undefined ? '' : String(n));

export function draftFromPlan(plan: Plan): PlanDraft {
  const base = emptyDraft({ destination: plan.options.destination, timezone: plan.timezone });
  const s = plan.schedule;
  return {
    ...base,
    id: plan.id,
    name: plan.name,
    enabled: plan.enabled,
    type: plan.type,
    databases: plan.databases.map((db) => ({
      id: db.id,
      host: db.host,
      port: String(db.port),
      user: db.user,
      database: db.database,
      sslMode: db.sslMode,
      hasPassword: db.hasPassword,
      password: '',
      removePassword: false,
      ...(db.passwordFrom ? { passwordFrom: db.passwordFrom } : {}),
      filter: filterDraftFrom(db),
    })),
    folders: plan.folders.map((f) => ({ id: f.id, path: f.path, excludes: f.excludes.join('\n') })),
    scheduleKind: s.kind,
    time: 'time' in s ? s.time : base.time,
    weekDays: s.kind === 'weekly' ? s.days : base.weekDays,
    monthDay: s.kind === 'monthly' ? String(s.day) : base.monthDay,
    everyHours: s.kind === 'hourly' ? String(s.everyHours) : base.everyHours,
    cron: s.kind === 'cron' ? s.expression : '',
    retentionDays: str(plan.retention.days),
    maxCount: str(plan.retention.maxCount),
    keepLast: str(plan.retention.keepLast),
    keepDaily: str(plan.retention.keepDaily),
    keepWeekly: str(plan.retention.keepWeekly),
    keepMonthly: str(plan.retention.keepMonthly),
    keepChains: str(plan.retention.keepChains),
    cap: plan.retention.capBytes === null ? '' : formatByteSize(plan.retention.capBytes),
    fullEveryRuns: str(plan.options.fullEveryRuns),
    fullEveryDays: str(plan.options.fullEveryDays),
    compressionLevel: String(plan.options.compressionLevel),
    encrypt: plan.options.encrypt,
    hadEncryption: plan.options.encrypt,
    ...(plan.options.passphraseFrom ? { passphraseFrom: plan.options.passphraseFrom } : {}),
    ...(plan.options.drillServer?.passwordFrom ? { drillPasswordFrom: plan.options.drillServer.passwordFrom } : {}),
    verifyAfter: plan.options.verifyAfter,
    drillAfter: plan.options.drillAfter,
    drillOn: plan.options.drillServer ? 'other' : 'own',
    drillServer: plan.options.drillServer
      ? { ...plan.options.drillServer, port: String(plan.options.drillServer.port), password: '' }
      : base.drillServer,
    hadDrillPassword: plan.options.drillServer?.hasPassword ?? false,
    retriesCount: String(plan.options.retries.count),
    backoffSeconds: String(plan.options.retries.backoffSeconds),
    // a plan stored before copies existed has none
    copies: (plan.options.copies ?? []).map(draftFromDestination),
    extras: extrasFromPlan(plan),
  };
}

/**
 * A first-run preset as a new plan's draft: its schedule, retention and options, no sources yet
 * (a database-only preset starts with one empty database for the user to fill in).
 */
export function draftFromPreset(preset: PlanPreset, destination: string): PlanDraft {
  const p = preset.plan;
  const { id: _id, ...draft } = draftFromPlan({
    id: '',
    createdAt: '',
    updatedAt: '',
    name: p.name,
    enabled: p.enabled ?? true,
    type: p.type ?? 'full',
    databases: [],
    folders: [],
    schedule: p.schedule ?? { kind: 'daily', time: '02:00' },
    timezone: p.timezone ?? localTimezone(),
    retention: retentionSchema.parse(p.retention ?? {}),
    options: { ...planOptionsSchema.omit({ destination: true }).parse(p.options), destination },
  });
  // a new plan: nothing is in the keychain yet, so an encrypted preset asks for its passphrase
  return { ...draft, hadEncryption: false, hadDrillPassword: false, databases: preset.sources === 'databases' ? [newDatabaseDraft()] : [] };
}

/** '' means "not set" (the schema's default); anything else must be a number, or zod says so. */
function num(text: string): number | undefined {
  const t = text.trim();
  return t === '' ? undefined : Number(t);
}

/** For limits where empty means "no limit". */
function numOrNull(text: string): number | null {
  const t = text.trim();
  return t === '' ? null : Number(t);
}

/** The storage cap as typed: null when blank, NaN when not a size (validateDraft names the fix). */
function capFromDraft(text: string): number | null {
  if (text.trim() === '') return null;
  return parseByteSize(text) ?? Number.NaN;
}

/** The schedule the draft describes (not validated: the preview and validateDraft check it). */
export function scheduleFromDraft(d: PlanDraft): Schedule {
  switch (d.scheduleKind) {
    case 'manual':
      return { kind: 'manual' };
    case 'daily':
      return { kind: 'daily', time: d.time };
    case 'weekly':
      return { kind: 'weekly', time: d.time, days: [...d.weekDays].sort((a, b) => a - b) };
    case 'monthly':
      return { kind: 'monthly', time: d.time, day: num(d.monthDay) as number };
    case 'hourly':
      return { kind: 'hourly', everyHours: num(d.everyHours) as number };
    case 'cron':
      return { kind: 'cron', expression: d.cron.trim() };
  }
}

/**
 * A database row of the editor as the source main checks (Save, Test connection, the pattern
 * check): trimmed, with its dump options. `hasPassword`: main recomputes it from the keychain; it
 * is sent for completeness of the shape.
 */
export function databaseSourceOf(db: DatabaseDraft) {
  return {
    id: db.id,
    host: db.host.trim(),
    port: Number(db.port),
    user: db.user.trim(),
    database: db.database.trim(),
    sslMode: db.sslMode,
    hasPassword: db.hasPassword && !db.removePassword,
    ...(db.passwordFrom ? { passwordFrom: db.passwordFrom } : {}),
    ...filterToInput(db.filter),
  };
}

export function draftToInput(d: PlanDraft): PlanInput {
  return {
    ...(d.id ? { id: d.id } : {}),
    name: d.name,
    enabled: d.enabled,
    type: d.type,
    databases: d.databases.map((db) => ({ ...databaseSourceOf(db), port: num(db.port) })),
    folders: d.folders.map((f) => ({ id: f.id, path: f.path.trim(), excludes: excludePatterns(f.excludes) })),
    schedule: scheduleFromDraft(d),
    timezone: d.timezone.trim(),
    retention: {
      days: numOrNull(d.retentionDays),
      maxCount: numOrNull(d.maxCount),
      keepLast: num(d.keepLast),
      keepDaily: num(d.keepDaily),
      keepWeekly: num(d.keepWeekly),
      keepMonthly: num(d.keepMonthly),
      keepChains: num(d.keepChains),
      capBytes: capFromDraft(d.cap),
    },
    options: {
      compressionLevel: num(d.compressionLevel),
      encrypt: d.encrypt,
      ...(d.encrypt && d.passphraseFrom ? { passphraseFrom: d.passphraseFrom } : {}),
      verifyAfter: d.verifyAfter,
      drillAfter: d.drillAfter,
      drillServer:
        d.drillOn === 'other'
          ? {
              host: d.drillServer.host.trim(),
              port: num(d.drillServer.port),
              user: d.drillServer.user.trim(),
              sslMode: d.drillServer.sslMode,
              // main recomputes it from the keychain
              hasPassword: d.hadDrillPassword,
              ...(d.drillPasswordFrom ? { passwordFrom: d.drillPasswordFrom } : {}),
            }
          : null,
      fullEveryRuns: numOrNull(d.fullEveryRuns),
      fullEveryDays: numOrNull(d.fullEveryDays),
      retries: { count: num(d.retriesCount), backoffSeconds: num(d.backoffSeconds) },
      destination: d.destination.trim(),
      // none: left out, which the schema reads as [] (a plan without copies reads as before)
      ...(d.copies.length > 0 ? { copies: d.copies.map(destinationFromDraft) } : {}),
    },
    ...extrasToInput(d.extras),
  };
}

export function draftSecrets(d: PlanDraft): PlanSecrets {
  const dbPasswords: Record<string, string> = {};
  for (const db of d.databases) {
    if (db.password !== '') dbPasswords[db.id] = db.password;
    // an empty string tells main to remove the stored password
    else if (db.removePassword && db.hasPassword) dbPasswords[db.id] = '';
  }
  const destSecrets = destinationSecrets(d.copies);
  return {
    dbPasswords,
    ...(Object.keys(destSecrets).length > 0 ? { destSecrets } : {}),
    ...(d.encrypt && d.passphrase !== '' ? { passphrase: d.passphrase } : {}),
    ...(d.drillOn === 'other' && d.drillServer.password !== '' ? { drillPassword: d.drillServer.password } : {}),
  };
}

/** Field errors keyed by the draft's field path, e.g. `name`, `folders.0.path`, `options.destination`. */
export type FieldErrors = Record<string, string>;

const FIELD_MESSAGES: Record<string, string> = {
  name: 'Enter a name for the plan',
  'options.destination': 'Enter the destination folder for the backup files',
  timezone: 'Enter a timezone, for example Europe/Berlin',
  'schedule.expression': 'Enter a cron expression, for example 0 2 * * *',
};

/** Plain-language messages for zod's generic issues; messages set in the schema win over these. */
function friendly(issue: z.core.$ZodRawIssue): string | undefined {
  const path = (issue.path ?? []).join('.');
  if (FIELD_MESSAGES[path] && (issue.code === 'too_small' || issue.code === 'invalid_type')) return FIELD_MESSAGES[path];
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return 'Enter a whole number';
      return issue.expected === 'number' ? 'Enter a number' : 'This field is required';
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'This field is required' : `Use at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return Number(issue.minimum) <= 1 ? 'Choose at least one' : `Choose at least ${issue.minimum}`;
      return `Use a value of at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `Use at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `Use at most ${issue.maximum} entries`;
      return `Use a value of at most ${issue.maximum}`;
    case 'invalid_value':
      return 'Choose one of the offered values';
    default:
      return undefined;
  }
}


export type DraftValidation =
  | { ok: true; plan: PlanInput; secrets: PlanSecrets }
  | { ok: false; errors: FieldErrors };

/** Validates the draft with the shared schemas plus the checks only the form can make. */
export function validateDraft(d: PlanDraft): DraftValidation {
  const errors: FieldErrors = {};
  const plan = draftToInput(d);
  // a copy's field: its own words ("Enter the bucket name"), which depend on its kind
  const copyIssue = (issue: z.core.$ZodRawIssue) => {
    const [, index, field] = /^options\.copies\.(\d+)\.(\w+)$/.exec((issue.path ?? []).join('.')) ?? [];
    return field ? destinationIssueMessage(field, d.copies[Number(index)]?.kind, issue) : undefined;
  };
  const parsed = planInputSchema.safeParse(plan, { error: (issue) => copyIssue(issue) ?? friendly(issue) });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // the first issue of a field is the one to fix first
      errors[issue.path.map(String).join('.')] ??= issue.message;
    }
  }

  const secrets = draftSecrets(d);
  const needsPassphrase = d.encrypt && !d.hadEncryption;
  if (needsPassphrase && d.passphrase === '') {
    errors.passphrase = 'Enter a passphrase: encrypted backups cannot be read without it';
  } else if (d.encrypt && d.passphrase !== '') {
    const checked = planSecretsSchema.safeParse(secrets);
    if (!checked.success) errors.passphrase = checked.error.issues[0]?.message ?? 'Invalid passphrase';
  }
  if (d.cap.trim() !== '' && parseByteSize(d.cap) === null) {
    errors['retention.capBytes'] = `Enter ${SIZE_FORMS}, or leave it blank for no cap`;
  }
  d.copies.forEach((copy, index) => {
    for (const [field, message] of Object.entries(destinationFormErrors(copy))) errors[`options.copies.${index}.${field}`] ??= message;
  });
  if (d.drillAfter && d.databases.length === 0) {
    errors['options.drillAfter'] = 'A restore drill restores databases: add a database, or turn the drill off';
  }
  if (d.encrypt && d.passphrase !== d.passphraseConfirm) {
    errors.passphraseConfirm = 'The two passphrases do not match';
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, plan, secrets };
}

const FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  databases: 'Sources',
  folders: 'Sources',
  host: 'host',
  port: 'port',
  user: 'user',
  database: 'database',
  path: 'path',
  excludes: 'exclude patterns',
  'schedule.time': 'Time',
  'schedule.days': 'Week days',
  'schedule.day': 'Day of month',
  'schedule.everyHours': 'Every N hours',
  'schedule.expression': 'Cron expression',
  timezone: 'Timezone',
  'retention.days': 'Keep for days',
  'retention.maxCount': 'Keep at most',
  'retention.keepLast': 'Keep last',
  'retention.keepDaily': 'Keep daily',
  'retention.keepWeekly': 'Keep weekly',
  'retention.keepMonthly': 'Keep monthly',
  'retention.keepChains': 'Keep chains',
  'retention.capBytes': 'Storage cap',
  'options.fullEveryRuns': 'New full every N runs',
  'options.fullEveryDays': 'New full every N days',
  'options.destination': 'Destination folder',
  'options.compressionLevel': 'Compression level',
  'options.retries.count': 'Retries',
  'options.retries.backoffSeconds': 'Back-off',
  'options.drillAfter': 'Restore drill',
  'options.drillServer.host': 'Drill server host',
  'options.drillServer.port': 'Drill server port',
  'options.drillServer.user': 'Drill server user',
  passphrase: 'Passphrase',
  passphraseConfirm: 'Confirm passphrase',
};

/** A copy's fields as the error summary names them: "Copy 2 bucket". */
const COPY_FIELD_LABELS: Record<string, string> = {
  path: 'folder',
  endpoint: 'endpoint',
  region: 'region',
  bucket: 'bucket',
  prefix: 'prefix',
  storageClass: 'storage class',
  accessKeyId: 'access key id',
  profile: 'AWS profile',
  account: 'storage account',
  container: 'container',
  host: 'host',
  port: 'port',
  user: 'user',
  keyFile: 'private key file',
  hostKey: 'host key',
  label: 'name',
  secret: 'secret',
};

/** The name a user sees for an error key, for the summary above the form: "Folder 1 path". */
export function fieldLabel(key: string): string {
  const copy = /^options\.copies\.(\d+)\.(\w+)/.exec(key);
  if (copy) return `Copy ${Number(copy[1]) + 1} ${COPY_FIELD_LABELS[copy[2]!] ?? copy[2]}`;
  const source = /^(databases|folders)\.(\d+)\.(\w+)/.exec(key);
  if (source) {
    const [, list, index, field] = source;
    return `${list === 'databases' ? 'Database' : 'Folder'} ${Number(index) + 1} ${FIELD_LABELS[field] ?? field}`;
  }
  return FIELD_LABELS[key] ?? key;
}

export function describeSchedule(s: Schedule): string {
  switch (s.kind) {
    case 'manual':
      return 'Manual only';
    case 'daily':
      return `Daily at ${s.time}`;
    case 'weekly':
      return `Weekly on ${s.days.map((d) => WEEK_DAYS[d]).join(', ')} at ${s.time}`;
    case 'monthly':
      return `Monthly on day ${s.day} at ${s.time}`;
    case 'hourly':
      return s.everyHours === 1 ? 'Every hour' : `Every ${s.everyHours} hours`;
    case 'cron':
      return `Cron ${s.expression}`;
  }
}

export function describeRetention(r: Plan['retention']): string {
  const parts: string[] = [];
  if (r.days) parts.push(`${r.days} days`);
  if (r.maxCount) parts.push(`at most ${r.maxCount}`);
  const gfs = [
    r.keepLast && `last ${r.keepLast}`,
    r.keepDaily && `${r.keepDaily} daily`,
    r.keepWeekly && `${r.keepWeekly} weekly`,
    r.keepMonthly && `${r.keepMonthly} monthly`,
  ].filter(Boolean);
  if (r.keepChains) gfs.push(`${r.keepChains} chain${r.keepChains === 1 ? '' : 's'}`);
  parts.push(...(gfs as string[]));
  const cap = r.capBytes !== null ? `, storage cap ${formatByteSize(r.capBytes)}` : '';
  return (parts.length ? `Keep ${parts.join(', ')}` : 'Keep everything') + cap;
}
