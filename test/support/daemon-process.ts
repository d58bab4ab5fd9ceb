/**
 * `lifeboat daemon` as a real child process (node bin/lifeboat.mjs daemon ...) on a data dir,
 * with its stdout log read line by line, for the tests of the daemon, the scheduler lease and
 * the monitoring endpoint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DaemonProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout lines so far */
  lines(): string[];
  stderr(): string;
  /** Resolves with the first line (from the start) that matches; throws naming `what` after `timeoutMs`. */
  waitForLine(match: RegExp | ((line: string) => boolean), what: string, timeoutMs?: number): Promise<string>;
  /** Every line that matches. */
  linesMatching(match: RegExp): string[];
  readonly exited: Promise<DaemonExit>;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<DaemonExit>;
}

/**
 * Spawns the daemon on `dataDir` with `args` after `daemon`; `env` adds to the test's own
 * environment (LIFEBOAT_LEASE_*, PGPASSWORD, LIFEBOAT_PG_BIN...).
 */
export function startDaemon(dataDir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): DaemonProcess {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/lifeboat.mjs'), 'daemon', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, LIFEBOAT_PASSPHRASE: '', ...env, LIFEBOAT_HOME: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<DaemonExit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  const lines = () => stdout.split('\n').filter((line, i, all) => line !== '' && (i < all.length - 1 || stdout.endsWith('\n')));
  const test = (match: RegExp | ((line: string) => boolean)) => (line: string) => (match instanceof RegExp ? match.test(line) : match(line));
  return {
    child,
    pid: child.pid!,
    lines,
    stderr: () => stderr,
    linesMatching: (match) => lines().filter(test(match)),
    async waitForLine(match, what, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lines().find(test(match));
        if (line) return line;
        if (done) throw new Error(`the daemon exited before ${what}:\n${stdout}\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${stdout}\n${stderr}`);
        await sleep(25);
      }
    },
    exited,
    async stop(signal = 'SIGTERM') {
      if (!done) child.kill(signal);
      return exited;
    },
  };
}
