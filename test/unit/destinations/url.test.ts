/**
 * Destination URLs of the command line (s3://, azure://, sftp://): what each parses into, the
 * backup/prefix split, the round trip through destinationUrl, the refusals (with the form to
 * use), and the credentials each takes from the environment (issue #15, point 6).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { destinationUrl } from '../../../src/shared/destination';
import { AppError } from '../../../src/shared/errors';
import {
  destinationFromEnv,
  isDestinationUrl,
  parseBackupUrl,
  parseConnectionString,
  parseDestinationUrl,
} from '../../../src/main/core/destinations/url';
import { backupFolderOf, backupNameOf, resolveBackupLocation } from '../../../src/main/core/destinations/remote-open';

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a refusal');
}

const homes: string[] = [];
afterAll(() => homes.forEach((h) => fs.rmSync(h, { recursive: true, force: true })));

/** A home folder with the given files below .ssh. */
function home(keys: string[] = []): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-home-'));
  homes.push(dir);
  fs.mkdirSync(path.join(dir, '.ssh'));
  for (const key of keys) fs.writeFileSync(path.join(dir, '.ssh', key), 'not really a key\n', { mode: 0o600 });
  return dir;
}

describe('parseDestinationUrl: S3', () => {
  it('a backup URL: the folder is the destination, the name the key', () => {
    const { config, key } = parseDestinationUrl('s3://my-bucket/backups/nightly/db-20260101-020000-full.lifeboat');
    expect(config).toMatchObject({ kind: 's3', bucket: 'my-bucket', prefix: 'backups/nightly', region: 'us-east-1', forcePathStyle: false, credentials: 'aws-chain' });
    expect(key).toBe('db-20260101-020000-full.lifeboat');
    expect(`${destinationUrl(config)}/${key}`).toBe('s3://my-bucket/backups/nightly/db-20260101-020000-full.lifeboat');
  });

  it('a prefix URL (with or without a trailing slash), and the bucket alone', () => {
    expect(parseDestinationUrl('s3://my-bucket/backups/nightly')).toMatchObject({ config: { prefix: 'backups/nightly' }, key: null });
    expect(parseDestinationUrl('s3://my-bucket/backups/nightly/')).toMatchObject({ config: { prefix: 'backups/nightly' }, key: null });
    expect(parseDestinationUrl('s3://my-bucket')).toMatchObject({ config: { bucket: 'my-bucket', prefix: '' }, key: null });
    expect(parseDestinationUrl('s3://my-bucket/a.lifeboat')).toMatchObject({ config: { prefix: '' }, key: 'a.lifeboat' });
  });

  it('refuses a bad bucket or key with VALIDATION showing the form', () => {
    for (const url of ['s3://', 's3://UPPER/x.lifeboat', 's3://a/x.lifeboat', 's3://b_/x', 's3://bucket//x.lifeboat', 's3://bucket/../x.lifeboat', 's3://bucket/a/./x.lifeboat']) {
      const error = refusal(() => parseDestinationUrl(url));
      expect(error.code, url).toBe('VALIDATION');
      expect(error.message, url).toContain('s3://bucket/prefix/name.lifeboat');
    }
  });
});

describe('parseDestinationUrl: Azure', () => {
  it('account, container, prefix and blob', () => {
    const { config, key } = parseDestinationUrl('azure://acmebackups/lifeboat/site-a/x.lifeboat');
    expect(config).toMatchObject({ kind: 'azure', account: 'acmebackups', container: 'lifeboat', prefix: 'site-a', auth: 'key' });
    expect(key).toBe('x.lifeboat');
    expect(`${destinationUrl(config)}/${key}`).toBe('azure://acmebackups/lifeboat/site-a/x.lifeboat');
    expect(parseDestinationUrl('azure://devstoreaccount1/c1-x')).toMatchObject({ config: { container: 'c1-x', prefix: '' }, key: null });
  });

  it('refuses a missing container, a bad account or container name', () => {
    for (const url of ['azure://acme', 'azure://acme/', 'azure://Acme_1/c1/x.lifeboat', 'azure://acme/C1/x.lifeboat', 'azure://acme/a--b/x.lifeboat', 'azure://acme/ab']) {
      const error = refusal(() => parseDestinationUrl(url));
      expect(error.code, url).toBe('VALIDATION');
      expect(error.message, url).toContain('azure://account/container/prefix/name.lifeboat');
    }
  });
});

describe('parseDestinationUrl: SFTP', () => {
  it('an absolute path, a port, a backup name', () => {
    const { config, key } = parseDestinationUrl('sftp://backup@files.example.com:2222/srv/backups/x.lifeboat');
    expect(config).toMatchObject({ kind: 'sftp', user: 'backup', host: 'files.example.com', port: 2222, path: '/srv/backups', auth: 'key' });
    expect(key).toBe('x.lifeboat');
    expect(`${destinationUrl(config)}/${key}`).toBe('sftp://backup@files.example.com:2222/srv/backups/x.lifeboat');
  });

  it('/~/ is below the home folder, as destinationUrl writes it; no path is the home folder', () => {
    const rel = parseDestinationUrl('sftp://me@host/~/backups/x.lifeboat');
    expect(rel).toMatchObject({ config: { path: 'backups', port: 22 }, key: 'x.lifeboat' });
    expect(`${destinationUrl(rel.config)}/${rel.key}`).toBe('sftp://me@host/~/backups/x.lifeboat');
    expect(parseDestinationUrl('sftp://me@host/~/x.lifeboat')).toMatchObject({ config: { path: '.' }, key: 'x.lifeboat' });
    expect(parseDestinationUrl('sftp://me@host')).toMatchObject({ config: { path: '.' }, key: null });
    // what a destination whose path is the home folder itself lists its objects as
    const home = parseDestinationUrl('sftp://me@host/~/./x.lifeboat');
    expect(home).toMatchObject({ config: { path: '.' }, key: 'x.lifeboat' });
    expect(parseDestinationUrl('sftp://me@host/x.lifeboat')).toMatchObject({ config: { path: '/' }, key: 'x.lifeboat' });
    expect(parseDestinationUrl('sftp://me@host/srv/b/')).toMatchObject({ config: { path: '/srv/b' }, key: null });
  });

  it('an IPv6 host and a %-escaped user', () => {
    expect(parseDestinationUrl('sftp://a%40b@[::1]:2200/x.lifeboat')).toMatchObject({ config: { host: '::1', port: 2200, user: 'a@b' } });
  });

  it('refuses a password in the URL without echoing it', () => {
    const error = refusal(() => parseDestinationUrl('sftp://me:hunter2-secret@host/x.lifeboat'));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain('LIFEBOAT_SSH_PASSWORD');
    expect(error.message).not.toContain('hunter2-secret');
  });

  it('refuses no user, a bad port, a bad path with the form', () => {
    for (const url of ['sftp://host/x.lifeboat', 'sftp://me@host:0/x', 'sftp://me@host:70000/x', 'sftp://me@host:ab/x', 'sftp://me@host/a/../x.lifeboat', 'sftp://me@/x']) {
      const error = refusal(() => parseDestinationUrl(url));
      expect(error.code, url).toBe('VALIDATION');
      expect(error.message, url).toContain('sftp://user@host[:port]/absolute/path/name.lifeboat');
    }
  });
});

describe('other URLs and the backup/prefix split', () => {
  it('tells URLs from paths', () => {
    expect(isDestinationUrl('s3://b/x')).toBe(true);
    expect(isDestinationUrl('SFTP://u@h/x')).toBe(true);
    expect(isDestinationUrl('azure://a/c')).toBe(true);
    expect(isDestinationUrl('/srv/backups/x.lifeboat')).toBe(false);
    expect(isDestinationUrl('s3:/b/x')).toBe(false);
    expect(isDestinationUrl('C:\\backups\\x.lifeboat')).toBe(false);
  });

  it('refuses another scheme, naming all three forms', () => {
    const error = refusal(() => parseDestinationUrl('gs://bucket/x.lifeboat'));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain('s3://bucket/prefix/name.lifeboat');
    expect(error.message).toContain('azure://account/container');
    expect(error.message).toContain('sftp://user@host');
  });

  it('parseBackupUrl refuses a prefix, pointing at list --remote', () => {
    expect(parseBackupUrl('s3://bucket/p/x.lifeboat').key).toBe('x.lifeboat');
    const error = refusal(() => parseBackupUrl('s3://bucket/p'));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain('lifeboat list --remote s3://bucket/p');
    // a name that is only the suffix is no backup's
    expect(parseDestinationUrl('s3://bucket/p/.lifeboat').key).toBeNull();
  });

  it('the folder and name of a backup, remote or local', () => {
    expect(backupFolderOf('s3://bucket/a/b/x.lifeboat')).toBe('s3://bucket/a/b');
    expect(backupFolderOf('sftp://me@host:2222/srv/x.lifeboat')).toBe('sftp://me@host:2222/srv');
    expect(backupFolderOf('/srv/backups/x.lifeboat')).toBe('/srv/backups');
    expect(backupNameOf('azure://acme/cont1/p/x.lifeboat')).toBe('x.lifeboat');
    expect(resolveBackupLocation('s3://bucket/x.lifeboat')).toBe('s3://bucket/x.lifeboat');
    expect(resolveBackupLocation('rel/x.lifeboat')).toBe(path.resolve('rel/x.lifeboat'));
  });
});

describe('destinationFromEnv: S3', () => {
  const s3 = () => parseDestinationUrl('s3://bucket/p/x.lifeboat').config;

  it('an endpoint other than AWS: path-style; keys from the environment go to the secret only', () => {
    const { config, openOptions } = destinationFromEnv(s3(), {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_REGION: 'eu-central-1',
    });
    expect(config).toMatchObject({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, region: 'eu-central-1', credentials: 'keychain', accessKeyId: 'AKIDEXAMPLE' });
    expect(openOptions.secret).toBe('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    expect(JSON.stringify(config)).not.toContain('wJalrXUtnFEMI');
  });

  it('AWS itself stays virtual-hosted; AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL; AWS_DEFAULT_REGION counts', () => {
    const { config } = destinationFromEnv(s3(), {
      AWS_ENDPOINT_URL: 'http://ignored:1',
      AWS_ENDPOINT_URL_S3: 'https://s3.eu-west-1.amazonaws.com',
      AWS_DEFAULT_REGION: 'eu-west-1',
    });
    expect(config).toMatchObject({ endpoint: 'https://s3.eu-west-1.amazonaws.com', forcePathStyle: false, region: 'eu-west-1', credentials: 'aws-chain' });
  });

  it('a profile, or temporary credentials: the AWS chain', () => {
    expect(destinationFromEnv(s3(), { AWS_PROFILE: 'backup' })).toMatchObject({ config: { credentials: 'aws-chain', profile: 'backup' }, openOptions: {} });
    const temp = destinationFromEnv(s3(), { AWS_ACCESS_KEY_ID: 'ASIA', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' });
    expect(temp.config).toMatchObject({ credentials: 'aws-chain' });
    expect(temp.openOptions.secret).toBeUndefined();
    expect(destinationFromEnv(s3(), {})).toMatchObject({ config: { credentials: 'aws-chain', region: 'us-east-1' } });
  });

  it('refuses a key id without its secret, and an endpoint that is not a URL', () => {
    expect(refusal(() => destinationFromEnv(s3(), { AWS_ACCESS_KEY_ID: 'AKID' })).message).toContain('AWS_SECRET_ACCESS_KEY');
    expect(refusal(() => destinationFromEnv(s3(), { AWS_ENDPOINT_URL: 'localhost:9000' })).message).toContain('http://127.0.0.1:9000');
  });
});

describe('destinationFromEnv: Azure', () => {
  const azure = (account = 'acme') => parseDestinationUrl(`azure://${account}/cont1/x.lifeboat`).config;

  it('parses a connection string: account, key, endpoint', () => {
    const fields = parseConnectionString('DefaultEndpointsProtocol=http;AccountName=acme;AccountKey=a2V5==;BlobEndpoint=http://127.0.0.1:10000/acme;');
    expect(fields).toEqual({ DefaultEndpointsProtocol: 'http', AccountName: 'acme', AccountKey: 'a2V5==', BlobEndpoint: 'http://127.0.0.1:10000/acme' });
    const { config, openOptions } = destinationFromEnv(azure(), { AZURE_STORAGE_CONNECTION_STRING: 'DefaultEndpointsProtocol=http;AccountName=acme;AccountKey=a2V5==;BlobEndpoint=http://127.0.0.1:10000/acme/;' });
    expect(config).toMatchObject({ auth: 'key', endpoint: 'http://127.0.0.1:10000/acme' });
    expect(openOptions.secret).toBe('a2V5==');
  });

  it('a SAS in the connection string; an endpoint suffix', () => {
    const { config, openOptions } = destinationFromEnv(azure(), {
      AZURE_STORAGE_CONNECTION_STRING: 'AccountName=acme;SharedAccessSignature=?sv=2022-11-02&sig=abc%3D;EndpointSuffix=core.chinacloudapi.cn',
    });
    expect(config).toMatchObject({ auth: 'sas', endpoint: 'https://acme.blob.core.chinacloudapi.cn' });
    expect(openOptions.secret).toBe('sv=2022-11-02&sig=abc%3D');
  });

  it('UseDevelopmentStorage=true: Azurite', () => {
    const { config, openOptions } = destinationFromEnv(azure('devstoreaccount1'), { AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' });
    expect(config).toMatchObject({ auth: 'key', endpoint: 'http://127.0.0.1:10000/devstoreaccount1' });
    expect(openOptions.secret).toMatch(/^Eby8/);
  });

  it('account + key or SAS variables, with an endpoint for Azurite', () => {
    expect(destinationFromEnv(azure(), { AZURE_STORAGE_ACCOUNT: 'acme', AZURE_STORAGE_KEY: 'k==' })).toMatchObject({ config: { auth: 'key' }, openOptions: { secret: 'k==' } });
    expect(destinationFromEnv(azure(), { AZURE_STORAGE_SAS_TOKEN: '?sv=1&sig=2', AZURE_STORAGE_BLOB_ENDPOINT: 'http://127.0.0.1:10000/acme' })).toMatchObject({
      config: { auth: 'sas', endpoint: 'http://127.0.0.1:10000/acme' },
      openOptions: { secret: 'sv=1&sig=2' },
    });
  });

  it('refuses another account, or no credentials, without echoing a key', () => {
    const other = refusal(() => destinationFromEnv(azure(), { AZURE_STORAGE_CONNECTION_STRING: 'AccountName=other;AccountKey=c2VjcmV0LWtleQ==' }));
    expect(other.code).toBe('VALIDATION');
    expect(other.message).toContain('"other"');
    expect(other.message).not.toContain('c2VjcmV0LWtleQ==');
    const none = refusal(() => destinationFromEnv(azure(), {}));
    expect(none.message).toContain('AZURE_STORAGE_CONNECTION_STRING');
    expect(refusal(() => destinationFromEnv(azure(), { AZURE_STORAGE_KEY: 'k', AZURE_STORAGE_BLOB_ENDPOINT: 'nope' })).message).toContain('http://127.0.0.1:10000/account');
  });
});

describe('destinationFromEnv: SFTP', () => {
  const sftp = () => parseDestinationUrl('sftp://me@host:2222/srv/x.lifeboat').config;

  it('--ssh-key wins over LIFEBOAT_SSH_KEY; its passphrase is the secret; known_hosts from the home folder', () => {
    const dir = home(['id_ed25519', 'other']);
    const { config, openOptions } = destinationFromEnv(
      sftp(),
      { LIFEBOAT_SSH_KEY: path.join(dir, '.ssh', 'other'), LIFEBOAT_SSH_KEY_PASSPHRASE: 'pass phrase', SSH_AUTH_SOCK: '/tmp/agent' },
      { sshKey: path.join(dir, '.ssh', 'id_ed25519'), homeDir: dir },
    );
    expect(config).toMatchObject({ auth: 'key' });
    expect(openOptions).toEqual({ privateKeyFile: path.join(dir, '.ssh', 'id_ed25519'), secret: 'pass phrase', knownHostsFile: path.join(dir, '.ssh', 'known_hosts') });
    expect(destinationFromEnv(sftp(), { LIFEBOAT_SSH_KEY: path.join(dir, '.ssh', 'other') }, { homeDir: dir }).openOptions.privateKeyFile).toBe(path.join(dir, '.ssh', 'other'));
  });

  it('a password from LIFEBOAT_SSH_PASSWORD; LIFEBOAT_SSH_KNOWN_HOSTS; an accepted fingerprint', () => {
    const dir = home();
    const fingerprint = `SHA256:${'A'.repeat(43)}`;
    const { config, openOptions } = destinationFromEnv(sftp(), { LIFEBOAT_SSH_PASSWORD: 'pw', LIFEBOAT_SSH_KNOWN_HOSTS: '/etc/lifeboat/known_hosts' }, { homeDir: dir, acceptHostKey: ` ${fingerprint}` });
    expect(config).toMatchObject({ auth: 'password' });
    expect(openOptions).toEqual({ secret: 'pw', knownHostsFile: '/etc/lifeboat/known_hosts', acceptHostKey: fingerprint });
  });

  it('else the agent and the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa', () => {
    const dir = home(['id_rsa', 'id_ecdsa']);
    expect(destinationFromEnv(sftp(), { SSH_AUTH_SOCK: '/run/agent.sock' }, { homeDir: dir }).openOptions).toMatchObject({
      agentSocket: '/run/agent.sock',
      privateKeyFile: path.join(dir, '.ssh', 'id_ecdsa'),
    });
    expect(destinationFromEnv(sftp(), { SSH_AUTH_SOCK: '/run/agent.sock' }, { homeDir: home() }).openOptions).toEqual({
      agentSocket: '/run/agent.sock',
      knownHostsFile: expect.stringContaining('known_hosts'),
    });
  });

  it('refuses no way to log in, a missing key file, a malformed fingerprint', () => {
    const dir = home();
    expect(refusal(() => destinationFromEnv(sftp(), {}, { homeDir: dir })).message).toContain('--ssh-key FILE');
    expect(refusal(() => destinationFromEnv(sftp(), {}, { homeDir: dir, sshKey: path.join(dir, 'missing') })).message).toContain('does not exist');
    const bad = refusal(() => destinationFromEnv(sftp(), { LIFEBOAT_SSH_PASSWORD: 'pw' }, { homeDir: dir, acceptHostKey: 'MD5:aa:bb' }));
    expect(bad.code).toBe('VALIDATION');
    expect(bad.message).toContain('SHA256:');
  });
});
