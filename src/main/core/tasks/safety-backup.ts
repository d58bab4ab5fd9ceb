/**
 * The safety backup taken before a restore over an existing database: an ordinary full backup of
 * the target with the backup engine, recorded in the catalog as a finished backup job so that it
 * shows in the history and can be restored.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { AppError, isErrorCode } from '../../../shared/errors';
import { fileStamp, safeName } from '../backup/file-names';
import { runBackup } from '../backup/run-backup';
import type { BackupResult } from '../backup/run-state';
import type { ContainerOptions, CoreContext } from '../context';
import type { SafetyBackupInfo, SafetyBackupStep } from '../restore/restore-database';
import { targetSource } from '../restore/target-db';
import { secretKeys } from '../paths';

export interface SafetyBackupOptions {
  destination: string;
  /**
   * The safety backup is always encrypted: with this passphrase, or else with a generated one
   * that `keepPassphrase` stores (the app's keychain); without either it is refused.
   */
  passphrase: string | null;
  keepPassphrase?: (backupId: string, passphrase: string) => Promise<void>;
  appVersion: string;
  containerOptions?: ContainerOptions;
  /** called once the safety backup is complete, before the target is changed (record it here) */
  onWritten?: (info: SafetyBackupInfo, result: BackupResult) => void | Promise<void>;
}

/** The safety backup step of a restore over an existing database; throws if the backup fails. */
export function safetyBackupStep(options: SafetyBackupOptions): SafetyBackupStep {
  return async (target, ctx) => {
    const backupId = crypto.randomUUID();
    const passphrase = options.passphrase ?? (await generatedPassphrase(backupId, options.keepPassphrase));
    const startedAt = new Date();
    const result = await runBackup(
      {
        backupId,
        plan: null,
        type: 'full',
        base: null,
        destination: options.destination,
        fileStem: `safety-${safeName(target.database, 60)}-${fileStamp(startedAt)}-${backupId.slice(0, 8)}`,
        compressionLevel: 1,
        passphrase,
        databases: [{ source: { ...targetSource(target.server, target.database), id: 'safety' }, password: target.password }],
        folders: [],
        appVersion: options.appVersion,
        retries: { count: 0, backoffSeconds: 1 },
        env: target.env,
        pgToolDirs: target.pgToolDirs,
        containerOptions: options.containerOptions,
      },
      { jobId: backupId, signal: ctx.signal, progress: ctx.progress, setTempPath: ctx.setTempPath },
    );
    if (result.status !== 'success' || !result.filePath || !result.checksum) {
      const code = isErrorCode(result.errorCode) ? result.errorCode : 'PG_DUMP_FAILED';
      throw new AppError(code, {
        detail: `the safety backup of "${target.database}" failed, so nothing was changed: ${result.displayMessage ?? result.errorCode ?? 'unknown error'}`,
      });
    }
    const info: SafetyBackupInfo = {
      backupId,
      filePath: result.filePath,
      sizeBytes: result.sizeBytes ?? 0,
      sha256: result.checksum,
      database: target.database,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
    };
    await options.onWritten?.(info, result);
    return info;
  };
}

/** A new random passphrase, kept by `keep` before anything is written with it. */
async function generatedPassphrase(backupId: string, keep: SafetyBackupOptions['keepPassphrase']): Promise<string> {
  const refuse = (cause?: unknown) =>
    new AppError('PASSPHRASE_REQUIRED', {
      detail: 'the backup is not encrypted, and the safety backup taken before restoring over a database always is: give a passphrase for it (command line: --safety-passphrase-file)',
      cause,
    });
  if (!keep) throw refuse();
  const passphrase = crypto.randomBytes(32).toString('base64url');
  await keep(backupId, passphrase).catch((error: unknown) => {
    throw refuse(error);
  });
  return passphrase;
}

/** Records a safety backup as a finished backup job, so it shows in the history and can be restored. */
export function recordSafetyBackup(ctx: Pick<CoreContext, 'jobs' | 'events'>, info: SafetyBackupInfo, result: BackupResult): void {
  ctx.jobs.create({
    id: info.backupId,
    kind: 'backup',
    planId: null,
    planName: `Safety backup of ${info.database} before a restore`,
    trigger: 'manual',
    startedAt: info.startedAt,
    backupType: 'full',
  });
  for (const source of result.sources ?? []) ctx.jobs.addSourceResult(info.backupId, source);
  const job = ctx.jobs.finish(info.backupId, {
    status: 'success',
    finishedAt: info.finishedAt,
    durationMs: Math.max(0, Date.parse(info.finishedAt) - Date.parse(info.startedAt)),
    bytesIn: result.bytesIn ?? null,
    sizeBytes: info.sizeBytes,
    compressionRatio: result.compressionRatio ?? null,
    checksum: info.sha256,
    filePath: info.filePath,
    encrypted: true,
    displayMessage: `Safety backup of "${info.database}", taken automatically before restoring over it.`,
  });
  ctx.events.emit('jobs/updated', job);
}

/**
 * The safety backup step of a restore job: into `<data dir>/safety`, recorded in the catalog;
 * encrypted with the restored backup's passphrase, or a generated one the keychain keeps.
 */
export function catalogSafetyBackup(
  ctx: Pick<CoreContext, 'dataDir' | 'appVersion' | 'containerOptions' | 'jobs' | 'events' | 'secrets'>,
  passphrase: string | null,
): SafetyBackupStep {
  return safetyBackupStep({
    destination: path.join(ctx.dataDir, 'safety'),
    passphrase,
    keepPassphrase: (backupId, generated) => ctx.secrets.set(secretKeys.safetyPassphrase(backupId), generated),
    appVersion: ctx.appVersion,
    containerOptions: ctx.containerOptions,
    onWritten: (info, result) => recordSafetyBackup(ctx, info, result),
  });
}
