/**
 * A backup that belongs to no plan (`lifeboat backup --db ... --folder ... --out ...`): one full
 * backup of the given sources, verified after it unless turned off, as a job with an audit line.
 */
import type { JobSummary } from '../../../shared/job';
import type { DatabaseSource, FolderSource } from '../../../shared/plan';
import { fileStamp } from '../backup/file-names';
import { runBackup } from '../backup/run-backup';
import type { CoreContext } from '../context';
import { verifyAfterBackup } from './verify-after';

export interface OneOffBackup {
  databases: { source: DatabaseSource; password: string | null }[];
  folders: FolderSource[];
  destination: string;
  compressionLevel: number;
  passphrase: string | null;
  verify: boolean;
  env?: NodeJS.ProcessEnv;
  /** a free-text label of the backup (History, the CSV export, the manifest) */
  description?: string | null;
}

/** Starts the backup job (named "command line" in the history) and records who started it. */
export function startOneOffBackup(
  ctx: Pick<CoreContext, 'runner' | 'audit' | 'verifications' | 'clock' | 'appVersion' | 'containerOptions'>,
  spec: OneOffBackup,
  actor: string,
): JobSummary {
  const description = spec.description?.trim() || null;
  const job = ctx.runner.start({ kind: 'backup', planId: null, planName: 'command line', trigger: 'manual', description }, async (jobCtx) => {
    const { manifest: _manifest, ...outcome } = await runBackup(
      {
        backupId: jobCtx.jobId,
        plan: null,
        description,
        type: 'full',
        base: null,
        destination: spec.destination,
        fileStem: `lifeboat-${fileStamp(ctx.clock.now())}-full`,
        compressionLevel: spec.compressionLevel,
        passphrase: spec.passphrase,
        databases: spec.databases,
        folders: spec.folders,
        appVersion: ctx.appVersion,
        retries: { count: 0, backoffSeconds: 1 },
        env: spec.env,
        containerOptions: ctx.containerOptions,
      },
      jobCtx,
    );
    if (!spec.verify) return outcome;
    return (await verifyAfterBackup(ctx, jobCtx, outcome, spec.passphrase, spec.env)).outcome;
  });
  ctx.audit.record(actor, 'backup.run', job.id);
  return job;
}
