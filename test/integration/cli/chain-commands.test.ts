/**
 * The chain options on the command line, against a real catalog, real files and a real
 * PostgreSQL: `plan create --type incremental --full-every --full-every-days --keep-chains
 * --cap`, what `plan show` says of them, `run --full`, `list --json` with a partial backup, and a
 * clear refusal naming the fix for each bad value.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir } from '../../support/temp-core';
import { runCliCaptured } from '../../support/cli-run';

const PASSPHRASE = 'chain cli passphrase';
let cluster: PgCluster;
let work: string;
let home: string;

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('shop');
  await cluster.psql("CREATE TABLE items (id int primary key, name text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g;", 'shop');
  work = makeTempDir('lifeboat-chain-cli-');
  home = path.join(work, 'home');
  fs.mkdirSync(path.join(work, 'src'), { recursive: true });
  fs.writeFileSync(path.join(work, 'src/a.txt'), 'alpha');
  fs.writeFileSync(path.join(work, 'pass'), `${PASSPHRASE}\n`, { mode: 0o600 });
});

afterAll(async () => {
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const env = () => ({ LIFEBOAT_HOME: home, PG_SHOP: cluster.password });
const cli = (args: string[]) => runCliCaptured(args, env());
const base = (name: string) => ['plan', 'create', '--name', name, '--folder', path.join(work, 'src'), '--out', path.join(work, 'out', name), '--passphrase-file', path.join(work, 'pass')];

describe('lifeboat plan create with chain options', () => {
  it('saves --type, --full-every, --full-every-days, --keep-chains and --cap, and plan show says them', async () => {
    const created = await cli([...base('chained'), '--type', 'incremental', '--full-every', '5', '--full-every-days', '3', '--keep-chains', '2', '--cap', '50MB', '--json']);
    expect(created.code, created.err).toBe(0);
    const plan = JSON.parse(created.out);
    expect(plan.type).toBe('incremental');
    expect(plan.options).toMatchObject({ fullEveryRuns: 5, fullEveryDays: 3 });
    // --keep-chains is the only keep rule given: it replaces the default 7 days
    expect(plan.retention).toMatchObject({ days: null, keepChains: 2, capBytes: 50_000_000 });

    const shown = await cli(['plan', 'show', 'chained']);
    expect(shown.out).toContain('keep 2 chains; storage cap 50MB');
    expect(shown.out).toContain('new full:     every 5 runs or every 3 days');

    // a cap alone keeps the default 7 days; an incremental plan gets a full every 7 days by default
    const capOnly = await cli([...base('cap-only'), '--type', 'differential', '--cap', '1.5GB', '--json']);
    expect(capOnly.code, capOnly.err).toBe(0);
    expect(JSON.parse(capOnly.out)).toMatchObject({ retention: { days: 7, capBytes: 1_500_000_000 }, options: { fullEveryRuns: null, fullEveryDays: 7 } });

    // --cap none and --full-every-days none turn them off
    const edited = await cli(['plan', 'edit', 'cap-only', '--cap', 'none', '--full-every-days', 'none', '--json']);
    expect(edited.code, edited.err).toBe(0);
    expect(JSON.parse(edited.out)).toMatchObject({ retention: { capBytes: null }, options: { fullEveryDays: null } });
  });

  it.each([
    [['--type', 'incremental', '--cap', '50XB'], '--cap takes a size such as 50MB, 1.5GB, 500MiB or a number of bytes, or none; not "50XB"'],
    [['--type', 'incremental', '--cap', '500kB'], '--cap (retention.capBytes): Use a cap of at least 1 MB'],
    [['--type', 'incremental', '--keep-chains', 'two'], '--keep-chains takes a whole number, not "two"'],
    [['--type', 'incremental', '--full-every', '0'], '--full-every (options.fullEveryRuns)'],
    [['--type', 'incremental', '--full-every-days', '400'], '--full-every-days (options.fullEveryDays)'],
    [['--full-every', '5'], 'add --type incremental (or differential)'],
  ])('refuses %j, naming the fix', async (flags, message) => {
    const r = await cli([...base(`bad-${flags.join('-')}`), ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('The command line is not valid');
    expect(r.err).toContain(message);
    // nothing was saved
    expect((await cli(['plan', 'list', '--json'])).out).not.toContain(`bad-${flags.join('-')}`);
  });
});

describe('lifeboat run --full and list --json', () => {
  it('starts a new chain when asked, and lists a partial backup with the source that failed', async () => {
    const name = 'run-full';
    const created = await cli([...base(name), '--type', 'incremental', '--db', `postgres://${encodeURIComponent(cluster.user)}@127.0.0.1:${cluster.port}/shop?sslmode=disable`, '--password-from', 'env:PG_SHOP']);
    expect(created.code, created.err).toBe(0);
    const runs: { id: string; type: string }[] = [];
    for (const flags of [[], [], ['--full']]) {
      const r = await cli(['run', name, '--passphrase-file', path.join(work, 'pass'), '--json', ...flags]);
      expect(r.code, r.out + r.err).toBe(0);
      runs.push(JSON.parse(r.out));
    }
    const list = await cli(['list', '--plan', name, '--json']);
    const items = JSON.parse(list.out).items as { id: string; status: string }[];
    expect(items).toHaveLength(3);
    const shown = await cli(['inspect', JSON.parse(list.out).items[0].filePath, '--passphrase-file', path.join(work, 'pass'), '--json']);
    expect(JSON.parse(shown.out).manifest?.type ?? JSON.parse(shown.out).type).toBe('full');
    const second = await cli(['inspect', JSON.parse(list.out).items[1].filePath, '--passphrase-file', path.join(work, 'pass'), '--json']);
    expect(JSON.parse(second.out).manifest?.type ?? JSON.parse(second.out).type).toBe('incremental');

    // a database that is not there: the folder is backed up, the run is partial (exit 3)
    const partialName = 'partial';
    expect((await cli([...base(partialName), '--db', `postgres://${encodeURIComponent(cluster.user)}@127.0.0.1:${cluster.port}/missing?sslmode=disable`, '--password-from', 'env:PG_SHOP'])).code).toBe(0);
    const partialRun = await cli(['run', partialName, '--passphrase-file', path.join(work, 'pass')]);
    expect(partialRun.code).toBe(3);
    const listed = JSON.parse((await cli(['list', '--plan', partialName, '--status', 'partial', '--json'])).out);
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0].filePath).toBeTruthy();
    expect(listed.items[0].failedSources).toHaveLength(1);
    expect(listed.items[0].failedSources[0]).toContain('missing');
  });
});
