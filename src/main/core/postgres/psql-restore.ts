/**
 * Restoring through psql, for what pg_restore cannot do in its one transaction: run SQL of
 * Lifeboat's own around the dump's (a table replaced in place is emptied first, its triggers
 * off while it is reloaded). pg_restore prints the SQL of the chosen entries (--file=-), which
 * is streamed into `psql -v ON_ERROR_STOP=1`; the transaction is Lifeboat's: it writes BEGIN and
 * its SQL first and writes COMMIT itself, last, only when
 * - pg_restore has exited 0 (its whole script went through psql without an error), and
 * - the caller has ended the dump (`end()`), which feedDump does only after the dump passed its
 *   size and SHA-256 check against the manifest. pg_restore may stop reading early (a selection
 *   needs part of the dump) and exit 0 before that check: COMMIT still waits for it.
 * Any failure, a cancel, or a check that fails stops psql without a COMMIT: its connection
 * closes and the server rolls everything back. This is the guarantee pg_restore
 * --single-transaction gives (a dump that fails its check never commits), kept and made stricter.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import type { DatabaseSource } from '../../../shared/plan';
import { toolEnv } from './libpq-env';
import { conninfoValue, mapPgRestoreFailure, type PgRestoreInvocation, type PgRestoreProcess } from './restore';
import { alreadyCancelled, stdinFeeder, superviseTool } from './tool-process';
import { findPgTool } from './tools';

/** psql reading a script on stdin into `target`, stopping at the first error; the password only in its environment. */
export function buildPsqlInvocation(psqlPath: string, target: DatabaseSource, password: string | null, env?: NodeJS.ProcessEnv): PgRestoreInvocation {
  return {
    command: psqlPath,
    args: ['--no-psqlrc', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1', '--file=-', `--dbname=dbname=${conninfoValue(target.database)}`],
    env: toolEnv(env, { source: target, password }),
  };
}

/**
 * The psql beside pg_restore (the same release: pg_restore's scripts may use psql commands a
 * newer release added, such as \restrict), else the one findPgTool finds.
 */
export async function findPsqlFor(pgRestorePath: string, env: NodeJS.ProcessEnv, fallbackDirs?: readonly string[]): Promise<string> {
  const beside = path.join(path.dirname(pgRestorePath), process.platform === 'win32' ? 'psql.exe' : 'psql');
  try {
    await fs.access(beside, fs.constants.X_OK);
    return beside;
  } catch {
    return findPgTool('psql', env, { fallbackDirs });
  }
}

export interface ScriptRestoreOptions {
  /** pg_restore printing SQL: buildPgRestoreInvocation with `script: true` */
  pgRestore: PgRestoreInvocation;
  /** psql into the target: buildPsqlInvocation */
  psql: PgRestoreInvocation;
  target: DatabaseSource;
  password: string | null;
  /** SQL run after BEGIN, before pg_restore's script */
  prelude: string;
  /** SQL run after pg_restore's script, before COMMIT */
  postlude: string;
  signal?: AbortSignal;
  killGraceMs?: number;
}

/**
 * Starts pg_restore (printing SQL) and psql (running it in one transaction, see the module
 * comment). `feed`/`end` take the dump as for spawnPgRestore; `done` resolves once psql has
 * committed, and rejects (nothing committed) with psql's error, pg_restore's, or CANCELLED.
 */
export function spawnScriptRestore(options: ScriptRestoreOptions): PgRestoreProcess {
  const { signal, password, target } = options;
  if (signal?.aborted) return { feed: async () => undefined, end: () => undefined, done: alreadyCancelled(), pid: undefined };
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });

  const psql = spawn(options.psql.command, options.psql.args, { env: options.psql.env, stdio: ['pipe', 'ignore', 'pipe'], shell: false, windowsHide: true });
  const restore = spawn(options.pgRestore.command, options.pgRestore.args, {
    env: options.pgRestore.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    shell: false,
    windowsHide: true,
  });
  const script = stdinFeeder(psql.stdin!);
  const dump = stdinFeeder(restore.stdin!);
  const psqlRun = superviseTool(psql, {
    command: options.psql.command,
    signal: stop.signal,
    password,
    killGraceMs: options.killGraceMs,
    missingCode: 'PG_PSQL_MISSING',
    mapFailure: (tail, exit) => mapPgRestoreFailure(tail, target, exit),
    onAbort: () => {
      script.close();
      psql.stdin!.destroy();
    },
  });
  const restoreRun = superviseTool(restore, {
    command: options.pgRestore.command,
    signal: stop.signal,
    password: null,
    killGraceMs: options.killGraceMs,
    missingCode: 'PG_RESTORE_MISSING',
    mapFailure: (tail, exit) => mapPgRestoreFailure(tail, target, exit),
    onAbort: () => {
      dump.close();
      restore.stdin!.destroy();
      restore.stdout!.destroy();
    },
  });
  let endDump!: () => void;
  const dumpEnded = new Promise<void>((resolve) => (endDump = resolve));

  // client_encoding UTF8 around Lifeboat's SQL (names as the target spelled them); pg_restore's script sets the dump's own
  const head = 'SET client_encoding = \'UTF8\';\nSET statement_timeout = 0;\nSET lock_timeout = 0;\nSET idle_in_transaction_session_timeout = 0;\nBEGIN;\n';
  const pump = (async () => {
    await script.feed(Buffer.from(`${head}${options.prelude}\n`));
    for await (const chunk of restore.stdout!) await script.feed(chunk as Buffer);
  })();
  pump.catch(() => undefined);

  const done = (async () => {
    try {
      const psqlQuit = psqlRun.done.then(() => {
        throw new AppError('PG_RESTORE_FAILED', { detail: 'psql ended before the end of the script' });
      });
      await Promise.race([Promise.all([pump, restoreRun.done, dumpEnded]), psqlQuit]);
      await script.feed(Buffer.from(`\nSET client_encoding = 'UTF8';\n${options.postlude}\nCOMMIT;\n`));
      script.end();
      const { stderrTail } = await psqlRun.done;
      return { stderrTail, stdout: '' };
    } catch (error) {
      // never a COMMIT: psql is stopped, its connection closes, the server rolls back
      stop.abort(error);
      const [psqlEnd, restoreEnd] = await Promise.allSettled([psqlRun.done, restoreRun.done, pump]);
      if (signal?.aborted) throw new AppError('CANCELLED');
      // psql's own error explains a pg_restore that then failed to write to it, not the other way round
      const real = (r: PromiseSettledResult<unknown>) => (r.status === 'rejected' && r.reason instanceof AppError && r.reason.code !== 'CANCELLED' ? r.reason : null);
      throw real(psqlEnd!) ?? real(restoreEnd!) ?? (error instanceof AppError ? error : new AppError('PG_RESTORE_FAILED', { detail: String(error), cause: error }));
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  })();
  done.catch(() => undefined);
  return {
    feed: dump.feed,
    end: () => {
      dump.end();
      endDump();
    },
    done,
    pid: restore.pid,
  };
}
