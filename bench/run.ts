/**
 * `npm run bench`: Lifeboat against the raw PostgreSQL tools, in the same run, on the same data.
 * Three pgbench scales (10, 40, 100: about 165 MB, 635 MB and 1.6 GB) with a randomised filler column (so the data does not compress to nothing).
 *   backup:  plain `pg_dump -Fc` to a file  vs  our encrypted .lifeboat backup (ratio, peak RSS)
 *   restore: plain `createdb` + `pg_restore` of that file  vs  our restore engine into a new
 *            database (key derivation, the dump checked while pg_restore reads it); the optional
 *            row check afterwards is timed apart; best of BENCH_ROUNDS (5) alternating rounds
 *   verify:  `sha256sum` of our file          vs  our full verification (throughput)
 * Ratios below 1.0 mean Lifeboat is faster. Scales can be set with BENCH_SCALES=5,20.
 *
 * Sections: BENCH_SECTIONS=db,folders,remote (default all); the folder section (folders.ts: restic,
 * borg and tar | zstd | openssl on generated trees) and the remote one (remote.ts: off-site copies
 * to s3rver and sshd on loopback) have their own knobs, described there.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPgCluster, type PgCluster } from '../test/support/pg-cluster';
import { connectDatabase } from '../src/main/core/postgres/connection';
import { forgetDerivedKeys } from '../src/main/core/crypto/keys';
import { restoreDatabase } from '../src/main/core/restore/restore-database';
import { countRows, targetSource } from '../src/main/core/restore/target-db';
import { verifyBackupFile } from '../src/main/core/verify/verify-backup';
import { runFolderSection } from './folders';
import { runRemoteSection } from './remote';
import { missingTools } from './peers';
import { median, run } from './proc';

const here = path.dirname(fileURLToPath(import.meta.url));
const scales = (process.env.BENCH_SCALES ?? '10,40,100').split(',').map(Number);
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const PASSPHRASE = 'bench passphrase, not a secret';

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const s = (ms: number) => (ms / 1000).toFixed(2);

async function prepare(cluster: PgCluster, db: string, scale: number): Promise<number> {
  await cluster.createDatabase(db);
  const env = { PGPASSWORD: cluster.password };
  await run(path.join(cluster.binDir, 'pgbench'), ['-i', '-q', '-s', String(scale), '-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user, db], env);
  // realistic, non-trivially compressible rows: random hex instead of pgbench's blank filler
  await cluster.psql(
    // then a plain VACUUM ANALYZE: VACUUM FULL leaves pgbench's inserts counted, so autovacuum
    // would otherwise scan the whole table again in the middle of the timed runs
    "UPDATE pgbench_accounts SET filler = md5(random()::text) || ' ' || md5(random()::text) || ' note ' || (random()*1000)::int; VACUUM FULL pgbench_accounts; VACUUM ANALYZE;",
    db,
  );
  return Number((await cluster.psql(`SELECT pg_database_size('${db}')`, db)).trim());
}

async function databaseSection(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-'));
  const cluster = await startPgCluster();
  const conn = ['-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user];
  const env = { PGPASSWORD: cluster.password };
  const rows: string[][] = [];
  try {
    for (const scale of scales) {
      const db = `bench_s${scale}`;
      console.error(`preparing pgbench scale ${scale} ...`);
      const dbBytes = await prepare(cluster, db, scale);

      // backup: raw pg_dump -Fc (its default compression) vs our encrypted backup
      const rawFile = path.join(work, `${db}.dump`);
      const raw = await run(path.join(cluster.binDir, 'pg_dump'), [...conn, '-Fc', '-f', rawFile, db], env);
      const ourOut = path.join(work, `out-${scale}`);
      fs.mkdirSync(ourOut);
      const child = await run(
        process.execPath,
        ['--import', 'tsx', path.join(here, 'backup-child.ts'), cluster.host, String(cluster.port), cluster.user, db, ourOut],
        { ...env, LIFEBOAT_PASSPHRASE: PASSPHRASE },
      );
      const ours = JSON.parse(child.stdout.trim().split('\n').pop()!) as { ms: number; maxRssMB: number; sizeBytes: number; filePath: string };

      // restore into a new database: plain `createdb` + `pg_restore` of the raw dump vs the
      // product's restoreDatabase (key derivation, the dump authenticated and checked against the
      // manifest while pg_restore reads it in one transaction); the optional row check (every
      // table's rows counted and compared with the manifest) is timed apart. Several rounds,
      // alternating which goes first, each after a CHECKPOINT and a sync so neither pays for the
      // other's dirty buffers, and each restored database dropped as soon as it has been timed and
      // checked (left standing, autovacuum would vacuum its freshly loaded tables while the other
      // side is timed). The best round of each is reported (the median goes to stderr with every round).
      const server = { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable' as const };
      const rawTimes: number[] = [];
      const ourTimes: number[] = [];
      const checkTimes: number[] = [];
      // the previous run's data still being written back by the kernel would slow the next one down
      const settle = async () => {
        await cluster.psql('CHECKPOINT');
        await run('sync', []);
      };
      for (let round = 0; round < rounds; round++) {
        const rawDb = `${db}_raw${round}`;
        const ourDb = `${db}_ours${round}`;
        const timeRaw = async () => {
          await settle();
          const created = await run(path.join(cluster.binDir, 'createdb'), [...conn, rawDb], env);
          const restored = await run(path.join(cluster.binDir, 'pg_restore'), [...conn, '--no-owner', '-d', rawDb, rawFile], env);
          rawTimes.push(created.ms + restored.ms);
          await cluster.psql(`DROP DATABASE ${rawDb}`);
        };
        const timeOurs = async () => {
          await settle();
          // cold, as a first open of the file: no key kept from an earlier round
          forgetDerivedKeys();
          const started = performance.now();
          const restored = await restoreDatabase(
            {
              filePath: ours.filePath,
              passphrase: PASSPHRASE,
              password: cluster.password,
              // the row comparison is an optional check on top of the restore (like verify-after for backups): timed apart
              target: { server, database: ourDb, mode: 'new', checkRows: false },
            },
            { signal: new AbortController().signal, progress: () => undefined, setTempPath: () => undefined },
          );
          ourTimes.push(performance.now() - started);
          const checkStarted = performance.now();
          const client = await connectDatabase(targetSource(server, ourDb), cluster.password);
          try {
            const counts = await countRows(client, restored.tables);
            checkTimes.push(performance.now() - checkStarted);
            const wrong = restored.tables.filter((t, i) => counts[i] !== t.expected);
            if (wrong.length) throw new Error(`restore: row counts differ for ${wrong.map((t) => t.name).join(', ')}`);
          } finally {
            await client.end();
          }
          const accounts = await cluster.psql(`SELECT count(*) FROM pgbench_accounts`, ourDb);
          if (Number(accounts.trim()) !== scale * 100000) throw new Error(`restored ${accounts.trim()} rows, expected ${scale * 100000}`);
          await cluster.psql(`DROP DATABASE ${ourDb}`);
        };
        if (round % 2 === 0) {
          await timeRaw();
          await timeOurs();
        } else {
          await timeOurs();
          await timeRaw();
        }
      }
      // best of the rounds: this VM's background noise only ever adds time, to either side
      const rawRestoreMs = Math.min(...rawTimes);
      const ourRestoreMs = Math.min(...ourTimes);
      console.error(
        `scale ${scale} restore rounds: createdb+pg_restore ${rawTimes.map(s).join(' ')} s; lifeboat ${ourTimes.map(s).join(' ')} s; row check ${checkTimes.map(s).join(' ')} s; ratio of medians ${(median(ourTimes) / median(rawTimes)).toFixed(2)}`,
      );

      // verify: sha256sum of the file vs our whole verification (chunks, entries, pg_restore --list)
      const sha = await run('sha256sum', [ours.filePath]);
      forgetDerivedKeys();
      const verifyStart = performance.now();
      const report = await verifyBackupFile(ours.filePath, PASSPHRASE);
      const verifyMs = performance.now() - verifyStart;
      if (report.status !== 'passed') throw new Error(`verify: ${report.status} ${report.reasons.join('; ')}`);

      const fileMB = ours.sizeBytes / 1e6;
      rows.push([
        String(scale),
        mb(dbBytes),
        `${s(raw.ms)} s`,
        `${s(ours.ms)} s`,
        (ours.ms / raw.ms).toFixed(2),
        `${ours.maxRssMB.toFixed(0)} MB`,
        `${mb(fs.statSync(rawFile).size)} / ${mb(ours.sizeBytes)}`,
        `${s(rawRestoreMs)} s`,
        `${s(ourRestoreMs)} s`,
        (ourRestoreMs / rawRestoreMs).toFixed(2),
        `${s(Math.min(...checkTimes))} s`,
        ((ourRestoreMs + Math.min(...checkTimes)) / rawRestoreMs).toFixed(2),
        `${(fileMB / (sha.ms / 1000)).toFixed(0)} MB/s`,
        `${(fileMB / (verifyMs / 1000)).toFixed(0)} MB/s`,
      ]);
    }
  } finally {
    await cluster.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const header = ['scale', 'db MB', 'pg_dump -Fc', 'lifeboat', 'backup ratio', 'peak RSS', 'file MB raw/ours', 'createdb+pg_restore', 'lifeboat restore', 'restore ratio', '+ row check', 'ratio with check', 'sha256sum', 'verify'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log('ratios: lifeboat time / raw tool time (<= 1.0 means Lifeboat is faster); backups are AES-256-GCM encrypted.');
  console.log('restore: into a new database, the dump authenticated and checked against the manifest on the way; the row check');
  console.log('(count every restored table, compare with the manifest; on by default, can be turned off) is timed apart.');
}

const SECTIONS = ['db', 'folders', 'remote'];
const sections = new Set((process.env.BENCH_SECTIONS ?? SECTIONS.join(',')).split(',').map((v) => v.trim()).filter(Boolean));
const unknown = [...sections].filter((v) => !SECTIONS.includes(v));
if (unknown.length || sections.size === 0) {
  console.error(`BENCH_SECTIONS takes a comma-separated subset of ${SECTIONS.join(',')}, not ${process.env.BENCH_SECTIONS}`);
  process.exit(2);
}
if (sections.has('folders')) {
  // checked first: a missing tool must not surface only after the database section's 15 minutes
  const { missing, installLine } = missingTools();
  if (missing.length) {
    console.error(`The folder benchmark needs ${missing.join(', ')}, not found on PATH. Install (Debian/Ubuntu):\n  ${installLine}\n(or skip the section: BENCH_SECTIONS=db)`);
    process.exit(1);
  }
}
if (sections.has('db')) await databaseSection();
if (sections.has('folders')) await runFolderSection();
if (sections.has('remote')) await runRemoteSection();
