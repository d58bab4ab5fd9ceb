/**
 * `npm run bench`: Lifeboat against the raw PostgreSQL tools, in the same run, on the same data.
 * Two pgbench scales with a randomised filler column (so the data does not compress to nothing).
 *   backup:  plain `pg_dump -Fc` to a file  vs  our encrypted .lifeboat backup (ratio, peak RSS)
 *   restore: plain `pg_restore` of that file vs  our restore engine: authenticate the whole file,
 *            then pg_restore fed from it into a new database (ratio)
 *   verify:  `sha256sum` of our file          vs  our full verification (throughput)
 * Ratios below 1.0 mean Lifeboat is faster. Scales can be set with BENCH_SCALES=5,20.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPgCluster, type PgCluster } from '../test/support/pg-cluster';
import { restoreDatabase } from '../src/main/core/restore/restore-database';
import { verifyBackupFile } from '../src/main/core/verify/verify-backup';

const here = path.dirname(fileURLToPath(import.meta.url));
const scales = (process.env.BENCH_SCALES ?? '10,40').split(',').map(Number);
const PASSPHRASE = 'bench passphrase, not a secret';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, stdin?: NodeJS.ReadableStream): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    if (stdin && child.stdin) stdin.pipe(child.stdin);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve({ ms: performance.now() - started, stdout }) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`)),
    );
  });
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const s = (ms: number) => (ms / 1000).toFixed(2);

async function prepare(cluster: PgCluster, db: string, scale: number): Promise<number> {
  await cluster.createDatabase(db);
  const env = { PGPASSWORD: cluster.password };
  await run(path.join(cluster.binDir, 'pgbench'), ['-i', '-q', '-s', String(scale), '-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user, db], env);
  // realistic, non-trivially compressible rows: random hex instead of pgbench's blank filler
  await cluster.psql(
    "UPDATE pgbench_accounts SET filler = md5(random()::text) || ' ' || md5(random()::text) || ' note ' || (random()*1000)::int; VACUUM FULL pgbench_accounts;",
    db,
  );
  return Number((await cluster.psql(`SELECT pg_database_size('${db}')`, db)).trim());
}

async function main(): Promise<void> {
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

      // restore: plain pg_restore of the raw dump vs pg_restore fed from our encrypted file
      await cluster.createDatabase(`${db}_r1`);
      const rawRestore = await run(path.join(cluster.binDir, 'pg_restore'), [...conn, '--no-owner', '-d', `${db}_r1`, rawFile], env);
      // our restore is the product's path: the whole file authenticated first, then pg_restore
      // fed from the encrypted file in one transaction, into a new database it creates
      const restoreStart = performance.now();
      const restored = await restoreDatabase(
        {
          filePath: ours.filePath,
          passphrase: PASSPHRASE,
          password: cluster.password,
          target: { server: { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable' }, database: `${db}_r2`, mode: 'new' },
        },
        { signal: new AbortController().signal, progress: () => undefined, setTempPath: () => undefined },
      );
      const ourRestoreMs = performance.now() - restoreStart;
      void restored;
      const counts = await cluster.psql(`SELECT count(*) FROM pgbench_accounts`, `${db}_r2`);
      if (Number(counts.trim()) !== scale * 100000) throw new Error(`restored ${counts.trim()} rows, expected ${scale * 100000}`);

      // verify: sha256sum of the file vs our whole verification (chunks, entries, pg_restore --list)
      const sha = await run('sha256sum', [ours.filePath]);
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
        `${s(rawRestore.ms)} s`,
        `${s(ourRestoreMs)} s`,
        (ourRestoreMs / rawRestore.ms).toFixed(2),
        `${(fileMB / (sha.ms / 1000)).toFixed(0)} MB/s`,
        `${(fileMB / (verifyMs / 1000)).toFixed(0)} MB/s`,
      ]);
    }
  } finally {
    await cluster.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const header = ['scale', 'db MB', 'pg_dump -Fc', 'lifeboat', 'backup ratio', 'peak RSS', 'file MB raw/ours', 'pg_restore', 'lifeboat restore', 'restore ratio', 'sha256sum', 'verify'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log('ratios: lifeboat time / raw tool time (<= 1.0 means Lifeboat is faster); backups are AES-256-GCM encrypted.');
}

await main();
