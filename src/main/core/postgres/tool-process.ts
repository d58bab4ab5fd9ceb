/**
 * What every PostgreSQL client tool we run needs around its child process: a capped stderr tail
 * with the password removed, cancellation (SIGTERM, then SIGKILL after a grace period), and one
 * `done` promise that maps a failed start, a cancel and a non-zero exit to AppErrors.
 */
import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { AppError, type ErrorCode } from '../../../shared/errors';
import { redactedTail } from './redact';

export const STDERR_TAIL_CHARS = 4000;
const DEFAULT_KILL_GRACE_MS = 3000;

export interface SuperviseOptions {
  command: string;
  signal?: AbortSignal;
  password: string | null;
  /** how long SIGTERM has before SIGKILL (default 3000 ms) */
  killGraceMs?: number;
  /** the error when the tool cannot be started (PG_DUMP_MISSING, PG_RESTORE_MISSING...) */
  missingCode: ErrorCode;
  /** turns a non-zero exit (stderr tail already without the password) into an AppError */
  mapFailure: (stderrTail: string, exit: { code: number | null; signal: NodeJS.Signals | null }) => AppError;
  /** runs on abort after SIGTERM, e.g. to end the consumer's pipeline at once */
  onAbort?: () => void;
}

/** `done` for a child that never started because the signal was already aborted. */
export function alreadyCancelled(): Promise<never> {
  const done = Promise.reject(new AppError('CANCELLED'));
  done.catch(() => undefined);
  return done;
}

/**
 * Supervises a spawned tool. `done` resolves with the stderr tail when it exits 0, rejects with
 * CANCELLED after an abort, `missingCode` when it could not start, and `mapFailure` otherwise.
 */
export function superviseTool(child: ChildProcess, options: SuperviseOptions): { done: Promise<{ stderrTail: string }> } {
  const { signal, password } = options;
  // keep enough of stderr that a password straddling the tail's cut is still seen whole
  const keep = STDERR_TAIL_CHARS + 2 * (password?.length ?? 0) + 1024;
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (stderr.length > 4 * keep) stderr = stderr.slice(-keep);
  });

  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    aborted = true;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    options.onAbort?.();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const done = new Promise<{ stderrTail: string }>((resolve, reject) => {
    const finish = () => {
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (error) => {
      // only a failed start is final here; other errors are followed by 'close'
      if (child.pid !== undefined) return;
      finish();
      reject(
        aborted
          ? new AppError('CANCELLED', { cause: error })
          : new AppError(options.missingCode, { detail: `${options.command}: ${error.message}`, cause: error }),
      );
    });
    child.once('close', (code, exitSignal) => {
      finish();
      const tail = redactedTail(stderr, STDERR_TAIL_CHARS, password);
      if (aborted) reject(new AppError('CANCELLED'));
      else if (code === 0) resolve({ stderrTail: tail });
      else reject(options.mapFailure(tail, { code, signal: exitSignal }));
    });
  });
  // the caller may attach to `done` only after feeding or reading; do not count that as unhandled
  done.catch(() => undefined);
  return { done };
}

/**
 * Writes to a child's stdin with back-pressure. A child that stops reading early (it failed,
 * or `pg_restore --list` has the table of contents it needs) makes later writes return at once
 * instead of failing: the child's exit status says what happened.
 */
export function stdinFeeder(stdin: Writable): { feed(chunk: Buffer): Promise<void>; end(): void; close(): void } {
  let open = true;
  stdin.on('error', () => (open = false));
  stdin.on('close', () => (open = false));
  return {
    async feed(chunk) {
      if (!open || stdin.write(chunk)) return;
      await new Promise<void>((resolve) => {
        const settle = () => {
          stdin.off('drain', settle);
          stdin.off('close', settle);
          resolve();
        };
        stdin.on('drain', settle);
        stdin.on('close', settle);
      });
    },
    end() {
      if (open) stdin.end();
    },
    close() {
      open = false;
    },
  };
}
