/**
 * The drill's second look at what it restored: every object's owner and privileges, and the
 * database's encoding, locale, settings, grants and owner, against what the manifest recorded at
 * backup time. Row counts say the data came back; this says the database can be used as before
 * (the application role can still read, a SECURITY DEFINER function is still not everyone's).
 */
import type pg from 'pg';
import type { ManifestDatabaseSource, ManifestObjectAcl } from '../../../shared/manifest';
import { byCodePoint, readDatabaseState, readObjectAcls } from '../postgres/database-state';
import { leftOutByFilter } from '../postgres/dump-filter';

/** At most this many differences are named one by one. */
const MAX_NAMED = 8;

function describe(o: Pick<ManifestObjectAcl, 'kind' | 'schema' | 'name'>): string {
  return `${o.kind} ${o.schema ? `${o.schema}.` : ''}${o.name}`;
}

/**
 * Compares the connected (restored) database with the manifest's record of its source. Returns
 * the differences (empty: it matches) and what was checked. A backup made before these were
 * recorded has nothing to compare, which is said in `checks`.
 */
export async function compareRestoredFidelity(client: pg.Client, source: ManifestDatabaseSource): Promise<{ differences: string[]; checks: string[] }> {
  const differences: string[] = [];
  const checks: string[] = [];
  if (source.objects) {
    const restored = new Map((await readObjectAcls(client)).map((o) => [`${o.kind}\u0000${o.schema ?? ''}\u0000${o.name}`, o]));
    const found: string[] = [];
    for (const expected of source.objects) {
      const got = restored.get(`${expected.kind}\u0000${expected.schema ?? ''}\u0000${expected.name}`);
      if (!got) {
        // the plan's dump options left it out: its absence is what the manifest says
        if (!leftOutByFilter(expected, source)) found.push(`${describe(expected)} is missing`);
      }
      else if (got.owner !== expected.owner) found.push(`${describe(expected)} is owned by ${got.owner}, in the backup by ${expected.owner}`);
      else if (got.acl.join(',') !== expected.acl.join(',')) {
        found.push(`${describe(expected)} has the privileges {${got.acl.join(',')}}, in the backup {${expected.acl.join(',')}}`);
      }
    }
    if (found.length) {
      differences.push(...found.slice(0, MAX_NAMED));
      if (found.length > MAX_NAMED) differences.push(`and ${found.length - MAX_NAMED} more objects whose owner or privileges differ`);
    } else checks.push(`owners and privileges of ${source.objects.length} objects match the backup`);
  }
  const state = source.databaseState;
  if (state) {
    const got = await readDatabaseState(client);
    const before = differences.length;
    const same = (what: string, a: unknown, b: unknown) => {
      if (JSON.stringify(a) !== JSON.stringify(b)) differences.push(`the database's ${what} is ${JSON.stringify(a)}, in the backup ${JSON.stringify(b)}`);
    };
    same('encoding', got.encoding, state.encoding);
    same('LC_COLLATE', got.collate, state.collate);
    same('LC_CTYPE', got.ctype, state.ctype);
    if (state.localeProvider) same('locale provider', got.localeProvider, state.localeProvider);
    same('locale', got.locale, state.locale);
    same('owner', got.owner, state.owner);
    same('settings', got.settings, state.settings);
    const expectedAcl = state.acl
      ? [...state.acl].sort(byCodePoint)
      : (
          await client.query<{ acl: string[] }>("SELECT acldefault('d', oid)::text[] AS acl FROM pg_roles WHERE rolname = $1", [state.owner])
        ).rows[0]?.acl.sort(byCodePoint) ?? [];
    same('privileges', got.effectiveAcl, expectedAcl);
    if (differences.length === before) checks.push('database encoding, locale, settings, privileges and owner match the backup');
  }
  if (!source.objects && !state) checks.push('owners and privileges were not compared (the backup does not record them)');
  return { differences, checks };
}
