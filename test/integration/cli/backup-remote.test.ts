/**
 * `lifeboat backup --out` to remote destinations (issue #15, point 6), with the built command run
 * by plain node against real servers: s3rver, sshd, Azurite. `--out` repeated: the first is the
 * primary (a folder, or a URL: staged, verified, uploaded, checked), the others are copies
 * recorded in the catalog; credentials only from the environment and --ssh-key. A copy that fails
 * (wrong credentials, an unknown SFTP host key) makes the job partial with the primary kept; a
 * remote primary that fails (a full Azurite) fails the job and keeps the staged file; malformed
 * or repeated --out values are refused before any work; no secret reaches any output.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination } from '../../../src/main/core/destinations/open';
import { startAzurite, type AzuriteServer } from '../../support/azure-server';
import { startS3Server, type S3TestServer } from '../../support/s3-server';
import { startSftpServer, type SftpServer } from '../../support/sftp-server';
import { makeTempDir } from '../../support/temp-core';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PASSPHRASE = 'backup remote passphrase ⚓ 6';
const BUCKET = 'cli-out';
const CONTAINER = 'cli-out';
const WRONG_SECRET = 'wrong-secret-5e0b9a17';

let work: string;
let bundle: string;
let s3: S3TestServer;
let sftp: SftpServer;
let azure: AzuriteServer;
let source: string;
/** every stdout and stderr the command printed, checked for secrets at the end */
const printed: string[] = [];

interface Copy {
  url: string;
  destinationUrl: string;
  kind: string;
  status: string;
  sizeBytes: number | null;
  sha256: string | null;
  error: string | null;
}
interface BackupJson {
  id: string;
  status: string;
  errorCode: string | null;
  displayMessage: string;
  filePath: string | null;
  checksum: string | null;
  sizeBytes: number | null;
  copies: Copy[];
}

/** Runs the built command with plain node and exactly `env` (plus PATH and a HOME of its own); never rejects. */
function lifeboat(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bundle, ...args],
      { env: { PATH: process.env.PATH, HOME: path.join(work, 'home'), ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
      (error, stdout, stderr) => {
        printed.push(stdout, stderr);
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** A machine with the S3 and Azure credentials in its environment, an SFTP known_hosts of its own (empty) and its catalog in `home`. */
function env(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    LIFEBOAT_HOME: path.join(work, home),
    LIFEBOAT_PASSPHRASE: PASSPHRASE,
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
    AZURE_STORAGE_CONNECTION_STRING: azure.connectionString,
    LIFEBOAT_SSH_KNOWN_HOSTS: path.join(work, 'known_hosts'),
    ...extra,
  };
}

const sftpUrl = (folder: string) => `sftp://${sftp.user}@127.0.0.1:${sftp.port}${sftp.root}/${folder}`;
const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** The whole object at `key` of the test bucket. */
async function s3Object(key: string): Promise<Buffer> {
  const dest = await openDestination(
    { id: 'check', kind: 's3', bucket: BUCKET, prefix: '', endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: 'keychain', accessKeyId: s3.accessKeyId, readBack: false, hasSecret: true },
    { secret: s3.secretAccessKey },
  );
  try {
    const info = await dest.stat(key);
    if (!info) throw new Error(`no object ${key}`);
    return await dest.read(key, 0, info.size);
  } finally {
    await dest.close();
  }
}

function parse(stdout: string): BackupJson {
  return JSON.parse(stdout) as BackupJson;
}

beforeAll(async () => {
  work = makeTempDir('lifeboat-backup-remote-');
  fs.mkdirSync(path.join(work, 'home'));
  const outdir = fs.mkdtempSync(path.join(repo, 'out', '.cli-backup-remote-test-'));
  bundle = path.join(outdir, 'lifeboat.mjs');
  const build = new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [path.join(repo, 'scripts/build-cli.mjs'), '--outdir', outdir], (error, _out, stderr) => (error ? reject(new Error(stderr)) : resolve())),
  );
  source = path.join(work, 'source');
  fs.mkdirSync(path.join(source, 'docs'), { recursive: true });
  fs.writeFileSync(path.join(source, 'docs', 'plan.txt'), 'the plan, in writing\n');
  fs.writeFileSync(path.join(source, 'photo.bin'), crypto.randomBytes(600_000));
  // Azurite in memory with a 6 MB cap: small backups fit, a 12 MB one fills it (DEST_FULL)
  [s3, sftp, azure] = await Promise.all([startS3Server({ buckets: [BUCKET] }), startSftpServer(), startAzurite({ memoryLimitMb: 6, containers: [CONTAINER] }), build]);
}, 60_000);

afterAll(async () => {
  await s3?.close();
  await sftp?.stop();
  await azure?.dispose();
  if (bundle) fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('lifeboat backup --out <folder> --out s3://... --out sftp://... --out azure://...', () => {
  it('writes the primary, uploads a checked copy to each destination, records the copies; list shows the backup', async () => {
    const local = path.join(work, 'local');
    fs.mkdirSync(local);
    const home = 'three-two-one';
    const { code, stdout, stderr } = await lifeboat(
      [
        'backup', '--folder', source, '--no-encrypt',
        '--out', local, '--out', `s3://${BUCKET}/copies`, '--out', sftpUrl('copies'), '--out', `azure://${azure.account}/${CONTAINER}/copies`,
        '--ssh-key', sftp.userKeyFile, '--accept-host-key', sftp.hostKeyFingerprint, '--json',
      ],
      env(home),
    );
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const result = parse(stdout);
    expect(result.status).toBe('success');
    expect(path.dirname(result.filePath!)).toBe(local);
    const file = fs.readFileSync(result.filePath!);
    const name = path.basename(result.filePath!);
    expect(result.checksum).toBe(sha256(file));

    // every copy as --json prints it: uploaded, the file's size and SHA-256, at its full URL
    expect(result.copies.map((c) => [c.kind, c.status, c.url])).toEqual([
      ['s3', 'uploaded', `s3://${BUCKET}/copies/${name}`],
      ['sftp', 'uploaded', `${sftpUrl('copies')}/${name}`],
      ['azure', 'uploaded', `azure://${azure.account}/${CONTAINER}/copies/${name}`],
    ]);
    for (const copy of result.copies) expect(copy).toMatchObject({ sizeBytes: file.length, sha256: sha256(file), error: null });
    expect(result.displayMessage).toContain(`Copied to s3://${BUCKET}/copies, ${sftpUrl('copies')}, azure://${azure.account}/${CONTAINER}/copies.`);

    // ...and the objects really are there, byte for byte
    expect(sha256(await s3Object(`copies/${name}`))).toBe(sha256(file));
    expect(sha256(fs.readFileSync(path.join(sftp.root, 'copies', name)))).toBe(sha256(file));
    const blob = await azure.serviceClient().getContainerClient(CONTAINER).getBlobClient(`copies/${name}`).downloadToBuffer();
    expect(sha256(blob)).toBe(sha256(file));

    // the catalog's backup_copies rows
    const catalog = new Database(path.join(work, home, 'catalog.sqlite'), { readonly: true });
    try {
      const rows = catalog.prepare('SELECT destination_id, kind, url, status, size_bytes, sha256 FROM backup_copies WHERE backup_id = ? ORDER BY rowid').all(result.id);
      expect(rows).toEqual([
        { destination_id: 'out2', kind: 's3', url: `s3://${BUCKET}/copies/${name}`, status: 'uploaded', size_bytes: file.length, sha256: sha256(file) },
        { destination_id: 'out3', kind: 'sftp', url: `${sftpUrl('copies')}/${name}`, status: 'uploaded', size_bytes: file.length, sha256: sha256(file) },
        { destination_id: 'out4', kind: 'azure', url: `azure://${azure.account}/${CONTAINER}/copies/${name}`, status: 'uploaded', size_bytes: file.length, sha256: sha256(file) },
      ]);
    } finally {
      catalog.close();
    }

    const listed = await lifeboat(['list', '--json'], env(home));
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { items: { id: string; status: string; filePath: string }[] }).items).toEqual([
      expect.objectContaining({ id: result.id, status: 'success', filePath: result.filePath }),
    ]);
  }, 30_000);

  it('a remote primary: staged, uploaded and checked, the staged file removed; the job points at the URL, which verify and restore read', async () => {
    const home = 'remote-primary';
    const { code, stdout, stderr } = await lifeboat(['backup', '--folder', source, '--out', `s3://${BUCKET}/primary/`, '--json'], env(home));
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const result = parse(stdout);
    expect(result.status).toBe('success');
    expect(result.filePath).toMatch(new RegExp(`^s3://${BUCKET}/primary/lifeboat-\\d{8}-\\d{6}-full\\.lifeboat$`));
    expect(result.copies).toEqual([]);
    expect(result.displayMessage).toContain(`Uploaded to ${result.filePath} (size and SHA-256 checked).`);
    const object = await s3Object(result.filePath!.slice(`s3://${BUCKET}/`.length));
    expect(sha256(object)).toBe(result.checksum);
    expect(object.length).toBe(result.sizeBytes);
    // nothing left in the staging folder
    expect(fs.readdirSync(path.join(work, home, 'staging'))).toEqual([]);

    const listed = await lifeboat(['list'], env(home));
    expect(listed.stdout).toContain(result.filePath);

    const verified = await lifeboat(['verify', result.filePath!, '--json'], env(home));
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ status: 'passed', backupId: result.id, fileSha256: result.checksum });
    // verify --all verifies it where it lies (it used to skip it: "the file is missing: s3://...")
    const all = await lifeboat(['verify', '--all', '--json'], env(home));
    expect(all.code, `${all.stdout}\n${all.stderr}`).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual([expect.objectContaining({ backupJobId: result.id, filePath: result.filePath, status: 'passed' })]);

    const target = path.join(work, 'restored');
    const restored = await lifeboat(['restore', result.filePath!, '--to-folder', target, '--paths', 'docs/plan.txt', '--json'], env(home));
    expect(restored.code, `${restored.stdout}\n${restored.stderr}`).toBe(0);
    expect(fs.readFileSync(path.join(target, 'docs', 'plan.txt'), 'utf8')).toBe('the plan, in writing\n');
    expect(fs.existsSync(path.join(target, 'photo.bin'))).toBe(false);
  }, 40_000);
});

describe('failures', () => {
  it('a copy with wrong credentials: partial (exit 3), the primary kept, the destination and reason named, the secret nowhere', async () => {
    const local = path.join(work, 'local-wrong');
    fs.mkdirSync(local);
    const { code, stdout, stderr } = await lifeboat(
      ['backup', '--folder', source, '--no-encrypt', '--out', local, '--out', `s3://${BUCKET}/wrong`],
      env('wrong-credentials', { AWS_SECRET_ACCESS_KEY: WRONG_SECRET }),
    );
    expect(code, `${stdout}\n${stderr}`).toBe(3);
    expect(stdout).toMatch(/^PARTIAL: /);
    expect(stdout).toContain(`The copy to s3://${BUCKET}/wrong failed:`);
    expect(stdout).toContain('refused the credentials');
    expect(stdout).toContain(`copy:     [failed] s3://${BUCKET}/wrong/`);
    const kept = /^file: +(.+)$/m.exec(stdout)![1]!;
    expect(path.dirname(kept)).toBe(local);
    expect(fs.statSync(kept).size).toBeGreaterThan(600_000);
    expect(stdout + stderr).not.toContain(WRONG_SECRET);
  }, 20_000);

  it('an SFTP copy to a host not in known_hosts, without --accept-host-key: the copy fails with HOST_KEY_UNKNOWN naming the fingerprint', async () => {
    const local = path.join(work, 'local-hostkey');
    fs.mkdirSync(local);
    const { code, stdout, stderr } = await lifeboat(
      ['backup', '--folder', source, '--no-encrypt', '--out', local, '--out', sftpUrl('unknown'), '--ssh-key', sftp.userKeyFile, '--json'],
      env('host-key'),
    );
    expect(code, stderr).toBe(3);
    const result = parse(stdout);
    expect(result).toMatchObject({ status: 'partial', errorCode: 'HOST_KEY_UNKNOWN' });
    expect(fs.existsSync(result.filePath!)).toBe(true);
    expect(result.copies).toEqual([expect.objectContaining({ kind: 'sftp', status: 'failed', sha256: null })]);
    expect(result.copies[0]!.error).toContain(sftp.hostKeyFingerprint);
    expect(result.displayMessage).toContain(`The copy to ${sftpUrl('unknown')} failed:`);
    expect(result.displayMessage).toContain('--accept-host-key');
    expect(fs.existsSync(path.join(sftp.root, 'unknown'))).toBe(false);
  }, 20_000);

  it('a remote primary that fails (a full destination): the job fails with its error, the staged file kept and named', async () => {
    const big = path.join(work, 'big');
    fs.mkdirSync(big);
    fs.writeFileSync(path.join(big, 'noise.bin'), crypto.randomBytes(12 * 1024 * 1024));
    const home = 'full-primary';
    const { code, stdout, stderr } = await lifeboat(
      ['backup', '--folder', big, '--no-encrypt', '--out', `azure://${azure.account}/${CONTAINER}/full`, '--out', `s3://${BUCKET}/not-made`, '--json'],
      env(home),
    );
    expect(code, stderr).toBe(1);
    const result = parse(stdout);
    expect(result).toMatchObject({ status: 'failed', errorCode: 'DEST_FULL', copies: [] });
    const staged = result.filePath!;
    expect(path.dirname(path.dirname(staged))).toBe(path.join(work, home, 'staging'));
    expect(sha256(fs.readFileSync(staged))).toBe(result.checksum);
    expect((fs.statSync(path.dirname(staged)).mode & 0o777).toString(8)).toBe('700');
    expect(result.displayMessage).toContain(`the upload to azure://${azure.account}/${CONTAINER}/full failed`);
    expect(result.displayMessage).toContain(`Nothing is lost: the backup is kept at ${staged}.`);
    expect(result.displayMessage).toContain(`The copies (s3://${BUCKET}/not-made) were not made.`);
    const blobs = [];
    for await (const b of azure.serviceClient().getContainerClient(CONTAINER).listBlobsFlat({ prefix: 'full/' })) blobs.push(b.name);
    expect(blobs).toEqual([]);
  }, 30_000);

  it('refuses, before any work (exit 2): a malformed URL with the forms, a backup file URL, the same destination twice', async () => {
    const bad = await lifeboat(['backup', '--folder', source, '--out', 'azure://acme', '--json'], env('refusals'));
    expect(bad.code).toBe(2);
    const badError = (JSON.parse(bad.stdout) as { error: { code: string; message: string } }).error;
    expect(badError.code).toBe('VALIDATION');
    expect(badError.message).toContain('s3://bucket/prefix, azure://account/container/prefix or sftp://user@host[:port]/path');

    const scheme = await lifeboat(['backup', '--folder', source, '--out', 'gs://bucket/x'], env('refusals'));
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toContain('s3://bucket/prefix');

    const file = await lifeboat(['backup', '--folder', source, '--out', `s3://${BUCKET}/a/name.lifeboat`], env('refusals'));
    expect(file.code).toBe(2);
    expect(file.stderr).toContain(`give the folder or prefix to write into (s3://${BUCKET}/a)`);

    const twice = await lifeboat(['backup', '--folder', source, '--out', `s3://${BUCKET}/x`, '--out', `s3://${BUCKET}/x/`], env('refusals'));
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('are the same destination');

    const password = await lifeboat(['backup', '--folder', source, '--out', 'sftp://me:hunter2secret@example.com/x'], env('refusals'));
    expect(password.code).toBe(2);
    expect(password.stderr).toContain('LIFEBOAT_SSH_PASSWORD');
    expect(password.stderr).not.toContain('hunter2secret');

    const none = await lifeboat(['backup', '--folder', source], env('refusals'));
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give at least one --out');
    // refused before the catalog was even opened: no job, nothing staged
    expect(fs.existsSync(path.join(work, 'refusals', 'catalog.sqlite'))).toBe(false);
  }, 20_000);
});

describe('secrets', () => {
  it('no output above holds the S3 secret, the Azure key, the passphrase or the private key', () => {
    // s3rver's secret key is its access key id (S3RVER), which a refusal may name: that mention is no leak
    const all = printed.join('\n').replaceAll(`access key id (${s3.accessKeyId})`, '');
    expect(all.length).toBeGreaterThan(1000);
    expect(all).not.toContain(WRONG_SECRET);
    expect(all).not.toContain(azure.key);
    expect(all).not.toContain(PASSPHRASE);
    const key = fs.readFileSync(sftp.userKeyFile, 'utf8').split('\n').slice(1, 3).join('');
    expect(all).not.toContain(key.slice(0, 40));
  });
});
