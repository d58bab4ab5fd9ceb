/**
 * One backup run: preflight, then one streaming pass — pg_dump output and folder files flow
 * through the zip writer, the sealed container and the whole-file hash straight into
 * `<file>.part` — then fsync and rename. Nothing is copied to a temp location first, and memory
 * stays flat (one container chunk plus stream buffers) whatever the size of the data.
 */
import os from 'node:os';
import type { BackupManifest } from '../../../shared/manifest';
import { MANIFEST_FORMAT } from '../../../shared/manifest';
import { ArchiveWriter, tempPathFor } from '../archive/writer';
import { withDumpFilters } from '../postgres/dump-filter';
import { unusedFinalPath } from './file-names';
import { ProgressMeter } from './progress';
import { assertFreeSpace, preflightSources } from './run-preflight';
import { RunRecord, type BackupResult, type BackupSpec, type RunJob } from './run-state';
import { backupDatabase, backupFolder, type PassContext } from './source-steps';

export type { BackupResult, BackupSpec } from './run-state';

/**
 * Runs a backup inside a job. Returns success, partial (some sources failed; the file holds the
 * rest) or failed (nothing usable: no file is kept). Throws for preflight failures that concern
 * the whole run (destination, space) and for cancellation; the job runner records those.
 */
export async function runBackup(spec: BackupSpec, ctx: RunJob): Promise<BackupResult> {
  try {
    return await runBackupPass(spec, ctx);
  } finally {
    await spec.base?.close?.();
  }
}

async function runBackupPass(spec: BackupSpec, ctx: RunJob): Promise<BackupResult> {
  const env = spec.env ?? process.env;
  const meter = new ProgressMeter(ctx);
  const record = new RunRecord();
  meter.phase('preflight');

  // 1. checks before anything is written: destination, sources, free space
  const ready = await preflightSources(spec, ctx, env, meter, record);
  if (ready.databases.length === 0 && ready.folders.length === 0) return record.failed('Every source failed its checks.');
  await assertFreeSpace(spec.destination, ready.folders.reduce((sum, f) => sum + f.bytes, 0));

  // 2. the streaming pass
  const finalPath = await unusedFinalPath(spec.destination, spec.fileStem);
  // recorded before the file exists: a crash right after it is created still finds and removes it
  ctx.setTempPath(tempPathFor(finalPath));
  const writer = await ArchiveWriter.create({
    finalPath,
    backupId: spec.backupId,
    appVersion: spec.appVersion,
    passphrase: spec.passphrase,
    compressionLevel: spec.compressionLevel,
    signal: ctx.signal,
    ...spec.containerOptions,
  });
  const createdAt = new Date().toISOString();
  const pass: PassContext = { spec, job: ctx, env, writer, meter, record };
  try {
    for (const db of ready.databases) await backupDatabase(pass, db);
    for (const folder of ready.folders) await backupFolder(pass, folder);
    if (record.succeeded() === 0) {
      await writer.abort();
      return record.failed('Every source failed.');
    }
    // 3. manifest last, then fsync + rename
    return await finalizeBackup(pass, createdAt);
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** Writes the manifest, closes the archive (fsync, rename into place) and sums the run up. */
async function finalizeBackup(pass: PassContext, createdAt: string): Promise<BackupResult> {
  const { spec, record } = pass;
  pass.meter.phase('finalize');
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    backupId: spec.backupId,
    app: { name: 'Lifeboat', version: spec.appVersion },
    createdAt,
    finishedAt: new Date().toISOString(),
    plan: spec.plan,
    type: spec.base ? spec.type : 'full',
    baseBackupId: spec.base?.backupId ?? null,
    encrypted: spec.passphrase !== null,
    compressionLevel: spec.compressionLevel,
    host: os.hostname(),
    ...(spec.description ? { description: spec.description } : {}),
    // tables the plan's dump options left out, or dumped without rows, as the manifest says
    sources: withDumpFilters(record.sources, spec.databases),
    entries: record.entries,
  };
  const finished = await pass.writer.finish(manifest);
  pass.job.setTempPath(null);
  const bytesIn = record.entries.reduce((sum, e) => sum + (e.kind === 'folder-index' ? 0 : e.size), 0) + record.folderBytes;
  const total = record.sources.length;
  const succeeded = record.succeeded();
  const failed = total - succeeded;
  return {
    status: failed > 0 ? 'partial' : 'success',
    displayMessage:
      failed > 0
        ? `${failed} of ${total} sources failed; the backup holds the other ${succeeded}.`
        : `Backed up ${total} source${total > 1 ? 's' : ''}.`,
    errorCode: failed > 0 ? (record.sources.find((s) => s.error)?.error?.code ?? null) : null,
    bytesIn,
    sizeBytes: finished.sizeBytes,
    compressionRatio: finished.sizeBytes > 0 ? bytesIn / finished.sizeBytes : null,
    checksum: finished.sha256,
    filePath: finished.path,
    encrypted: spec.passphrase !== null,
    stderrTail: record.stderrTails.join('\n') || null,
    sources: record.results,
    manifest,
  };
}
