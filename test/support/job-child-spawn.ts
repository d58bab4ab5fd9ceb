/**
 * Starting test/support/job-child.ts (a job in a Lifeboat process of its own) and reading what it
 * printed, for the tests that kill that process or run a plan from two processes at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TransferableError } from '../../src/shared/errors';
import { waitFor } from './backup-fixtures';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface JobChild {
  child: ChildProcess;
  /** the job it started, or null when starting it failed (then `error` says why) */
  jobId: string | null;
  error: TransferableError | null;
  /** the exit code, or the signal that ended it */
  exited: Promise<NodeJS.Signals | number | null>;
}

/**
 * Spawns the child on `dataDir` with `job` (see job-child.ts), the secrets for its keychain and
 * extra environment (LIFEBOAT_PG_BIN...); resolves once it printed its first line.
 */
export async function startJobChild(
  dataDir: string,
  job: unknown,
  options: { secrets?: Record<string, string>; env?: NodeJS.ProcessEnv } = {},
): Promise<JobChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/support/job-child.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...options.env,
      LIFEBOAT_HOME: dataDir,
      LIFEBOAT_TEST_JOB: JSON.stringify(job),
      LIFEBOAT_TEST_SECRETS: JSON.stringify(options.secrets ?? {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const line = await waitFor(
    () => {
      const first = stdout.split('\n')[0]?.trim();
      if (first && stdout.includes('\n')) return first;
      if (child.exitCode !== null) throw new Error(`the child ended without a word: ${stdout}\n${stderr}`);
      return null;
    },
    60_000,
    'the child to start its job',
  );
  const printed = JSON.parse(line) as { jobId?: string; error?: TransferableError };
  return { child, jobId: printed.jobId ?? null, error: printed.error ?? null, exited };
}
