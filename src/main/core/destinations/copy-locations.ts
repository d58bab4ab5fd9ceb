/**
 * Reading a backup from its nearest healthy copy (issue #15, point 4, the app's side):
 * - readableLocation: where a catalog backup is read from: its primary file, unless that is
 *   missing, not the size the catalog recorded, or failed its newest verification; then its first
 *   copy with status 'verified' (then 'uploaded'): a local copy's path (if it is there), a remote
 *   copy's URL;
 * - installPlanCopyOpener: the process's RemoteOpener (destinations/remote-open.ts) for URLs
 *   below a plan's destination, opened with that destination's settings and keychain secret;
 *   any other URL goes to the opener installed before (the command line's, from its environment).
 */
import fs from 'node:fs';
import { destinationUrl, type BackupCopy, type DestinationConfig } from '../../../shared/destination';
import { AppError } from '../../../shared/errors';
import type { JobSummary } from '../../../shared/job';
import type { Plan } from '../../../shared/plan';
import type { CatalogDb } from '../catalog/catalog';
import { CopiesRepo, HEALTHY_COPY_STATUSES } from '../catalog/copies-repo';
import { secretKeys } from '../paths';
import type { SecretStore } from '../ports';
import { openDestination } from './open';
import { currentRemoteOpener, makeDestinationOpener, setRemoteOpener, type DestinationOpener, type RemoteOpener } from './remote-open';
import { isDestinationUrl, parseBackupUrl, parseDestinationUrl } from './url';

/** Where a backup is read from, and the copy it is when not the primary. */
export interface ReadableLocation {
  location: string;
  copy: BackupCopy | null;
}

/** Why the primary file of a backup cannot be used, or null when it looks fine (checked without reading it whole). */
export function primaryProblem(catalog: CatalogDb | undefined, job: Pick<JobSummary, 'id' | 'filePath' | 'sizeBytes'>): string | null {
  if (!job.filePath) return 'it has no file any more';
  if (isDestinationUrl(job.filePath)) return null;
  let size: number;
  try {
    size = fs.statSync(job.filePath).size;
  } catch {
    return `${job.filePath} is missing`;
  }
  if (job.sizeBytes !== null && size !== job.sizeBytes) return `${job.filePath} is ${size} bytes, the catalog recorded ${job.sizeBytes}`;
  if (catalog) {
    const newest = catalog
      .prepare('SELECT status FROM verifications WHERE backup_job_id = ? AND file_path = ? ORDER BY created_at DESC, rowid DESC LIMIT 1')
      .get(job.id, job.filePath) as { status: string } | undefined;
    if (newest?.status === 'failed') return `${job.filePath} failed its newest verification`;
  }
  return null;
}

/**
 * Where to read a catalog backup from: its primary file while that looks fine (primaryProblem),
 * else its nearest healthy copy (verified before uploaded; a local copy only if its file is
 * there), else the primary anyway (the reader then says what is wrong with it). Without a catalog
 * (a context that has none), the primary.
 */
export function readableLocation(catalog: CatalogDb | undefined, job: Pick<JobSummary, 'id' | 'filePath' | 'sizeBytes'>): ReadableLocation | null {
  const primary = job.filePath ? { location: job.filePath, copy: null } : null;
  if (!catalog || !primaryProblem(catalog, job)) return primary;
  const copies = new CopiesRepo(catalog)
    .forBackup(job.id)
    .filter((c) => HEALTHY_COPY_STATUSES.includes(c.status))
    .sort((a, b) => HEALTHY_COPY_STATUSES.indexOf(a.status) - HEALTHY_COPY_STATUSES.indexOf(b.status));
  for (const copy of copies) {
    if (copy.kind === 'local' && !fs.existsSync(copy.url)) continue;
    return { location: copy.url, copy };
  }
  return primary;
}

/** The location fields a URL's parsed config gives (bucket and prefix, container, host and path), laid over a plan's destination. */
function locatedAt(dest: DestinationConfig, parsed: DestinationConfig): DestinationConfig {
  if (dest.kind === 's3' && parsed.kind === 's3') return { ...dest, bucket: parsed.bucket, prefix: parsed.prefix };
  if (dest.kind === 'azure' && parsed.kind === 'azure') return { ...dest, account: parsed.account, container: parsed.container, prefix: parsed.prefix };
  if (dest.kind === 'sftp' && parsed.kind === 'sftp') return { ...dest, path: parsed.path };
  return dest;
}

/**
 * The plan destination a URL's folder or prefix lies in (the longest root that holds it), as a
 * config rooted at that folder, with the plan it belongs to; null when no plan's destination holds it.
 */
export function planDestinationFor(plans: readonly Pick<Plan, 'id' | 'options'>[], parsed: DestinationConfig): { planId: string; config: DestinationConfig } | null {
  const root = destinationUrl(parsed);
  let best: { planId: string; config: DestinationConfig; length: number } | null = null;
  for (const plan of plans) {
    for (const dest of plan.options.copies) {
      if (dest.kind === 'local' || dest.kind !== parsed.kind) continue;
      const destRoot = destinationUrl(dest);
      if ((root === destRoot || root.startsWith(`${destRoot}/`)) && (!best || destRoot.length > best.length)) {
        best = { planId: plan.id, config: locatedAt(dest, parsed), length: destRoot.length };
      }
    }
  }
  return best && { planId: best.planId, config: best.config };
}

/** What the plan copy opener reads: the plans (their destinations) and the keychain. */
export interface PlanCopyOpenerDeps {
  plans: { list(): Plan[] };
  secrets: SecretStore;
}

/** An installed plan copy opener: `uninstall` puts the opener before it back (if it is still the installed one) and closes its connections. */
export interface InstalledOpener {
  readonly opener: RemoteOpener;
  uninstall(): Promise<void>;
}

/**
 * Installs the process's RemoteOpener for the copies of plans: a URL below a plan's destination
 * is opened with that destination's settings (endpoint, region, path style, key file, pinned
 * host key) and its keychain secret (`dest:<planId>:<destinationId>`), connections kept per
 * folder; any other URL goes to the opener installed before (or is refused as without one).
 */
export function installPlanCopyOpener(deps: PlanCopyOpenerDeps): InstalledOpener {
  const previous = currentRemoteOpener();
  const own: DestinationOpener = makeDestinationOpener(async (parsed) => {
    const found = planDestinationFor(deps.plans.list(), parsed)!;
    const secret = await deps.secrets.get(secretKeys.destSecret(found.planId, found.config.id));
    return openDestination(found.config, { secret });
  });
  const holds = (url: string, parse: (url: string) => { config: DestinationConfig }) => planDestinationFor(deps.plans.list(), parse(url).config) !== null;
  const fallback = (url: string): RemoteOpener => {
    if (previous) return previous;
    throw new AppError('VALIDATION', {
      detail: `${url} is on a remote destination no plan names, so the app has no credentials for it: add it to a plan's destinations, or read it with the lifeboat command (credentials from the environment)`,
    });
  };
  const opener: RemoteOpener = {
    open: (url, known) => (holds(url, parseBackupUrl) ? own.open(url, known) : fallback(url).open(url, known)),
    list: (prefixUrl) => (holds(prefixUrl, parseDestinationUrl) ? own.list(prefixUrl) : fallback(prefixUrl).list(prefixUrl)),
  };
  setRemoteOpener(opener);
  return {
    opener,
    async uninstall() {
      if (currentRemoteOpener() === opener) setRemoteOpener(previous);
      await own.close();
    },
  };
}
