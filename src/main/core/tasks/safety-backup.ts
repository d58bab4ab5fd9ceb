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

export interface SafetyBackupOptions {
  destination: string;
  passphrase: string | null;
  appVersion: string;
  containerOptions?: ContainerOptions;
  /** called once the safety backup is complete, before the target is changed (record it here) */
  onWritten?: (info: SafetyBackupInfo, result: BackupResult) => void | Promise<void>;
}

/** The safety backup step of a restore over an existing database; throws if the backup fails. */
export function safetyBackupStep(options: SafetyBackupOptions): SafetyBackupStep {
  return async (target, ctx) => {
    const backupId = crypto.randomUUID();
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
        passphrase: options.passphrase,
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
    displayMessage: `Safety backup of "${info.database}", taken automatically before restoring over it.`,
  });
  ctx.events.emit('jobs/updated', job);
}

/** The safety backup step of a restore job: into `<data dir>/safety`, recorded in the catalog. */
export function catalogSafetyBackup(
  ctx: Pick<CoreContext, 'dataDir' | 'appVersion' | 'containerOptions' | 'jobs' | 'events'>,
  passphrase: string | null,
): SafetyBackupStep {
  return safetyBackupStep({
    destination: path.join(ctx.dataDir, 'safety'),
    passphrase,
    appVersion: ctx.appVersion,
    containerOptions: ctx.containerOptions,
    onWritten: (info, result) => recordSafetyBackup(ctx, info, result),
  });
}
