/**
 * Running a tool for the benchmark: its wall time from spawn to exit, its stdout, and its stderr
 * tail in the error when it fails (a benchmark that goes on after a failed step measures nothing).
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  /** killed (SIGKILL) after this long; the error says it timed out */
  timeoutMs?: number;
}

/**
 * Runs `cmd args` with `env` added to this process's environment and resolves with the wall time
 * and stdout; rejects with the exit code and the end of stderr when it exits non-zero.
 */
export function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  stdin?: NodeJS.ReadableStream,
  options: RunOptions = {},
): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: options.cwd, env: { ...process.env, ...env }, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, options.timeoutMs)
      : null;
    child.stdout!.on('data', (d) => (stdout += d));
    // only the tail is ever shown: a chatty tool must not grow this process's memory
    child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    if (stdin && child.stdin) stdin.pipe(child.stdin);
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      if (code === 0) resolve({ ms: performance.now() - started, stdout });
      else if (timedOut) reject(new Error(`${cmd} ${args.join(' ')} timed out after ${Math.round(options.timeoutMs! / 1000)} s`));
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
    });
  });
}

/** The median (the upper one of an even count): one slow outlier round does not move it. */
export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
