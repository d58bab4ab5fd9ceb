/**
 * Host key fingerprints and known_hosts matching. The keys, their `ssh-keygen -lf` fingerprints
 * and the hashed lines (`ssh-keygen -H`) below were made by OpenSSH 9.2 and pasted here, so that
 * the unit suite checks our output against ssh's without needing ssh installed.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkKnownHosts,
  hostKeyFingerprint,
  hostKeyType,
  knownHostKeyTypes,
  knownHostsFieldMatches,
  knownHostsName,
  parseKnownHosts,
} from '../../../src/main/core/destinations/host-keys';
import { hostKeyFingerprintSchema } from '../../../src/shared/destination';

const KEYS = {
  ed25519: {
    line: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHnhXNwF6kqVaVUE0NUzLmwIfGOXaXVFtYi7zONVEMf4',
    // ssh-keygen -lf: 256 SHA256:iZhc... fixture-ed25519 (ED25519)
    fingerprint: 'SHA256:iZhcGUalTswhbXOQu0fe4IJCilJ9NOXSm5syk3sa9Tk',
  },
  ecdsa: {
    line: 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHp4EdJKo5Nun52v0YMFF11/9pHwsHMGM3p9oQGT3pAUOk4ThJIX+IRewBZ43Qkpn638HELlv1o6ttP3cQfUhgg=',
    fingerprint: 'SHA256:UIS1a1Rs7v6bB+zVG51ECsCV/c2nzrpbpeb1LcIsz4s',
  },
  rsa: {
    line: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDQ94buWg3F3L5K/dZs44HYyICyS0Xx19bSGom7T+vNp7TZZVVQZTVIDB/0W5Howh1WM2eE6pfxu25bNcjndWsuE4CQ3tpbSOCJHmOkZwX2tvy+8k8Hi6vQZVtt4lpNYatnb4pg39vxY8NNwq99b9omOwN8n5HSK3k5fA5CQKQbOw==',
    fingerprint: 'SHA256:ljvyucxGjW3wPC9QhN0IGUf7rQjgkBREEvvnZUMfgo4',
  },
};
const blob = (line: string) => Buffer.from(line.split(' ')[1], 'base64');

/** `ssh-keygen -H` of: db.example.com,10.0.0.5 (ed25519), [sftp.example.com]:2222 (ecdsa), backup.example.org (rsa) */
const HASHED = [
  `|1|/cdb6/Fk+WEvIPWo5tMFm1lnl9o=|Hyl4zq/C3Gc7fZ4+j/V8pMGHbm8= ${KEYS.ed25519.line}`,
  `|1|uZy73jQyhprhdZ4Z6+TfUqEhBCo=|w4UIv+6zBCwOXXtj5QNle0Zwn9Y= ${KEYS.ed25519.line}`,
  `|1|KfaQ+et7WTlZU/2D4xTYK1263yg=|Su/c5GyaoYoITDVp8TDwpqyb/Us= ${KEYS.ecdsa.line}`,
  `|1|enWu9HTOT+LwUKZlU6NynwfryjM=|sTsT9vMTqTT75pa5bFR1zGM5qUU= ${KEYS.rsa.line}`,
].join('\n');

describe('hostKeyFingerprint', () => {
  it('prints what ssh-keygen -l prints, for Ed25519, ECDSA and RSA keys', () => {
    for (const { line, fingerprint } of Object.values(KEYS)) {
      expect(hostKeyFingerprint(blob(line))).toBe(fingerprint);
      expect(hostKeyFingerprintSchema.safeParse(hostKeyFingerprint(blob(line))).success).toBe(true);
    }
  });

  it('reads the key type out of the blob, and refuses what is not a key', () => {
    expect(hostKeyType(blob(KEYS.ed25519.line))).toBe('ssh-ed25519');
    expect(hostKeyType(blob(KEYS.ecdsa.line))).toBe('ecdsa-sha2-nistp256');
    expect(hostKeyType(blob(KEYS.rsa.line))).toBe('ssh-rsa');
    expect(hostKeyType(Buffer.from([0, 0]))).toBeNull();
    expect(hostKeyType(Buffer.from([0xff, 0, 0, 1, 0x41]))).toBeNull();
  });
});

describe('known_hosts', () => {
  it('names a host as ssh does: plain on port 22, [host]:port on others, lower case', () => {
    expect(knownHostsName('DB.Example.com')).toBe('db.example.com');
    expect(knownHostsName('db.example.com', 22)).toBe('db.example.com');
    expect(knownHostsName('db.example.com', 2222)).toBe('[db.example.com]:2222');
  });

  it('parses key lines with markers, skipping comments, blanks and damaged lines', () => {
    const entries = parseKnownHosts(
      [
        '# a comment',
        '',
        `db.example.com ${KEYS.ed25519.line} a comment with spaces`,
        `@revoked * ${KEYS.rsa.line}`,
        `@cert-authority *.example.com ${KEYS.ecdsa.line}`,
        `@unknown-marker host ${KEYS.rsa.line}`,
        'broken.example.com ssh-ed25519',
        `mislabelled.example.com ssh-rsa ${KEYS.ed25519.line.split(' ')[1]}`,
        'junk.example.com ssh-ed25519 !!!not-base64!!!',
      ].join('\r\n'),
    );
    expect(entries.map((e) => [e.marker, e.hosts, e.type, e.fingerprint, e.line])).toEqual([
      [null, 'db.example.com', 'ssh-ed25519', KEYS.ed25519.fingerprint, 3],
      ['revoked', '*', 'ssh-rsa', KEYS.rsa.fingerprint, 4],
      ['cert-authority', '*.example.com', 'ecdsa-sha2-nistp256', KEYS.ecdsa.fingerprint, 5],
    ]);
  });

  it('matches plain names, lists, wildcards and negations against host and port', () => {
    expect(knownHostsFieldMatches('db.example.com,10.0.0.5', '10.0.0.5', 22)).toBe(true);
    expect(knownHostsFieldMatches('db.example.com,10.0.0.5', 'DB.EXAMPLE.COM', 22)).toBe(true);
    // a port other than 22 is only ever listed as [host]:port
    expect(knownHostsFieldMatches('db.example.com', 'db.example.com', 2222)).toBe(false);
    expect(knownHostsFieldMatches('[db.example.com]:2222', 'db.example.com', 2222)).toBe(true);
    expect(knownHostsFieldMatches('[db.example.com]:2222', 'db.example.com', 22)).toBe(false);
    expect(knownHostsFieldMatches('[db.example.com]:2222', 'db.example.com', 2223)).toBe(false);
    expect(knownHostsFieldMatches('*.example.com', 'db.example.com', 22)).toBe(true);
    expect(knownHostsFieldMatches('*.example.com', 'example.com', 22)).toBe(false);
    expect(knownHostsFieldMatches('10.0.0.?', '10.0.0.7', 22)).toBe(true);
    expect(knownHostsFieldMatches('10.0.0.?', '10.0.0.17', 22)).toBe(false);
    expect(knownHostsFieldMatches('*.example.com,!bad.example.com', 'bad.example.com', 22)).toBe(false);
    expect(knownHostsFieldMatches('!bad.example.com', 'good.example.com', 22)).toBe(false);
    // dots are literal, not any character
    expect(knownHostsFieldMatches('db.example.com', 'dbxexample.com', 22)).toBe(false);
  });

  it('matches hashed entries (ssh-keygen -H), including [host]:port ones', () => {
    const entries = parseKnownHosts(HASHED);
    const field = (i: number) => entries[i].hosts;
    expect(knownHostsFieldMatches(field(0), 'db.example.com', 22)).toBe(true);
    expect(knownHostsFieldMatches(field(1), '10.0.0.5', 22)).toBe(true);
    expect(knownHostsFieldMatches(field(2), 'sftp.example.com', 2222)).toBe(true);
    expect(knownHostsFieldMatches(field(2), 'sftp.example.com', 22)).toBe(false);
    expect(knownHostsFieldMatches(field(3), 'backup.example.org', 22)).toBe(true);
    expect(knownHostsFieldMatches(field(3), 'backup.example.com', 22)).toBe(false);
    expect(knownHostsFieldMatches('|1|broken', 'backup.example.org', 22)).toBe(false);
    // and the HMAC is the one ssh computes: SHA-1 keyed by the salt, over the name
    const salt = crypto.randomBytes(20);
    const hash = crypto.createHmac('sha1', salt).update('[h.example]:2200').digest('base64');
    expect(knownHostsFieldMatches(`|1|${salt.toString('base64')}|${hash}`, 'h.example', 2200)).toBe(true);
  });

  it('says known, unknown, changed or revoked for the key a host presents', () => {
    const entries = parseKnownHosts(HASHED);
    expect(checkKnownHosts(entries, 'db.example.com', 22, blob(KEYS.ed25519.line))).toEqual({ status: 'known', line: 1 });
    expect(checkKnownHosts(entries, 'sftp.example.com', 2222, blob(KEYS.ecdsa.line))).toEqual({ status: 'known', line: 3 });
    expect(checkKnownHosts(entries, 'sftp.example.com', 22, blob(KEYS.ecdsa.line))).toEqual({ status: 'unknown' });
    expect(checkKnownHosts(entries, 'new.example.com', 22, blob(KEYS.ed25519.line))).toEqual({ status: 'unknown' });
    // the host is listed, with another key
    expect(checkKnownHosts(entries, 'backup.example.org', 22, blob(KEYS.ed25519.line))).toEqual({ status: 'changed', listed: [KEYS.rsa.fingerprint] });

    const revoked = parseKnownHosts(`@revoked * ${KEYS.ed25519.line}\ndb.example.com ${KEYS.ed25519.line}`);
    expect(checkKnownHosts(revoked, 'db.example.com', 22, blob(KEYS.ed25519.line))).toEqual({ status: 'revoked', line: 1 });
    // a @cert-authority line lists no host key
    const ca = parseKnownHosts(`@cert-authority db.example.com ${KEYS.rsa.line}`);
    expect(checkKnownHosts(ca, 'db.example.com', 22, blob(KEYS.ed25519.line))).toEqual({ status: 'unknown' });
  });

  it('lists the key types known for a host, so that the server is asked for one of those first', () => {
    const entries = parseKnownHosts(`${HASHED}\nbackup.example.org ${KEYS.ecdsa.line}\n@revoked backup.example.org ${KEYS.ed25519.line}`);
    expect(knownHostKeyTypes(entries, 'backup.example.org', 22)).toEqual(['ssh-rsa', 'ecdsa-sha2-nistp256']);
    expect(knownHostKeyTypes(entries, 'elsewhere.example.org', 22)).toEqual([]);
  });
});
