import fs from 'node:fs';
import { AppError } from '../../../shared/errors';
import type { ManifestUnchangedFile } from '../../../shared/manifest';
import type { Plan } from '../../../shared/plan';
import { readManifest } from '../archive/reader';
import type { JobContext, JobOutcome } from '../jobs/job-runner';
import type { LifeboatCore } from '../lifeboat';
import { secretKeys } from '../paths';
import { applyRetention } from './apply-retention';
import { runBackup, type BaseIndex } from './run-backup';
import { drillAfterBackup } from './drill-after';
import { verifyAfterBackup } from './verify-after';

/** `2026-11-24T02:00:05.123Z` -> `20261124-020005` */
export function fileStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export function planSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'plan';
}

/**
 * Finds the backup an incremental (the newest successful one) or differential (the newest
 * full) builds on, and indexes its folder files. Returns null when there is none usable: the
 * run is then a full backup, and the manifest says so.
 */
async function findBase(core: LifeboatCore, plan: Plan, passphrase: string | null) {
  if (plan.type === 'full') return null;
  for (const job of core.jobs.backupsOfPlan(plan.id)) {
    if (job.status !== 'success' || !job.filePath || !fs.existsSync(job.filePath)) continue;
    let manifest;
    try {
      manifest = await readManifest(job.filePath, passphrase);
    } catch {
      continue;
    }
    if (plan.type === 'differential' && manifest.type !== 'full') continue;
    const index: BaseIndex = new Map();
    for (const source of manifest.sources) {
      if (source.kind !== 'folder') continue;
      const files = new Map<string, ManifestUnchangedFile>();
      for (const unchanged of source.unchanged) files.set(unchanged.path, unchanged);
      for (const entry of manifest.entries) {
        if (entry.sourceId !== source.id || entry.kind !== 'file') continue;
        const rel = entry.name.slice(source.entryPrefix.length);
        files.set(rel, {
          path: rel,
          size: entry.size,
          mtimeMs: entry.mtimeMs ?? 0,
          mode: entry.mode ?? 0o644,
          sha256: entry.sha256,
          storedIn: manifest.backupId,
        });
      }
      index.set(source.id, files);
    }
    return { backupId: manifest.backupId, index };
  }
  return null;
}

/**
 * Runs one backup of a plan inside a job: reads its secrets from the keychain, finds the base of
 * an incremental/differential, streams the backup, verifies it and drills it (as the plan asks),
 * then applies the plan's retention.
 */
export async function runPlanBackup(core: LifeboatCore, plan: Plan, ctx: JobContext): Promise<JobOutcome> {
  const passphrase = plan.options.encrypt ? await core.secrets.get(secretKeys.passphrase(plan.id)) : null;
  if (plan.options.encrypt && !passphrase) {
    throw new AppError('PASSPHRASE_REQUIRED', { detail: `plan "${plan.name}" has no passphrase in the keychain; set it in the plan` });
  }
  const databases = await Promise.all(
    plan.databases.map(async (source) => ({
      source,
      password: source.hasPassword ? await core.secrets.get(secretKeys.dbPassword(plan.id, source.id)) : null,
    })),
  );
  const base = await findBase(core, plan, passphrase);
  const started = core.clock.now();
  const result = await runBackup(
    {
      backupId: ctx.jobId,
      plan: { id: plan.id, name: plan.name },
      type: base ? plan.type : 'full',
      base,
      destination: plan.options.destination,
      fileStem: `${planSlug(plan.name)}-${fileStamp(started)}-${base ? plan.type : 'full'}`,
      compressionLevel: plan.options.compressionLevel,
      passphrase,
      databases,
      folders: plan.folders,
      appVersion: core.appVersion,
      retries: plan.options.retries,
      containerOptions: core.containerOptions,
    },
    ctx,
  );
  const backupType = base ? plan.type : 'full';
  const { manifest: _manifest, ...outcome } = result;
  const final: JobOutcome = { ...outcome, backupType, baseJobId: base?.backupId ?? null };
  if (result.status === 'failed' || !result.filePath) return final;

  let verified = false;
  let checkedOutcome = final;
  // with a drill, verification takes less of the bar: a drill restores the databases, which takes longer
  const drill = plan.options.drillAfter;
  if (plan.options.verifyAfter) {
    const checked = await verifyAfterBackup(core, ctx, final, passphrase, undefined, drill ? [93, 95] : [93, 99]);
    if (checked.outcome.status === 'failed') return checked.outcome;
    checkedOutcome = checked.outcome;
    verified = checked.passed;
  }
  if (drill) {
    checkedOutcome = await drillAfterBackup(core, plan, ctx, checkedOutcome, passphrase, undefined, [95, 99]);
    if (checkedOutcome.status === 'failed') return checkedOutcome;
  }
  ctx.progress({ phase: 'retention', percent: 99 });
  await applyRetention(core, plan, { jobId: ctx.jobId, baseId: base?.backupId ?? null, type: backupType, verified });
  return checkedOutcome;
}
