/**
 * Finding the PostgreSQL client tools (pg_dump, pg_restore, psql) and reading their versions.
 * A desktop app cannot rely on PATH alone: macOS GUI apps start with a minimal PATH and Debian
 * keeps every installed major under /usr/lib/postgresql/<major>/bin, so the usual install
 * folders are searched too.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError, type ErrorCode } from '../../../shared/errors';
import { toolEnv } from './libpq-env';

export type PgToolName = 'pg_dump' | 'pg_restore' | 'psql';

/** A PostgreSQL version. For releases before 10 the major is two numbers (9.6): major 9, minor 6. */
export interface PgVersion {
  major: number;
  minor: number;
  text: string;
}

export interface FindPgToolOptions {
  /**
   * Folders searched after PATH, in order, when LIFEBOAT_PG_BIN is not set. Defaults to the
   * usual install folders of this platform (defaultPgBinDirs); tests pass [] to disable them.
   */
  fallbackDirs?: readonly string[];
}

const MISSING_CODE: Record<PgToolName, ErrorCode> = {
  pg_dump: 'PG_DUMP_MISSING',
  pg_restore: 'PG_RESTORE_MISSING',
  psql: 'PG_PSQL_MISSING',
};

/**
 * The path of a PostgreSQL client tool: from the LIFEBOAT_PG_BIN folder when it is set, else
 * PATH, then the platform's usual install folders (newest major first). Throws PG_DUMP_MISSING,
 * PG_RESTORE_MISSING or PG_PSQL_MISSING, naming the folders searched. A LIFEBOAT_PG_BIN folder
 * without the tool is that error naming the folder, never a quiet fall back to PATH: whoever set
 * it chose those tools (a version, wrappers), and another pg_dump would not be what they chose.
 */
export async function findPgTool(
  name: PgToolName,
  env: NodeJS.ProcessEnv = process.env,
  options: FindPgToolOptions = {},
): Promise<string> {
  const fileName = process.platform === 'win32' ? `${name}.exe` : name;
  if (env.LIFEBOAT_PG_BIN) {
    const candidate = path.join(env.LIFEBOAT_PG_BIN, fileName);
    if (await isExecutableFile(candidate)) return candidate;
    throw new AppError(MISSING_CODE[name], {
      detail: `LIFEBOAT_PG_BIN is set to ${env.LIFEBOAT_PG_BIN}, which holds no executable ${fileName}; point it at the folder that does, or unset it to search PATH`,
    });
  }
  const pathVar = env.PATH ?? env.Path ?? '';
  const fallbackDirs = options.fallbackDirs ?? (await defaultPgBinDirs(env));
  const dirs = [...pathVar.split(path.delimiter).filter((dir) => dir.length > 0), ...fallbackDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, fileName);
    if (await isExecutableFile(candidate)) return candidate;
  }
  const searched = ['LIFEBOAT_PG_BIN (not set)', 'PATH', ...fallbackDirs];
  throw new AppError(MISSING_CODE[name], { detail: `searched ${searched.join(', ')}` });
}

/**
 * The usual folders that hold the PostgreSQL client tools on this platform, newest major first.
 * Only folders that exist are returned.
 */
export async function defaultPgBinDirs(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const dirs: string[] = [];
  if (process.platform === 'win32') {
    for (const root of [env.ProgramFiles, env['ProgramFiles(x86)']]) {
      if (root) dirs.push(...(await versionedDirs(path.join(root, 'PostgreSQL'), 'bin')));
    }
    return filterExisting(dirs);
  }
  if (process.platform === 'darwin') {
    for (const prefix of ['/opt/homebrew', '/usr/local']) {
      dirs.push(`${prefix}/opt/libpq/bin`);
      dirs.push(...(await versionedDirs(`${prefix}/opt`, 'bin', /^postgresql(@\d+)?$/)));
      dirs.push(`${prefix}/bin`);
    }
    dirs.push(...(await versionedDirs('/Applications/Postgres.app/Contents/Versions', 'bin')));
  } else {
    // Debian/Ubuntu keep each major side by side; RHEL/Fedora (PGDG) use /usr/pgsql-<major>
    dirs.push(...(await versionedDirs('/usr/lib/postgresql', 'bin')));
    dirs.push(...(await versionedDirs('/usr', 'bin', /^pgsql-\d+$/)));
    dirs.push('/usr/local/pgsql/bin');
  }
  return filterExisting(dirs);
}

/**
 * Runs `<tool> --version` (no shell) and parses the version it prints, for example
 * "pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)". The tool connects nowhere: its
 * environment (from `env`, see toolEnv) has no connection variables and no password.
 */
export async function pgToolVersion(toolPath: string, env: NodeJS.ProcessEnv = process.env): Promise<PgVersion> {
  const missing = missingCodeFor(toolPath);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      toolPath,
      ['--version'],
      // toolEnv sets LC_MESSAGES=C: a translated --version line is still parsed the same way
      { timeout: 15_000, windowsHide: true, env: toolEnv(env) },
      (error, out) => {
        if (error) reject(new AppError(missing, { detail: `${toolPath} --version failed: ${error.message}`, cause: error }));
        else resolve(out);
      },
    );
  });
  const version = parsePgVersion(stdout);
  if (!version) throw new AppError(missing, { detail: `${toolPath} --version printed "${stdout.trim().slice(0, 200)}"` });
  return version;
}

/** Parses the version out of a `--version` line; null when there is none. */
export function parsePgVersion(output: string): PgVersion | null {
  const text = output.trim().split(/\r?\n/)[0] ?? '';
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(text) ?? /(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return null;
  return { major: Number(match[1]), minor: match[2] === undefined ? 0 : Number(match[2]), text };
}

/**
 * Parses server_version_num (150014 → 15.14, 90624 → 9.6) with server_version as the text.
 */
export function versionFromNum(num: number, text: string): PgVersion {
  if (num >= 100_000) return { major: Math.floor(num / 10_000), minor: num % 10_000, text };
  return { major: Math.floor(num / 10_000), minor: Math.floor(num / 100) % 100, text };
}

/**
 * A number that orders release series: 15 and 16 are different series, and before 10 so were
 * 9.5 and 9.6. Compare pg_dump with the server on this, never on minors after 10.
 */
export function majorSeries(version: PgVersion): number {
  return version.major >= 10 ? version.major * 100 : version.major * 100 + version.minor;
}

/** Human form of a release series: "15", or "9.6" before 10. */
export function formatMajor(version: PgVersion): string {
  return version.major >= 10 ? String(version.major) : `${version.major}.${version.minor}`;
}

function missingCodeFor(toolPath: string): ErrorCode {
  const base = path.basename(toolPath).replace(/\.exe$/i, '');
  if (base === 'pg_restore') return 'PG_RESTORE_MISSING';
  if (base === 'psql') return 'PG_PSQL_MISSING';
  return 'PG_DUMP_MISSING';
}

async function isExecutableFile(candidate: string): Promise<boolean> {
  try {
    const stat = await fs.stat(candidate);
    if (!stat.isFile()) return false;
    // Windows has no execute bit; the .exe name is what makes it runnable
    if (process.platform !== 'win32') await fs.access(candidate, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `<parent>/<child>/<suffix>` for each child whose name holds a version, newest first. */
async function versionedDirs(parent: string, suffix: string, pattern?: RegExp): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(parent);
  } catch {
    return [];
  }
  return names
    .filter((name) => (pattern ? pattern.test(name) : /\d/.test(name) || name === 'latest'))
    .map((name) => ({ name, rank: name === 'latest' ? Infinity : versionRank(name) }))
    .sort((a, b) => b.rank - a.rank)
    .map(({ name }) => path.join(parent, name, suffix));
}

function versionRank(name: string): number {
  const match = /(\d+)(?:\.(\d+))?/.exec(name);
  if (!match) return -1;
  return Number(match[1]) * 1000 + (match[2] === undefined ? 0 : Number(match[2]));
}

async function filterExisting(dirs: string[]): Promise<string[]> {
  const seen = new Set<string>();
  const existing: string[] = [];
  for (const dir of dirs) {
    if (seen.has(dir)) continue;
    seen.add(dir);
    try {
      if ((await fs.stat(dir)).isDirectory()) existing.push(dir);
    } catch {
      // not installed here
    }
  }
  return existing;
}
