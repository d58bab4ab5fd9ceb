/**
 * Finding what a restore, verification or drill job needs before it starts: the backup file and
 * its passphrase, the target server's password. A catalog backup's passphrase comes from the
 * keychain (its plan's), a dropped file's from the request; a target server's password from the
 * request (used once, never stored) or from the keychain entry of a plan that backs up that
 * server with that user.
 */
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import type { JobSummary } from '../../../shared/job';
import type { ServerTarget } from '../../../shared/restore';
import type { CoreContext } from '../context';
import { secretKeys } from '../paths';
import { readHeaderInfo } from '../restore/backup-index';
import { resolveBackupLocation } from '../destinations/remote-open';
import { readableLocation } from '../destinations/copy-locations';
import type { BackupCopy } from '../../../shared/destination';

/** A backup named by catalog job or by path, with the passphrase to read it. */
export interface BackupRef {
  filePath?: string;
  backupJobId?: string;
  passphrase?: string | null;
}

export interface ResolvedBackup {
  filePath: string;
  passphrase: string | null;
  /** the catalog job of this backup, when there is one */
  backupJobId: string | null;
  expectedSha256: string | null;
  /** the caller gave a passphrase: the file must be encrypted (checked again when it is read) */
  expectEncrypted: boolean;
  planName: string | null;
  /** the copy read instead of the primary file (missing, truncated or failed its verification); null: the primary */
  copy?: BackupCopy | null;
}

/**
 * Finds the file and passphrase of a backup. A catalog backup whose primary file is missing,
 * truncated or failed its newest verification is read from its nearest healthy copy (with a
 * catalog in `ctx`; destinations/copy-locations.ts). The passphrase: the request's, else (for a
 * backup in the catalog) its plan's from the keychain. PASSPHRASE_REQUIRED when the file is encrypted
 * and neither has one, so that a missing passphrase never runs as a failed job.
 */
export async function resolveBackup(
  ctx: Pick<CoreContext, 'jobs' | 'secrets'> & Partial<Pick<CoreContext, 'catalog'>>,
  ref: BackupRef,
): Promise<ResolvedBackup> {
  let filePath: string;
  let job: JobSummary | undefined;
  let copy: BackupCopy | null = null;
  if (ref.backupJobId) {
    job = ctx.jobs.get(ref.backupJobId);
    if (!job || job.kind !== 'backup') throw new AppError('NOT_FOUND', { detail: `backup ${ref.backupJobId}` });
    if (!job.filePath) throw new AppError('NOT_FOUND', { detail: `backup ${ref.backupJobId} has no file (removed by retention?)` });
    // a primary that is missing, truncated or failed its newest verification: its nearest healthy copy
    const readable = readableLocation(ctx.catalog, job);
    filePath = readable?.location ?? job.filePath;
    copy = readable?.copy ?? null;
  } else if (ref.filePath) {
    // a path, or an s3://, azure://, sftp:// URL read through the process's remote opener
    filePath = resolveBackupLocation(ref.filePath);
  } else {
    throw new AppError('VALIDATION', { detail: 'name the backup: a file path or a backup job id' });
  }
  const header = await readHeaderInfo(filePath);
  job ??= ctx.jobs.get(header.backupId);
  if (job && job.id !== header.backupId) {
    throw new AppError('FILE_CORRUPT', { detail: `${filePath} holds backup ${header.backupId}, not ${job.id}` });
  }
  // a passphrase given for a file that is not encrypted: someone may have replaced an encrypted
  // backup with a file of their own, which nothing authenticates
  // (a file the catalog recorded as encrypted is refused when it is read: the job says so)
  if (!header.encrypted && ref.passphrase) throw new AppError('BACKUP_NOT_ENCRYPTED', { detail: filePath });
  let passphrase = ref.passphrase ?? null;
  if (!passphrase && header.encrypted && job?.planId) passphrase = await ctx.secrets.get(secretKeys.passphrase(job.planId));
  // a safety backup of an unencrypted restore is encrypted with a passphrase the keychain keeps
  if (!passphrase && header.encrypted && job && !job.planId) passphrase = await ctx.secrets.get(secretKeys.safetyPassphrase(job.id));
  if (header.encrypted && !passphrase) throw new AppError('PASSPHRASE_REQUIRED', { detail: path.basename(filePath) });
  return {
    filePath,
    passphrase: header.encrypted ? passphrase : null,
    backupJobId: job?.id ?? null,
    expectedSha256: job?.checksum ?? null,
    expectEncrypted: Boolean(ref.passphrase || job?.encrypted),
    planName: job?.planName ?? null,
    copy,
  };
}

/**
 * The password of a target server: the request's, else the keychain entry of a plan database
 * on the same host, port and user. null lets libpq try ~/.pgpass.
 */
export async function resolveServerPassword(ctx: Pick<CoreContext, 'plans' | 'secrets'>, server: ServerTarget): Promise<string | null> {
  if (server.password !== undefined && server.password !== '') return server.password;
  for (const plan of ctx.plans.list()) {
    for (const db of plan.databases) {
      if (db.hasPassword && db.host === server.host && db.port === server.port && db.user === server.user) {
        const stored = await ctx.secrets.get(secretKeys.dbPassword(plan.id, db.id));
        if (stored) return stored;
      }
    }
  }
  return null;
}

/** A server as the audit log and the catalog keep it: no password. */
export function withoutPassword<T extends { password?: string }>(server: T): Omit<T, 'password'> {
  const { password: _password, ...rest } = server;
  return rest;
}
