/**
 * Handler of the Dashboard's statistics channel. The argument arrives validated (see dispatch);
 * reading figures changes nothing, so nothing goes to the audit log.
 */
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import type { CatalogDb } from '../catalog/catalog';
import { JobStatsRepo } from '../catalog/job-stats-repo';
import type { Clock } from '../ports';

/** What the statistics need of the core: the catalog to aggregate and the clock that says "today". */
export interface StatsContext {
  catalog: CatalogDb;
  clock: Clock;
}

/**
 * The `jobs/stats` channel of the handler map; createHandlers spreads it in. A time zone luxon
 * does not know comes back as VALIDATION with the fix in its message.
 */
export function createStatsHandlers(ctx: StatsContext): Pick<InvokeHandlers, 'jobs/stats'> {
  const stats = new JobStatsRepo(ctx.catalog);
  return {
    'jobs/stats': ({ timeZone, days }) => stats.stats({ now: ctx.clock.now(), timeZone, days }),
  };
}
