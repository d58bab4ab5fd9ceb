/**
 * Start-up recovery of the databases jobs create and drop again (a restore's new database until
 * the restore has succeeded, a drill's throwaway ones; see JobContext.recordTempDatabase). A
 * crash, a kill -9 or a server that went away mid-restore leaves such a database recorded on its
 * job; the next process that builds a core (the app, the CLI) drops it, but only when it still
 * carries that job's mark (COMMENT 'lifeboat:job:<id>'; for a drill job also the
 * lifeboat_drill_ name): a database of the same name that someone else made is never touched.
 * The job's message says what was done, or, when the server cannot be reached, that the
 * database is still there and how to drop it by hand; it then stays recorded for the next start.
 */
import type pg from 'pg';
import { AppError } from '../../../shared/errors';
import type { JobSummary } from '../../../shared/job';
import type { JobTempDatabases, TempDatabase } from '../catalog/jobs-repo';
import type { CoreContext } from '../context';
import { secretKeys } from '../paths';
import { connectMaintenance, databaseMarker, dropDatabase, jobMarker } from '../restore/target-db';
import { DRILL_DATABASE_PREFIX } from '../verify/drill';
import { resolveServerPassword } from './resolve-backup';

/** What recovery uses of the core. */
export type RecoverDatabasesContext = Pick<CoreContext, 'jobs' | 'plans' | 'secrets' | 'events' | 'audit'>;

/** Short, so that an unreachable server does not hold up a CLI command for long. */
export const RECOVERY_CONNECT_TIMEOUT_MS = 5_000;

type Outcome =
  | { kind: 'dropped' }
  | { kind: 'absent' }
  | { kind: 'unmarked' }
  | { kind: 'unreachable'; reason: string };

interface Leftover {
  job: JobTempDatabases;
  db: TempDatabase;
  outcome?: Outcome;
}

/** Every recovery note begins so: an earlier note about the same database is replaced, not repeated. */
const NOTE_OPENER = 'The unfinished database ';

/**
 * Drops the temp databases that finished jobs (interrupted, failed, cancelled) still record, as
 * the module comment says; running and pending jobs (this process's or another live one's) are
 * left alone. Never rejects for a database or server; returns how many databases were dropped.
 */
export async function recoverTempDatabases(
  ctx: RecoverDatabasesContext,
  options: {
    connectTimeoutMs?: number;
    /** tells of a job row recovery changed (default: jobs/updated on the event bus) */
    announce?: (job: JobSummary) => void;
  } = {},
): Promise<number> {
  const announce = options.announce ?? ((job: JobSummary) => ctx.events.emit('jobs/updated', job));
  const leftovers: Leftover[] = ctx.jobs
    .withTempDatabases()
    .filter((job) => job.status !== 'running' && job.status !== 'pending')
    .flatMap((job) => job.tempDatabases.map((db) => ({ job, db })));
  if (leftovers.length === 0) return 0;
  const byServer = new Map<string, Leftover[]>();
  for (const item of leftovers) {
    const { host, port, user, sslMode, maintenanceDatabase } = item.db;
    const key = JSON.stringify([host, port, user, sslMode, maintenanceDatabase ?? null]);
    byServer.set(key, [...(byServer.get(key) ?? []), item]);
  }
  await Promise.all([...byServer.values()].map((items) => recoverOnServer(ctx, items, options.connectTimeoutMs ?? RECOVERY_CONNECT_TIMEOUT_MS)));

  for (const job of new Set(leftovers.map((l) => l.job))) {
    const done = leftovers.filter((l) => l.job === job);
    for (const { db, outcome } of done) {
      if (outcome!.kind !== 'unreachable') ctx.jobs.forgetTempDatabase(job.id, db);
      ctx.audit.record('system', 'jobs.recover-temp-database', job.id, { database: db.database, server: `${db.host}:${db.port}`, outcome: outcome!.kind });
    }
    const notes = done.map(({ db, outcome }) => ({ db, text: noteFor(db, outcome!, job.status) })).filter((n): n is { db: TempDatabase; text: string } => n.text !== null);
    if (notes.length === 0) continue;
    const row = ctx.jobs.setDisplayMessage(job.id, withNotes(ctx.jobs.get(job.id)?.displayMessage ?? null, notes));
    if (row) announce(row);
  }
  return leftovers.filter((l) => l.outcome!.kind === 'dropped').length;
}

/** Checks and drops the leftovers of one server over one connection; sets each one's outcome. */
async function recoverOnServer(ctx: RecoverDatabasesContext, items: Leftover[], connectTimeoutMs: number): Promise<void> {
  const server = items[0]!.db;
  let client: pg.Client;
  try {
    client = await connectMaintenance(server, await serverPassword(ctx, server), undefined, connectTimeoutMs);
  } catch (error) {
    for (const item of items) item.outcome = { kind: 'unreachable', reason: reasonOf(error) };
    return;
  }
  try {
    for (const item of items) {
      try {
        const mark = await databaseMarker(client, item.db.database);
        if (mark === undefined) item.outcome = { kind: 'absent' };
        else if (!carriesJobMark(item.job, item.db.database, mark)) item.outcome = { kind: 'unmarked' };
        else {
          await dropDatabase(client, item.db.database);
          item.outcome = { kind: 'dropped' };
        }
      } catch (error) {
        item.outcome = { kind: 'unreachable', reason: reasonOf(error) };
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether the database is the one the job created: its mark, and for a drill job its name too. */
function carriesJobMark(job: JobTempDatabases, database: string, mark: string | null): boolean {
  if (mark !== jobMarker(job.id)) return false;
  return job.kind !== 'drill' || database.startsWith(DRILL_DATABASE_PREFIX);
}

/**
 * The server's password: the keychain entry of a plan database, else of a plan's drill server,
 * on the same host, port and user; null lets libpq try ~/.pgpass and PGPASSWORD (the CLI's
 * keychain gives PGPASSWORD for plan databases).
 */
async function serverPassword(ctx: RecoverDatabasesContext, server: TempDatabase): Promise<string | null> {
  const { host, port, user, sslMode } = server;
  const fromPlans = await resolveServerPassword(ctx, { host, port, user, sslMode });
  if (fromPlans) return fromPlans;
  for (const plan of ctx.plans.list()) {
    const drill = plan.options.drillServer;
    if (drill?.hasPassword && drill.host === host && drill.port === port && drill.user === user) {
      const stored = await ctx.secrets.get(secretKeys.drillPassword(plan.id));
      if (stored) return stored;
    }
  }
  return null;
}

function reasonOf(error: unknown): string {
  if (error instanceof AppError) return error.detail ?? error.message;
  return error instanceof Error ? error.message : String(error);
}

/** The sentence the job's message gets for one database; null when there is nothing to say. */
function noteFor(db: TempDatabase, outcome: Outcome, status: JobTempDatabases['status']): string | null {
  const where = `${NOTE_OPENER}"${db.database}" on ${db.host}:${db.port}`;
  const byHand = `DROP DATABASE "${db.database.replace(/"/g, '""')}";`;
  switch (outcome.kind) {
    case 'dropped':
      return `${where} was dropped.`;
    case 'absent':
      // a failed or cancelled job already said what it did; an interrupted one has yet to
      return status === 'interrupted' ? `${where} was already gone.` : null;
    case 'unmarked':
      return `${where} was left alone: it does not carry this job's Lifeboat mark, so it may not be the one this job created. If it is, drop it by hand: ${byHand}`;
    case 'unreachable':
      return `${where} is still there: it could not be dropped (${outcome.reason}). Lifeboat tries again at its next start; or drop it by hand: ${byHand}`;
  }
}

/** The message with the notes at its end, in place of earlier notes about the same databases. */
function withNotes(message: string | null, notes: { db: TempDatabase; text: string }[]): string {
  const [base = '', ...earlier] = ` ${message ?? ''}`.split(` ${NOTE_OPENER}`);
  const kept = earlier
    .filter((segment) => !notes.some(({ db }) => segment.startsWith(`"${db.database}" on ${db.host}:${db.port} `)))
    .map((segment) => `${NOTE_OPENER}${segment}`);
  return [base.trim(), ...kept, ...notes.map((n) => n.text)].filter(Boolean).join(' ');
}
