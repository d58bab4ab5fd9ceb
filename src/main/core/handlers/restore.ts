/**
 * Handlers of the backup-file, verification and restore channels. Arguments arrive validated
 * (see dispatch). Every action is written to the audit log, never with a passphrase or a
 * password: those are used for the one request and dropped.
 */
import path from 'node:path';
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import type { BackupInspection } from '../../../shared/restore';
import { RestoresRepo } from '../catalog/restores-repo';
import type { LifeboatCore } from '../lifeboat';
import { secretKeys } from '../paths';
import { readHeaderInfo, summarizeManifest } from '../restore/backup-index';
import { importBackupFile, rebuildCatalogFromFolder } from '../restore/import';
import { openManifest, previewBackup } from '../restore/preview';
import { resolveBackup, resolveServerPassword, startDrillJob, startRestoreJob, startVerifyAll, startVerifyJob } from '../restore/restore-jobs';

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

export function createRestoreHandlers(core: LifeboatCore, actor = 'user'): Pick<InvokeHandlers, RestoreChannels> {
  return {
    'backups/inspect': async ({ filePath, passphrase }): Promise<BackupInspection> => {
      const absolute = path.resolve(filePath);
      const header = await readHeaderInfo(absolute);
      const job = core.jobs.get(header.backupId);
      let secret = passphrase ?? null;
      if (!secret && header.encrypted && job?.planId) secret = await core.secrets.get(secretKeys.passphrase(job.planId));
      core.audit.record(actor, 'backup.inspect', header.backupId, { filePath: absolute });
      if (header.encrypted && !secret) {
        return { filePath: absolute, header, needsPassphrase: true, summary: null, catalogJobId: job?.id ?? null };
      }
      const manifest = await openManifest(absolute, header.encrypted ? secret : null);
      return { filePath: absolute, header, needsPassphrase: false, summary: summarizeManifest(manifest), catalogJobId: job?.id ?? null };
    },
    'backups/import': async ({ filePath, passphrase }) => {
      const result = await importBackupFile(core, filePath, passphrase ?? null);
      core.audit.record(actor, 'backup.import', result.backupId, { filePath: result.filePath, imported: result.imported });
      return result;
    },
    'backups/rebuild-catalog': async ({ folder, passphrase }) => {
      const result = await rebuildCatalogFromFolder(core, folder, passphrase ?? null);
      core.audit.record(actor, 'catalog.rebuild', null, {
        folder: result.folder,
        imported: result.imported.length,
        alreadyKnown: result.alreadyKnown.length,
        failed: result.failed.length,
      });
      return result;
    },
    'verify/run': async (request) => {
      const job = await startVerifyJob(core, 'jobId' in request ? { backupJobId: request.jobId } : { filePath: request.filePath, passphrase: request.passphrase });
      core.audit.record(actor, 'backup.verify', 'jobId' in request ? request.jobId : request.filePath, { jobId: job.id });
      return { jobId: job.id };
    },
    'verify/run-all': async () => {
      const result = await startVerifyAll(core);
      core.audit.record(actor, 'backup.verify-all', null, { started: result.jobIds.length, skipped: result.skipped.length });
      return result;
    },
    'verify/drill': async ({ filePath, backupJobId, passphrase, server }) => {
      const job = await startDrillJob(core, { filePath, backupJobId, passphrase, server });
      core.audit.record(actor, 'backup.drill', backupJobId ?? filePath ?? null, {
        jobId: job.id,
        server: `${server.user}@${server.host}:${server.port}`,
      });
      return { jobId: job.id };
    },
    'verify/list': ({ page, pageSize, backupJobId, drill }) => core.verifications.list({ backupJobId, drill }, page, pageSize),
    'restore/preview': async ({ filePath, backupJobId, passphrase, database, files }) => {
      const backup = await resolveBackup(core, { filePath, backupJobId, passphrase });
      const password = database ? await resolveServerPassword(core, database.server) : null;
      return previewBackup(backup.filePath, backup.passphrase, { database, password, files }, { now: core.clock.now() });
    },
    'restore/start': async (request) => {
      const job = await startRestoreJob(core, request);
      const { password: _password, ...server } = request.database?.server ?? { password: undefined };
      core.audit.record(actor, 'backup.restore', request.backupJobId ?? request.filePath ?? null, {
        jobId: job.id,
        database: request.database ? { ...request.database, server } : null,
        files: request.files ?? null,
      });
      return { jobId: job.id };
    },
    'restore/list': ({ page, pageSize }) => new RestoresRepo(core.catalog).list(page, pageSize),
  };
}
