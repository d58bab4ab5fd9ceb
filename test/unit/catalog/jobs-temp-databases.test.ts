/**
 * The temp databases a job records in the catalog (a restore's new database, a drill's
 * throwaway ones): kept across the job's end until forgotten, listed for start-up recovery.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogDb } from '../../../src/main/core/catalog/catalog';
import { JobsRepo, type TempDatabase } from '../../../src/main/core/catalog/jobs-repo';
import { makeTempDir } from '../../support/temp-core';

const dirs: string[] = [];
const dbs: CatalogDb[] = [];
afterEach(() => {
  dbs.splice(0).forEach((db) => db.close());
  dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

function repo(): JobsRepo {
  const dir = makeTempDir('lifeboat-temp-dbs-');
  dirs.push(dir);
  const db = openCatalog(dir);
  dbs.push(db);
  return new JobsRepo(db);
}

const server = { host: 'db.example.org', port: 5432, user: 'admin', sslMode: 'prefer' as const };
const drill1: TempDatabase = { ...server, database: 'lifeboat_drill_0001' };
const drill2: TempDatabase = { ...server, maintenanceDatabase: 'shop', database: 'lifeboat_drill_0002' };

describe('JobsRepo temp databases', () => {
  it('records, lists and forgets them; the job ending keeps them (a drop that failed is retried at the next start)', () => {
    const jobs = repo();
    jobs.create({ id: 'drill', kind: 'drill', planId: null, planName: 'shop.lifeboat', trigger: 'manual', startedAt: '2026-03-01T10:00:00.000Z', ownerPid: 4242 });
    jobs.create({ id: 'other', kind: 'backup', planId: 'p', planName: 'p', trigger: 'manual', startedAt: '2026-03-01T09:00:00.000Z' });
    jobs.markRunning('drill', null);
    expect(jobs.tempDatabasesOf('drill')).toEqual([]);
    expect(jobs.withTempDatabases()).toEqual([]);

    jobs.recordTempDatabase('drill', drill1);
    jobs.recordTempDatabase('drill', drill2);
    // the same database again (same name on the same server) is one entry
    jobs.recordTempDatabase('drill', { ...drill1, user: 'other' });
    expect(jobs.tempDatabasesOf('drill')).toEqual([drill2, { ...drill1, user: 'other' }]);

    jobs.finish('drill', { status: 'failed', finishedAt: '2026-03-01T10:05:00.000Z', durationMs: 300_000, displayMessage: 'Restore drill failed' });
    expect(jobs.withTempDatabases()).toEqual([
      { id: 'drill', kind: 'drill', status: 'failed', ownerPid: 4242, displayMessage: 'Restore drill failed', tempDatabases: [drill2, { ...drill1, user: 'other' }] },
    ]);

    jobs.forgetTempDatabase('drill', drill1);
    expect(jobs.tempDatabasesOf('drill')).toEqual([drill2]);
    jobs.forgetTempDatabase('drill', drill2);
    expect(jobs.tempDatabasesOf('drill')).toEqual([]);
    expect(jobs.withTempDatabases()).toEqual([]);
    // forgetting what is not recorded is no error
    jobs.forgetTempDatabase('drill', drill2);
    expect(jobs.setDisplayMessage('drill', 'Restore drill failed. Dropped.')!.displayMessage).toBe('Restore drill failed. Dropped.');
  });
});
