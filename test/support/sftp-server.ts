/**
 * A real OpenSSH server for the SFTP destination's tests: Debian's `/usr/sbin/sshd -D -e` as
 * root on a free loopback port, with a throwaway Ed25519 host key, a user key pair for the
 * client (root logs in with it), `Subsystem sftp internal-sftp`, and everything (config, keys,
 * pid file, the folder the tests write under) in one temp dir removed by stop().
 *
 * The faults the tests need: kill() (the server dies mid-upload), pauseSessions() (SIGSTOP of
 * the connection processes: a stalled link), restart(), replaceHostKey() (a reinstalled server),
 * and a throwaway OS user with a password (addPasswordUser) for password logins.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SSHD } from './test-deps.mjs';

export interface SftpServer {
  host: '127.0.0.1';
  port: number;
  /** the login user of the key pair: root */
  user: string;
  /** SHA256:... of the current host key, as `ssh-keygen -lf` prints it */
  hostKeyFingerprint: string;
  /** the host key's public line (`ssh-ed25519 AAAA...`), for known_hosts files */
  hostKeyLine: string;
  /** the client's private key (no passphrase), authorized for root */
  userKeyFile: string;
  /** an empty folder for the tests' remote roots (absolute) */
  root: string;
  /** the temp dir holding everything (config, keys, root) */
  dir: string;
  /** the processes serving connections (not the listener) */
  sessionPids(): number[];
  /** SIGSTOP / SIGCONT of every connection process: the link stalls without closing */
  pauseSessions(): void;
  resumeSessions(): void;
  /** SIGKILL of the listener and every connection: the server dies */
  kill(): Promise<void>;
  /** Starts the listener again (after kill or stop), same port and host key. */
  restart(): Promise<void>;
  /** A new host key (the server was reinstalled), restarted; returns its fingerprint. */
  replaceHostKey(): Promise<string>;
  /** A throwaway OS user with a random password and a home folder in the temp dir; remove() deletes it. */
  addPasswordUser(): Promise<{ user: string; password: string; home: string; remove(): void }>;
  /** Stops the server and removes the temp dir (and any user added). */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `ssh-keygen -lf file.pub` → its SHA256:... fingerprint. */
export function sshKeygenFingerprint(publicKeyFile: string): string {
  const out = execFileSync('ssh-keygen', ['-lf', publicKeyFile], { encoding: 'utf8' });
  const match = /SHA256:[A-Za-z0-9+/]{43}/.exec(out);
  if (!match) throw new Error(`ssh-keygen -lf printed no fingerprint: ${out}`);
  return match[0];
}

/** A new key pair at `file` / `file.pub` (Ed25519 unless told), with an optional passphrase. */
export function makeKeyPair(file: string, options: { type?: string; passphrase?: string } = {}): void {
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  // -a 2: few KDF rounds for a passphrase, so that unlocking it costs the tests no time
  execFileSync('ssh-keygen', ['-q', '-t', options.type ?? 'ed25519', '-a', '2', '-N', options.passphrase ?? '', '-C', 'lifeboat-test', '-f', file], { stdio: 'ignore' });
}

/** Every process whose parent chain leads to `pid` (not `pid` itself), from /proc. */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parentOf) {
      if (ppid === parent) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/** Starts sshd; resolves once it listens (it prints "Server listening on ... port N"). */
export async function startSftpServer(): Promise<SftpServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-sshd-'));
  // a password user's home lives in here: it must be able to walk in
  fs.chmodSync(dir, 0o755);
  const root = path.join(dir, 'remote');
  fs.mkdirSync(root);
  const hostKey = path.join(dir, 'host_ed25519');
  const userKeyFile = path.join(dir, 'user_ed25519');
  makeKeyPair(hostKey);
  makeKeyPair(userKeyFile);
  fs.copyFileSync(`${userKeyFile}.pub`, path.join(dir, 'authorized_keys'));
  // sshd's privilege separation folder
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const configFile = path.join(dir, 'sshd_config');
  fs.writeFileSync(
    configFile,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PermitRootLogin yes',
      'PubkeyAuthentication yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'UseDNS no',
      'MaxStartups 50',
      'MaxAuthTries 10',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );

  let child: ChildProcess | null = null;
  const users: string[] = [];

  const start = async (): Promise<void> => {
    const proc = spawn(SSHD, ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sshd did not start within 10 s:\n${log}`)), 10_000);
      proc.stderr!.on('data', (data: Buffer) => {
        log += data.toString();
        if (log.includes('Server listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sshd exited (${code}) while starting:\n${log}`));
      });
    });
    // keep draining its log so that it never blocks on a full pipe
    proc.stderr!.resume();
  };

  const halt = async (sig: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.pid === undefined) return;
    const sessions = descendants(proc.pid);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    signal([proc.pid], sig);
    signal(sessions, 'SIGCONT');
    signal(sessions, sig);
    await exited;
  };

  await start();

  const server: SftpServer = {
    host: '127.0.0.1',
    port,
    user: 'root',
    hostKeyFingerprint: sshKeygenFingerprint(`${hostKey}.pub`),
    hostKeyLine: fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' '),
    userKeyFile,
    root,
    dir,
    sessionPids: () => (child?.pid === undefined ? [] : descendants(child.pid)),
    pauseSessions: () => signal(server.sessionPids(), 'SIGSTOP'),
    resumeSessions: () => signal(server.sessionPids(), 'SIGCONT'),
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGTERM');
      await start();
    },
    replaceHostKey: async () => {
      await halt('SIGTERM');
      makeKeyPair(hostKey);
      server.hostKeyFingerprint = sshKeygenFingerprint(`${hostKey}.pub`);
      server.hostKeyLine = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
      await start();
      return server.hostKeyFingerprint;
    },
    addPasswordUser: async () => {
      const user = `lbsftp${crypto.randomBytes(3).toString('hex')}`;
      const password = crypto.randomBytes(12).toString('base64url');
      const home = path.join(dir, user);
      execFileSync('useradd', ['-M', '-d', home, '-s', '/usr/sbin/nologin', user], { stdio: 'ignore' });
      users.push(user);
      execFileSync('chpasswd', { input: `${user}:${password}\n`, stdio: ['pipe', 'ignore', 'ignore'] });
      fs.mkdirSync(home);
      execFileSync('chown', [`${user}:`, home]);
      const remove = () => {
        const at = users.indexOf(user);
        if (at === -1) return;
        users.splice(at, 1);
        try {
          execFileSync('userdel', ['-f', user], { stdio: 'ignore' });
        } catch {
          // a connection of the user may still run: it ends with the server
        }
      };
      return { user, password, home, remove };
    },
    stop: async () => {
      await halt('SIGTERM');
      for (const user of [...users]) {
        try {
          execFileSync('userdel', ['-f', user], { stdio: 'ignore' });
        } catch {
          // gone already
        }
      }
      users.length = 0;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
