/**
 * The plan editor's model of a plan's copies (options.copies: S3, Azure Blob, SFTP, another
 * folder). Inputs hold strings as typed; `destinationFromDraft` builds the config main checks
 * with the same zod schema (shared/destination.ts). A copy's secret (S3 secret key, Azure key or
 * SAS, SFTP password or key passphrase) is typed here and sent only in plans/save
 * secrets.destSecrets or destinations/test `secret`, never in the plan.
 *
 * Also what the Dashboard says of a plan's off-site state (offsiteLine): pure, so it is tested
 * on its own.
 */
import type { z } from 'zod';
import {
  destinationSchema,
  destinationUrl,
  isOffSite,
  type BackupCopy,
  type CopyStatus,
  type DestinationConfig,
  type DestinationInput,
  type DestinationKind,
  type DestinationTestStep,
  type PlanOffsiteStatus,
} from '../../../shared/destination';
import type { Plan, Schedule } from '../../../shared/plan';
import { newId } from './ids';

export interface DestinationDraft {
  id: string;
  /** chosen when the copy is added; to change it, remove the copy and add another */
  kind: DestinationKind;
  label: string;
  readBack: boolean;
  /** the keychain held this copy's secret when the editor opened */
  hasSecret: boolean;
  /** what the stored secret is for (secretPurpose) when the editor opened: a secret of another auth does not carry over */
  savedPurpose: string | null;
  /** where the secret comes from (env:NAME, file:/path), set with the lifeboat command: shown read-only, kept as it is */
  secretFrom?: string;
  /** typed by the user; empty keeps the stored one */
  secret: string;
  removeSecret: boolean;
  /** local: the folder; sftp: the remote folder */
  path: string;
  /** s3 and azure: a custom endpoint URL ('' = the service's own) */
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  forcePathStyle: boolean;
  storageClass: string;
  credentials: 'keychain' | 'aws-chain';
  accessKeyId: string;
  profile: string;
  account: string;
  container: string;
  azureAuth: 'key' | 'sas';
  host: string;
  port: string;
  user: string;
  sftpAuth: 'key' | 'password';
  keyFile: string;
  /** the pinned SHA256:... fingerprint ('' = none pinned yet) */
  hostKey: string;
}

export const DESTINATION_KIND_LABELS: Record<DestinationKind, string> = {
  s3: 'S3-compatible storage',
  azure: 'Azure Blob Storage',
  sftp: 'SFTP server',
  local: 'Folder',
};

/** The kinds in the order the editor offers them: off-site first. */
export const COPY_KINDS: DestinationKind[] = ['s3', 'azure', 'sftp', 'local'];

/** Storage classes offered for S3 ('' = the bucket's default); a class typed with the command line is kept too. */
export const S3_STORAGE_CLASSES = ['', 'STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR'];

/** The most copies a plan may have (planOptionsSchema's copies). */
export const MAX_COPIES = 8;

export function newDestinationDraft(kind: DestinationKind): DestinationDraft {
  return {
    id: newId(),
    kind,
    label: '',
    readBack: false,
    hasSecret: false,
    savedPurpose: null,
    secret: '',
    removeSecret: false,
    path: '',
    endpoint: '',
    region: 'us-east-1',
    bucket: '',
    prefix: '',
    forcePathStyle: false,
    storageClass: '',
    // a person in the app usually has an access key to type; the AWS chain is one choice away
    credentials: 'keychain',
    accessKeyId: '',
    profile: '',
    account: '',
    container: '',
    azureAuth: 'key',
    host: '',
    port: '22',
    user: '',
    sftpAuth: 'key',
    keyFile: '',
    hostKey: '',
  };
}

export function draftFromDestination(config: DestinationConfig): DestinationDraft {
  const base = { ...newDestinationDraft(config.kind), id: config.id, label: config.label ?? '', readBack: config.readBack, hasSecret: config.hasSecret };
  const withSecretFrom = config.secretFrom ? { secretFrom: config.secretFrom } : {};
  let draft: DestinationDraft;
  switch (config.kind) {
    case 'local':
      draft = { ...base, path: config.path };
      break;
    case 's3':
      draft = {
        ...base,
        endpoint: config.endpoint ?? '',
        region: config.region,
        bucket: config.bucket,
        prefix: config.prefix,
        forcePathStyle: config.forcePathStyle,
        storageClass: config.storageClass ?? '',
        credentials: config.credentials,
        accessKeyId: config.accessKeyId ?? '',
        profile: config.profile ?? '',
      };
      break;
    case 'azure':
      draft = { ...base, account: config.account, container: config.container, prefix: config.prefix, endpoint: config.endpoint ?? '', azureAuth: config.auth };
      break;
    case 'sftp':
      draft = {
        ...base,
        host: config.host,
        port: String(config.port),
        user: config.user,
        path: config.path,
        sftpAuth: config.auth,
        keyFile: config.keyFile ?? '',
        hostKey: config.hostKey ?? '',
      };
      break;
  }
  return { ...draft, ...withSecretFrom, savedPurpose: config.hasSecret ? secretPurpose(draft) : null };
}

/** A text field as typed: trimmed, undefined when empty (the schema's "not set"). */
const clean = (text: string): string | undefined => text.trim() || undefined;

/** The config the draft describes (not validated: validateDestinationDraft and the plan's schema check it). */
export function destinationFromDraft(d: DestinationDraft): DestinationInput {
  const common = {
    id: d.id,
    ...(d.label.trim() ? { label: d.label.trim() } : {}),
    readBack: d.readBack,
    // main recomputes it from the keychain
    hasSecret: d.hasSecret && !d.removeSecret,
    ...(d.secretFrom ? { secretFrom: d.secretFrom } : {}),
  };
  const endpoint = clean(d.endpoint);
  switch (d.kind) {
    case 'local':
      return { ...common, kind: 'local', path: d.path.trim() };
    case 's3': {
      const storageClass = clean(d.storageClass);
      const accessKeyId = clean(d.accessKeyId);
      const profile = clean(d.profile);
      return {
        ...common,
        kind: 's3',
        ...(endpoint ? { endpoint } : {}),
        region: d.region.trim(),
        bucket: d.bucket.trim(),
        prefix: trimSlashes(d.prefix),
        forcePathStyle: d.forcePathStyle,
        ...(storageClass ? { storageClass } : {}),
        credentials: d.credentials,
        ...(d.credentials === 'keychain' && accessKeyId ? { accessKeyId } : {}),
        ...(d.credentials === 'aws-chain' && profile ? { profile } : {}),
      };
    }
    case 'azure':
      return {
        ...common,
        kind: 'azure',
        account: d.account.trim(),
        container: d.container.trim(),
        prefix: trimSlashes(d.prefix),
        ...(endpoint ? { endpoint } : {}),
        auth: d.azureAuth,
      };
    case 'sftp': {
      const keyFile = clean(d.keyFile);
      return {
        ...common,
        kind: 'sftp',
        host: d.host.trim(),
        port: d.port.trim() === '' ? 22 : Number(d.port.trim()),
        user: d.user.trim(),
        path: d.path.trim(),
        auth: d.sftpAuth,
        ...(d.sftpAuth === 'key' && keyFile ? { keyFile } : {}),
        ...(d.hostKey ? { hostKey: d.hostKey } : {}),
      };
    }
  }
}

/** A prefix as typed, without the slashes around it ("/backups/" → "backups"). */
function trimSlashes(text: string): string {
  return text.trim().replace(/\/+$/, '');
}

/**
 * What the copy's secret is for: a stored Azure account key is no SAS token, an SFTP password
 * no key passphrase. null: this copy takes no secret from the keychain.
 */
export function secretPurpose(d: Pick<DestinationDraft, 'kind' | 'credentials' | 'azureAuth' | 'sftpAuth'>): string | null {
  switch (d.kind) {
    case 'local':
      return null;
    case 's3':
      return d.credentials === 'keychain' ? 's3-secret-key' : null;
    case 'azure':
      return `azure-${d.azureAuth}`;
    case 'sftp':
      return `sftp-${d.sftpAuth}`;
  }
}

/** The secret field of a copy as the form shows it; null: the copy has none (a folder, the AWS chain). */
export function secretField(d: DestinationDraft): { label: string; hint: string; required: boolean } | null {
  switch (secretPurpose(d)) {
    case 's3-secret-key':
      return { label: 'Secret access key', hint: 'The secret of the access key id above.', required: true };
    case 'azure-key':
      return { label: 'Account key', hint: 'Key 1 or key 2 of the storage account (Access keys in the Azure portal).', required: true };
    case 'azure-sas':
      return { label: 'SAS token', hint: 'A SAS token of the container with read, write, list and delete (sv=…&sig=…).', required: true };
    case 'sftp-password':
      return { label: 'Password', hint: "The SFTP user's password.", required: true };
    case 'sftp-key':
      return { label: 'Key passphrase', hint: 'Only if the private key file is protected by a passphrase.', required: false };
    default:
      return null;
  }
}

/** Whether the keychain's secret of this copy is used as it is: stored for the same purpose, not being removed or replaced. */
export function keepsStoredSecret(d: DestinationDraft): boolean {
  return d.hasSecret && !d.removeSecret && d.secret === '' && d.savedPurpose !== null && d.savedPurpose === secretPurpose(d);
}

/**
 * The copy's entry of plans/save secrets.destSecrets: the typed secret, '' to remove the stored
 * one (asked for, or stored for another purpose than the one the copy now has), or undefined
 * to keep it.
 */
export function destinationSecret(d: DestinationDraft): string | undefined {
  if (d.secretFrom) return undefined;
  const purpose = secretPurpose(d);
  if (purpose !== null && d.secret !== '') return d.secret;
  if (d.hasSecret && (d.removeSecret || purpose === null || d.savedPurpose !== purpose)) return '';
  return undefined;
}

/** secrets.destSecrets of the plan's copies (absent entries keep what is stored). */
export function destinationSecrets(copies: DestinationDraft[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const copy of copies) {
    const secret = destinationSecret(copy);
    if (secret !== undefined) out[copy.id] = secret;
  }
  return out;
}

/** Field errors of one copy, keyed by its field (`bucket`, `secret`...). */
export type DestinationErrors = Record<string, string>;

const REQUIRED: Record<string, string> = {
  path: 'Enter the folder',
  region: 'Enter the region, for example us-east-1 or auto',
  bucket: 'Enter the bucket name',
  account: 'Enter the storage account name',
  container: 'Enter the container name',
  host: 'Enter the host name or address of the SFTP server',
  user: 'Enter the user name on the SFTP server',
};

/**
 * A plain-language message for a zod issue of a copy's field (`field`: its key in the config);
 * undefined keeps the schema's own message (the prefix and fingerprint rules say the fix).
 */
export function destinationIssueMessage(field: string, kind: DestinationKind | undefined, issue: z.core.$ZodRawIssue): string | undefined {
  if (field === 'path' && kind === 'sftp' && (issue.code === 'too_small' || issue.code === 'invalid_type')) return 'Enter the remote folder, for example backups or /srv/backups';
  if (REQUIRED[field] && (issue.code === 'too_small' || issue.code === 'invalid_type')) return REQUIRED[field];
  if (field === 'endpoint' && issue.code === 'invalid_format') return 'Enter the endpoint as a URL, for example https://s3.eu-central-003.backblazeb2.com, or leave it empty';
  if (field === 'port') return 'Enter a port from 1 to 65535 (SFTP usually runs on 22)';
  return undefined;
}

/** The form-only checks of one copy: what the schema cannot know (a secret is needed and none is stored). */
export function destinationFormErrors(d: DestinationDraft): DestinationErrors {
  const errors: DestinationErrors = {};
  if (d.kind === 's3' && d.credentials === 'keychain' && !d.secretFrom && d.accessKeyId.trim() === '') {
    errors.accessKeyId = 'Enter the access key id, or use the standard AWS chain';
  }
  if (d.kind === 'sftp' && d.sftpAuth === 'key' && d.keyFile.trim() === '') {
    errors.keyFile = 'Enter the path of the private key file (for example /home/me/.ssh/id_ed25519), or use a password';
  }
  const field = secretField(d);
  if (field?.required && !d.secretFrom && d.secret === '' && !keepsStoredSecret(d)) {
    errors.secret = `Enter the ${field.label.toLowerCase()}: it is kept in the OS keychain, never in the plan`;
  }
  return errors;
}

export type DestinationValidation = { ok: true; config: DestinationConfig } | { ok: false; errors: DestinationErrors };

/** Validates one copy on its own (the Test button): the shared schema plus the form-only checks. */
export function validateDestinationDraft(d: DestinationDraft): DestinationValidation {
  const errors: DestinationErrors = {};
  const parsed = destinationSchema.safeParse(destinationFromDraft(d), {
    error: (issue) => destinationIssueMessage(String(issue.path?.[0] ?? ''), d.kind, issue),
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors[issue.path.map(String).join('.')] ??= issue.message;
  }
  for (const [field, message] of Object.entries(destinationFormErrors(d))) errors[field] ??= message;
  if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, config: parsed.data };
}

/** The copy's URL as the form stands (what History will show), or null while it is incomplete. */
export function draftUrl(d: DestinationDraft): string | null {
  const parsed = destinationSchema.safeParse(destinationFromDraft(d));
  return parsed.success ? destinationUrl(parsed.data) : null;
}

/** How a copy is named to a person: its label, else its URL, else its kind. */
export function copyName(d: DestinationDraft): string {
  return d.label.trim() || draftUrl(d) || DESTINATION_KIND_LABELS[d.kind];
}

/** A copy's settings in a few words, for its summary line: "access key in the keychain · read back after upload". */
export function copyFacts(d: DestinationDraft): string[] {
  const secret = (what: string) =>
    d.secretFrom ? `${what} from ${d.secretFrom}` : d.secret !== '' ? `${what} typed, kept on save` : keepsStoredSecret(d) ? `${what} in the keychain` : `no ${what} stored`;
  const facts: string[] = [];
  switch (d.kind) {
    case 's3':
      facts.push(d.credentials === 'aws-chain' ? `the standard AWS chain${d.profile.trim() ? ` (profile ${d.profile.trim()})` : ''}` : secret('secret key'));
      if (d.storageClass) facts.push(d.storageClass);
      break;
    case 'azure':
      facts.push(secret(d.azureAuth === 'sas' ? 'SAS token' : 'account key'));
      break;
    case 'sftp':
      facts.push(d.sftpAuth === 'password' ? secret('password') : 'private key file');
      facts.push(d.hostKey ? 'host key pinned' : 'host key not pinned');
      break;
    case 'local':
      break;
  }
  if (d.readBack) facts.push('read back after upload');
  return facts;
}

export const TEST_STEP_LABELS: Record<DestinationTestStep['step'], string> = {
  connect: 'Connect',
  write: 'Write a test object',
  read: 'Read it back',
  delete: 'Delete it',
};

export const TEST_STEPS: DestinationTestStep['step'][] = ['connect', 'write', 'read', 'delete'];

export const COPY_STATUS_LABELS: Record<CopyStatus, string> = {
  uploaded: 'uploaded',
  verified: 'verified',
  failed: 'failed',
  deleted: 'deleted',
};

/** The badge class of a copy's status (app.css). */
export function copyStatusClass(status: CopyStatus): string {
  return status === 'verified' ? 'badge-success' : status === 'failed' ? 'badge-failed' : status === 'uploaded' ? 'badge-pending' : 'badge-cancelled';
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * How long a plan may go between runs, from its schedule (null: manual, no period). The same
 * estimate main's overdue and off-site alerts use: the longest gap between a weekly plan's days.
 */
export function schedulePeriodMs(schedule: Schedule): number | null {
  switch (schedule.kind) {
    case 'manual':
      return null;
    case 'daily':
    case 'cron':
      return DAY;
    case 'weekly': {
      const days = [...new Set(schedule.days)].sort((a, b) => a - b);
      if (days.length === 0) return 7 * DAY;
      return Math.max(...days.map((day, i) => (i + 1 < days.length ? days[i + 1]! : days[0]! + 7) - day)) * DAY;
    }
    case 'monthly':
      return 31 * DAY;
    case 'hourly':
      return schedule.everyHours * HOUR;
  }
}

/** "3 days", "5 hours", "40 minutes": a span as a person says it after "for". */
export function formatSpan(ms: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (ms >= 2 * DAY) return unit(Math.floor(ms / DAY), 'day');
  if (ms >= 2 * HOUR) return unit(Math.floor(ms / HOUR), 'hour');
  return unit(Math.max(1, Math.floor(ms / 60_000)), 'minute');
}

/** A time before now as "2 hours ago"; the caller's formatter, so this file stays free of the locale. */
export type RelativeFormatter = (iso: string, now: Date) => string;

export interface OffsiteLine {
  /** the line as shown: "Off-site: verified 2 hours ago at s3://bucket/prefix" */
  text: string;
  /** ok: a verified copy; warn: no verified copy for longer than the schedule's period; error: every copy failed; muted: nothing to say */
  tone: 'ok' | 'info' | 'warn' | 'error' | 'muted';
  /** a failure's message (secret-free), shown under the line */
  detail: string | null;
}

/** The newest off-site copy of a state, verified before uploaded. */
function bestCopy(copies: BackupCopy[], status: CopyStatus): BackupCopy | undefined {
  const stamp = (c: BackupCopy) => (status === 'verified' ? c.verifiedAt : c.uploadedAt) ?? '';
  return copies
    .filter((c) => c.status === status && isOffSite(c.kind))
    .sort((a, b) => stamp(b).localeCompare(stamp(a)))[0];
}

/**
 * What the Dashboard says of a plan's off-site copies: verified and where, not set up, or how
 * long the plan has gone without a verified off-site copy (a warning once that is longer than
 * its schedule's period, as the off-site alert says).
 */
export function offsiteLine(status: PlanOffsiteStatus, plan: Pick<Plan, 'schedule' | 'options'> | undefined, now: Date, relative: RelativeFormatter): OffsiteLine {
  const where = (copy: BackupCopy) => {
    const label = plan?.options.copies.find((c) => c.id === copy.destinationId)?.label;
    return label ? `${label} (${copy.destinationUrl})` : copy.destinationUrl;
  };
  if (status.state === 'not-configured') {
    // a copy in another folder (even a mounted share) is not off the machine
    const folders = plan?.options.copies.filter((c) => !isOffSite(c.kind)).length ?? 0;
    const text = folders > 0 ? `Off-site: not set up (${folders === 1 ? 'one copy' : `${folders} copies`} in another folder on this machine)` : 'Off-site: not set up';
    return { text, tone: 'muted', detail: null };
  }
  if (status.state === 'no-backup') return { text: 'Off-site: no backup yet', tone: 'muted', detail: null };
  const verified = bestCopy(status.copies, 'verified');
  if (status.state === 'verified' && verified) {
    return { text: `Off-site: verified ${relative(verified.verifiedAt ?? verified.uploadedAt ?? '', now)} at ${where(verified)}`, tone: 'ok', detail: null };
  }
  const since = status.unprotectedSince ? now.getTime() - new Date(status.unprotectedSince).getTime() : null;
  const period = plan ? schedulePeriodMs(plan.schedule) : DAY;
  const overdue = since !== null && period !== null && since > period;
  const failed = status.copies.filter((c) => c.status === 'failed' && isOffSite(c.kind));
  const detail = failed.find((c) => c.error)?.error ?? null;
  if (overdue) {
    return { text: `No off-site copy for ${formatSpan(since)}`, tone: status.state === 'failed' ? 'error' : 'warn', detail };
  }
  const uploaded = bestCopy(status.copies, 'uploaded');
  if (status.state === 'uploaded' && uploaded) {
    return { text: `Off-site: uploaded ${relative(uploaded.uploadedAt ?? '', now)} at ${where(uploaded)}, not verified yet`, tone: 'info', detail: null };
  }
  if (status.state === 'failed') {
    return { text: `Off-site: the copy of the newest backup failed${failed[0] ? ` at ${where(failed[0])}` : ''}; it is retried on the next run`, tone: 'error', detail };
  }
  return { text: 'Off-site: the copy of the newest backup is still to be uploaded', tone: 'info', detail };
}
