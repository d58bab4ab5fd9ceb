/**
 * Bringing backups found on disk into the catalog: a file copied from elsewhere or dropped onto
 * the window, or a whole destination folder after the catalog was lost. The file is read whole
 * once (every chunk authenticated, whole-file SHA-256 computed); its manifest says the rest.
 */
import { AppError, toTransferable } from '../../../shared/errors';
import type { JobSourceResult } from '../../../shared/job';
import type { ImportResult, RebuildCatalogResult } from '../../../shared/restore';
import { BackupReader } from '../archive/reader';
import type { CoreContext } from '../context';
import { readHeaderInfo } from '../restore/backup-index';
import { listBackupFiles, resolveBackupLocation } from '../destinations/remote-open';

/** What importing uses of the ctx. */
export type ImportContext = Pick<CoreContext, 'jobs' | 'plans' | 'importedBackups' | 'clock' | 'events'>;

/**
 * Imports one .lifeboat file as a finished backup job (kind backup, trigger manual,
 * imported_at set), unless its backup id is already in the catalog. Throws what opening and
 * authenticating the file throws (WRONG_PASSPHRASE, PASSPHRASE_REQUIRED, FILE_CORRUPT...).
 */
export async function importBackupFile(ctx: ImportContext, filePath: string, passphrase: string | null): Promise<ImportResult> {
  // a path, or an s3://, azure://, sftp:// URL (destinations/remote-open.ts)
  const absolute = resolveBackupLocation(filePath);
  const header = await readHeaderInfo(absolute);
  if (ctx.jobs.get(header.backupId)) {
    return { filePath: absolute, backupId: header.backupId, imported: false, reason: 'This backup is already in the catalog.', jobId: header.backupId };
  }
  const reader = await BackupReader.open(absolute, passphrase);
  let sha256: string;
  let manifest;
  try {
    sha256 = await reader.container.scan();
    manifest = await reader.readManifest();
  } finally {
    await reader.close();
  }
  if (manifest.backupId !== header.backupId) {
    throw new AppError('FILE_CORRUPT', { detail: 'the manifest belongs to another backup than the file header names' });
  }
  const sources: JobSourceResult[] = manifest.sources.map((s) => {
    const entries = manifest.entries.filter((e) => e.sourceId === s.id);
    return {
      kind: s.kind,
      label: s.label,
      status: s.status,
      bytes: entries.reduce((sum, e) => sum + e.size, 0),
      files: entries.length,
      errorCode: s.error?.code ?? null,
      message: s.error?.message ?? null,
    };
  });
  const failed = manifest.sources.filter((s) => s.status === 'failed').length;
  // keep the plan link only when that plan is in this catalog (after a catalog rebuild it is)
  const plan = manifest.plan && ctx.plans.get(manifest.plan.id) ? manifest.plan : null;
  const inserted = ctx.importedBackups.insert({
    id: manifest.backupId,
    planId: plan?.id ?? null,
    planName: manifest.plan?.name ?? 'imported backup',
    status: failed > 0 ? 'partial' : 'success',
    startedAt: manifest.createdAt,
    finishedAt: manifest.finishedAt,
    durationMs: Math.max(0, Date.parse(manifest.finishedAt) - Date.parse(manifest.createdAt)) || 0,
    bytesIn: manifest.entries.reduce((sum, e) => sum + e.size, 0),
    sizeBytes: header.fileSize,
    checksum: sha256,
    filePath: absolute,
    backupType: manifest.type,
    baseJobId: manifest.baseBackupId,
    displayMessage: `Imported from ${absolute}${failed ? `; ${failed} of ${manifest.sources.length} sources had failed when it was made` : ''}.`,
    importedAt: ctx.clock.now().toISOString(),
    encrypted: header.encrypted,
    sources,
  });
  if (!inserted) {
    return { filePath: absolute, backupId: header.backupId, imported: false, reason: 'This backup is already in the catalog.', jobId: header.backupId };
  }
  if (manifest.description) ctx.jobs.setDescription(manifest.backupId, manifest.description);
  const job = ctx.jobs.get(manifest.backupId);
  if (job) ctx.events.emit('jobs/updated', job);
  return { filePath: absolute, backupId: manifest.backupId, imported: true, reason: null, jobId: manifest.backupId };
}

/**
 * Imports every .lifeboat file in `folder` (not below it), or at a remote prefix (an s3://,
 * azure://, sftp:// URL: the objects directly there). A file that cannot be read (damaged,
 * another passphrase, not a backup) is reported in `failed` and the rest go on.
 */
export async function rebuildCatalogFromFolder(ctx: ImportContext, folder: string, passphrase: string | null): Promise<RebuildCatalogResult> {
  const dir = resolveBackupLocation(folder);
  let files: string[];
  try {
    files = (await listBackupFiles(dir)).map((f) => f.location);
  } catch (cause) {
    // a remote prefix's own error (unreachable, refused credentials, no such bucket) says more
    if (cause instanceof AppError) throw cause;
    throw new AppError('FOLDER_MISSING', { detail: dir, cause });
  }
  const result: RebuildCatalogResult = { folder: dir, imported: [], alreadyKnown: [], failed: [] };
  for (const file of files) {
    try {
      const imported = await importBackupFile(ctx, file, passphrase);
      (imported.imported ? result.imported : result.alreadyKnown).push(imported);
    } catch (error) {
      const t = toTransferable(error);
      result.failed.push({ filePath: file, code: t.code, message: t.message });
    }
  }
  return result;
}
