/**
 * A throwaway PostgreSQL cluster for integration tests: initdb into a temp folder, listen on a
 * free 127.0.0.1 port with the socket inside that folder, fsync off. Setup goes through the
 * unix socket as the `postgres` superuser (trust); TCP from 127.0.0.1 asks for a SCRAM password,
 * so a wrong password really fails. Tests connect over TCP as `user` with `password`, the way
 * Lifeboat connects to a real server.
 *
 * As root, initdb/postgres/psql run as the `postgres` OS user through runuser (the server
 * refuses to run as root), from a cwd that user can read. Clusters are stopped and removed on
 * stop(), on process exit, and, for ones a killed process left behind, by the next start.
 */
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseSource } from '../../src/shared/plan';
import { findPgServerBinDir } from './test-deps.mjs';

export interface PgClusterOptions {
  /** the login role for tests (default 'lifeboat'); created as a superuser */
  user?: string;
  /** its password (default: random, with characters that need quoting in SQL, URLs and shells) */
  password?: string;
  /** folder with initdb, pg_ctl, psql (default pgBinDir()) */
  binDir?: string;
}

export interface PgCluster {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly socketDir: string;
  /** the temp folder that holds data, socket and server log */
  readonly baseDir: string;
  readonly binDir: string;
  /** postgres://user:password@127.0.0.1:port/db, URL-encoded */
  url(db?: string): string;
  /** a DatabaseSource for `db` over TCP as `user` (password in `password`) */
  source(db?: string): DatabaseSource;
  /** Runs SQL (fed on stdin) as the postgres superuser over the socket; returns unaligned, tuples-only stdout. */
  psql(sql: string, db?: string): Promise<string>;
  createDatabase(name: string): Promise<void>;
  /** The last lines of the server log, for failure messages. */
  logTail(lines?: number): string;
  /** Fast shutdown and removal of the temp folder; safe to call more than once. */
  stop(): Promise<void>;
}

const DIR_PREFIX = 'lifeboat-pg-';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * The newest /usr/lib/postgresql/<major>/bin (LIFEBOAT_TEST_PG_BIN overrides it). The rule lives in
 * test-deps.mjs, which the `npm test` preflight (scripts/check-test-deps.mjs) checks with too.
 */
export function pgBinDir(): string {
  const dir = findPgServerBinDir();
  if (dir === null) {
    throw new Error('No PostgreSQL server found under /usr/lib/postgresql: apt-get install postgresql, or set LIFEBOAT_TEST_PG_BIN');
  }
  return dir;
}

/** Starts a throwaway cluster; stop it in afterAll. */
export async function startPgCluster(options: PgClusterOptions = {}): Promise<PgCluster> {
  sweepAbandonedClusters();
  const binDir = options.binDir ?? pgBinDir();
  const user = options.user ?? 'lifeboat';
  const password = options.password ?? `lb-${crypto.randomBytes(12).toString('base64url')}-'"@%: $&`;

  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  const dataDir = path.join(baseDir, 'data');
  const socketDir = path.join(baseDir, 'sock');
  const logFile = path.join(baseDir, 'postgres.log');
  fs.writeFileSync(path.join(baseDir, 'owner.pid'), String(process.pid));
  fs.mkdirSync(dataDir, { mode: 0o700 });
  fs.mkdirSync(socketDir);
  if (isRoot) chownRecursive(baseDir, postgresIds());

  const asPg = (command: string, args: string[], input?: string) => runAsPostgres(command, args, baseDir, input);
  const live: LiveCluster = { baseDir, dataDir, binDir };
  liveClusters.add(live);
  registerExitCleanup();

  let port = 0;
  try {
    await asPg(path.join(binDir, 'initdb'), [
      '-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions',
    ]);
    // Writing over files initdb created keeps their owner (postgres).
    fs.writeFileSync(
      path.join(dataDir, 'pg_hba.conf'),
      ['# setup over the socket; tests over TCP with a password', 'local all all trust', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n'),
    );
    fs.appendFileSync(
      path.join(dataDir, 'postgresql.conf'),
      [
        '',
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${socketDir}'`,
        // a throwaway cluster: durability only costs time here
        'fsync = off',
        'full_page_writes = off',
        'synchronous_commit = off',
        'shared_buffers = 32MB',
        'max_connections = 30',
        "password_encryption = 'scram-sha-256'",
        '',
      ].join('\n'),
    );

    // Another process may take the free port between the probe and the bind: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      fs.writeFileSync(path.join(dataDir, 'postgresql.auto.conf'), `port = ${port}\n`);
      try {
        await asPg(path.join(binDir, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
        break;
      } catch (error) {
        const log = readTail(logFile, 20);
        if (attempt < 4 && /could not bind|already in use|could not create any TCP\/IP sockets/i.test(log)) continue;
        throw new Error(`postgres did not start on port ${port}: ${(error as Error).message}\n${log}`);
      }
    }

    await asPg(path.join(binDir, 'psql'), psqlArgs(socketDir, port, 'postgres'), `CREATE ROLE ${quoteIdent(user)} LOGIN SUPERUSER PASSWORD '${scramVerifier(password)}';`);
  } catch (error) {
    await stopCluster(live);
    throw error;
  }

  let stopped: Promise<void> | null = null;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    socketDir,
    baseDir,
    binDir,
    url: (db = 'postgres') =>
      `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(db)}`,
    source: (db = 'postgres') => ({
      id: `test-${db}`,
      host: '127.0.0.1',
      port,
      user,
      database: db,
      sslMode: 'disable',
      hasPassword: true,
    }),
    psql: (sql, db = 'postgres') => asPg(path.join(binDir, 'psql'), psqlArgs(socketDir, port, db), sql),
    async createDatabase(name) {
      await asPg(path.join(binDir, 'psql'), psqlArgs(socketDir, port, 'postgres'), `CREATE DATABASE ${quoteIdent(name)};`);
    },
    logTail: (lines = 40) => readTail(logFile, lines),
    stop: () => (stopped ??= stopCluster(live)),
  };
}

/** A double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function psqlArgs(socketDir: string, port: number, db: string): string[] {
  return ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(port), '-U', 'postgres', '-d', db, '-f', '-'];
}

/**
 * A SCRAM-SHA-256 verifier (RFC 5802/7677, the form pg_authid stores), so that CREATE ROLE never
 * carries the plain password: not in the server log, not in pg_stat_activity.
 */
function scramVerifier(password: string, iterations = 4096): string {
  const salt = crypto.randomBytes(16);
  const salted = crypto.pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = crypto.createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = crypto.createHash('sha256').update(clientKey).digest();
  const serverKey = crypto.createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** A port nobody listens on right now: bind port 0 and let the OS choose. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a program as the postgres OS user (directly when not root), stdin from `input`. */
function runAsPostgres(command: string, args: string[], cwd: string, input?: string): Promise<string> {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${path.basename(command)} exited with ${code}: ${stderr.trim()}`));
    });
    child.stdin.end(input ?? '');
  });
}

interface LiveCluster {
  baseDir: string;
  dataDir: string;
  binDir: string;
}

const liveClusters = new Set<LiveCluster>();

async function stopCluster(cluster: LiveCluster): Promise<void> {
  liveClusters.delete(cluster);
  if (fs.existsSync(path.join(cluster.dataDir, 'postmaster.pid'))) {
    await runAsPostgres(path.join(cluster.binDir, 'pg_ctl'), ['-D', cluster.dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'], cluster.baseDir).catch(
      () => undefined,
    );
  }
  fs.rmSync(cluster.baseDir, { recursive: true, force: true });
}

/** Synchronous: runs from process 'exit', where nothing asynchronous gets to finish. */
function stopClusterSync(cluster: { baseDir: string; dataDir: string; binDir: string }): void {
  if (fs.existsSync(path.join(cluster.dataDir, 'postmaster.pid'))) {
    const pgCtl = path.join(cluster.binDir, 'pg_ctl');
    const args = ['-D', cluster.dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop'];
    try {
      execFileSync(isRoot ? 'runuser' : pgCtl, isRoot ? ['-u', 'postgres', '--', pgCtl, ...args] : args, {
        cwd: cluster.baseDir,
        stdio: 'ignore',
      });
    } catch {
      // already gone
    }
  }
  fs.rmSync(cluster.baseDir, { recursive: true, force: true });
}

let exitCleanupRegistered = false;

function registerExitCleanup(): void {
  if (exitCleanupRegistered) return;
  exitCleanupRegistered = true;
  const cleanupAll = () => {
    for (const cluster of [...liveClusters]) {
      liveClusters.delete(cluster);
      stopClusterSync(cluster);
    }
  };
  process.on('exit', cleanupAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      cleanupAll();
      process.off(signal, onSignal);
      // keep the signal's default effect (exit) unless someone else (the test runner) handles it
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

let swept = false;

/**
 * Removes clusters whose owning process is gone (killed with SIGKILL, so no exit handler ran).
 * Clusters of live processes, such as a parallel test run, are left alone.
 */
function sweepAbandonedClusters(): void {
  if (swept) return;
  swept = true;
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp)) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const baseDir = path.join(tmp, name);
    let owner: number;
    try {
      owner = Number(fs.readFileSync(path.join(baseDir, 'owner.pid'), 'utf8'));
    } catch {
      continue;
    }
    if (!Number.isInteger(owner) || owner <= 0 || processAlive(owner)) continue;
    let binDir: string;
    try {
      binDir = pgBinDir();
    } catch {
      continue;
    }
    stopClusterSync({ baseDir, dataDir: path.join(baseDir, 'data'), binDir });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function chownRecursive(dir: string, ids: { uid: number; gid: number }): void {
  fs.chownSync(dir, ids.uid, ids.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownRecursive(full, ids);
    else fs.chownSync(full, ids.uid, ids.gid);
  }
}

function readTail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
