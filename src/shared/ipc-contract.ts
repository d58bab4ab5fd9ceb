/**
 * The one IPC contract between main and renderer. Every invoke channel has a request schema
 * (validated at runtime in main) and a response type; every pushed event has a payload type.
 * The preload builds `window.lifeboat` from INVOKE_CHANNELS and must satisfy LifeboatApi, so a
 * channel cannot drift. Channel names read `domain/verb-noun`.
 */
import { z } from 'zod';
import type { TransferableError } from './errors';
import { JOB_KINDS, JOB_SORTS, JOB_STATUSES, type JobDetail, type JobSummary } from './job';
import { destinationSchema, type BackupCopy, type DestinationTestResult, type PlanOffsiteStatus } from './destination';
import type { DumpFilterField } from './dump-filter';
import { databaseSourceSchema, MAX_DESCRIPTION_CHARS, planInputSchema, planSecretsSchema, scheduleSchema, type BackupType, type Plan, type PlanInput } from './plan';
import { restoreInvokeSchemas, type RestoreInvokeResponses } from './restore';
import { channelInputSchema, settingsPatchSchema, type AlertEntry, type AppSettings, type NotificationChannel } from './notify';
import { MAX_STATS_DAYS, STATS_DAYS, type JobStats } from './stats';

const empty = z.undefined().or(z.object({}).strict()).optional();
const byId = z.object({ id: z.string().min(1).max(64) }).strict();

export const jobsListRequest = z
  .object({
    page: z.number().int().min(1).default(1),
    pageSize: z.number().int().min(1).max(200).default(25),
    planId: z.string().max(64).optional(),
    status: z.enum(JOB_STATUSES).optional(),
    /** any of these statuses (Verify and Restore list success and partial backups) */
    statuses: z.array(z.enum(JOB_STATUSES)).min(1).max(JOB_STATUSES.length).optional(),
    kind: z.enum(JOB_KINDS).optional(),
    search: z.string().max(200).optional(),
    from: z.string().max(40).optional(),
    to: z.string().max(40).optional(),
    /** only jobs whose file is still on disk (Verify lists those by default) */
    onDisk: z.boolean().optional(),
    /** the column History and Verify sort by (default: started, newest first) */
    sort: z.enum(JOB_SORTS).optional(),
    sortDir: z.enum(['asc', 'desc']).optional(),
  })
  .strict();

/**
 * The Dashboard's statistics: `timeZone` (IANA, the renderer's own) decides where a local day
 * starts; a name luxon does not know is refused in main as VALIDATION.
 */
export const jobsStatsRequest = z
  .object({
    timeZone: z.string().min(1).max(64),
    days: z.number().int().min(1).max(MAX_STATS_DAYS).default(STATS_DAYS),
  })
  .strict();

export interface AppInfo {
  version: string;
  dataDir: string;
  platform: string;
  paused: boolean;
  /** the main process's pid: jobs.ownerPid of another is run by another process (the service, a CLI) */
  pid: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export type SchedulerState = 'running' | 'paused' | 'stopped';

/** A plan's next armed run; `at` is null when it is not armed (manual, disabled, scheduler stopped). */
export interface PlanNextRun {
  planId: string;
  planName: string;
  at: string | null;
}

/**
 * Which process fires the schedules of the catalog: one at a time (the scheduler lease), the
 * desktop app or the `lifeboat daemon` service. `other`: this process shows what that one runs.
 */
export interface SchedulerRunBy {
  kind: 'this' | 'other';
  pid: number;
  host: string;
  role: 'app' | 'service';
}

export interface SchedulerStatus {
  state: SchedulerState;
  /** every plan, soonest first, unarmed ones last */
  nextRuns: PlanNextRun[];
  /** who runs the schedules; null or absent: no process does (stopped) */
  runBy?: SchedulerRunBy | null;
}

/** A preset offered on first run; the renderer fills in the sources and the destination. */
export interface PlanPreset {
  id: string;
  title: string;
  description: string;
  /** which sources the preset is meant for */
  sources: 'databases-and-folders' | 'databases';
  plan: Omit<PlanInput, 'options'> & { options: Omit<PlanInput['options'], 'destination'> };
}

/** What one dump-filter pattern matches in the live database (plans/check-dump-filter). */
export interface DumpPatternCheck {
  field: DumpFilterField;
  pattern: string;
  /** why the pattern cannot be used (then nothing was matched) */
  problem: string | null;
  /** how many schemas or tables it matches */
  count: number;
  /** the first of them, schema.table for tables */
  matches: string[];
}

export interface DumpFilterCheck {
  patterns: DumpPatternCheck[];
  /** a pattern that matches nothing or cannot be used, each naming the fix */
  warnings: string[];
}

/** What a plan's next run makes (plans/next-backup, plans/set-next-full). */
export interface PlanNextBackup {
  planId: string;
  type: BackupType;
  /** why, e.g. "the chain holds 5 backups (a full every 5 runs)" */
  reason: string;
  /** "Next run: full" was asked for */
  fullRequested: boolean;
  /** the chain the next run extends: its full's job id, how many backups it holds, when its full started */
  chain: { rootId: string; length: number; startedAt: string } | null;
}

/** A backup and the backups of its plan that build on it (newest first): what deleting it removes. */
export interface BackupDeletionPreview {
  backup: JobSummary;
  dependents: JobSummary[];
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: string | null;
}

/** What the OS open dialog picks (dialog/pick-path): a folder, a .lifeboat backup file, or any file (an SSH private key, from ~/.ssh). */
export const PICK_PATH_KINDS = ['folder', 'backup-file', 'key-file'] as const;
export type PickPathKind = (typeof PICK_PATH_KINDS)[number];

/** A database source's checks before a run, asked for from the plan editor (plans/test-connection). */
export interface ConnectionTestResult {
  /** the server's version, e.g. "15.14 (Debian 15.14-0+deb12u1)" */
  serverVersion: string;
  /** `pg_dump --version` of the pg_dump a run would use */
  pgDumpVersion: string;
  pgDumpPath: string;
}

/** What one check for updates found (`updates/check`, the Help menu). */
export type UpdateOutcome = 'not-configured' | 'up-to-date' | 'available' | 'downloaded' | 'failed';

export interface UpdateCheckResult {
  outcome: UpdateOutcome;
  /** a sentence for the user, e.g. "Updates are not configured for this build." */
  message: string;
  /** the newer version, when one was found */
  version: string | null;
  checkedAt: string;
}

export interface UpdateStatus {
  /** false: this build has no update feed (or is a development run); `reason` says which */
  configured: boolean;
  reason: string | null;
  /** check at start and every few hours (the user's opt-out; off: never checks on its own) */
  autoCheck: boolean;
  currentVersion: string;
  /** the newest check's result since the app started */
  lastCheck: UpdateCheckResult | null;
}

/**
 * Channels the Electron shell answers itself: there is no engine behind them, so the core's
 * handler map leaves them out (the CLI and the browser test bridge answer them with an error).
 */
export const shellInvokeSchemas = {
  'updates/status': empty,
  'updates/check': empty,
  'updates/set-auto-check': z.object({ enabled: z.boolean() }).strict(),
  /** opens the folder of the app's log files in the file manager */
  'app/open-logs-folder': empty,
} as const;
export type ShellInvokeChannel = keyof typeof shellInvokeSchemas;

/** Request schemas, one per invoke channel. */
export const invokeSchemas = {
  'app/get-info': empty,
  'app/set-paused': z.object({ paused: z.boolean() }).strict(),
  /** the backup file the app was started with or asked to open before the window listened (taken once) */
  'app/take-pending-file': empty,
  'jobs/list': jobsListRequest.default({ page: 1, pageSize: 25 }),
  'jobs/get': byId,
  'jobs/cancel': byId,
  'jobs/export-csv': jobsListRequest.omit({ page: true, pageSize: true }).default({}),
  'jobs/stats': jobsStatsRequest,
  'plans/list': empty,
  'plans/get': byId,
  'plans/save': z.object({ plan: planInputSchema, secrets: planSecretsSchema }).strict(),
  'plans/delete': byId,
  /** `description`: this run's label (History, the CSV export, the manifest); default: the plan's */
  'plans/run-now': z.object({ id: z.string().min(1).max(64), description: z.string().trim().max(MAX_DESCRIPTION_CHARS).optional() }).strict(),
  /** what the plan's next run makes (full or building on its chain) and why */
  'plans/next-backup': byId,
  /** "Next run: full" on (the next run starts a new chain) or off */
  'plans/set-next-full': z.object({ id: z.string().min(1).max(64), full: z.boolean() }).strict(),
  /** the backup and the backups that build on it: what deleting it involves */
  'backups/preview-delete': byId,
  /** deletes a backup's file; BACKUP_HAS_DEPENDENTS unless `withDependents` when others build on it */
  'backups/delete': z.object({ id: z.string().min(1).max(64), withDependents: z.boolean().default(false) }).strict(),
  /**
   * Checks a database source's dump options against the live database: what each pattern
   * matches. `password`: typed in the editor; left out, the one stored for the plan's source.
   */
  'plans/check-dump-filter': z
    .object({ planId: z.string().min(1).max(64).optional(), source: databaseSourceSchema, password: z.string().max(1024).optional() })
    .strict(),
  'audit/list': z.object({ page: z.number().int().min(1).default(1), pageSize: z.number().int().min(1).max(200).default(50) }).strict().default({ page: 1, pageSize: 50 }),
  'scheduler/status': empty,
  /** re-arms every plan from the catalog (after catching up missed slots) */
  'scheduler/reinitialize': empty,
  'plans/preview-schedule': z
    .object({ schedule: scheduleSchema, timezone: z.string().min(1).max(64), count: z.number().int().min(1).max(20).default(5) })
    .strict(),
  'plans/presets': empty,
  /**
   * Runs a database source's checks before a backup (pg_dump found, the connection, the server's
   * version against pg_dump's). `password`: typed in the editor; left out, the stored one.
   */
  'plans/test-connection': z
    .object({ planId: z.string().min(1).max(64).optional(), source: databaseSourceSchema, password: z.string().max(1024).optional() })
    .strict(),
  /** opens the OS dialog to pick a folder or a backup file; `path` is null when the user cancelled */
  'dialog/pick-path': z
    .object({ kind: z.enum(PICK_PATH_KINDS), title: z.string().max(200).optional(), defaultPath: z.string().max(4096).optional() })
    .strict(),
  /**
   * Tests a destination: connects, writes a small object, reads it back and deletes it. `secret`:
   * typed in the editor; left out, the one stored for the plan's destination (planId).
   */
  'destinations/test': z
    .object({ planId: z.string().min(1).max(64).optional(), destination: destinationSchema, secret: z.string().max(8192).optional() })
    .strict(),
  /** every copy the catalog records of one backup (History, the Restore screen) */
  'backups/copies': byId,
  /** per plan: whether its newest backup has a verified off-site copy (the Dashboard) */
  'plans/offsite-status': empty,
  'notify/list-channels': empty,
  /** `secret`: kept in the keychain; '' removes the stored one; left out keeps it */
  'notify/save-channel': z.object({ channel: channelInputSchema, secret: z.string().max(4096).optional() }).strict(),
  'notify/delete-channel': byId,
  'notify/test-channel': byId,
  'alerts/list': z.object({ page: z.number().int().min(1).default(1), pageSize: z.number().int().min(1).max(200).default(50) }).strict().default({ page: 1, pageSize: 50 }),
  'settings/get': empty,
  /** only the fields given change */
  'settings/set': settingsPatchSchema,
  ...restoreInvokeSchemas,
  ...shellInvokeSchemas,
} as const;

export type InvokeChannel = keyof typeof invokeSchemas;
export const INVOKE_CHANNELS = Object.keys(invokeSchemas) as InvokeChannel[];

/** What the caller passes (defaults may be left out). */
export type InvokeRequest<K extends InvokeChannel> = z.input<(typeof invokeSchemas)[K]>;
/** What the handler receives after validation (defaults filled in). */
export type ValidRequest<K extends InvokeChannel> = z.output<(typeof invokeSchemas)[K]>;

/** Response type per invoke channel. */
export interface InvokeResponses {
  'app/get-info': AppInfo;
  'app/set-paused': { paused: boolean };
  'app/take-pending-file': { path: string | null };
  'jobs/list': Page<JobSummary>;
  'jobs/get': JobDetail;
  'jobs/cancel': { cancelled: boolean };
  'jobs/export-csv': { csv: string };
  'jobs/stats': JobStats;
  'plans/list': Plan[];
  'plans/get': Plan;
  'plans/save': Plan;
  'plans/delete': { deleted: boolean };
  'plans/run-now': { jobId: string };
  'plans/next-backup': PlanNextBackup;
  'plans/set-next-full': PlanNextBackup;
  'backups/preview-delete': BackupDeletionPreview;
  'backups/delete': { deleted: JobSummary[] };
  'plans/check-dump-filter': DumpFilterCheck;
  'audit/list': Page<AuditEntry>;
  'scheduler/status': SchedulerStatus;
  'scheduler/reinitialize': SchedulerStatus;
  /** the next runs, ISO-8601 UTC, strictly increasing; empty for a manual schedule */
  'plans/preview-schedule': { runs: string[] };
  'plans/presets': PlanPreset[];
  'plans/test-connection': ConnectionTestResult;
  'dialog/pick-path': { path: string | null };
  'destinations/test': DestinationTestResult;
  'backups/copies': BackupCopy[];
  'plans/offsite-status': PlanOffsiteStatus[];
  'notify/list-channels': NotificationChannel[];
  'notify/save-channel': NotificationChannel;
  'notify/delete-channel': { deleted: boolean };
  'notify/test-channel': { delivered: true };
  'alerts/list': Page<AlertEntry>;
  'settings/get': AppSettings;
  'settings/set': AppSettings;
  'backups/inspect': RestoreInvokeResponses['backups/inspect'];
  'backups/import': RestoreInvokeResponses['backups/import'];
  'backups/rebuild-catalog': RestoreInvokeResponses['backups/rebuild-catalog'];
  'verify/run': RestoreInvokeResponses['verify/run'];
  'verify/run-all': RestoreInvokeResponses['verify/run-all'];
  'verify/drill': RestoreInvokeResponses['verify/drill'];
  'verify/list': RestoreInvokeResponses['verify/list'];
  'restore/preview': RestoreInvokeResponses['restore/preview'];
  'restore/start': RestoreInvokeResponses['restore/start'];
  'restore/list': RestoreInvokeResponses['restore/list'];
  'updates/status': UpdateStatus;
  'updates/check': UpdateCheckResult;
  'updates/set-auto-check': UpdateStatus;
  'app/open-logs-folder': { path: string };
}

/** Events pushed from main to the renderer. */
export interface PushEvents {
  'jobs/updated': JobSummary;
  'app/paused-changed': { paused: boolean };
  'plans/changed': { planId: string };
  /** a notification was clicked: show this job */
  'app/open-job': { jobId: string };
  /** an alert was raised (consecutive failures, unusual size or duration, low disk, overdue plan) */
  'alerts/raised': AlertEntry;
  /** a .lifeboat file was opened from the file manager or the command line while the app runs */
  'app/open-file': { path: string };
}
export type PushChannel = keyof PushEvents;
export const PUSH_CHANNELS: PushChannel[] = ['jobs/updated', 'app/paused-changed', 'plans/changed', 'app/open-job', 'alerts/raised', 'app/open-file'];

/** The reply envelope: errors cross IPC as data, never as thrown Electron errors. */
export type InvokeResult<K extends InvokeChannel> =
  | { ok: true; value: InvokeResponses[K] }
  | { ok: false; error: TransferableError };

type InvokeHandler<K extends InvokeChannel> = (request: ValidRequest<K>) => Promise<InvokeResponses[K]> | InvokeResponses[K];

/** The handler map that main registers and tests call directly (the shell adds its own channels). */
export type InvokeHandlers = {
  [K in Exclude<InvokeChannel, ShellInvokeChannel>]: InvokeHandler<K>;
} & { [K in ShellInvokeChannel]?: InvokeHandler<K> };

/** The channels the Electron shell answers (src/main/shell/shell-handlers.ts). */
export type ShellInvokeHandlers = { [K in ShellInvokeChannel]: InvokeHandler<K> };

/** window.lifeboat as the preload exposes it. */
export interface LifeboatApi {
  invoke<K extends InvokeChannel>(channel: K, request?: InvokeRequest<K>): Promise<InvokeResult<K>>;
  on<E extends PushChannel>(event: E, listener: (payload: PushEvents[E]) => void): () => void;
  /** absolute path of a file dropped onto the window (Electron's webUtils); null in a browser */
  pathForFile(file: File): string | null;
}

/** The IPC channel names on the wire: invoke channels are sent as-is, events get this prefix. */
export const EVENT_PREFIX = 'event:';
