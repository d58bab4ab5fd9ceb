/**
 * One backup of one database in a fresh process, so that the benchmark can read this process's
 * own peak RSS. Prints one JSON line: { ms, maxRssMB, sizeBytes, filePath }.
 * Args: <host> <port> <user> <db> <outDir>; password from PGPASSWORD, passphrase from LIFEBOAT_PASSPHRASE.
 */
import { runBackup } from '../src/main/core/backup/run-backup';
import type { JobContext } from '../src/main/core/jobs/job-runner';

const [host, port, user, database, out] = process.argv.slice(2);
const controller = new AbortController();
const ctx: JobContext = {
  jobId: 'bench',
  signal: controller.signal,
  progress: () => undefined,
  setTempPath: () => undefined,
  recordTempDatabase: () => undefined,
  forgetTempDatabase: () => undefined,
};
const started = performance.now();
const result = await runBackup(
  {
    backupId: `bench-${Date.now()}`,
    plan: null,
    type: 'full',
    base: null,
    destination: out!,
    fileStem: `bench-${database}`,
    compressionLevel: Number(process.env.BENCH_LEVEL ?? 1),
    passphrase: process.env.LIFEBOAT_PASSPHRASE ?? null,
    databases: [
      {
        source: { id: 'db', host: host!, port: Number(port), user: user!, database: database!, sslMode: 'disable', hasPassword: true },
        password: process.env.PGPASSWORD ?? null,
      },
    ],
    folders: [],
    appVersion: 'bench',
    retries: { count: 0, backoffSeconds: 1 },
  },
  ctx,
);
const ms = performance.now() - started;
if (result.status !== 'success') {
  console.error(JSON.stringify(result));
  process.exit(1);
}
console.log(
  JSON.stringify({ ms, maxRssMB: process.resourceUsage().maxRSS / 1024, sizeBytes: result.sizeBytes, filePath: result.filePath }),
);
