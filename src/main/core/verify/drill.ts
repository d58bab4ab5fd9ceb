/**
 * The restore drill: proof that a backup restores. Each database dump is restored into a
 * throwaway database (lifeboat_drill_<id>) on a server the admin chooses (one for all, or per
 * database: a plan's drill may run on each database's own server), every table's row
 * count is compared with the count the manifest took in the dump's own snapshot (they must be
 * equal), so are every object's owner and privileges and the database's encoding, locale,
 * settings, grants and owner (verify/drill-fidelity.ts; owners and privileges are restored, so
 * roles missing on the drill server fail the drill, named, unless it may create them for the
 * drill), and the throwaway database is always dropped: on success, failure and cancel. It is
 * recorded as the job's temp database (and marked as the job's) from before it exists until it
 * was dropped, so that start-up recovery drops one a crash or a lost server left behind.
 */
import crypto from 'node:crypto';
import { AppError, fromValueSource, toTransferable, type ValueSource } from '../../../shared/errors';
import type { ManifestDatabaseSource } from '../../../shared/manifest';
import type { ServerTarget } from '../../../shared/restore';
import { readManifest } from '../archive/reader';
import { restoreDatabase, type RestoreContext, type RestoredTable } from '../restore/restore-database';
import { cancelledError } from '../restore/cancel';
import { sliceProgress } from '../jobs/slice-progress';
import { connectDatabase } from '../postgres/connection';
import { dropRolesQuietly } from '../restore/fidelity';
import { dropDatabaseQuietly, targetSource, tempDatabaseOf } from '../restore/target-db';
import { compareRestoredFidelity } from './drill-fidelity';

/** A server to drill on, with its password (null: none, or ~/.pgpass). */
export interface DrillServerTarget {
  server: Omit<ServerTarget, 'password'>;
  password: string | null;
}

export interface DrillSpec {
  filePath: string;
  passphrase: string | null;
  /** the server each database is drilled on; the throwaway databases are created and dropped there */
  serverFor: (source: ManifestDatabaseSource) => DrillServerTarget;
  env?: NodeJS.ProcessEnv;
  pgToolDirs?: readonly string[];
  /**
   * Leave out the databases that failed when the backup was made (a plan's drill after a partial
   * run: that failure is already the run's); by default each is a failure of the drill.
   */
  onlyBackedUp?: boolean;
  /** tests: a fixed name suffix */
  nameSuffix?: () => string;
  /**
   * Create the roles the backup uses that the drill server lacks (from the backup's definitions),
   * and drop them again afterwards. Without it, missing roles fail the drill, named.
   */
  createRoles?: boolean;
  /**
   * Where the drill server's values came from, for the wording of a failure: the plan (a drill
   * after its backup, the default), the Verify screen's drill form, the command line.
   */
  valueSource?: ValueSource;
}

export interface DrillDatabaseResult {
  sourceId: string;
  label: string;
  drillDatabase: string;
  status: 'passed' | 'failed';
  tables: RestoredTable[];
  reasons: string[];
  /** set when the throwaway database could not be dropped (it must then be dropped by hand) */
  dropError: string | null;
}

export interface DrillReport {
  status: 'passed' | 'failed';
  reasons: string[];
  checks: string[];
  databases: DrillDatabaseResult[];
  errorCode: string | null;
}

/** How every throwaway database's name begins. */
export const DRILL_DATABASE_PREFIX = 'lifeboat_drill_';

/** A name for a throwaway database: lifeboat_drill_<8 hex>. */
export function drillDatabaseName(suffix = crypto.randomBytes(4).toString('hex')): string {
  return `${DRILL_DATABASE_PREFIX}${suffix}`;
}

/**
 * Runs a drill. A bad backup or a failed restore is a failed report, not an exception; throws
 * only for cancellation and for a backup that holds no database (RESTORE_SELECTION_MISSING).
 */
export async function runDrill(spec: DrillSpec, ctx: RestoreContext): Promise<DrillReport> {
  const reasons: string[] = [];
  const checks: string[] = [];
  const results: DrillDatabaseResult[] = [];
  let errorCode: string | null = null;

  let databases: ManifestDatabaseSource[];
  try {
    // its databases only: a folder's items (a million records, maybe) are not read
    const manifest = await readManifest(spec.filePath, spec.passphrase, { items: false });
    databases = manifest.sources.filter(
      (s): s is ManifestDatabaseSource => s.kind === 'database' && (!spec.onlyBackedUp || s.status === 'success'),
    );
  } catch (error) {
    const t = toTransferable(error);
    return { status: 'failed', reasons: [t.message], checks, databases: [], errorCode: t.code };
  }
  if (databases.length === 0) throw new AppError('RESTORE_SELECTION_MISSING', { detail: 'the backup holds no database to drill' });

  for (const [index, source] of databases.entries()) {
    if (ctx.signal.aborted) throw cancelledError(ctx.signal);
    const name = drillDatabaseName(spec.nameSuffix?.());
    const result: DrillDatabaseResult = { sourceId: source.id, label: source.label, drillDatabase: name, status: 'failed', tables: [], reasons: [], dropError: null };
    results.push(result);
    if (source.status !== 'success') {
      result.reasons.push(`${source.label} failed when the backup was made, so there is nothing to restore`);
      reasons.push(...result.reasons);
      errorCode ??= 'RESTORE_SELECTION_MISSING';
      continue;
    }
    const share = 100 / databases.length;
    const { server, password } = spec.serverFor(source);
    let rolesCreated: string[] = [];
    try {
      const restored = await restoreDatabase(
        {
          filePath: spec.filePath,
          passphrase: spec.passphrase,
          target: { server, database: name, mode: 'new', sourceId: source.id, createRoles: spec.createRoles },
          password,
          // it records and marks the database as this job's, and leaves both to the drop below
          throwaway: true,
          env: spec.env,
          pgToolDirs: spec.pgToolDirs,
        },
        sliceProgress(ctx, index * share, (index + 1) * share),
      );
      result.tables = restored.tables;
      rolesCreated = restored.rolesCreated;
      // owners, privileges and the database-level state, against what the backup recorded
      const client = await connectDatabase(targetSource(server, name), password, { signal: ctx.signal });
      const fidelity = await compareRestoredFidelity(client, source).finally(() => client.end().catch(() => undefined));
      if (restored.mismatches.length) {
        result.reasons.push(...restored.mismatches.map((m) => `${source.label}: ${m}`));
        errorCode ??= 'FILE_CORRUPT';
      }
      if (fidelity.differences.length) {
        // what the restore could not apply is usually why (e.g. per-role settings need CREATEROLE)
        result.reasons.push(...[...fidelity.differences, ...restored.notes].map((d) => `${source.label}: ${d}`));
        errorCode ??= 'PG_RESTORE_FAILED';
      }
      if (!restored.mismatches.length && !fidelity.differences.length) {
        result.status = 'passed';
        checks.push(`${source.label} restored into ${name}: ${restored.tables.length} tables, every row count matches the manifest`, ...fidelity.checks.map((c) => `${source.label}: ${c}`));
        if (rolesCreated.length) checks.push(`${source.label}: the roles ${rolesCreated.join(', ')} were created for the drill and dropped again`);
      }
    } catch (error) {
      if (ctx.signal.aborted) throw cancelledError(ctx.signal);
      const t = toTransferable(fromValueSource(error, spec.valueSource ?? 'plan'));
      errorCode ??= t.code;
      result.reasons.push(`${source.label}: ${t.message}`);
    } finally {
      // always, also after a failure or a cancel (restoreDatabase drops what it created then, but
      // a cancel that lands after it returned leaves the database to us)
      result.dropError = await dropDatabaseQuietly(server, password, name);
      // still recorded when the drop failed (a server restarting): start-up recovery drops it then
      if (!result.dropError) ctx.forgetTempDatabase?.(tempDatabaseOf(server, name));
      else result.reasons.push(`The throwaway database ${name} could not be dropped (Lifeboat tries again at its next start; or drop it by hand): ${result.dropError}`);
      // the roles made for the drill go with it (they own nothing once the database is gone)
      const rolesError = result.dropError ? null : await dropRolesQuietly(server, password, rolesCreated);
      if (result.dropError && rolesCreated.length) result.reasons.push(`The roles ${rolesCreated.join(', ')} created for the drill were left (drop them by hand once ${name} is gone).`);
      if (rolesError) result.reasons.push(`The roles created for the drill could not all be dropped (drop them by hand): ${rolesError}`);
    }
    reasons.push(...result.reasons);
  }
  const passed = results.every((r) => r.status === 'passed');
  return { status: passed ? 'passed' : 'failed', reasons, checks, databases: results, errorCode: passed ? null : errorCode };
}
