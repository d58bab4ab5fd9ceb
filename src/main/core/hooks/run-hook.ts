/**
 * Running one pre- or post-backup hook: the command's words (shared/hooks.ts splitCommandLine)
 * spawned without a shell, so nothing in it or in the run's data is expanded or interpreted; the
 * run's facts in LIFEBOAT_* environment variables; a timeout after which the hook (its whole
 * process group, so a script's children too) gets SIGTERM, then SIGKILL; the end of its output
 * kept for the job.
 */
import { spawn } from 'node:child_process';
import { AppError } from '../../../shared/errors';
import { splitCommandLine, type Hook, type HookPhase, type HookResult } from '../../../shared/hooks';

/** Longest output tail kept per hook (as a tool's stderr tail). */
export const HOOK_OUTPUT_TAIL_CHARS = 4000;

/** Variables of the parent's environment a hook never gets: the backup's own secret. */
const WITHHELD_VARIABLES = ['LIFEBOAT_PASSPHRASE'];

export interface HookRun {
  phase: HookPhase;
  hook: Hook;
  /** LIFEBOAT_* variables describing the run */
  variables: Record<string, string>;
  /** aborting stops the hook as a timeout does, and the result says so */
  signal?: AbortSignal;
  /** the environment the hook's is built from (default process.env) */
  baseEnv?: NodeJS.ProcessEnv;
  /** how long SIGTERM has before SIGKILL (default 3000 ms) */
  killGraceMs?: number;
}

export interface HookOutcome {
  result: HookResult;
  /** HOOK_NOT_FOUND, HOOK_TIMEOUT or HOOK_FAILED; null when it exited 0 */
  error: AppError | null;
}

const PHASE_NAME: Record<HookPhase, string> = { pre: 'pre-backup hook', post: 'post-backup hook' };

/** The hook's environment: the parent's without what it must not see, plus the run's variables. */
export function hookEnvironment(baseEnv: NodeJS.ProcessEnv, variables: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...baseEnv };
  for (const name of WITHHELD_VARIABLES) delete env[name];
  return { ...env, ...variables };
}

/** Runs the hook to its end (never throws: a failure is in `error`, with what it printed in the result). */
export async function runHook(run: HookRun): Promise<HookOutcome> {
  const { hook, phase } = run;
  const started = Date.now();
  const name = PHASE_NAME[phase];
  const result = (fields: Partial<HookResult>): HookResult => ({
    phase,
    command: hook.command,
    exitCode: null,
    signal: null,
    timedOut: false,
    durationMs: Date.now() - started,
    outputTail: '',
    error: null,
    ...fields,
  });
  const split = splitCommandLine(hook.command);
  if (!split.ok) {
    const error = new AppError('HOOK_NOT_FOUND', { detail: `${name} "${hook.command}": ${split.reason}` });
    return { result: result({ error: error.message }), error };
  }
  const [program, ...args] = split.argv;
  return new Promise<HookOutcome>((resolve) => {
    let output = '';
    let timedOut = false;
    let stopped = false;
    let settled = false;
    const posix = process.platform !== 'win32';
    const child = spawn(program!, args, {
      env: hookEnvironment(run.baseEnv ?? process.env, run.variables),
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
      // its own process group: a timeout stops the script's children too
      detached: posix,
    });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-HOOK_OUTPUT_TAIL_CHARS * 2);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);

    const kill = (sig: NodeJS.Signals) => {
      try {
        if (posix && child.pid) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // already gone
      }
    };
    let graceTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      kill('SIGTERM');
      graceTimer = setTimeout(() => kill('SIGKILL'), run.killGraceMs ?? 3000);
      graceTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, hook.timeoutSeconds * 1000);
    const onAbort = () => stop();
    if (run.signal?.aborted) stop();
    else run.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (outcome: HookOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      run.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const tail = () => output.slice(-HOOK_OUTPUT_TAIL_CHARS).trimEnd();

    child.on('error', (err: NodeJS.ErrnoException) => {
      const error = new AppError('HOOK_NOT_FOUND', { detail: `${name} "${program}": ${err.code === 'ENOENT' ? 'no such program' : err.code === 'EACCES' ? 'not executable' : err.message}`, cause: err });
      finish({ result: result({ error: error.message, outputTail: tail() }), error });
    });
    child.on('exit', (code, signal) => {
      // a background process the hook left behind may hold its output open: wait for it briefly only
      const done = () => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        const fields = { exitCode: code, signal: signal ?? null, timedOut, outputTail: tail() };
        let error: AppError | null = null;
        if (timedOut) error = new AppError('HOOK_TIMEOUT', { detail: `${name} "${hook.command}" ran longer than ${hook.timeoutSeconds} s` });
        else if (stopped) error = new AppError('CANCELLED', { detail: `${name} stopped` });
        else if (code !== 0) {
          const last = tail().split('\n').filter(Boolean).at(-1);
          error = new AppError('HOOK_FAILED', {
            detail: `${name} "${hook.command}" ${code === null ? `was killed by ${signal}` : `exited with code ${code}`}${last ? `: ${last.slice(0, 300)}` : ''}`,
          });
        }
        finish({ result: result({ ...fields, error: error?.message ?? null }), error });
      };
      let closed = false;
      child.once('close', () => {
        closed = true;
        done();
      });
      setTimeout(() => {
        if (!closed) done();
      }, 1000).unref();
    });
  });
}
