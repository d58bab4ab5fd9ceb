import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/shared/errors';
import { connectDatabase } from '../../../src/main/core/postgres/connection';
import { buildPgDumpInvocation, spawnPgDump, type PgDumpOptions } from '../../../src/main/core/postgres/dump';
import { openSnapshot } from '../../../src/main/core/postgres/snapshot';
import { findPgTool } from '../../../src/main/core/postgres/tools';
import { freePort, startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir } from '../../support/temp-core';

let cluster: PgCluster;
let pgDumpPath: string;
let workDir: string;

beforeAll(async () => {
  const started = Date.now();
  cluster = await startPgCluster();
  console.info(`pg cluster started in ${Date.now() - started} ms on port ${cluster.port}`);
  // the cluster's own client tools, whatever else PATH holds
  pgDumpPath = await findPgTool('pg_dump', { LIFEBOAT_PG_BIN: cluster.binDir }, { fallbackDirs: [] });
  workDir = makeTempDir('lifeboat-dump-');

  await cluster.createDatabase('shop');
  await cluster.psql(
    `CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);
     INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g;
     CREATE SCHEMA "Odd Schema";
     CREATE TABLE "Odd Schema"."Mixed ""Case"" Table" (v text);
     INSERT INTO "Odd Schema"."Mixed ""Case"" Table" VALUES ('a'), ('b'), ('c');
     CREATE TABLE events (at date NOT NULL, what text) PARTITION BY RANGE (at);
     CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
     CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
     INSERT INTO events SELECT date '2024-12-28' + g, 'e' FROM generate_series(0, 9) g;
     CREATE TABLE empty_one (x int);`,
    'shop',
  );
  // large enough that a throttled reader keeps pg_dump busy for seconds (~25 MB)
  await cluster.createDatabase('big');
  await cluster.psql(
    `CREATE TABLE filler AS SELECT g AS id, md5(g::text) || repeat('x', 200) AS payload FROM generate_series(1, 100000) g;`,
    'big',
  );
});

afterAll(async () => {
  await cluster?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

function dumpOptions(db: string, overrides: Partial<PgDumpOptions> = {}): PgDumpOptions {
  return { pgDumpPath, source: cluster.source(db), password: cluster.password, compressionLevel: 1, ...overrides };
}

async function appError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** Restores a custom-format dump into a new database over TCP, password in the environment. */
async function restoreInto(dumpFile: string, db: string): Promise<void> {
  await cluster.createDatabase(db);
  const args = ['--no-password', '--exit-on-error', '-h', '127.0.0.1', '-p', String(cluster.port), '-U', cluster.user, '-d', db, dumpFile];
  await new Promise<void>((resolve, reject) =>
    execFile(path.join(cluster.binDir, 'pg_restore'), args, { env: { ...process.env, PGPASSWORD: cluster.password } }, (error, _out, stderr) =>
      error ? reject(new Error(`pg_restore failed: ${stderr}`)) : resolve(),
    ),
  );
}

async function count(db: string, table: string): Promise<number> {
  return Number((await cluster.psql(`SELECT count(*) FROM ${table}`, db)).trim());
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('openSnapshot', () => {
  it("counts every user table with rows, sizes and quoted names; a partitioned table is listed with its kind and no rows of its own", async () => {
    const snapshot = await openSnapshot(await connectDatabase(cluster.source('shop'), cluster.password));
    try {
      expect(snapshot.snapshotId).toMatch(/^[0-9A-F]+-[0-9A-F]+-\d+$/);
      const byName = Object.fromEntries(snapshot.tables.map((t) => [`${t.schema}.${t.name}`, t]));
      expect(Object.keys(byName).sort()).toEqual(
        ['Odd Schema.Mixed "Case" Table', 'public.empty_one', 'public.events', 'public.events_2024', 'public.events_2025', 'public.items'].sort(),
      );
      expect(byName['public.events']).toMatchObject({ kind: 'partitioned', rows: 0 });
      expect(byName['public.events_2024']).toMatchObject({ kind: 'table', partitionOf: { schema: 'public', name: 'events' } });
      expect(byName['public.items']!.rows).toBe(1000);
      expect(byName['Odd Schema.Mixed "Case" Table']!.rows).toBe(3);
      expect(byName['public.events_2024']!.rows + byName['public.events_2025']!.rows).toBe(10);
      expect(byName['public.events_2024']!.rows).toBe(4);
      expect(byName['public.empty_one']!.rows).toBe(0);
      expect(byName['public.items']!.bytes).toBeGreaterThan(8192);
    } finally {
      await snapshot.release();
      await snapshot.release(); // idempotent
    }
  });

  it('gives pg_dump the snapshot: rows inserted after it are not in the dump', async () => {
    await cluster.createDatabase('moving');
    await cluster.psql(`CREATE TABLE ledger (id serial PRIMARY KEY, amount int); INSERT INTO ledger (amount) SELECT g FROM generate_series(1, 500) g;`, 'moving');
    const snapshot = await openSnapshot(await connectDatabase(cluster.source('moving'), cluster.password));
    const dumpFile = path.join(workDir, 'moving.dump');
    try {
      expect(snapshot.tables.find((t) => t.name === 'ledger')?.rows).toBe(500);

      const other = await connectDatabase(cluster.source('moving'), cluster.password);
      await other.query('INSERT INTO ledger (amount) SELECT g FROM generate_series(1, 250) g');
      await other.end();
      expect(await count('moving', 'ledger')).toBe(750);

      const dump = spawnPgDump(dumpOptions('moving', { snapshotId: snapshot.snapshotId }));
      await pipeline(dump.stdout, fs.createWriteStream(dumpFile));
      const { stderrTail } = await dump.done;
      expect(stderrTail).not.toContain(cluster.password);
    } finally {
      await snapshot.release();
    }
    expect(fs.readFileSync(dumpFile).subarray(0, 5).toString()).toBe('PGDMP');
    await restoreInto(dumpFile, 'moving_restored');
    expect(await count('moving_restored', 'ledger')).toBe(500);
  });
});

describe('spawnPgDump', () => {
  it('dumps a whole database that restores with the same rows, odd names included', async () => {
    const dumpFile = path.join(workDir, 'shop.dump');
    const dump = spawnPgDump(dumpOptions('shop', { compressionLevel: 9 }));
    await pipeline(dump.stdout, fs.createWriteStream(dumpFile));
    await dump.done;
    await restoreInto(dumpFile, 'shop_restored');
    expect(await count('shop_restored', 'items')).toBe(1000);
    expect(await count('shop_restored', '"Odd Schema"."Mixed ""Case"" Table"')).toBe(3);
    expect(await count('shop_restored', 'events')).toBe(10);
  });

  it('keeps the password off the command line: not in the args built, not in /proc/<pid>/cmdline', async () => {
    const invocation = buildPgDumpInvocation(dumpOptions('big'));
    expect(invocation.args.some((arg) => arg.includes(cluster.password))).toBe(false);
    expect(invocation.env.PGPASSWORD).toBe(cluster.password);

    const controller = new AbortController();
    const dump = spawnPgDump(dumpOptions('big', { signal: controller.signal }));
    expect(dump.pid).toBeTypeOf('number');
    // pg_dump blocks on its full pipe while nobody reads, so it is still running here
    const cmdline = fs.readFileSync(`/proc/${dump.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline.some((arg) => arg.includes('pg_dump'))).toBe(true);
    expect(cmdline.join(' ')).not.toContain(cluster.password);
    controller.abort();
    expect((await appError(dump.done)).code).toBe('CANCELLED');
  });

  it('stops a running dump on abort: CANCELLED quickly, the process gone, the reader told', async () => {
    const controller = new AbortController();
    const dump = spawnPgDump(dumpOptions('big', { compressionLevel: 0, signal: controller.signal }));
    let received = 0;
    // a slow destination (~2 MB/s): the 25 MB dump would take many seconds
    const slow = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        setTimeout(callback, 30);
      },
    });
    const piped = pipeline(dump.stdout, slow).then(
      () => 'finished',
      () => 'failed',
    );
    while (received === 0) await sleep(20);
    await sleep(300);

    const abortedAt = Date.now();
    controller.abort();
    const error = await appError(dump.done);
    const elapsed = Date.now() - abortedAt;
    expect(error.code).toBe('CANCELLED');
    expect(elapsed).toBeLessThan(2500);
    expect(processGone(dump.pid!)).toBe(true);
    // the consumer must not mistake the cut-off stream for a complete dump
    expect(await piped).toBe('failed');
    expect(received).toBeLessThan(20 * 1024 * 1024);
  });

  it('rejects with CANCELLED without starting pg_dump when already aborted', async () => {
    const dump = spawnPgDump(dumpOptions('shop', { signal: AbortSignal.abort() }));
    expect(dump.pid).toBeUndefined();
    expect((await appError(dump.done)).code).toBe('CANCELLED');
  });

  it('maps a wrong password to PG_AUTH_FAILED, with neither password in the message', async () => {
    const wrong = `not-${cluster.password}`;
    const dump = spawnPgDump(dumpOptions('shop', { password: wrong }));
    dump.stdout.resume();
    const error = await appError(dump.done);
    expect(error.code).toBe('PG_AUTH_FAILED');
    expect(error.detail).toContain('password authentication failed');
    const visible = `${error.message}\n${error.detail}\n${JSON.stringify(error.toTransferable())}`;
    expect(visible).not.toContain(wrong);
    expect(visible).not.toContain(cluster.password);
  });

  it('maps a missing database to PG_DATABASE_MISSING and a closed port to PG_UNREACHABLE', async () => {
    const missing = spawnPgDump(dumpOptions('no_such_db'));
    missing.stdout.resume();
    expect((await appError(missing.done)).code).toBe('PG_DATABASE_MISSING');

    const closedPort = await freePort();
    const unreachable = spawnPgDump({ ...dumpOptions('shop'), source: { ...cluster.source('shop'), port: closedPort } });
    unreachable.stdout.resume();
    const error = await appError(unreachable.done);
    expect(error.code).toBe('PG_UNREACHABLE');
    expect(error.detail).toContain(`127.0.0.1:${closedPort}`);
  });

  it('reports a failure it does not recognise as PG_DUMP_FAILED with the tool output', async () => {
    const dump = spawnPgDump(dumpOptions('shop', { extraArgs: ['--format=x'] }));
    dump.stdout.resume();
    const error = await appError(dump.done);
    expect(error.code).toBe('PG_DUMP_FAILED');
    expect(error.detail).toContain('invalid output format');
    expect(error.detail).not.toContain(cluster.password);
    // a pattern that matches nothing is one the user can fix: it has its own code
    const noMatch = spawnPgDump(dumpOptions('shop', { extraArgs: ['--table=no_such_table'] }));
    noMatch.stdout.resume();
    expect((await appError(noMatch.done)).code).toBe('PG_DUMP_NO_MATCH');
  });

  it('reports PG_DUMP_MISSING when the pg_dump path does not exist', async () => {
    const dump = spawnPgDump(dumpOptions('shop', { pgDumpPath: path.join(workDir, 'no-pg_dump') }));
    expect((await appError(dump.done)).code).toBe('PG_DUMP_MISSING');
  });
});
