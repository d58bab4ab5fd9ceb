/**
 * The role definitions a backup keeps next to each dump: `pg_dumpall --roles-only
 * --no-role-passwords` (which reads pg_roles, so any user can run it), cut down to the roles the
 * dump refers to. A restore to a fresh server can create the missing ones from it, running only
 * their CREATE ROLE and ALTER ROLE statements. Parsing is done here, purely, statement by
 * statement: a string or a quoted name never ends a statement, and psql meta-commands
 * (`\restrict`, which newer pg_dumpall versions print) are dropped.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import type { DatabaseSource } from '../../../shared/plan';
import { conninfoValue } from './restore';
import { toolEnv } from './libpq-env';
import { alreadyCancelled, superviseTool } from './tool-process';

/** pg_dumpall's output is a few lines per role; more than this is not a roles dump. */
const MAX_ROLES_OUTPUT = 64 * 1024 * 1024;

/** A double-quoted SQL identifier. */
export function sqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL string literal that reads the same whatever standard_conforming_strings is (as pg's escapeLiteral). */
export function sqlLiteral(value: string): string {
  const quoted = `'${value.replace(/'/g, "''")}'`;
  return value.includes('\\') ? ` E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}

/**
 * Splits SQL text into statements (each without its `;`, trimmed), skipping `--` comments and
 * psql meta-command lines (a line starting with a backslash). Single-quoted strings, E'' strings,
 * double-quoted names and dollar quotes are kept whole.
 */
export function splitSqlStatements(text: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  let lineStart = true;
  const flush = () => {
    const s = current.trim();
    if (s) statements.push(s);
    current = '';
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (lineStart && current.trim() === '' && ch === '\\') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
      continue;
    }
    lineStart = false;
    if (ch === '\n') lineStart = true;
    if (ch === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const escapes = ch === "'" && /[eE]$/.test(current) && !/\w[eE]$/.test(current);
      let j = i + 1;
      for (; j < text.length; j++) {
        if (escapes && text[j] === '\\') {
          j++;
          continue;
        }
        if (text[j] === ch) {
          if (text[j + 1] === ch) {
            j++;
            continue;
          }
          break;
        }
      }
      current += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === '$') {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        const stop = end === -1 ? text.length : end + tag[0].length;
        current += text.slice(i, stop);
        i = stop;
        continue;
      }
    }
    if (ch === ';') {
      flush();
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  flush();
  return statements;
}

/** Reads a SQL identifier at the start of `text`: its name and the rest after it, or null. */
export function readIdent(text: string): { name: string; rest: string } | null {
  if (text.startsWith('"')) {
    let name = '';
    for (let i = 1; i < text.length; i++) {
      if (text[i] === '"') {
        if (text[i + 1] === '"') {
          name += '"';
          i++;
          continue;
        }
        return { name, rest: text.slice(i + 1) };
      }
      name += text[i];
    }
    return null;
  }
  // pg_dumpall quotes every name that is not plain lower case, so a bare name is as written
  const bare = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(text);
  return bare ? { name: bare[0].toLowerCase(), rest: text.slice(bare[0].length) } : null;
}

/** What a statement of a roles dump does, and to which role. */
export type RoleStatement =
  | { kind: 'create' | 'alter' | 'comment' | 'label'; role: string; sql: string }
  | { kind: 'membership'; role: string; member: string; sql: string }
  | { kind: 'other'; sql: string };

/** Classifies one statement of `pg_dumpall --roles-only` output. */
export function classifyRoleStatement(sql: string): RoleStatement {
  const one = sql.replace(/\s+/g, ' ');
  const after = (prefix: RegExp) => {
    const m = prefix.exec(one);
    return m ? readIdent(one.slice(m[0].length)) : null;
  };
  const created = after(/^CREATE ROLE /i);
  if (created && /^\s*$/.test(created.rest)) return { kind: 'create', role: created.name, sql };
  const altered = after(/^ALTER ROLE /i);
  // WITH <attributes> or SET/RESET <setting>: never RENAME or IN DATABASE (those touch more than the role)
  if (altered && /^ (WITH |SET |RESET )/i.test(altered.rest)) return { kind: 'alter', role: altered.name, sql };
  const commented = after(/^COMMENT ON ROLE /i);
  if (commented) return { kind: 'comment', role: commented.name, sql };
  const label = /^SECURITY LABEL (FOR \S+ )?ON ROLE /i.exec(one);
  if (label) {
    const ident = readIdent(one.slice(label[0].length));
    if (ident) return { kind: 'label', role: ident.name, sql };
  }
  const granted = after(/^GRANT /i);
  if (granted) {
    const to = /^ TO /i.exec(granted.rest);
    const member = to ? readIdent(granted.rest.slice(to[0].length)) : null;
    if (member) return { kind: 'membership', role: granted.name, member: member.name, sql };
  }
  return { kind: 'other', sql };
}

/**
 * The roles file a backup stores: the definitions of `roles` out of pg_dumpall's output (their
 * CREATE ROLE, ALTER ROLE, COMMENT and SECURITY LABEL statements, and the memberships between
 * two of them), with a header saying what it is. Everything else (other roles, SET lines,
 * parameter privileges) is left out.
 */
export function filterRoleDefinitions(dumpallOutput: string, roles: ReadonlySet<string>, database: string): { sql: string; defined: string[] } {
  const kept: string[] = [];
  const defined = new Set<string>();
  for (const sql of splitSqlStatements(dumpallOutput)) {
    const statement = classifyRoleStatement(sql);
    if (statement.kind === 'other') continue;
    if (statement.kind === 'membership' ? roles.has(statement.role) && roles.has(statement.member) : roles.has(statement.role)) {
      kept.push(`${sql};`);
      if (statement.kind === 'create') defined.add(statement.role);
    }
  }
  const header = [
    `-- The roles that database ${JSON.stringify(database)} uses (owners, grantees, default privileges,`,
    '-- policies, per-role settings), from pg_dumpall --roles-only --no-role-passwords.',
    '-- No passwords: a role created from this file cannot log in with a password until one is set.',
    'SET standard_conforming_strings = on;',
    '',
  ];
  return { sql: `${header.join('\n')}${kept.join('\n')}\n`, defined: [...defined].sort() };
}

/**
 * The statements that create `roles` from a stored roles file: only CREATE ROLE and ALTER ROLE
 * (WITH / SET) of those roles, in the file's order. A role in `roles` with no CREATE ROLE in the
 * file is in `undefined`.
 */
export function roleCreationStatements(rolesFile: string, roles: readonly string[]): { statements: string[]; undefinedRoles: string[] } {
  const wanted = new Set(roles);
  const statements: string[] = [];
  const created = new Set<string>();
  for (const sql of splitSqlStatements(rolesFile)) {
    const statement = classifyRoleStatement(sql);
    if ((statement.kind === 'create' || statement.kind === 'alter') && wanted.has(statement.role)) {
      if (statement.kind === 'create') created.add(statement.role);
      statements.push(sql);
    }
  }
  return { statements, undefinedRoles: roles.filter((r) => !created.has(r)) };
}

/** pg_dumpall of the same installation as pg_dump (same version, same folder). */
export function pgDumpallPathFor(pgDumpPath: string): string {
  const exe = process.platform === 'win32' ? '.exe' : '';
  return path.join(path.dirname(pgDumpPath), `pg_dumpall${exe}`);
}

/**
 * The command, argv and environment of `pg_dumpall --roles-only --no-role-passwords`, connecting
 * to the source's own database (the plan's user can reach that one; `postgres` it may not). The
 * name goes in as a quoted conninfo value, as for pg_restore.
 */
export function buildPgDumpallRolesInvocation(options: { pgDumpallPath: string; source: DatabaseSource; password: string | null; env?: NodeJS.ProcessEnv }): {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
} {
  const { source } = options;
  return {
    command: options.pgDumpallPath,
    args: ['--roles-only', '--no-role-passwords', '--no-password', `--database=dbname=${conninfoValue(source.database)}`],
    env: toolEnv(options.env, { source, password: options.password }),
  };
}

/** Runs pg_dumpall for the role definitions and returns its output; PG_DUMP_FAILED (with its stderr) when it fails. */
export async function dumpRoleDefinitions(options: {
  pgDumpallPath: string;
  source: DatabaseSource;
  password: string | null;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}): Promise<string> {
  const invocation = buildPgDumpallRolesInvocation(options);
  if (options.signal?.aborted) return alreadyCancelled();
  const child = spawn(invocation.command, invocation.args, { env: invocation.env, stdio: ['ignore', 'pipe', 'pipe'], shell: false, windowsHide: true });
  const chunks: Buffer[] = [];
  let size = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_ROLES_OUTPUT) child.kill('SIGKILL');
    else chunks.push(chunk);
  });
  const { done } = superviseTool(child, {
    command: invocation.command,
    signal: options.signal,
    password: options.password,
    missingCode: 'PG_DUMP_MISSING',
    mapFailure: (tail, exit) =>
      new AppError('PG_DUMP_FAILED', { detail: `pg_dumpall --roles-only: ${exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`}: ${tail.trim() || 'no output'}` }),
  });
  await done;
  if (size > MAX_ROLES_OUTPUT) throw new AppError('PG_DUMP_FAILED', { detail: 'pg_dumpall --roles-only wrote more than 64 MiB' });
  return Buffer.concat(chunks).toString('utf8');
}
