#!/usr/bin/env node
/**
 * Builds better-sqlite3 for Electron's ABI into .electron-native/better_sqlite3.node.
 *
 * Why not rebuild node_modules/better-sqlite3 in place (electron-rebuild, install-app-deps)? That
 * copy must stay built for Node: the tests and the `lifeboat` CLI load it. Instead the package is
 * copied to .electron-native/build/ and built there for Electron; the app hands the result to
 * better-sqlite3 through its `nativeBinding` option, so both builds live side by side.
 *
 * Order: a prebuilt binary (prebuild-install, from better-sqlite3's GitHub releases), else a
 * compile (node-gyp against Electron's headers). Either needs internet access once; afterwards a
 * stamp file makes this a no-op until the Electron or better-sqlite3 version changes.
 *
 * Exit 0 when the binding is ready, 1 with one clear message when it could not be made.
 * LIFEBOAT_NATIVE_VERBOSE=1 shows the tools' own output.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = path.join(root, '.electron-native');
const target = path.join(nativeDir, 'better_sqlite3.node');
const stampFile = path.join(nativeDir, 'stamp.json');
const buildRoot = path.join(nativeDir, 'build');
const buildDir = path.join(buildRoot, 'better-sqlite3');
const verbose = process.env.LIFEBOAT_NATIVE_VERBOSE === '1';

/** A download that makes no progress in this time has no internet to wait for. */
const DOWNLOAD_TIMEOUT_MS = 90_000;
/** Compiling SQLite takes about a minute on two cores; leave room for slow machines. */
const COMPILE_TIMEOUT_MS = 20 * 60_000;
const ELECTRON_HEADERS_URL = 'https://electronjs.org/headers';

class Failure extends Error {}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function installedVersion(pkg) {
  const file = path.join(root, 'node_modules', pkg, 'package.json');
  if (!fs.existsSync(file)) throw new Failure(`${pkg} is not installed (no ${path.relative(root, file)}). Run \`npm install\` first.`);
  return readJson(file).version;
}

/** The JS entry of a package's bin, run with this Node: no shell, no .cmd shims on Windows. */
function binEntry(packageDir, name) {
  const pkgFile = path.join(packageDir, 'package.json');
  if (!fs.existsSync(pkgFile)) return null;
  const { bin } = readJson(pkgFile);
  const rel = typeof bin === 'string' ? bin : bin?.[name];
  const entry = rel ? path.join(packageDir, rel) : null;
  return entry && fs.existsSync(entry) ? entry : null;
}

function findNodeGyp() {
  const candidates = [
    path.join(root, 'node_modules', 'node-gyp'),
    // npm's own copy: next to npm-cli.js when run from an npm script, else beside this Node
    process.env.npm_execpath ? path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp') : null,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp'),
    path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp'),
  ];
  for (const dir of candidates) {
    const entry = dir && binEntry(dir, 'node-gyp');
    if (entry) return entry;
  }
  return null;
}

/**
 * The environment for the tools, without npm's build settings: an npm script exports the user's
 * npmrc (e.g. `nodedir=/usr`) as npm_config_*, which would silently make node-gyp build against
 * Node's headers — a binary that then fails to load in Electron.
 */
function toolEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_config_(nodedir|runtime|target|target_arch|arch|disturl|dist_url|build_from_source|devdir)$/i.test(key)) delete env[key];
  }
  return env;
}

/** Runs `node <script> ...args` in the build folder; returns null on success, else why it failed. */
function run(label, script, args, timeoutMs) {
  if (verbose) console.log(`electron-native: ${label}: ${[path.basename(script), ...args].join(' ')}`);
  const result = spawnSync(process.execPath, [script, ...args], {
    cwd: buildDir,
    env: toolEnv(),
    stdio: verbose ? 'inherit' : 'pipe',
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    windowsHide: true,
  });
  if (result.error?.code === 'ETIMEDOUT') return `timed out after ${Math.round(timeoutMs / 1000)} s`;
  if (result.error) return result.error.message;
  if (result.status === 0) return null;
  return summarize(`${result.stderr ?? ''}\n${result.stdout ?? ''}`) ?? `exit code ${result.status ?? result.signal}`;
}

/** One line out of a tool's output: the network error and the URL if that is what it was. */
function summarize(output) {
  const found = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b( [a-z0-9.-]+\.[a-z]{2,})?/i.exec(output);
  const network = (found ? `${found[1]}${found[2] ?? ''}` : null) ??
    (/network connectivity|proxy/i.test(output) ? 'network error' : null);
  const url = /\bGET (https?:\/\/\S+)/.exec(output)?.[1];
  if (network) return `${network}${url ? ` fetching ${url}` : ''}`;
  const line = output
    .split(/\r?\n/)
    .map((l) => l.replace(/^(gyp ERR!( stack)?|prebuild-install (warn|err!?)( install)?)\s*/i, '').trim())
    .find((l) => /err|fail|not found|404/i.test(l) && !/^(System|command|cwd|node -v|node-gyp -v|not ok)\b/.test(l));
  return line ? line.slice(0, 300) : null;
}

/** The stamp this build should carry; any difference means rebuild. */
function wantedStamp() {
  return {
    electron: installedVersion('electron'),
    betterSqlite3: installedVersion('better-sqlite3'),
    platform: process.platform,
    arch: process.env.LIFEBOAT_NATIVE_ARCH || process.arch,
  };
}

function isUpToDate(wanted) {
  if (!fs.existsSync(target) || !fs.existsSync(stampFile)) return false;
  try {
    const stamp = readJson(stampFile);
    return Object.entries(wanted).every(([key, value]) => stamp[key] === value);
  } catch {
    return false;
  }
}

function prepareBuildDir() {
  fs.rmSync(buildRoot, { recursive: true, force: true });
  fs.mkdirSync(buildRoot, { recursive: true });
  const source = path.join(root, 'node_modules', 'better-sqlite3');
  // without build/: the Node binary in there must neither be reused nor counted as a result
  fs.cpSync(source, buildDir, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(source, src);
      return !(rel === 'build' || rel.startsWith(`build${path.sep}`) || rel === 'node_modules' || rel.startsWith(`node_modules${path.sep}`));
    },
  });
}

function builtBinary() {
  const file = path.join(buildDir, 'build', 'Release', 'better_sqlite3.node');
  return fs.existsSync(file) ? file : null;
}

/**
 * The trap PLATFORM.md describes: a tool that "succeeds" but builds for Node. A binary that Node
 * itself can load is the wrong one; an Electron binary fails here naming Electron's ABI.
 */
function assertElectronAbi(file) {
  const abiFile = path.join(root, 'node_modules', 'electron', 'abi_version');
  const electronAbi = fs.existsSync(abiFile) ? fs.readFileSync(abiFile, 'utf8').trim() : null;
  const probe = spawnSync(process.execPath, ['-e', 'process.dlopen({ exports: {} }, process.argv[1])', file], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (probe.status === 0) {
    throw new Failure(`the binary built loads in Node ${process.version}, so it was built for Node, not for Electron`);
  }
  const seen = /NODE_MODULE_VERSION (\d+)\. This version/.exec(probe.stderr ?? '')?.[1];
  if (electronAbi && seen && seen !== electronAbi) {
    throw new Failure(`the binary built has ABI ${seen}; Electron ${wantedStamp().electron} needs ${electronAbi}`);
  }
}

function build(wanted) {
  prepareBuildDir();
  const reasons = [];
  const commonArgs = ['--runtime=electron', `--target=${wanted.electron}`, `--arch=${wanted.arch}`];

  const prebuild = binEntry(path.join(root, 'node_modules', 'prebuild-install'), 'prebuild-install');
  if (prebuild) {
    const why = run('prebuild-install', prebuild, [...commonArgs, `--platform=${wanted.platform}`], DOWNLOAD_TIMEOUT_MS);
    if (why === null && builtBinary()) return 'prebuild-install';
    reasons.push(`prebuild-install: ${why ?? 'reported success but left no binary'}`);
  } else {
    reasons.push('prebuild-install: not installed');
  }

  const nodeGyp = findNodeGyp();
  if (!nodeGyp) {
    reasons.push('node-gyp: not found (neither in node_modules nor bundled with npm)');
    return { reasons };
  }
  const gypArgs = [...commonArgs, `--dist-url=${ELECTRON_HEADERS_URL}`];
  // the header download is the step that needs the network: give it its own short timeout
  const headers = run('node-gyp install', nodeGyp, ['install', ...gypArgs], DOWNLOAD_TIMEOUT_MS);
  if (headers !== null) {
    reasons.push(`node-gyp could not fetch the Electron ${wanted.electron} headers: ${headers}`);
    return { reasons };
  }
  const compiled = run('node-gyp rebuild', nodeGyp, ['rebuild', '--release', ...gypArgs], COMPILE_TIMEOUT_MS);
  if (compiled === null && builtBinary()) return 'node-gyp';
  reasons.push(`node-gyp rebuild: ${compiled ?? 'reported success but left no binary'}`);
  return { reasons };
}

/**
 * The Electron binary itself. package.json's allowScripts denies electron's postinstall, so that
 * `npm install` works offline (CI, servers that only use the CLI); the binary is fetched here,
 * the first time the app is started, by electron's own installer.
 */
function ensureElectronBinary() {
  const electronDir = path.join(root, 'node_modules', 'electron');
  if (fs.existsSync(path.join(electronDir, 'path.txt'))) return;
  console.log('electron-native: downloading the Electron binary (once)...');
  const result = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], {
    cwd: electronDir,
    stdio: 'inherit',
    timeout: 10 * 60_000,
    windowsHide: true,
  });
  if (result.status !== 0 || !fs.existsSync(path.join(electronDir, 'path.txt'))) {
    throw new Failure('could not download the Electron binary: this needs internet access once (or set ELECTRON_MIRROR).');
  }
}

function main() {
  ensureElectronBinary();
  const wanted = wantedStamp();
  if (isUpToDate(wanted)) {
    if (verbose) console.log(`electron-native: up to date for Electron ${wanted.electron}`);
    return 0;
  }
  console.log(`electron-native: building better-sqlite3 ${wanted.betterSqlite3} for Electron ${wanted.electron} (${wanted.platform}-${wanted.arch})...`);
  const method = build(wanted);
  if (typeof method !== 'string') {
    throw new Failure(['could not get a binary:', ...method.reasons.map((r) => `  - ${r}`)].join('\n'));
  }
  const binary = builtBinary();
  assertElectronAbi(binary);
  fs.copyFileSync(binary, `${target}.tmp`);
  fs.renameSync(`${target}.tmp`, target);
  fs.writeFileSync(stampFile, `${JSON.stringify({ ...wanted, method, builtAt: new Date().toISOString() }, null, 2)}\n`);
  fs.rmSync(buildRoot, { recursive: true, force: true });
  console.log(`electron-native: ready (${method}) → ${path.relative(root, target)}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  const detail = error instanceof Failure ? error.message : (error?.stack ?? String(error));
  console.error(
    [
      `electron-native: FAILED to build better-sqlite3 for Electron — ${detail}`,
      '',
      'This step needs internet access once, to download a prebuilt binary from GitHub or Electron\'s',
      `headers from ${ELECTRON_HEADERS_URL} (compiling also needs Python and a C++ toolchain).`,
      'Connect and run `node scripts/electron-native.mjs` again (LIFEBOAT_NATIVE_VERBOSE=1 shows the',
      'tools\' output). node_modules/better-sqlite3 was not touched: `npm test` and the CLI still work.',
    ].join('\n'),
  );
  fs.rmSync(buildRoot, { recursive: true, force: true });
  process.exitCode = 1;
}
