/**
 * The built `lifeboat` command (scripts/build-cli.mjs, run with plain node) reading backups
 * straight from remote copies (issue #15, points 4 and 6): inspect, verify and restore of an
 * s3:// URL against a real S3 server (s3rver), with the credentials and endpoint from the
 * standard AWS environment; `list --remote s3://bucket/prefix --json` from the headers alone;
 * the same through sftp:// against a real sshd with --ssh-key and --accept-host-key (an unknown
 * host refused without it); and no secret in any output.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Destination } from '../../../src/main/core/destinations/destination';
import { openDestination } from '../../../src/main/core/destinations/open';
import { startS3Server, type S3TestServer } from '../../support/s3-server';
import { startSftpServer, type SftpServer } from '../../support/sftp-server';
import { makeTempDir } from '../../support/temp-core';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PASSPHRASE = 'remote cli passphrase ⚓ 3';
const BUCKET = 'cli-backups';

let work: string;
let bundle: string;
let s3: S3TestServer;
let sftp: SftpServer;
let uploader: Destination;
let source: string;
let backupFile: string;
let backupName: string;
let backupId: string;
/** every stdout and stderr the command printed, checked for secrets at the end */
const printed: string[] = [];

/** Runs the built command with plain node and exactly `env` (plus PATH); never rejects. */
function lifeboat(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bundle, ...args],
      { env: { PATH: process.env.PATH, HOME: path.join(work, 'home'), ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        printed.push(stdout, stderr);
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** The environment of a machine that only has the bucket's credentials (and a catalog of its own). */
function awsEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    LIFEBOAT_HOME: path.join(work, 'other-machine'),
    LIFEBOAT_PASSPHRASE: PASSPHRASE,
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
    ...extra,
  };
}

function json<T = Record<string, unknown>>(stdout: string): T {
  return JSON.parse(stdout) as T;
}

beforeAll(async () => {
  work = makeTempDir('lifeboat-remote-cli-');
  fs.mkdirSync(path.join(work, 'home'));
  // the command as users run it, built from the current sources (inside the repository, to find node_modules)
  const outdir = fs.mkdtempSync(path.join(repo, 'out', '.cli-remote-test-'));
  bundle = path.join(outdir, 'lifeboat.mjs');
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [path.join(repo, 'scripts/build-cli.mjs'), '--outdir', outdir], (error, _out, stderr) => (error ? reject(new Error(stderr)) : resolve())),
  );

  source = path.join(work, 'source');
  fs.mkdirSync(path.join(source, 'docs'), { recursive: true });
  fs.writeFileSync(path.join(source, 'docs', 'plan.txt'), 'the plan, in writing\n');
  fs.writeFileSync(path.join(source, 'photo.bin'), crypto.randomBytes(3_000_000));
  // made on one machine with the command itself...
  const made = await lifeboat(['backup', '--folder', source, '--out', path.join(work, 'made'), '--json'], {
    LIFEBOAT_HOME: path.join(work, 'made-home'),
    LIFEBOAT_PASSPHRASE: PASSPHRASE,
  });
  expect(made.code, made.stderr).toBe(0);
  backupFile = json<{ filePath: string }>(made.stdout).filePath;
  backupId = json<{ id: string }>(made.stdout).id;
  backupName = path.basename(backupFile);

  // ...and copied to the bucket and the SFTP server
  s3 = await startS3Server({ buckets: [BUCKET] });
  uploader = await openDestination({
    id: 'upload',
    kind: 's3',
    bucket: BUCKET,
    prefix: '',
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: 'keychain',
    accessKeyId: s3.accessKeyId,
    readBack: false,
    hasSecret: true,
  }, { secret: s3.secretAccessKey });
  await uploader.write(`nightly/${backupName}`, fs.createReadStream(backupFile));
  await uploader.write('nightly/notes.txt', fs.createReadStream(path.join(source, 'docs', 'plan.txt')));
  await uploader.write('nightly/junk.lifeboat', fs.createReadStream(path.join(source, 'docs', 'plan.txt')));

  sftp = await startSftpServer();
  fs.mkdirSync(path.join(sftp.root, 'backups'));
  fs.copyFileSync(backupFile, path.join(sftp.root, 'backups', backupName));
}, 300_000);

afterAll(async () => {
  await uploader?.close();
  await s3?.close();
  await sftp?.stop();
  if (bundle) fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('an s3:// URL wherever a backup file is taken', () => {
  it('inspect s3://... prints the manifest', async () => {
    const { code, stdout, stderr } = await lifeboat(['inspect', `s3://${BUCKET}/nightly/${backupName}`, '--json'], awsEnv());
    expect(code, stderr).toBe(0);
    const manifest = json<{ backupId: string; sources: { kind: string }[] }>(stdout);
    expect(manifest.backupId).toBe(backupId);
    expect(manifest.sources.map((s) => s.kind)).toEqual(['folder']);

    const text = await lifeboat(['inspect', `s3://${BUCKET}/nightly/${backupName}`], awsEnv());
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`backup ${backupId}`);
  });

  it('verify s3://... passes, exit 0', async () => {
    const { code, stdout, stderr } = await lifeboat(['verify', `s3://${BUCKET}/nightly/${backupName}`, '--json'], awsEnv());
    expect(code, stderr).toBe(0);
    const report = json<{ status: string; backupId: string; fileSha256: string }>(stdout);
    expect(report).toMatchObject({ status: 'passed', backupId });
    expect(report.fileSha256).toBe(crypto.createHash('sha256').update(fs.readFileSync(backupFile)).digest('hex'));
  });

  it('restore s3://... --to-folder restores the files byte for byte', async () => {
    const target = path.join(work, 'restored-s3');
    const { code, stdout, stderr } = await lifeboat(['restore', `s3://${BUCKET}/nightly/${backupName}`, '--to-folder', target, '--json'], awsEnv());
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(json<{ status: string }>(stdout).status).toBe('success');
    expect(fs.readFileSync(path.join(target, 'docs', 'plan.txt'), 'utf8')).toBe('the plan, in writing\n');
    expect(fs.readFileSync(path.join(target, 'photo.bin')).equals(fs.readFileSync(path.join(source, 'photo.bin')))).toBe(true);
  });

  it('list --remote s3://bucket/prefix --json: every .lifeboat with its full URL, size and header, no passphrase needed', async () => {
    const { code, stdout, stderr } = await lifeboat(['list', '--remote', `s3://${BUCKET}/nightly`, '--json'], awsEnv({ LIFEBOAT_PASSPHRASE: '' }));
    expect(code, stderr).toBe(0);
    const rows = json<Array<Record<string, unknown>>>(stdout);
    const byUrl = new Map(rows.map((r) => [r.url, r]));
    expect([...byUrl.keys()].sort()).toEqual([`s3://${BUCKET}/nightly/${backupName}`, `s3://${BUCKET}/nightly/junk.lifeboat`].sort());
    expect(byUrl.get(`s3://${BUCKET}/nightly/${backupName}`)).toMatchObject({
      sizeBytes: fs.statSync(backupFile).size,
      backupId,
      encrypted: true,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      error: null,
    });
    expect(byUrl.get(`s3://${BUCKET}/nightly/junk.lifeboat`)).toMatchObject({ backupId: null, error: { code: 'NOT_A_BACKUP' } });

    const table = await lifeboat(['list', '--remote', `s3://${BUCKET}/nightly`], awsEnv());
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`s3://${BUCKET}/nightly/${backupName}`);
    const empty = await lifeboat(['list', '--remote', `s3://${BUCKET}/nothing-here`], awsEnv());
    expect(empty.stdout).toContain(`No backups (.lifeboat) at s3://${BUCKET}/nothing-here`);
  });

  it('refusals: a prefix where a backup is wanted (usage, exit 2), a missing object, wrong credentials (exit 1)', async () => {
    const prefix = await lifeboat(['inspect', `s3://${BUCKET}/nightly`], awsEnv());
    expect(prefix.code).toBe(2);
    expect(prefix.stderr).toContain(`lifeboat list --remote s3://${BUCKET}/nightly`);

    const missing = await lifeboat(['verify', `s3://${BUCKET}/nightly/gone.lifeboat`], awsEnv());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`s3://${BUCKET}/nightly/gone.lifeboat`);

    const wrong = await lifeboat(['inspect', `s3://${BUCKET}/nightly/${backupName}`], awsEnv({ AWS_SECRET_ACCESS_KEY: 'wrong-secret-7c1f0e' }));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('refused the credentials');
    expect(wrong.stderr + wrong.stdout).not.toContain('wrong-secret-7c1f0e');

    const bad = await lifeboat(['inspect', 'azure://acme', '--json'], awsEnv());
    expect(bad.code).toBe(2);
    expect(json<{ error: { code: string; message: string } }>(bad.stdout).error).toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('azure://account/container/prefix/name.lifeboat') });
  });
});

describe('lifeboat import: the catalog rebuilt from a remote prefix', () => {
  it('imports every backup below the prefix (a junk object fails, exit 3), then knows it by its URL', async () => {
    const home = { LIFEBOAT_HOME: path.join(work, 'rebuilt-machine') };
    const { code, stdout, stderr } = await lifeboat(['import', `s3://${BUCKET}/nightly`, '--json'], awsEnv(home));
    expect(code, stderr).toBe(3);
    const result = json<{ imported: { backupId: string; filePath: string }[]; failed: { filePath: string; code: string }[] }>(stdout);
    expect(result.imported).toEqual([expect.objectContaining({ backupId, filePath: `s3://${BUCKET}/nightly/${backupName}` })]);
    expect(result.failed).toEqual([expect.objectContaining({ filePath: `s3://${BUCKET}/nightly/junk.lifeboat`, code: 'NOT_A_BACKUP' })]);

    const listed = await lifeboat(['list', '--json'], awsEnv(home));
    expect(json<{ items: { id: string; filePath: string; checksum: string }[] }>(listed.stdout).items).toEqual([
      expect.objectContaining({ id: backupId, filePath: `s3://${BUCKET}/nightly/${backupName}`, checksum: crypto.createHash('sha256').update(fs.readFileSync(backupFile)).digest('hex') }),
    ]);
    const again = await lifeboat(['import', `s3://${BUCKET}/nightly/${backupName}`], awsEnv(home));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('0 imported, 1 already in the catalog, 0 failed');
  });
});

describe('an sftp:// URL with --ssh-key and --accept-host-key', () => {
  const url = () => `sftp://${sftp.user}@127.0.0.1:${sftp.port}${sftp.root}/backups/${backupName}`;
  const sshEnv = () => ({
    LIFEBOAT_HOME: path.join(work, 'other-machine'),
    LIFEBOAT_PASSPHRASE: PASSPHRASE,
    LIFEBOAT_SSH_KNOWN_HOSTS: path.join(work, 'known_hosts'),
  });

  it('an unknown host is refused, naming its fingerprint; accepted with --accept-host-key, inspect reads it', async () => {
    const refused = await lifeboat(['inspect', url(), '--ssh-key', sftp.userKeyFile], sshEnv());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(sftp.hostKeyFingerprint);
    expect(refused.stderr).toContain('--accept-host-key');

    const { code, stdout, stderr } = await lifeboat(['inspect', url(), '--ssh-key', sftp.userKeyFile, '--accept-host-key', sftp.hostKeyFingerprint, '--json'], sshEnv());
    expect(code, stderr).toBe(0);
    expect(json<{ backupId: string }>(stdout).backupId).toBe(backupId);
  });

  it('a host in LIFEBOAT_SSH_KNOWN_HOSTS needs no flag; the key from LIFEBOAT_SSH_KEY; verify and list --remote', async () => {
    fs.writeFileSync(path.join(work, 'known_hosts'), `[127.0.0.1]:${sftp.port} ${sftp.hostKeyLine}\n`);
    const env = { ...sshEnv(), LIFEBOAT_SSH_KEY: sftp.userKeyFile };
    const verified = await lifeboat(['verify', url(), '--json'], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(json<{ status: string }>(verified.stdout).status).toBe('passed');

    const listed = await lifeboat(['list', '--remote', `sftp://${sftp.user}@127.0.0.1:${sftp.port}${sftp.root}/backups`, '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(json<Array<{ url: string; backupId: string }>>(listed.stdout)).toEqual([expect.objectContaining({ url: url(), backupId })]);
  });

  it('restore sftp://... --to-folder', async () => {
    const target = path.join(work, 'restored-sftp');
    const env = { ...sshEnv(), LIFEBOAT_SSH_KEY: sftp.userKeyFile };
    const { code, stdout, stderr } = await lifeboat(['restore', url(), '--to-folder', target, '--json'], env);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(fs.readFileSync(path.join(target, 'photo.bin')).equals(fs.readFileSync(path.join(source, 'photo.bin')))).toBe(true);
  });
});

describe('secrets', () => {
  it('no output of any command above holds the S3 secret, the passphrase or the private key', () => {
    // s3rver's secret key is its access key id (S3RVER), which a refusal may name: that mention is no leak
    const all = printed.join('\n').replaceAll(`access key id (${s3.accessKeyId})`, '');
    expect(all.length).toBeGreaterThan(1000);
    expect(all).not.toContain(s3.secretAccessKey);
    expect(all).not.toContain(PASSPHRASE);
    const key = fs.readFileSync(sftp.userKeyFile, 'utf8').split('\n').slice(1, 3).join('');
    expect(all).not.toContain(key.slice(0, 40));
  });
});
