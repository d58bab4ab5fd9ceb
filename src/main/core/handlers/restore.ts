/**
 * Handlers of the backup-file, verification and restore channels. Arguments arrive validated
 * (see dispatch). Every action is written to the audit log, never with a passphrase or a
 * password: those are used for the one request and dropped.
 */
import path from 'node:path';
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import type { BackupInspection } from '../../../shared/restore';
import { secretKeys } from '../paths';
import { readHeaderInfo, summarizeManifest } from '../restore/backup-index';
import { openManifest, previewBackup } from '../restore/preview';
import { startDrillJob, type DrillJobContext } from '../tasks/drill-job';
import { importBackupFile, rebuildCatalogFromFolder, type ImportContext } from '../tasks/import-backup';
import { rebuildCatalogFromDestination } from '../tasks/remote-rebuild';
import { resolveBackup, resolveServerPassword } from '../tasks/resolve-backup';
import { startRestoreJob, type RestoreJobContext } from '../tasks/restore-job';
import { startVerifyAll, startVerifyCopyJob, startVerifyJob, type VerifyJobContext } from '../tasks/verify-job';

type RestoreChannels =
  | 'backups/inspect'
  | 'backups/import'
  | 'backups/rebuild-catalog'
  | 'verify/run'
  | 'verify/run-all'
  | 'verify/drill'
  | 'verify/list'
  | 'restore/preview'
  | 'restore/start'
  | 'restore/list';

export function createRestoreHandlers(
  ctx: RestoreJobContext & VerifyJobContext & DrillJobContext & ImportContext,
  actor = 'user',
): Pick<InvokeHandlers, RestoreChannels> {
  return {
    'backups/inspect': async ({ filePath, passphrase }): Promise<BackupInspection> => {
      const absolute = path.resolve(filePath);
      const header = await readHeaderInfo(absolute);
      const job = ctx.jobs.get(header.backupId);
      let secret = passphrase ?? null;
      if (!secret && header.encrypted && job?.planId) secret = await ctx.secrets.get(secretKeys.passphrase(job.planId));
      ctx.audit.record(actor, 'backup.inspect', header.backupId, { filePath: absolute });
      if (header.encrypted && !secret) {
        return { filePath: absolute, header, needsPassphrase: true, summary: null, catalogJobId: job?.id ?? null };
      }
      const manifest = await openManifest(absolute, header.encrypted ? secret : null);
      return { filePath: absolute, header, needsPassphrase: false, summary: summarizeManifest(manifest), catalogJobId: job?.id ?? null };
    },
    'backups/import': async ({ filePath, passphrase }) => {
      const result = await importBackupFile(ctx, filePath, passphrase ?? null);
      ctx.audit.record(actor, 'backup.import', result.backupId, { filePath: result.filePath, imported: result.imported });
      return result;
    },
    'backups/rebuild-catalog': async ({ folder, passphrase, destination, secret }) => {
      // a remote destination (its secret for this request only: tasks/remote-rebuild.ts), else a folder
      const result = destination
        ? await rebuildCatalogFromDestination(ctx, destination, secret || null, passphrase ?? null)
        : await rebuildCatalogFromFolder(ctx, folder!, passphrase ?? null);
      ctx.audit.record(actor, 'catalog.rebuild', null, {
        folder: result.folder,
        imported: result.imported.length,
        alreadyKnown: result.alreadyKnown.length,
        failed: result.failed.length,
      });
      return result;
    },
    'verify/run': async (request) => {
      // `copy`: one copy of the backup, read where it lies (its row in backup_copies is updated)
      const job =
        'jobId' in request && request.copy
          ? await startVerifyCopyJob(ctx, request.jobId, request.copy)
          : await startVerifyJob(ctx, 'jobId' in request ? { backupJobId: request.jobId } : { filePath: request.filePath, passphrase: request.passphrase });
      const copy = 'jobId' in request && request.copy ? { copy: request.copy } : {};
      ctx.audit.record(actor, 'backup.verify', 'jobId' in request ? request.jobId : request.filePath, { jobId: job.id, ...copy });
      return { jobId: job.id };
    },
    'verify/run-all': async () => {
      const result = await startVerifyAll(ctx);
      ctx.audit.record(actor, 'backup.verify-all', null, { started: result.jobIds.length, skipped: result.skipped.length });
      return result;
    },
    'verify/drill': async ({ filePath, backupJobId, passphrase, server, createRoles }) => {
      const job = await startDrillJob(ctx, { filePath, backupJobId, passphrase, server, createRoles }, { actor });
      return { jobId: job.id };
    },
    'verify/list': ({ page, pageSize, backupJobId, drill }) => ctx.verifications.list({ backupJobId, drill }, page, pageSize),
    'restore/preview': async ({ filePath, backupJobId, passphrase, database, files }) => {
      const backup = await resolveBackup(ctx, { filePath, backupJobId, passphrase });
      const password = database ? await resolveServerPassword(ctx, database.server) : null;
      return previewBackup(backup.filePath, backup.passphrase, { database, password, files }, { now: ctx.clock.now() });
    },
    'restore/start': async (request) => ({ jobId: (await startRestoreJob(ctx, request, { actor })).id }),
    'restore/list': ({ page, pageSize }) => ctx.restores.list(page, pageSize),
  };
}
