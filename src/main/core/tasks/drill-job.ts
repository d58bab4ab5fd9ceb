/** The restore drill as a job of its own (on demand, from the Verify screen or `lifeboat verify --drill`). */
import path from 'node:path';
import type { JobSummary } from '../../../shared/job';
import type { ValueSource } from '../../../shared/errors';
import type { ServerTarget } from '../../../shared/restore';
import type { CoreContext, JobEnvOptions } from '../context';
import type { JobOutcome } from '../jobs/job-runner';
import { runDrill } from '../verify/drill';
import { recordDrill } from './record-verification';
import { resolveBackup, resolveServerPassword, withoutPassword, type BackupRef } from './resolve-backup';

/** What a drill job uses of the core. */
export type DrillJobContext = Pick<CoreContext, 'jobs' | 'plans' | 'secrets' | 'runner' | 'verifications' | 'clock' | 'audit'>;

/**
 * Starts a restore drill job: each dump is restored into a throwaway database on `server`,
 * row counts compared, the database dropped. The result is a `verifications` row with drill=1.
 */
export async function startDrillJob(
  ctx: DrillJobContext,
  ref: BackupRef & { server: ServerTarget; createRoles?: boolean },
  options: JobEnvOptions & { actor?: string; valueSource?: ValueSource } = {},
): Promise<JobSummary> {
  const backup = await resolveBackup(ctx, ref);
  const password = await resolveServerPassword(ctx, ref.server);
  const server = withoutPassword(ref.server);
  const job = ctx.runner.start(
    { kind: 'drill', planId: null, planName: backup.planName ?? path.basename(backup.filePath), trigger: 'manual' },
    async (jobCtx): Promise<JobOutcome> => {
      const report = await runDrill(
        {
          filePath: backup.filePath,
          passphrase: backup.passphrase,
          serverFor: () => ({ server, password }),
          createRoles: ref.createRoles,
          // the server came from the Verify screen's drill form (or the command line), not a plan
          valueSource: options.valueSource ?? 'drill-form',
          env: options.env,
          pgToolDirs: options.pgToolDirs,
        },
        jobCtx,
      );
      recordDrill(ctx, report, { jobId: jobCtx.jobId, backupJobId: backup.backupJobId, filePath: backup.filePath });
      return {
        status: report.status === 'passed' ? 'success' : 'failed',
        errorCode: report.errorCode,
        filePath: backup.filePath,
        displayMessage:
          report.status === 'passed'
            ? `Proven restorable: ${report.checks.join('; ')}.`
            : `Restore drill failed: ${report.reasons[0] ?? 'unknown reason'}`,
        sources: report.databases.map((d) => ({
          kind: 'database' as const,
          label: d.label,
          status: d.status === 'passed' ? ('success' as const) : ('failed' as const),
          bytes: 0,
          files: d.tables.length,
          errorCode: d.status === 'passed' ? null : report.errorCode,
          message: d.status === 'passed' ? `restored into ${d.drillDatabase} and dropped; row counts, owners and privileges match` : d.reasons.join('; '),
        })),
      };
    },
  );
  ctx.audit.record(options.actor ?? 'user', 'backup.drill', ref.backupJobId ?? ref.filePath ?? null, {
    jobId: job.id,
    server: `${server.user}@${server.host}:${server.port}`,
  });
  return job;
}
