/**
 * One Lifeboat folder backup or file restore in a fresh process, so that the benchmark can read
 * this process's own peak RSS (the folder counterpart of backup-child.ts). Prints one JSON line.
 *
 *   backup <folder> <outDir> [--base <file>] [--verify]
 *     a full backup of <folder>, or with --base an incremental on that backup (opened inside the
 *     timed part, as a plan's run opens its base); --verify then verifies the file,
 *     timed apart. Prints { ms, maxRssMB, sizeBytes, filePath, verifyMs?, verifyMaxRssMB? }.
 *   restore <file> <targetDir> [--paths a,b]
 *     the file restore the `lifeboat restore --to-folder [--paths]` job runs (restoreFiles: plan,
 *     authenticate, stage, check, commit). Prints { ms, maxRssMB, bytesWritten, files }.
 *
 * The passphrase comes from LIFEBOAT_PASSPHRASE; the compression level from BENCH_LEVEL (default
 * 1, a plan's default). Times are taken inside, from the call to its return: the start-up of
 * this process (tsx, or the bundle folders.ts builds of this file) is not counted.
 */
import path from 'node:path';
import { openBaseBackup } from '../src/main/core/backup/base-index';
import { runBackup } from '../src/main/core/backup/run-backup';
import type { JobContext } from '../src/main/core/jobs/job-runner';
import { makeBackupLocator } from '../src/main/core/restore/locate';
import { restoreFiles } from '../src/main/core/restore/restore-files';
import { verifyBackupFile } from '../src/main/core/verify/verify-backup';
import { folderSourceSchema } from '../src/shared/plan';
import { filesTargetSchema } from '../src/shared/restore';

const [command, ...rest] = process.argv.slice(2);
const flag = (name: string) => rest.includes(name);
const option = (name: string) => {
  const at = rest.indexOf(name);
  return at >= 0 ? rest[at + 1] : undefined;
};
const passphrase = process.env.LIFEBOAT_PASSPHRASE ?? null;
// peak so far: read right after a step, it is that step's peak (or an earlier one's, if higher)
const peakRssMB = () => process.resourceUsage().maxRSS / 1024;
const ctx: JobContext = {
  jobId: 'bench',
  signal: new AbortController().signal,
  progress: () => undefined,
  setTempPath: () => undefined,
  recordTempDatabase: () => undefined,
  forgetTempDatabase: () => undefined,
};

async function backup(folder: string, out: string): Promise<void> {
  const baseFile = option('--base');
  const started = performance.now();
  // opened as a plan's run opens its base (findBase in tasks/plan-backup.ts); runBackup closes it
  const base = baseFile ? await openBaseBackup(baseFile, passphrase) : null;
  const result = await runBackup(
    {
      backupId: `bench-${Date.now()}`,
      plan: null,
      type: base ? 'incremental' : 'full',
      base,
      destination: out,
      fileStem: `bench-${path.basename(folder)}${base ? '-incr' : ''}`,
      compressionLevel: Number(process.env.BENCH_LEVEL ?? 1),
      passphrase,
      databases: [],
      // no excludes: the peers back up every file, so Lifeboat must too
      folders: [folderSourceSchema.parse({ id: 'data', path: folder, excludes: [] })],
      appVersion: 'bench',
      retries: { count: 0, backoffSeconds: 1 },
    },
    ctx,
  );
  const ms = performance.now() - started;
  const maxRssMB = peakRssMB();
  if (result.status !== 'success' || !result.filePath) {
    console.error(JSON.stringify({ ...result, manifest: undefined }));
    process.exit(1);
  }
  let verify = {};
  if (flag('--verify')) {
    // as "verify after backup" does it: right after, in the same process, against the recorded checksum
    const verifyStarted = performance.now();
    const report = await verifyBackupFile(result.filePath, passphrase, { expectedSha256: result.checksum });
    if (report.status !== 'passed') {
      console.error(`verify: ${report.status} ${report.reasons.join('; ')}`);
      process.exit(1);
    }
    verify = { verifyMs: performance.now() - verifyStarted, verifyMaxRssMB: peakRssMB() };
  }
  console.log(JSON.stringify({ ms, maxRssMB, sizeBytes: result.sizeBytes, filePath: result.filePath, ...verify }));
}

async function restore(file: string, target: string): Promise<void> {
  const paths = option('--paths')?.split(',');
  const started = performance.now();
  const result = await restoreFiles(
    {
      filePath: file,
      passphrase,
      target: filesTargetSchema.parse({ folder: target, conflict: 'skip', ...(paths ? { paths } : {}) }),
      locate: makeBackupLocator(file),
    },
    ctx,
  );
  const ms = performance.now() - started;
  const c = result.counts;
  console.log(JSON.stringify({ ms, maxRssMB: peakRssMB(), bytesWritten: result.bytesWritten, files: c.create + c.replace + c['keep-both'] }));
}

if (command === 'backup') await backup(path.resolve(rest[0]!), path.resolve(rest[1]!));
else if (command === 'restore') await restore(path.resolve(rest[0]!), path.resolve(rest[1]!));
else {
  console.error('usage: folder-child.ts backup <folder> <outDir> [--base <file>] [--verify] | restore <file> <targetDir> [--paths a,b]');
  process.exit(2);
}
