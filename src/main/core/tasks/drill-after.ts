import type { ManifestDatabaseSource } from '../../../shared/manifest';
import { asksForPassword, type Plan } from '../../../shared/plan';
import type { CoreContext } from '../context';
import type { JobContext, JobOutcome } from '../jobs/job-runner';
import { sliceProgress } from '../jobs/slice-progress';
import { secretKeys } from '../paths';
import { runDrill, type DrillServerTarget } from '../verify/drill';
import { recordDrill } from './record-verification';

/**
 * Where a plan drills each database: its drill server (with the password the keychain keeps for
 * it), else the database's own server with the plan's credentials for it, connecting to the
 * database itself for CREATE/DROP DATABASE (the plan's user can reach it; `postgres` it may not).
 */
export async function planDrillServers(
  ctx: Pick<CoreContext, 'secrets'>,
  plan: Plan,
): Promise<(source: ManifestDatabaseSource) => DrillServerTarget> {
  const drill = plan.options.drillServer;
  if (drill) {
    const password = asksForPassword(drill) ? await ctx.secrets.get(secretKeys.drillPassword(plan.id)) : null;
    const server = { host: drill.host, port: drill.port, user: drill.user, sslMode: drill.sslMode };
    return () => ({ server, password });
  }
  const own = new Map<string, DrillServerTarget>();
  for (const db of plan.databases) {
    own.set(db.id, {
      server: { host: db.host, port: db.port, user: db.user, sslMode: db.sslMode, maintenanceDatabase: db.database },
      password: asksForPassword(db) ? await ctx.secrets.get(secretKeys.dbPassword(plan.id, db.id)) : null,
    });
  }
  // a source the plan no longer has (edited since): the server and user the manifest names
  return (source) =>
    own.get(source.id) ?? {
      server: { host: source.host, port: source.port, user: source.user, sslMode: 'prefer', maintenanceDatabase: source.database },
      password: null,
    };
}

/**
 * "Restore drill after backup": restores every database the run backed up into a throwaway
 * database, compares the row counts with the manifest, drops it, and records the result against
 * the backup ("proven restorable"). A failed drill turns the run into a failure (with the drill's
 * reason): a backup that was not shown to restore must not pass as a good one, and the admin is
 * notified. A run without a database to drill (folders only, or every database failed) is left
 * as it is.
 */
export async function drillAfterBackup(
  ctx: Pick<CoreContext, 'verifications' | 'clock' | 'secrets'>,
  plan: Plan,
  job: JobContext,
  outcome: JobOutcome,
  passphrase: string | null,
  env?: NodeJS.ProcessEnv,
  /** the part of the run's 0-100 this step takes */
  [from, to]: readonly [number, number] = [95, 99],
): Promise<JobOutcome> {
  if (outcome.status === 'failed' || !outcome.filePath) return outcome;
  if (!outcome.sources?.some((s) => s.kind === 'database' && s.status === 'success')) return outcome;
  job.progress({ phase: 'drill', percent: from, currentItem: 'restore drill' });
  const report = await runDrill(
    { filePath: outcome.filePath, passphrase, serverFor: await planDrillServers(ctx, plan), onlyBackedUp: true, env },
    sliceProgress(job, from, to, { phase: 'drill' }),
  );
  recordDrill(ctx, report, { jobId: job.jobId, backupJobId: job.jobId, filePath: outcome.filePath });
  if (report.status === 'failed') {
    return {
      ...outcome,
      status: 'failed',
      errorCode: report.errorCode ?? 'PG_RESTORE_FAILED',
      displayMessage: `The backup was written but its restore drill failed: ${report.reasons[0] ?? 'unknown reason'}`,
    };
  }
  return { ...outcome, displayMessage: `${outcome.displayMessage ?? ''} Proven restorable.`.trim() };
}
