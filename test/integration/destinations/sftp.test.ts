/**
 * The SFTP destination against a real OpenSSH sshd on loopback: the destination contract, then
 * the faults — unknown and changed host keys, known_hosts files, wrong credentials, a missing
 * folder, the server killed mid-upload, stalled connections, and a remote disk that fills up.
 */
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination } from '../../../src/main/core/destinations/open';
import { openSftpDestination, presentedHostKey, probeHostKey } from '../../../src/main/core/destinations/sftp';
import { sftpDestinationSchema, type SftpDestinationConfig } from '../../../src/shared/destination';
import { AppError } from '../../../src/shared/errors';
import { destinationContract } from '../../support/destination-contract';
import { makeKeyPair, startSftpServer, type SftpServer } from '../../support/sftp-server';

let server: SftpServer;
let scratch: string;
let folders = 0;

beforeAll(async () => {
  server = await startSftpServer();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-sftp-client-'));
});

afterAll(async () => {
  await server?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

/** A config for a fresh remote folder, logging in as root with the test key, the server's key pinned. */
function config(overrides: Partial<SftpDestinationConfig> = {}): SftpDestinationConfig {
  return sftpDestinationSchema.parse({
    id: 'sftp',
    kind: 'sftp',
    host: server.host,
    port: server.port,
    user: server.user,
    path: path.join(server.root, `dest-${++folders}`),
    auth: 'key',
    keyFile: server.userKeyFile,
    hostKey: server.hostKeyFingerprint,
    ...overrides,
  });
}

/** The AppError `promise` rejects with (fails the test when it resolves). */
async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** `data` as a stream of 256 KiB chunks, so that onProgress moves as the upload does. */
function chunked(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < data.length; at += 256 * 1024) yield data.subarray(at, at + 256 * 1024);
    })(),
  );
}

function knownHosts(name: string, lines: string[]): string {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('sftp destination (OpenSSH sshd on loopback)', () => {
  destinationContract(() => openSftpDestination(config(), {}));

  it('writes under the folder with urlOf naming it, creates the folder when its parent exists, and survives a server restart', async () => {
    const settings = config();
    const dest = await openDestination(settings, {});
    try {
      expect(dest.url).toBe(`sftp://root@127.0.0.1:${server.port}${settings.path}`);
      expect(dest.urlOf('a/b.lifeboat')).toBe(`${dest.url}/a/b.lifeboat`);
      await dest.write('a/b.lifeboat', Readable.from([Buffer.from('hello')]));
      const file = path.join(settings.path, 'a', 'b.lifeboat');
      expect(fs.readFileSync(file, 'utf8')).toBe('hello');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      // a .part of an upload a dead server left behind is never listed
      fs.writeFileSync(`${file}.part`, 'half');
      expect((await dest.list()).map((o) => o.key)).toEqual(['a/b.lifeboat']);
      // a known SHA-256 the bytes do not have: refused before the key becomes visible
      const wrongHash = await failure(dest.write('a/c.lifeboat', Readable.from([Buffer.from('other')]), { sha256: '0'.repeat(64) }));
      expect(wrongHash.code).toBe('DEST_FAILED');
      expect(await dest.stat('a/c.lifeboat')).toBeNull();
      expect(fs.existsSync(path.join(settings.path, 'a', 'c.lifeboat.part'))).toBe(false);
      await server.restart();
      // the lost connection is opened again
      expect((await dest.stat('a/b.lifeboat'))?.size).toBe(5);
    } finally {
      await dest.close();
    }
  });

  it('refuses an unknown host key with HOST_KEY_UNKNOWN naming its fingerprint, and connects once that fingerprint is accepted', async () => {
    const unpinned = config({ hostKey: undefined });
    const refused = await failure(openSftpDestination(unpinned, {}));
    expect(refused.code).toBe('HOST_KEY_UNKNOWN');
    expect(refused.message).toContain(server.hostKeyFingerprint);
    expect(presentedHostKey(refused)).toEqual({ fingerprint: server.hostKeyFingerprint, keyType: 'ssh-ed25519', status: 'unknown' });
    // the Test button's way to show the key before any login
    expect(await probeHostKey(server.host, server.port, 5000)).toEqual({ fingerprint: server.hostKeyFingerprint, keyType: 'ssh-ed25519' });
    // a fingerprint of some other key is no acceptance
    const other = await failure(openSftpDestination(unpinned, { acceptHostKey: 'SHA256:iZhcGUalTswhbXOQu0fe4IJCilJ9NOXSm5syk3sa9Tk' }));
    expect(other.code).toBe('HOST_KEY_UNKNOWN');

    const dest = await openSftpDestination(unpinned, { acceptHostKey: server.hostKeyFingerprint });
    try {
      expect(dest.hostKey?.fingerprint).toBe(server.hostKeyFingerprint);
      await dest.write('k.lifeboat', Readable.from([Buffer.from('accepted')]));
      expect((await dest.read('k.lifeboat', 0, 100)).toString()).toBe('accepted');
    } finally {
      await dest.close();
    }
  });

  it('checks the host key against known_hosts files, plain and hashed, like ssh', async () => {
    const unpinned = config({ hostKey: undefined });
    const plain = knownHosts('plain', ['# comment', `other.example.com ${server.hostKeyLine}`, `[127.0.0.1]:${server.port} ${server.hostKeyLine}`]);
    const dest = await openSftpDestination(unpinned, { knownHostsFile: plain });
    await dest.write('x', Readable.from([Buffer.from('x')]));
    await dest.close();

    const hashed = knownHosts('hashed', [`[127.0.0.1]:${server.port} ${server.hostKeyLine}`]);
    execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
    expect(fs.readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/);
    const viaHashed = await openSftpDestination(unpinned, { knownHostsFile: hashed });
    expect((await viaHashed.list()).map((o) => o.key)).toEqual(['x']);
    await viaHashed.close();

    // listed on port 22 only, or another host: not known here
    const wrongPort = knownHosts('port22', [`127.0.0.1 ${server.hostKeyLine}`]);
    expect((await failure(openSftpDestination(unpinned, { knownHostsFile: wrongPort }))).code).toBe('HOST_KEY_UNKNOWN');
    expect((await failure(openSftpDestination(unpinned, { knownHostsFile: path.join(scratch, 'none') }))).code).toBe('HOST_KEY_UNKNOWN');

    // listed with another key: changed, even when the presented fingerprint was "accepted"
    const otherKey = path.join(scratch, 'other_host_key');
    makeKeyPair(otherKey);
    const otherLine = fs.readFileSync(`${otherKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    const stale = knownHosts('stale', [`[127.0.0.1]:${server.port} ${otherLine}`]);
    const changed = await failure(openSftpDestination(unpinned, { knownHostsFile: stale, acceptHostKey: server.hostKeyFingerprint }));
    expect(changed.code).toBe('HOST_KEY_CHANGED');
    expect(changed.message).toContain(server.hostKeyFingerprint);
    // @revoked refuses the very key
    const revoked = knownHosts('revoked', [`@revoked * ${server.hostKeyLine}`, `[127.0.0.1]:${server.port} ${server.hostKeyLine}`]);
    expect((await failure(openSftpDestination(unpinned, { knownHostsFile: revoked }))).code).toBe('HOST_KEY_CHANGED');
  });

  it('refuses wrong credentials with DEST_AUTH_FAILED, never naming the password; logs in with a password, a passphrase-protected key or the agent', async () => {
    const account = await server.addPasswordUser();
    try {
      const byPassword = config({ user: account.user, auth: 'password', keyFile: undefined, path: 'backups/lifeboat' });
      const wrong = await failure(openSftpDestination(byPassword, { secret: 'not-the-password-s3cr3t' }));
      expect(wrong.code).toBe('DEST_AUTH_FAILED');
      expect(wrong.message).not.toContain('s3cr3t');
      expect((await failure(openSftpDestination(byPassword, {}))).code).toBe('DEST_AUTH_FAILED');

      // a relative path is under the login folder
      const dest = await openSftpDestination(byPassword, { secret: account.password });
      try {
        expect(dest.url).toBe(`sftp://${account.user}@127.0.0.1:${server.port}/~/backups/lifeboat`);
        await expect(dest.list()).rejects.toMatchObject({ code: 'DEST_MISSING' });
        fs.mkdirSync(path.join(account.home, 'backups'));
        execFileSync('chown', [`${account.user}:`, path.join(account.home, 'backups')]);
        await dest.write('one.lifeboat', Readable.from([Buffer.from('by password')]));
        expect(fs.readFileSync(path.join(account.home, 'backups', 'lifeboat', 'one.lifeboat'), 'utf8')).toBe('by password');
        // root's folder is not this user's to write
        const notMine = await failure(
          openSftpDestination({ ...byPassword, path: server.root }, { secret: account.password }).then((d) =>
            d.write('x', Readable.from([Buffer.from('x')])).finally(() => d.close()),
          ),
        );
        expect(notMine.code).toBe('DEST_NOT_WRITABLE');
      } finally {
        await dest.close();
      }
    } finally {
      account.remove();
    }

    const strangerKey = path.join(scratch, 'stranger');
    makeKeyPair(strangerKey);
    expect((await failure(openSftpDestination(config({ keyFile: strangerKey }), {}))).code).toBe('DEST_AUTH_FAILED');
    const missingKey = await failure(openSftpDestination(config({ keyFile: path.join(scratch, 'no-such-key') }), {}));
    expect(missingKey.code).toBe('DEST_AUTH_FAILED');
    expect(missingKey.message).toContain('no-such-key');

    // a key with a passphrase: the secret is the passphrase
    const locked = path.join(scratch, 'locked');
    makeKeyPair(locked, { passphrase: 'pass-phrase-s3cr3t' });
    fs.appendFileSync(path.join(server.dir, 'authorized_keys'), fs.readFileSync(`${locked}.pub`));
    const noPassphrase = await failure(openSftpDestination(config({ keyFile: locked }), {}));
    expect(noPassphrase.code).toBe('DEST_AUTH_FAILED');
    expect(noPassphrase.message).toMatch(/passphrase/);
    const badPassphrase = await failure(openSftpDestination(config({ keyFile: locked }), { secret: 'wrong-s3cr3t' }));
    expect(badPassphrase.code).toBe('DEST_AUTH_FAILED');
    expect(badPassphrase.message).not.toContain('s3cr3t');
    const unlocked = await openSftpDestination(config({ keyFile: locked }), { secret: 'pass-phrase-s3cr3t' });
    expect(await unlocked.stat('none')).toBeNull();
    await unlocked.close();

    // the ssh agent, when no key file is given
    const socket = path.join(scratch, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
      execFileSync('ssh-add', [server.userKeyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      const viaAgent = await openSftpDestination(config({ keyFile: undefined }), { agentSocket: socket });
      expect(await viaAgent.stat('none')).toBeNull();
      await viaAgent.close();
    } finally {
      agent.kill();
    }
    expect((await failure(openSftpDestination(config({ keyFile: undefined }), {}))).code).toBe('DEST_AUTH_FAILED');
  });

  it('says DEST_MISSING for a folder whose parent does not exist, and when listing a folder that does not', async () => {
    const deep = await openSftpDestination(config({ path: path.join(server.root, 'no-such-parent', 'backups') }), {});
    try {
      await expect(deep.list()).rejects.toMatchObject({ code: 'DEST_MISSING' });
      const error = await failure(deep.write('a.lifeboat', Readable.from([Buffer.from('a')])));
      expect(error.code).toBe('DEST_MISSING');
      expect(error.message).toContain('no-such-parent');
      expect(fs.existsSync(path.join(server.root, 'no-such-parent'))).toBe(false);
      await expect(deep.read('a.lifeboat', 0, 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await deep.close();
    }
  });

  it('rejects an upload when the server dies mid-way, and nothing is at the key after the restart', async () => {
    const settings = config();
    const dest = await openSftpDestination(settings, {});
    const data = crypto.randomBytes(16 * 1024 * 1024);
    let killed = false;
    const write = dest.write('dead.lifeboat', chunked(data), {
      onProgress: (sent) => {
        if (sent > 6_000_000 && !killed) {
          killed = true;
          void server.kill();
        }
      },
    });
    const error = await failure(write);
    expect(killed).toBe(true);
    expect(error.code).toBe('DEST_UNREACHABLE');
    await dest.close();
    await server.restart();
    const after = await openSftpDestination(settings, {});
    try {
      expect(await after.stat('dead.lifeboat')).toBeNull();
      expect(await after.list()).toEqual([]);
    } finally {
      await after.close();
    }
  });

  it('fails a stalled connection with DEST_UNREACHABLE within the timeout, not a hang', async () => {
    // a server that accepts and never speaks
    const accepted: net.Socket[] = [];
    const silent = net.createServer((socket) => {
      accepted.push(socket.on('error', () => undefined));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const error = await failure(openSftpDestination(config({ port: silentPort }), { timeoutMs: 2000 }));
      expect(error.code).toBe('DEST_UNREACHABLE');
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      accepted.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
    // nothing listening there any more
    expect((await failure(openSftpDestination(config({ port: silentPort }), { timeoutMs: 2000 }))).code).toBe('DEST_UNREACHABLE');

    // a connection that stops answering mid-upload (the server's session process is frozen)
    const dest = await openSftpDestination(config(), { timeoutMs: 2000 });
    try {
      let paused = 0;
      const write = dest.write('stalled.lifeboat', chunked(crypto.randomBytes(16 * 1024 * 1024)), {
        onProgress: (sent) => {
          if (sent > 6_000_000 && paused === 0) {
            paused = Date.now();
            server.pauseSessions();
          }
        },
      });
      const error = await failure(write);
      expect(paused).toBeGreaterThan(0);
      expect(error.code).toBe('DEST_UNREACHABLE');
      expect(error.message).toMatch(/stalled|no answer/);
      expect(Date.now() - paused).toBeLessThan(4000);
    } finally {
      server.resumeSessions();
      await dest.close();
    }
  });

  it('says DEST_FULL when the remote disk fills up, leaving nothing behind', async () => {
    const settings = config();
    const folder = settings.path;
    fs.mkdirSync(folder);
    // an 8 MiB file system as the remote folder (the test runs as root)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0755', 'tmpfs', folder]);
    try {
      const dest = await openSftpDestination(settings, {});
      try {
        await dest.write('kept.lifeboat', Readable.from([Buffer.from('kept')]));
        const error = await failure(dest.write('big.lifeboat', chunked(crypto.randomBytes(12 * 1024 * 1024))));
        expect(error.code).toBe('DEST_FULL');
        expect(await dest.stat('big.lifeboat')).toBeNull();
        expect((await dest.list()).map((o) => o.key)).toEqual(['kept.lifeboat']);
        expect(fs.readdirSync(folder)).toEqual(['kept.lifeboat']);
      } finally {
        await dest.close();
      }
    } finally {
      execFileSync('umount', [folder]);
    }
  });

  // last: it changes the server's host key for good
  it('refuses a changed host key with HOST_KEY_CHANGED and never accepts it', async () => {
    const before = config();
    const oldKey = server.hostKeyFingerprint;
    const oldLine = server.hostKeyLine;
    const newKey = await server.replaceHostKey();
    expect(newKey).not.toBe(oldKey);
    const error = await failure(openSftpDestination(before, {}));
    expect(error.code).toBe('HOST_KEY_CHANGED');
    expect(error.message).toContain(newKey);
    expect(error.message).toContain(oldKey);
    expect(presentedHostKey(error)).toMatchObject({ fingerprint: newKey, status: 'changed' });
    // accepting the new fingerprint does not override a pinned key
    expect((await failure(openSftpDestination(before, { acceptHostKey: newKey }))).code).toBe('HOST_KEY_CHANGED');
    const stale = knownHosts('stale-after-reinstall', [`[127.0.0.1]:${server.port} ${oldLine}`]);
    expect((await failure(openSftpDestination({ ...before, hostKey: undefined }, { knownHostsFile: stale }))).code).toBe('HOST_KEY_CHANGED');
    // once the user pins the new key, it connects
    const repinned = await openSftpDestination({ ...before, hostKey: newKey }, {});
    expect(await repinned.stat('none')).toBeNull();
    await repinned.close();
  });
});
