/**
 * Running pg_dump as a child process that streams a custom-format dump on stdout. The password
 * travels in the child's environment (PGPASSWORD) only: never on argv, where any local user can
 * read it (ps, /proc/<pid>/cmdline), and never in the stderr tail or an error.
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { AppError } from '../../../shared/errors';
import { dumpFilterArgs } from '../../../shared/dump-filter';
import type { DatabaseSource } from '../../../shared/plan';
import { toolEnv } from './libpq-env';
import { PG_DUMP_APP_NAME } from './wait-probe';
import { alreadyCancelled, superviseTool } from './tool-process';

export interface PgDumpOptions {
  pgDumpPath: string;
  source: DatabaseSource;
  /** null: no stored password; libpq may still use ~/.pgpass */
  password: string | null;
  /** attach to this exported snapshot (openSnapshot) so the dump matches its row counts */
  snapshotId?: string;
  /** 0 = no compression .. 9 = smallest */
  compressionLevel: number;
  /** aborting sends SIGTERM, SIGKILL after killGraceMs, and `done` rejects with CANCELLED */
  signal?: AbortSignal;
  /** more pg_dump arguments (for example --table); never put a secret here */
  extraArgs?: readonly string[];
  /** the parent environment the child's is built from (toolEnv keeps only what a tool needs); defaults to process.env */
  env?: NodeJS.ProcessEnv;
  /** how long SIGTERM has before SIGKILL (default 3000 ms) */
  killGraceMs?: number;
}

export interface PgDumpInvocation {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export interface PgDumpResult {
  /** the end of pg_dump's stderr (warnings), password removed */
  stderrTail: string;
}

export interface PgDumpProcess {
  /**
   * The dump. Read it to the end: pg_dump blocks while nobody reads. It ends the same way when
   * pg_dump fails half-way, so the data is only good once `done` resolves.
   */
  stdout: Readable;
  /** resolves when pg_dump exited 0; rejects with an AppError otherwise */
  done: Promise<PgDumpResult>;
  /** the child's pid, undefined when it could not start */
  pid: number | undefined;
}

export { STDERR_TAIL_CHARS } from './tool-process';


/**
 * The command, argv and environment for one pg_dump run. Pure, so tests can check that the
 * password is only in the environment. The database name goes through PGDATABASE rather than
 * argv because libpq would parse a name like "host=elsewhere" given as an argument as a
 * connection string.
 */
export function buildPgDumpInvocation(options: PgDumpOptions): PgDumpInvocation {
  const level = options.compressionLevel;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new AppError('VALIDATION', { detail: `compression level must be 0-9, got ${level}` });
  }
  // pg_export_snapshot() ids look like 00000003-0000001B-1
  if (options.snapshotId !== undefined && !/^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+$/.test(options.snapshotId)) {
    throw new AppError('VALIDATION', { detail: `not a snapshot id: ${options.snapshotId}` });
  }
  const { source } = options;
  const env = toolEnv(options.env, { source, password: options.password });
  // its own application_name, so that the stall watcher can find pg_dump's backend (wait-probe.ts)
  env.PGAPPNAME = PG_DUMP_APP_NAME;

  const args = ['--format=custom', `--compress=${level}`, '--no-password'];
  if (options.snapshotId !== undefined) args.push(`--snapshot=${options.snapshotId}`);
  // the plan's schemas and tables to leave out: each pattern one argument, never through a shell
  args.push(...dumpFilterArgs(source));
  args.push(...(options.extraArgs ?? []));
  return { command: options.pgDumpPath, args, env };
}

/**
 * Starts pg_dump (no shell) for the source. See PgDumpProcess for how to consume it. `done`
 * rejects with PG_UNREACHABLE, PG_AUTH_FAILED, PG_DATABASE_MISSING, PG_DUMP_TOO_OLD or
 * PG_DUMP_FAILED (with the stderr tail in the detail), PG_DUMP_MISSING if it cannot be started,
 * and CANCELLED when the signal aborts it.
 */
export function spawnPgDump(options: PgDumpOptions): PgDumpProcess {
  const invocation = buildPgDumpInvocation(options);
  const { signal, password, source } = options;
  if (signal?.aborted) return { stdout: Readable.from([]), done: alreadyCancelled(), pid: undefined };

  const child = spawn(invocation.command, invocation.args, {
    env: invocation.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: false,
    windowsHide: true,
  });
  const { done } = superviseTool(child, {
    command: invocation.command,
    signal,
    password,
    killGraceMs: options.killGraceMs,
    missingCode: 'PG_DUMP_MISSING',
    mapFailure: (tail, exit) => mapPgDumpFailure(tail, source, exit),
    // ends the consumer's pipeline now (premature close) instead of letting it see a clean end
    onAbort: () => child.stdout.destroy(),
  });
  return { stdout: child.stdout, done, pid: child.pid };
}

/**
 * Turns pg_dump's failure (its stderr tail, already without the password) into an AppError.
 * libpq's messages are matched in English (the child runs with LC_MESSAGES=C); a server that
 * answers in another language still ends up as PG_DUMP_FAILED with its words in the detail.
 */
export function mapPgDumpFailure(
  stderrTail: string,
  source: DatabaseSource,
  exit: { code: number | null; signal: NodeJS.Signals | null },
): AppError {
  const where = `${source.host}:${source.port}`;
  const line = lastErrorLine(stderrTail);
  if (/password authentication failed|no password supplied|no pg_hba\.conf entry|role ".*" does not exist|authentication failed/i.test(stderrTail)) {
    return new AppError('PG_AUTH_FAILED', { detail: `${source.user}@${where}/${source.database}: ${line}` });
  }
  if (/database ".*" does not exist/i.test(stderrTail)) {
    return new AppError('PG_DATABASE_MISSING', { detail: `"${source.database}" on ${where}` });
  }
  if (/server version mismatch/i.test(stderrTail)) return new AppError('PG_DUMP_TOO_OLD', { detail: line });
  if (/no matching (schemas|tables) were found/i.test(stderrTail)) {
    return new AppError('PG_DUMP_NO_MATCH', { detail: `${source.database} on ${where}: ${line}` });
  }
  if (
    /connection refused|could not connect|could not translate host name|timeout expired|no route to host|network is unreachable|server closed the connection unexpectedly|connection to server .* failed/i.test(
      stderrTail,
    )
  ) {
    return new AppError('PG_UNREACHABLE', { detail: `${where}: ${line}` });
  }
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  return new AppError('PG_DUMP_FAILED', { detail: stderrTail.trim() ? `${how}: ${stderrTail.trim()}` : how });
}

/** The most telling line of a libpq/pg_dump error output: the last one that says "error" or "FATAL". */
function lastErrorLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const errorLines = lines.filter((l) => /error|fatal|failed/i.test(l));
  return (errorLines.at(-1) ?? lines.at(-1) ?? '').slice(0, 500);
}
