/**
 * What the test suites need from the machine, and one message that lists what is missing with the
 * commands that install it. Plain Node ESM without dependencies: scripts/check-test-deps.mjs runs
 * it before `npm test` (so it must load even on an old Node to say so), and the Playwright and
 * integration-vitest global setups, playwright.config.ts and pg-cluster.ts share its path rules,
 * so the check and the tests cannot disagree on where Chromium and PostgreSQL are.
 * Types: test-deps.d.mts.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const MIN_NODE = '20.15.0';
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
/** pg-cluster.ts runs these from the server bin folder. */
export const PG_SERVER_TOOLS = ['initdb', 'pg_ctl', 'postgres', 'psql'];
/** The app runs these (found in LIFEBOAT_PG_BIN when set, else on PATH, then the install folders). */
export const PG_CLIENT_TOOLS = ['pg_dump', 'pg_restore'];
/** The suites each prerequisite is for. */
export const NEEDS = ['pg', 'chromium', 'zstd', 'sshd'];
/** OpenSSH's server, which the SFTP destination's integration tests start (test/support/sftp-server.ts). */
export const SSHD = '/usr/sbin/sshd';

/** The browser the e2e tests launch: LIFEBOAT_CHROMIUM, else Debian's chromium. */
export function chromiumPath(env = process.env) {
  return env.LIFEBOAT_CHROMIUM ?? DEFAULT_CHROMIUM;
}

/**
 * The PostgreSQL server bin folder for test clusters: LIFEBOAT_TEST_PG_BIN, else the newest
 * /usr/lib/postgresql/<major>/bin that has initdb; null when there is none.
 */
export function findPgServerBinDir(env = process.env) {
  if (env.LIFEBOAT_TEST_PG_BIN) return env.LIFEBOAT_TEST_PG_BIN;
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((name) => /^\d+(\.\d+)?$/.test(name) && fs.existsSync(path.join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return majors.length > 0 ? path.join(root, majors[0], 'bin') : null;
}

/** A regular file (after symlinks) this process may execute. */
export function isExecutableFile(file) {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function nodeIsRecentEnough(version) {
  const [major, minor] = version.split('.').map(Number);
  const [minMajor, minMinor] = MIN_NODE.split('.').map(Number);
  return major > minMajor || (major === minMajor && minor >= minMinor);
}

function osUserExists(name) {
  try {
    if (fs.readFileSync('/etc/passwd', 'utf8').split('\n').some((line) => line.startsWith(`${name}:`))) return true;
  } catch {
    // no /etc/passwd: ask id below
  }
  try {
    // users from NSS (LDAP, ...) are not in /etc/passwd
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * What is missing for the suites that need `needs` (default: all of them). Node's version is
 * always checked. Each item: `what` for the message, `fix` the install each needs.
 * @param {{ needs?: string[], env?: NodeJS.ProcessEnv, nodeVersion?: string, isRoot?: boolean }} [options]
 */
export function findMissingTestDeps(options = {}) {
  const needs = options.needs ?? NEEDS;
  const env = options.env ?? process.env;
  const nodeVersion = options.nodeVersion ?? process.versions.node;
  const isRoot = options.isRoot ?? (typeof process.getuid === 'function' && process.getuid() === 0);
  const missing = [];

  if (!nodeIsRecentEnough(nodeVersion)) {
    missing.push({ what: `Node.js ${MIN_NODE} or newer (this is ${nodeVersion})`, fix: 'node' });
  }

  if (needs.includes('pg')) {
    const serverDir = findPgServerBinDir(env);
    if (serverDir === null) {
      missing.push({
        what: 'the PostgreSQL server binaries (initdb, pg_ctl, postgres, psql): no /usr/lib/postgresql/<major>/bin, LIFEBOAT_TEST_PG_BIN not set',
        fix: 'pg',
      });
    } else {
      const absent = PG_SERVER_TOOLS.filter((tool) => !isExecutableFile(path.join(serverDir, tool)));
      if (absent.length > 0) {
        const from = env.LIFEBOAT_TEST_PG_BIN ? ` (LIFEBOAT_TEST_PG_BIN)` : '';
        missing.push({ what: `the PostgreSQL server binaries: ${absent.join(', ')} not executable in ${serverDir}${from}`, fix: 'pg' });
      }
    }
    // where the app looks (src/main/core/postgres/tools.ts): LIFEBOAT_PG_BIN alone when set, else
    // PATH, with the server's own folder standing in for its install-folder fallback
    const dirs = env.LIFEBOAT_PG_BIN
      ? [env.LIFEBOAT_PG_BIN]
      : [...(env.PATH ?? '').split(path.delimiter).filter((dir) => dir.length > 0), ...(serverDir === null ? [] : [serverDir])];
    const absentClients = PG_CLIENT_TOOLS.filter((tool) => !dirs.some((dir) => isExecutableFile(path.join(dir, tool))));
    if (absentClients.length > 0) {
      const where = env.LIFEBOAT_PG_BIN ? `in LIFEBOAT_PG_BIN (${env.LIFEBOAT_PG_BIN})` : 'on PATH';
      missing.push({ what: `the PostgreSQL client tools: ${absentClients.join(', ')} not ${where}`, fix: 'pg' });
    }
    // as root, pg-cluster.ts starts the server as the postgres OS user (the server refuses root)
    if (isRoot && !osUserExists('postgres')) {
      missing.push({ what: 'the `postgres` OS user (as root the test clusters run as that user)', fix: 'pg' });
    }
  }

  // the unit suite writes zstd entries with Debian's zstd tool (Node 20's zlib has no zstd encoder)
  const pathDirs = (env.PATH ?? '').split(path.delimiter).filter((dir) => dir.length > 0);
  if (needs.includes('zstd') && !pathDirs.some((dir) => isExecutableFile(path.join(dir, 'zstd')))) {
    missing.push({ what: 'zstd (the zstd command) not on PATH', fix: 'zstd' });
  }

  if (needs.includes('sshd') && !isExecutableFile(SSHD)) {
    missing.push({ what: `OpenSSH's server: ${SSHD} is not an executable file (the SFTP destination's tests run it)`, fix: 'sshd' });
  }

  if (needs.includes('chromium')) {
    const browser = chromiumPath(env);
    if (!isExecutableFile(browser)) {
      const from = env.LIFEBOAT_CHROMIUM !== undefined ? 'LIFEBOAT_CHROMIUM' : 'the default; set LIFEBOAT_CHROMIUM for another';
      missing.push({ what: `Chromium: ${browser || '(empty)'} is not an executable file (${from})`, fix: 'chromium' });
    }
  }
  return missing;
}

/**
 * The one message for `missing` (from findMissingTestDeps): what is missing, then the commands
 * that install exactly that on Debian/Ubuntu and macOS.
 * @param {{ what: string, fix: string }[]} missing
 * @param {{ isRoot?: boolean }} [options]
 */
export function formatMissingTestDeps(missing, options = {}) {
  const isRoot = options.isRoot ?? (typeof process.getuid === 'function' && process.getuid() === 0);
  const fixes = new Set(missing.map((item) => item.fix));
  const lines = ["Lifeboat's tests cannot run: this machine is missing", ...missing.map((item) => `  - ${item.what}`), ''];

  const aptPackages = [
    ...(fixes.has('pg') ? ['postgresql'] : []),
    ...(fixes.has('chromium') ? ['chromium'] : []),
    ...(fixes.has('zstd') ? ['zstd'] : []),
    ...(fixes.has('sshd') ? ['openssh-server'] : []),
  ];
  if (aptPackages.length > 0) {
    lines.push('Install on Debian/Ubuntu:', `  ${isRoot ? '' : 'sudo '}apt-get install -y ${aptPackages.join(' ')}`);
    lines.push('Install on macOS (Homebrew):');
    if (fixes.has('pg')) {
      lines.push(
        '  brew install postgresql@15',
        // the app finds pg_dump there too (its Homebrew fallback; the check counts this folder)
        '  export LIFEBOAT_TEST_PG_BIN="$(brew --prefix postgresql@15)/bin"',
      );
    }
    if (fixes.has('zstd')) lines.push('  brew install zstd');
    if (fixes.has('sshd')) lines.push('  (macOS ships /usr/sbin/sshd: nothing to install for it)');
    if (fixes.has('chromium')) {
      lines.push(
        '  brew install --cask chromium',
        '  export LIFEBOAT_CHROMIUM="/Applications/Chromium.app/Contents/MacOS/Chromium"',
        '  (or Google Chrome: export LIFEBOAT_CHROMIUM="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome")',
      );
    }
  }
  if (fixes.has('node')) {
    lines.push(`Node.js: install ${MIN_NODE} or newer (https://nodejs.org, or \`nvm install 20\`).`);
  }
  lines.push('', 'Then run the tests again.');
  return lines.join('\n');
}

/**
 * For the preflight script and the test runners' global setups: when something `needs` asks for
 * is missing, writes the one message to stderr and exits 1. Exits rather than throws because the
 * runners would wrap an error in their own banners ("Unhandled Error", "No test files found").
 * @param {string[]} [needs]
 */
export function exitIfTestDepsMissing(needs = NEEDS) {
  const missing = findMissingTestDeps({ needs });
  if (missing.length === 0) return;
  // writeSync: an asynchronous stderr (a pipe on macOS) could lose the message at exit
  fs.writeSync(2, `${formatMissingTestDeps(missing)}\n`);
  process.exit(1);
}
