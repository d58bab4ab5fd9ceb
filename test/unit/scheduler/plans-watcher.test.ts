/**
 * Plans saved by another process: the watcher emits plans/changed here for each plan another
 * connection added, changed or deleted, and stays quiet about changes announced here.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogDb } from '../../../src/main/core/catalog/catalog';
import { PlansRepo } from '../../../src/main/core/catalog/plans-repo';
import { EventBus } from '../../../src/main/core/ports';
import { PlansWatcher } from '../../../src/main/core/scheduler/plans-watcher';
import { planInputSchema } from '../../../src/shared/plan';
import { makeTempDir } from '../../support/temp-core';

const dirs: string[] = [];
const dbs: CatalogDb[] = [];
const watchers: PlansWatcher[] = [];
afterEach(() => {
  watchers.splice(0).forEach((w) => w.stop());
  dbs.splice(0).forEach((db) => db.close());
  dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

const definition = (name: string) =>
  planInputSchema.parse({ name, folders: [{ id: 'f', path: '/data' }], schedule: { kind: 'daily', time: '02:00' }, options: { destination: '/backups' } });

describe('PlansWatcher', () => {
  it('announces plans another process added, changed or deleted; not the ones announced here', () => {
    const dir = makeTempDir('lifeboat-plans-watch-');
    dirs.push(dir);
    const here = openCatalog(dir);
    const elsewhere = openCatalog(dir);
    dbs.push(here, elsewhere);
    const events = new EventBus();
    const told: string[] = [];
    events.on('plans/changed', ({ planId }) => told.push(planId));
    const other = new PlansRepo(elsewhere);
    other.upsert('a', definition('A'), '2026-03-10T12:00:00.000Z');
    const watcher = new PlansWatcher({ catalog: here, events, intervalMs: 60_000 });
    watchers.push(watcher);
    watcher.start();
    expect(watcher.check()).toEqual([]);

    other.upsert('b', definition('B'), '2026-03-10T12:00:01.000Z');
    other.upsert('a', definition('A2'), '2026-03-10T12:00:02.000Z');
    expect(watcher.check().sort()).toEqual(['a', 'b']);
    expect(told.sort()).toEqual(['a', 'b']);
    expect(watcher.check()).toEqual([]);

    other.delete('b');
    expect(watcher.check()).toEqual(['b']);

    // saved here and announced here: no second announcement
    new PlansRepo(here).upsert('a', definition('A3'), '2026-03-10T12:00:03.000Z');
    events.emit('plans/changed', { planId: 'a' });
    told.length = 0;
    expect(watcher.check()).toEqual([]);
    expect(told).toEqual([]);
  });
});
