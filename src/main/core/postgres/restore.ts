/**
 * Running pg_restore as a child process that reads a custom-format dump on its stdin, so a dump
 * goes from the encrypted backup into the server without a decrypted copy on disk. As for
 * pg_dump, the password travels in the child's environment (PGPASSWORD) only: never on argv,
 * never in the stderr tail or an error. Also: reading a dump's table of contents
 * (`pg_restore --list --verbose`, which prints each entry's dependencies); which entries make up
 * a set of tables is postgres/toc-plan.ts.
 */
import { spawn } from 'node:child_process';
import { AppError } from '../../../shared/errors';
import type { DatabaseSource } from '../../../shared/plan';
import { toolEnv } from './libpq-env';
import { alreadyCancelled, stdinFeeder, superviseTool } from './tool-process';


export interface PgRestoreOptions {
  pgRestorePath: string;
  /** the server and the database to restore into */
  target: DatabaseSource;
  password: string | null;
  /** drop each object before creating it (restoring over an existing database) */
  clean?: boolean;
  /**
   * Leave out the dump's owners (--no-owner: objects become the restoring user's) and its GRANTs,
   * REVOKEs and default privileges (--no-privileges). Both are kept by default: the restore
   * checks first that the roles exist on the target (restore/fidelity.ts), or refuses.
   */
  noOwner?: boolean;
  noPrivileges?: boolean;
  /** restore only the TOC entries in this list file, in its order (see postgres/toc-plan.ts) */
  listFile?: string;
  /**
   * Print the SQL on stdout (--file=-) instead of restoring, for psql to run inside a transaction
   * the caller wraps around it (postgres/psql-restore.ts): no connection, no password, no
   * --single-transaction (the caller's BEGIN and COMMIT are the transaction).
   */
  script?: boolean;
  /** aborting sends SIGTERM, SIGKILL after killGraceMs, and `done` rejects with CANCELLED */
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  killGraceMs?: number;
}

export interface PgRestoreInvocation {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** A conninfo value in single quotes (libpq: backslash escapes ' and \). */
export function conninfoValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}


/**
 * The command, argv and environment for one pg_restore run into a database. Pure, so tests can
 * check that the password is only in the environment. pg_restore needs `-d` to restore into a
 * database (without it, it prints SQL); the name goes in as a quoted conninfo value, so a name
 * like "host=elsewhere" is a name and not a connection string.
 *
 * Every run is one transaction (--single-transaction, which implies --exit-on-error): a failure
 * or a cancel rolls back, so a database restored over is either fully restored or unchanged.
 */
export function buildPgRestoreInvocation(options: PgRestoreOptions): PgRestoreInvocation {
  const args = ['--no-password', options.script ? '--file=-' : '--single-transaction'];
  if (options.noOwner) args.push('--no-owner');
  if (options.noPrivileges) args.push('--no-privileges');
  if (options.clean) args.push('--clean', '--if-exists');
  if (options.listFile) args.push(`--use-list=${options.listFile}`);
  if (options.script) return { command: options.pgRestorePath, args, env: toolEnv(options.env) };
  args.push(`--dbname=dbname=${conninfoValue(options.target.database)}`);
  return { command: options.pgRestorePath, args, env: toolEnv(options.env, { source: options.target, password: options.password }) };
}

export interface PgRestoreProcess {
  /** Writes a piece of the dump; resolves when pg_restore can take more. */
  feed(chunk: Buffer): Promise<void>;
  /** Ends the dump (stdin). */
  end(): void;
  /** resolves when pg_restore exited 0; rejects with an AppError otherwise */
  done: Promise<{ stderrTail: string; stdout: string }>;
  pid: number | undefined;
}

/**
 * Starts pg_restore (no shell) reading the dump on stdin. Feed it with `feed` and `end`. A
 * pg_restore that stops reading early (it failed, or --list has what it needs) makes later
 * `feed` calls return at once instead of failing: `done` says what happened.
 */
export function spawnPgRestore(
  invocation: PgRestoreInvocation,
  options: { signal?: AbortSignal; password: string | null; target?: DatabaseSource; killGraceMs?: number; captureStdout?: boolean },
): PgRestoreProcess {
  const { signal, password } = options;
  if (signal?.aborted) return { feed: async () => undefined, end: () => undefined, done: alreadyCancelled(), pid: undefined };
  const child = spawn(invocation.command, invocation.args, {
    env: invocation.env,
    stdio: ['pipe', options.captureStdout ? 'pipe' : 'ignore', 'pipe'],
    shell: false,
    windowsHide: true,
  });
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const stdin = stdinFeeder(child.stdin!);
  const supervised = superviseTool(child, {
    command: invocation.command,
    signal,
    password,
    killGraceMs: options.killGraceMs,
    missingCode: 'PG_RESTORE_MISSING',
    mapFailure: (tail, exit) => mapPgRestoreFailure(tail, options.target, exit),
    onAbort: () => {
      stdin.close();
      child.stdin!.destroy();
    },
  });
  const done = supervised.done.then(({ stderrTail }) => ({ stderrTail, stdout }));
  done.catch(() => undefined);
  return { feed: stdin.feed, end: stdin.end, done, pid: child.pid };
}

/**
 * Starts `pg_restore --list` (with `verbose`, each entry's dependencies too) reading a dump on
 * its stdin; it exits once it has read the table of contents, and `done` carries the listing.
 * It reads a file and connects nowhere, so it gets no connection variables and no password.
 */
export function spawnPgRestoreList(pgRestorePath: string, env: NodeJS.ProcessEnv, signal: AbortSignal | undefined, verbose: boolean): PgRestoreProcess {
  return spawnPgRestore(
    { command: pgRestorePath, args: verbose ? ['--list', '--verbose'] : ['--list'], env: toolEnv(env) },
    { signal, password: null, captureStdout: true },
  );
}

/**
 * Turns pg_restore's failure into an AppError naming the fix (messages matched in English: the
 * child runs with LC_MESSAGES=C).
 */
export function mapPgRestoreFailure(
  stderrTail: string,
  target: DatabaseSource | undefined,
  exit: { code: number | null; signal: NodeJS.Signals | null },
): AppError {
  const where = target ? `${target.host}:${target.port}` : 'the server';
  const line = lastErrorLine(stderrTail);
  if (/unsupported version .* in file header/i.test(stderrTail)) return new AppError('PG_RESTORE_TOO_OLD', { detail: line });
  if (/password authentication failed|no password supplied|no pg_hba\.conf entry|authentication failed/i.test(stderrTail)) {
    return new AppError('PG_AUTH_FAILED', { detail: `${target?.user ?? ''}@${where}/${target?.database ?? ''}: ${line}` });
  }
  if (/database ".*" does not exist/i.test(stderrTail)) {
    return new AppError('PG_DATABASE_MISSING', { detail: `"${target?.database ?? ''}" on ${where}` });
  }
  // a role the backup did not list (made by an older version) that the target lacks
  const role = /role "(.*)" does not exist/i.exec(stderrTail);
  // (FATAL: the connecting user itself is unknown, which is an authentication failure)
  if (role && !/FATAL/.test(stderrTail)) return new AppError('RESTORE_ROLES_MISSING', { detail: `pg_restore found no role "${role[1]}" on ${where}, and rolled back: ${line}` });
  if (/connection refused|could not connect|could not translate host name|timeout expired|no route to host|connection to server .* failed/i.test(stderrTail)) {
    return new AppError('PG_UNREACHABLE', { detail: `${where}: ${line}` });
  }
  if (/input file is too short|did not find magic string|input file does not appear to be a valid archive|unexpected end of file|could not read input file/i.test(stderrTail)) {
    return new AppError('FILE_CORRUPT', { detail: `the dump is not readable by pg_restore: ${line}` });
  }
  if (/depends on it|other objects depend on/i.test(stderrTail)) {
    return new AppError('PG_RESTORE_FAILED', {
      detail: `${line} — other objects in the target depend on what the backup replaces; restore those too, or restore into a new database. Nothing was changed.\n${stderrTail}`,
    });
  }
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  return new AppError('PG_RESTORE_FAILED', { detail: `${how}: ${stderrTail.trim() || 'no output'}` });
}

function lastErrorLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const errorLines = lines.filter((l) => /error|fatal|failed/i.test(l));
  return (errorLines.at(-1) ?? lines.at(-1) ?? '').slice(0, 500);
}

/** One entry of a dump's table of contents, as `pg_restore --list --verbose` prints it. */
export interface TocEntry {
  id: number;
  /** the line as printed, for a --use-list file */
  line: string;
  /** e.g. TABLE, TABLE DATA, INDEX, FK CONSTRAINT, SEQUENCE SET */
  desc: string;
  /**
   * the rest of the line after desc: "schema tag owner" (names are not quoted, and pg_restore
   * prints a newline in a name as a space: never match a name on this, see tableoid/oid)
   */
  rest: string;
  /** the object's catalog (pg_class 1259 for a TABLE) and oid in the dumped database; 0 when it has none */
  tableoid: number;
  oid: number;
  deps: number[];
}

/*
 * The descs pg_dump writes, longest first so that "TABLE DATA" is not read as "TABLE". Unknown
 * ones still parse (first word); they are only ever left out of a table selection.
 */
const TOC_DESCS = [
  'PUBLICATION TABLES IN SCHEMA',
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'FOREIGN DATA WRAPPER',
  'TEXT SEARCH TEMPLATE',
  'PROCEDURAL LANGUAGE',
  'DATABASE PROPERTIES',
  'TEXT SEARCH PARSER',
  'PUBLICATION TABLE',
  'OPERATOR FAMILY',
  'OPERATOR CLASS',
  'EVENT TRIGGER',
  'FOREIGN TABLE',
  'ACCESS METHOD',
  'BLOB METADATA',
  'USER MAPPING',
  'SHELL TYPE',
  'MATERIALIZED VIEW DATA',
  'SEQUENCE OWNED BY',
  'DEFAULT ACL',
  'FK CONSTRAINT',
  'CHECK CONSTRAINT',
  'SEQUENCE SET',
  'TABLE ATTACH',
  'INDEX ATTACH',
  'TABLE DATA',
  'ROW SECURITY',
  'SECURITY LABEL',
  'MATERIALIZED VIEW',
  'LARGE OBJECT',
  'BLOBS',
  'BLOB',
  'CONSTRAINT',
  'SEQUENCE',
  'DEFAULT',
  'TRIGGER',
  'INDEX',
  'POLICY',
  'RULE',
  'COMMENT',
  'ACL',
  'TABLE',
  'VIEW',
  'STATISTICS',
];

/** Parses `pg_restore --list --verbose` output. */
export function parseTocList(text: string): TocEntry[] {
  const entries: TocEntry[] = [];
  let last: TocEntry | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const deps = /^;\s*depends on:\s*([\d\s]+)$/.exec(raw);
    if (deps && last) {
      last.deps.push(...deps[1]!.trim().split(/\s+/).map(Number));
      continue;
    }
    const m = /^(\d+);\s+(\d+)\s+(\d+)\s+(.*)$/.exec(raw);
    if (!m) continue;
    const body = m[4]!;
    const desc = TOC_DESCS.find((d) => body === d || body.startsWith(`${d} `)) ?? body.split(' ')[0]!;
    last = { id: Number(m[1]), line: raw, desc, rest: body.slice(desc.length).replace(/^ /, ''), tableoid: Number(m[2]), oid: Number(m[3]), deps: [] };
    entries.push(last);
  }
  return entries;
}
