/**
 * Backup plans: zod schemas shared by main (runtime validation of every IPC argument) and the
 * renderer (forms). Pure: no node, no electron.
 */
import { z } from 'zod';
import { alertRulesSchema } from './alert-rules';
import { destinationSchema } from './destination';
import { dumpFilterShape } from './dump-filter';
import { hooksSchema } from './hooks';
import { secretRefSchema, type SecretRef } from './secret-ref';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

export const DEFAULT_EXCLUDES = ['node_modules', '.git', '*.tmp', '*.temp', '~*', '*.log', '*.swp', '.DS_Store', 'Thumbs.db'];

const id = z.string().min(1).max(64);

/** Longest description of a plan or a run. */
export const MAX_DESCRIPTION_CHARS = 500;
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Use HH:mm, for example 02:00');

export { secretRefSchema, type SecretRef } from './secret-ref';

/** Whether a secret named by `ref` (absent = the default) is the app keychain's to keep. */
export function isKeychainRef(ref: SecretRef | undefined): boolean {
  return ref === undefined || ref === 'keychain';
}

/** Whether a run asks the secret store for this password: the keychain holds one, or an env:/file: reference names it. */
export function asksForPassword(source: { hasPassword: boolean; passwordFrom?: SecretRef }): boolean {
  return source.hasPassword || !isKeychainRef(source.passwordFrom);
}

export const databaseSourceSchema = z.object({
  id,
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535).default(5432),
  user: z.string().min(1).max(128),
  database: z.string().min(1).max(128),
  sslMode: z.enum(SSL_MODES).default('prefer'),
  /** true when a password is kept in the OS keychain for this source; the password never is here */
  hasPassword: z.boolean().default(false),
  /** where the password comes from when not from the keychain (env:NAME, file:/path) */
  passwordFrom: secretRefSchema.optional(),
  /** what pg_dump leaves out: schemas (only / not), tables, tables' data (shared/dump-filter.ts) */
  ...dumpFilterShape,
});
export type DatabaseSource = z.infer<typeof databaseSourceSchema>;

export const folderSourceSchema = z.object({
  id,
  path: z.string().min(1).max(4096),
  excludes: z.array(z.string().min(1).max(512)).max(200).default(DEFAULT_EXCLUDES),
});
export type FolderSource = z.infer<typeof folderSourceSchema>;

export const scheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('manual') }),
  z.object({ kind: z.literal('daily'), time: hhmm }),
  z.object({ kind: z.literal('weekly'), time: hhmm, days: z.array(z.number().int().min(0).max(6)).min(1) }),
  z.object({ kind: z.literal('monthly'), time: hhmm, day: z.number().int().min(1).max(31) }),
  z.object({ kind: z.literal('hourly'), everyHours: z.number().int().min(1).max(168) }),
  z.object({ kind: z.literal('cron'), expression: z.string().min(9).max(200) }),
]);
export type Schedule = z.infer<typeof scheduleSchema>;

export const retentionSchema = z.object({
  /** delete backups older than this many days */
  days: z.number().int().min(1).max(365).nullable().default(null),
  /** keep at most this many backups */
  maxCount: z.number().int().min(1).max(10000).nullable().default(null),
  keepLast: z.number().int().min(0).max(1000).default(0),
  keepDaily: z.number().int().min(0).max(1000).default(0),
  keepWeekly: z.number().int().min(0).max(1000).default(0),
  keepMonthly: z.number().int().min(0).max(1000).default(0),
  /**
   * keep the N newest chains whole (a chain: a full backup and every incremental or differential
   * built on it); 0 = no chain rule
   */
  keepChains: z.number().int().min(0).max(1000).default(0),
  /**
   * storage cap: after each run the oldest chains are removed while the plan's backups take more
   * than this many bytes (never the newest backup, nor the newest verified one); null = no cap
   */
  capBytes: z.number().int().min(1_000_000, 'Use a cap of at least 1 MB').max(Number.MAX_SAFE_INTEGER).nullable().default(null),
});
export type Retention = z.infer<typeof retentionSchema>;

/**
 * Where a plan's restore drill runs when it is not each database's own server. The password, if
 * any, is kept in the OS keychain (plans/save secrets.drillPassword), never here.
 */
export const drillServerSchema = z.object({
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535).default(5432),
  user: z.string().min(1).max(128),
  sslMode: z.enum(SSL_MODES).default('prefer'),
  hasPassword: z.boolean().default(false),
  /** where the password comes from when not from the keychain (env:NAME, file:/path) */
  passwordFrom: secretRefSchema.optional(),
});
export type DrillServer = z.infer<typeof drillServerSchema>;

export const planOptionsSchema = z.object({
  /** 0 = store, 1 = fastest .. 9 = smallest */
  compressionLevel: z.number().int().min(0).max(9).default(1),
  encrypt: z.boolean().default(true),
  /** where the passphrase comes from when not from the keychain (env:NAME, file:/path) */
  passphraseFrom: secretRefSchema.optional(),
  verifyAfter: z.boolean().default(true),
  /**
   * Restore drill after each backup: every database dump is restored into a throwaway database,
   * its row counts compared with the manifest and the database dropped ("proven restorable").
   */
  drillAfter: z.boolean().default(false),
  /** the server the drill restores into; null: each database's own server, with its credentials */
  drillServer: drillServerSchema.nullable().default(null),
  /**
   * An incremental or differential plan starts a new chain with a full backup when its current
   * chain holds this many backups (the full included); null = no run-count rule.
   */
  fullEveryRuns: z.number().int().min(1).max(1000).nullable().default(null),
  /** ... or when its current chain's full is this many days old; null = no age rule */
  fullEveryDays: z.number().int().min(1).max(365).nullable().default(7),
  retries: z
    .object({
      count: z.number().int().min(0).max(10).default(2),
      backoffSeconds: z.number().int().min(1).max(3600).default(30),
    })
    .default({ count: 2, backoffSeconds: 30 }),
  /** the primary destination: the local folder each backup is written to */
  destination: z.string().min(1).max(4096),
  /**
   * Copies of each backup at other destinations (3-2-1: S3, Azure, SFTP, another folder),
   * uploaded from the finished primary file; shared/destination.ts. A failed copy makes the run
   * partial and is retried on the next run.
   */
  copies: z.array(destinationSchema).max(8).default([]),
});
export type PlanOptions = z.infer<typeof planOptionsSchema>;

export const BACKUP_TYPES = ['full', 'incremental', 'differential'] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];

export const planInputSchema = z
  .object({
    id: id.optional(),
    name: z.string().trim().min(1).max(120),
    enabled: z.boolean().default(true),
    type: z.enum(BACKUP_TYPES).default('full'),
    databases: z.array(databaseSourceSchema).max(50).default([]),
    folders: z.array(folderSourceSchema).max(50).default([]),
    schedule: scheduleSchema.default({ kind: 'daily', time: '02:00' }),
    timezone: z.string().min(1).max(64).default('UTC'),
    retention: retentionSchema.default({
      days: 7,
      maxCount: null,
      keepLast: 0,
      keepDaily: 0,
      keepWeekly: 0,
      keepMonthly: 0,
      keepChains: 0,
      capBytes: null,
    }),
    options: planOptionsSchema,
    /** a free-text label of the plan's backups (History, the CSV export, the manifest); a run may give its own */
    description: z.string().trim().max(MAX_DESCRIPTION_CHARS).optional(),
    /** when the plan's runs, disk and schedule raise alerts (shared/alert-rules.ts); absent: the defaults */
    alerts: alertRulesSchema.optional(),
    /** commands run before and after each backup (shared/hooks.ts); absent: none */
    hooks: hooksSchema.optional(),
  })
  .refine((p) => p.databases.length + p.folders.length > 0, {
    message: 'Add at least one database or folder to back up',
    path: ['databases'],
  });
export type PlanInput = z.input<typeof planInputSchema>;
export type PlanDefinition = z.output<typeof planInputSchema>;

export interface Plan extends PlanDefinition {
  id: string;
  createdAt: string;
  updatedAt: string;
}

/** Secrets sent with plans/save; main moves them to the OS keychain and never stores them. */
export const planSecretsSchema = z
  .object({
    /** keyed by database source id; an empty string removes the stored password */
    dbPasswords: z.record(z.string(), z.string().max(1024)).default({}),
    passphrase: z.string().min(8, 'Use at least 8 characters for the passphrase').max(1024).optional(),
    /** the drill server's password; an empty string removes the stored one, left out keeps it */
    drillPassword: z.string().max(1024).optional(),
    /** keyed by destination id (options.copies): its secret; an empty string removes the stored one, left out keeps it */
    destSecrets: z.record(z.string(), z.string().max(8192)).optional(),
  })
  .default({ dbPasswords: {} });
export type PlanSecrets = z.input<typeof planSecretsSchema>;
