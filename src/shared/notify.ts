/**
 * Notification channels, alerts and the notification settings: zod schemas shared by main
 * (runtime validation of every IPC argument) and the renderer (forms). Pure: no node, no electron.
 *
 * A channel's secret (SMTP password, Slack webhook URL, Telegram bot token, webhook auth header
 * value) never appears here: it travels once with `notify/save-channel` and main moves it to the
 * OS keychain. The catalog keeps only the fields below plus a `hasSecret` flag.
 */
import { z } from 'zod';
import type { JobKind, JobStatus, JobTrigger } from './job';

export const CHANNEL_KINDS = ['webhook', 'slack', 'telegram', 'email'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** What each kind keeps in the keychain, for forms and messages. */
export const CHANNEL_SECRET_LABELS: Record<ChannelKind, { label: string; required: boolean }> = {
  webhook: { label: 'authorization header value', required: false },
  slack: { label: 'Slack incoming webhook URL', required: true },
  telegram: { label: 'Telegram bot token', required: true },
  email: { label: 'SMTP password', required: false },
};

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

const httpUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((v) => ['http:', 'https:'].includes(parseUrl(v)?.protocol ?? ''), 'Use an http:// or https:// address')
  // the catalog is no place for a password: it belongs in the channel's secret
  .refine((v) => !parseUrl(v)?.username && !parseUrl(v)?.password, 'Leave the user name and password out of the address; put a token in the secret instead');
/** `admin@example.com` or `Lifeboat <backup@example.com>` */
const mailbox = z
  .string()
  .trim()
  .max(320)
  .regex(/^(?:[^<>@\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, 'Use an e-mail address such as backup@example.com');

export const webhookConfigSchema = z
  .object({
    kind: z.literal('webhook'),
    url: httpUrl,
    /** header that carries the secret (if one is stored), e.g. `Authorization: Bearer …` */
    authHeader: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'Use a header name such as Authorization').default('Authorization'),
  })
  .strict();

export const slackConfigSchema = z.object({ kind: z.literal('slack') }).strict();

export const telegramConfigSchema = z
  .object({
    kind: z.literal('telegram'),
    /** a numeric chat id (negative for groups) or a public channel's @name */
    chatId: z.string().trim().regex(/^(?:-?\d{1,20}|@[A-Za-z0-9_]{4,64})$/, 'Use a numeric chat id or a @channel name'),
    baseUrl: httpUrl.default('https://api.telegram.org'),
  })
  .strict();

export const SMTP_SECURITY = ['tls', 'starttls', 'none'] as const;

export const emailConfigSchema = z
  .object({
    kind: z.literal('email'),
    host: z.string().trim().min(1).max(255),
    port: z.number().int().min(1).max(65535).default(587),
    /** tls: TLS from the first byte (port 465); starttls: upgrade required (587); none: plain (a local relay only) */
    security: z.enum(SMTP_SECURITY).default('starttls'),
    /** SMTP login; the password is the channel's secret. Empty: no authentication. */
    user: z.string().trim().max(320).default(''),
    from: mailbox,
    to: z.array(mailbox).min(1, 'Add at least one recipient').max(20),
  })
  .strict();

export const channelConfigSchema = z.discriminatedUnion('kind', [
  webhookConfigSchema,
  slackConfigSchema,
  telegramConfigSchema,
  emailConfigSchema,
]);
export type ChannelConfig = z.output<typeof channelConfigSchema>;

export const channelInputSchema = z
  .object({
    id: z.string().min(1).max(64).optional(),
    name: z.string().trim().min(1).max(120),
    enabled: z.boolean().default(true),
    /** failures and alerts always go to every enabled channel; successes only where this is on */
    onSuccess: z.boolean().default(false),
    config: channelConfigSchema,
  })
  .strict();
export type ChannelInput = z.input<typeof channelInputSchema>;

export interface NotificationChannel extends z.output<typeof channelInputSchema> {
  id: string;
  kind: ChannelKind;
  /** a secret for this channel is kept in the OS keychain */
  hasSecret: boolean;
  createdAt: string;
  updatedAt: string;
}

/** `offsite`: a plan's newest backup has had no off-site copy for longer than its schedule's period (notify/offsite-alert.ts) */
export const ALERT_KINDS = ['consecutive-failures', 'size-anomaly', 'duration-anomaly', 'low-disk', 'overdue', 'storage-cap', 'stalled', 'offsite'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertEntry {
  id: number;
  at: string;
  planId: string | null;
  jobId: string | null;
  kind: AlertKind;
  message: string;
}

/** How many jobs may run at once: the range and the default (SPEC §2). */
export const MIN_CONCURRENT_JOBS = 1;
export const MAX_CONCURRENT_JOBS = 8;
export const DEFAULT_CONCURRENT_JOBS = 2;

/** A running job with no progress for this many minutes is shown (and alerted) as stalled. */
export const DEFAULT_STALL_MINUTES = 10;
export const MAX_STALL_MINUTES = 24 * 60;

/** Engine settings the renderer can change. */
export const settingsPatchSchema = z
  .object({
    /** a desktop notification after every successful job too, not only after failures */
    notifyOnSuccess: z.boolean().optional(),
    /** start Lifeboat when the user logs in, so that schedules run (the OS login item; desktop app only) */
    startAtLogin: z.boolean().optional(),
    /** when started at login, stay in the tray instead of opening the window */
    startMinimized: z.boolean().optional(),
    /** how many jobs may run at once (1-8); the app and the lifeboat daemon on this data folder both honour it */
    maxConcurrentJobs: z
      .number()
      .int('Use a whole number of jobs')
      .min(MIN_CONCURRENT_JOBS, `Allow at least ${MIN_CONCURRENT_JOBS} job at a time`)
      .max(MAX_CONCURRENT_JOBS, `Allow at most ${MAX_CONCURRENT_JOBS} jobs at a time`)
      .optional(),
    /** minutes without progress after which a running job is shown and alerted as stalled */
    stallMinutes: z.number().int('Use a whole number of minutes').min(1, 'Use at least 1 minute').max(MAX_STALL_MINUTES).optional(),
  })
  .strict();
export type AppSettings = Required<z.output<typeof settingsPatchSchema>>;
/** The settings the notification service owns; the desktop ones belong to the shell. */
export type NotifySettings = Pick<AppSettings, 'notifyOnSuccess'>;
export type DesktopSettings = Pick<AppSettings, 'startAtLogin' | 'startMinimized'>;
export type JobSettings = Pick<AppSettings, 'maxConcurrentJobs' | 'stallMinutes'>;

export const NOTIFY_EVENTS = ['job.failed', 'job.succeeded', 'alert', 'test'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/**
 * The JSON body a webhook channel receives (POST, `Content-Type: application/json`). Version 1.
 * New fields may appear in any version; `version` goes up only when a field changes meaning or
 * goes away.
 *
 * - `event`: `job.failed` (status failed, partial or interrupted), `job.succeeded`, `alert`
 *   (see `alert.kind`) or `test` (sent by "Send test").
 * - `at`: when Lifeboat sent it, ISO 8601 UTC.
 * - `title`, `message`: human-readable, what Slack, Telegram and e-mail show.
 * - `plan`: the plan concerned, or null. `job`: a summary of the job, or null (test, some alerts).
 * - `alert`: set for `event: 'alert'`, else null.
 * - `source`: which Lifeboat on which computer sent it.
 */
export interface NotificationPayload {
  version: 1;
  event: NotifyEvent;
  at: string;
  title: string;
  message: string;
  plan: { id: string; name: string } | null;
  job: {
    id: string;
    kind: JobKind;
    status: JobStatus;
    trigger: JobTrigger;
    startedAt: string;
    finishedAt: string | null;
    durationMs: number | null;
    sizeBytes: number | null;
    filePath: string | null;
    errorCode: string | null;
    displayMessage: string | null;
  } | null;
  alert: { kind: AlertKind } | null;
  /**
   * A failure's next steps in words: the fix, the plan field to correct, where to open the job
   * (its id) and how to run it again. Absent or empty for successes and tests.
   */
  whatToDo?: string[];
  source: { app: 'Lifeboat'; version: string; host: string };
}
