/**
 * Plans as code with copies (issue #15, headless operation of off-site copies): `lifeboat plan
 * create --copy <folder> --copy s3://...` with the S3 endpoint, key id and secret reference in the
 * plan (the process that runs it needs no AWS_* variables), `lifeboat run` uploading both copies
 * to a real folder and a real S3 wire-protocol server (s3rver, which checks the signature against
 * the secret), `plan show` saying how each copy finds its secret without showing it, `plan edit
 * --copy / --remove-copy` shown as a diff, export -> delete -> import giving the same copies, and
 * the secret in no output, plan file or catalog file. Malformed copy options are refused with the
 * fix named, changing nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination } from '../../../src/main/core/destinations/open';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import { createLifeboatCore } from '../../../src/main/core/lifeboat';
import { MemorySecretStore } from '../../../src/main/core/ports';
import { catalogFiles, containsSecret } from '../../support/backup-fixtures';
import { runCliCaptured } from '../../support/cli-run';
import { startS3Server, type S3TestServer } from '../../support/s3-server';
import { makeTempDir } from '../../support/temp-core';

const BUCKET = 'plan-copies';
const ACCESS_KEY_ID = 'PLANCOPYKEY';
/** the S3 secret key: found nowhere but in the environment of the command that runs the plan */
const SECRET = 'plan-copy-secret-7c1e93a0d4';
const PASSPHRASE = 'plan copies passphrase ⚓ 15';

let s3: S3TestServer;
let work: string;
let home: string;
/** every stdout and stderr the command printed, checked for the secret at the end */
const printed: string[] = [];

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET], keys: [{ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET }] });
  work = makeTempDir('lifeboat-plan-copies-');
  home = path.join(work, 'home');
  fs.mkdirSync(path.join(work, 'src', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(work, 'src', 'a.txt'), 'alpha\n'.repeat(2000));
  fs.writeFileSync(path.join(work, 'src', 'sub', 'b.bin'), Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 31) % 256)));
}, 60_000);

afterAll(async () => {
  await s3?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The CLI in-process on the test's data dir: the passphrase and the S3 secret in its environment, no AWS_* variable. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = await runCliCaptured(args, { LIFEBOAT_HOME: home, LB_PASS: PASSPHRASE, S3_SECRET: SECRET, ...env });
  printed.push(r.out, r.err);
  return r;
}

async function showJson(name: string) {
  const r = await cli(['plan', 'show', name, '--json']);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
}

/** The keys below `prefix` in the test bucket, read with the test's own credentials. */
async function s3Keys(prefix = ''): Promise<string[]> {
  const dest = await openDestination(
    { id: 'check', kind: 's3', bucket: BUCKET, prefix: '', endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: 'keychain', accessKeyId: s3.accessKeyId, readBack: false, hasSecret: true },
    { secret: s3.secretAccessKey },
  );
  try {
    return (await dest.list(prefix)).map((o) => o.key).sort();
  } finally {
    await dest.close();
  }
}

const s3Url = () => `s3://${BUCKET}/offsite/lifeboat`;
const localCopy = () => path.join(work, 'usb');

describe('lifeboat plan create --copy ... / run / show / edit / export / import', () => {
  it('creates a plan with a folder copy and an S3 copy that carry their endpoint and secret reference, never the secret', async () => {
    const r = await cli([
      'plan', 'create', '--name', 'offsite', '--folder', path.join(work, 'src'), '--out', path.join(work, 'primary'), '--passphrase-from', 'env:LB_PASS',
      '--schedule', 'manual',
      '--copy', localCopy(), '--copy-read-back',
      '--copy', s3Url(), '--copy-endpoint', s3.endpoint, '--copy-region', s3.region, '--copy-access-key-id', ACCESS_KEY_ID,
      '--copy-secret-from', 'env:S3_SECRET', '--copy-label', 'the bucket',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Created plan "offsite"/);
    const plan = await showJson('offsite');
    expect(plan.options.copies).toEqual([
      { id: 'copy1', kind: 'local', path: localCopy(), readBack: true, hasSecret: false },
      {
        id: 'copy2', kind: 's3', label: 'the bucket', bucket: BUCKET, prefix: 'offsite/lifeboat', endpoint: s3.endpoint, forcePathStyle: true,
        region: s3.region, credentials: 'keychain', accessKeyId: ACCESS_KEY_ID, secretFrom: 'env:S3_SECRET', readBack: false, hasSecret: false,
      },
    ]);

    const shown = await cli(['plan', 'show', 'offsite']);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`copy copy1: ${localCopy()} (folder; read back: yes)`);
    expect(shown.out).toContain(`copy copy2: ${s3Url()} "the bucket" (S3 at ${s3.endpoint}, region ${s3.region}, path-style; read back: no; access key id ${ACCESS_KEY_ID}, secret key from env:S3_SECRET)`);
    expect((await cli(['plan', 'list'])).out).toMatch(/offsite .*primary \(\+2 copies\)/);
  });

  it('lifeboat run uploads the backup to both copies and records them in the catalog', async () => {
    const r = await cli(['run', 'offsite', '--json']);
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('success');
    const name = path.basename(result.filePath);
    const primary = fs.readFileSync(result.filePath);
    expect(result.copies).toEqual([
      expect.objectContaining({ destinationId: 'copy1', kind: 'local', status: 'verified', url: path.join(localCopy(), 'offsite', name), sha256: result.checksum, error: null }),
      expect.objectContaining({ destinationId: 'copy2', kind: 's3', status: 'uploaded', url: `${s3Url()}/offsite/${name}`, sha256: result.checksum, error: null }),
    ]);

    // the objects themselves: the folder's file and the bucket's object are the primary's bytes
    expect(fs.readFileSync(path.join(localCopy(), 'offsite', name)).equals(primary)).toBe(true);
    expect(await s3Keys('offsite/lifeboat/')).toEqual([`offsite/lifeboat/offsite/${name}`]);
    const dest = await openDestination(
      { id: 'check', kind: 's3', bucket: BUCKET, prefix: 'offsite/lifeboat', endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: 'keychain', accessKeyId: s3.accessKeyId, readBack: false, hasSecret: true },
      { secret: s3.secretAccessKey },
    );
    try {
      expect((await dest.read(`offsite/${name}`, 0, primary.length)).equals(primary)).toBe(true);
    } finally {
      await dest.close();
    }

    // the catalog's backup_copies rows, as History shows them
    const db = new Database(path.join(home, 'catalog.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT destination_id, kind, status, sha256, size_bytes FROM backup_copies WHERE backup_id = ? ORDER BY destination_id').all(result.id);
      expect(rows).toEqual([
        { destination_id: 'copy1', kind: 'local', status: 'verified', sha256: result.checksum, size_bytes: primary.length },
        { destination_id: 'copy2', kind: 's3', status: 'uploaded', sha256: result.checksum, size_bytes: primary.length },
      ]);
    } finally {
      db.close();
    }
    const list = await cli(['list', '--plan', 'offsite', '--json']);
    expect(JSON.parse(list.out).items[0]).toMatchObject({ id: result.id, status: 'success' });

    // without the secret in its environment the S3 copy fails (partial, the primary and the folder copy kept), naming where it looks
    const without = await cli(['run', 'offsite', '--json'], { S3_SECRET: '' });
    expect(without.code).toBe(3);
    const partial = JSON.parse(without.out);
    expect(partial.status).toBe('partial');
    expect(partial.copies.find((c: { destinationId: string }) => c.destinationId === 'copy1').status).toBe('verified');
    const failed = partial.copies.find((c: { destinationId: string }) => c.destinationId === 'copy2');
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('env:S3_SECRET');
  });

  it('plan edit adds and removes copies, showing each change; the same place again replaces a copy and keeps its id', async () => {
    const second = path.join(work, 'nas');
    const add = await cli(['plan', 'edit', 'offsite', '--copy', second]);
    expect(add.code, add.err).toBe(0);
    expect(add.out.split('\n')).toEqual(
      expect.arrayContaining([`  + options.copies[copy3].path: ${JSON.stringify(second)}`, '  + options.copies[copy3].kind: "local"']),
    );
    const replaced = await cli(['plan', 'edit', 'offsite', '--copy', second, '--copy-read-back', '--copy-label', 'NAS']);
    expect(replaced.code, replaced.err).toBe(0);
    expect(replaced.out).toContain('  ~ options.copies[copy3].readBack: false -> true');
    expect(replaced.out).toContain('  + options.copies[copy3].label: "NAS"');
    expect((await showJson('offsite')).options.copies.map((c: { id: string }) => c.id)).toEqual(['copy1', 'copy2', 'copy3']);

    const removed = await cli(['plan', 'edit', 'offsite', '--remove-copy', 'copy1', '--remove-copy', second]);
    expect(removed.code, removed.err).toBe(0);
    expect(removed.out).toContain(`  - options.copies[copy1].path: ${JSON.stringify(localCopy())}`);
    expect(removed.out).toContain('  - options.copies[copy3].label: "NAS"');
    expect(removed.out).not.toContain('copy2');
    expect((await showJson('offsite')).options.copies.map((c: { id: string }) => c.id)).toEqual(['copy2']);

    // a new copy takes the first free id again; removing by URL works for a remote one too
    const again = await cli(['plan', 'edit', 'offsite', '--copy', localCopy(), '--remove-copy', s3Url()]);
    expect(again.code, again.err).toBe(0);
    expect((await showJson('offsite')).options.copies.map((c: { id: string; kind: string }) => [c.id, c.kind])).toEqual([['copy1', 'local']]);
    const back = await cli([
      'plan', 'edit', 'offsite', '--copy', s3Url(), '--copy-endpoint', s3.endpoint, '--copy-access-key-id', ACCESS_KEY_ID, '--copy-secret-from', 'env:S3_SECRET',
    ]);
    expect(back.code, back.err).toBe(0);
    expect((await showJson('offsite')).options.copies.map((c: { id: string }) => c.id)).toEqual(['copy1', 'copy2']);
    expect((await cli(['plan', 'edit', 'offsite', '--copy', localCopy()])).out).toBe('Plan "offsite": nothing to change.');
  });

  it('refuses malformed copy options, naming the fix, and changes nothing', async () => {
    const before = await showJson('offsite');
    const cases: [string[], RegExp][] = [
      [['--copy-read-back'], /--copy-read-back applies to the --copy before it: give --copy <folder-or-url> first/],
      [['--copy', 's3://offsite-b/x', '--copy-access-key-id', 'AKIA1'], /--copy-access-key-id needs its secret key named: --copy-secret-from env:NAME or file:\/path/],
      [['--copy', 's3://offsite-b/x', '--copy-secret-from', 'env:S3_SECRET'], /give --copy-access-key-id too/],
      [['--copy', 's3://offsite-b/x', '--copy-access-key-id', 'AKIA1', '--copy-secret-from', 'keychain'], /give env:NAME or file:\/path/],
      [['--copy', 's3://offsite-b/x', '--copy-endpoint', 'ftp://example'], /--copy-endpoint takes a URL like https:\/\/s3\.example\.com/],
      [['--copy', localCopy(), '--copy-endpoint', 'https://example.com'], /--copy-endpoint applies to an s3:\/\/ copy or an azure:\/\/ copy, not to a folder/],
      [['--copy', 'sftp://backup@127.0.0.1:2222/srv/b', '--copy-key-file', '/tmp/k'], /pin the server's host key: --copy-host-key SHA256:\.\.\. \(ssh-keyscan -p 2222 127\.0\.0\.1/],
      [['--copy', 'sftp://backup@127.0.0.1/srv/b', '--copy-host-key', 'SHA256:abc'], /give the private key file to log in with: --copy-key-file FILE/],
      [['--copy', 'sftp://backup@127.0.0.1/srv/b', '--copy-key-file', '/tmp/k', '--copy-host-key', 'SHA256:abc'], /--copy-host-key takes the SHA256:\.\.\. fingerprint/],
      [['--copy', 'azure://acct123/box/p'], /name where the account key comes from: --copy-secret-from/],
      [['--copy', `s3://${BUCKET}/x/name.lifeboat`], /names one backup \(\.lifeboat\); a copy is a place for backups/],
      [['--copy', 'gs://bucket/x'], /give a folder or s3:\/\/bucket/],
      [['--copy', path.join(work, 'primary')], /is the plan's own destination/],
      [['--copy', '/tmp/a', '--copy', '/tmp/a'], /two --copy options name \/tmp\/a/],
      [['--copy', '/tmp/a', '--copy-label', 'x', '--copy-label', 'y'], /--copy-label is given twice for the copy \/tmp\/a/],
      [['--remove-copy', 'copy9'], /--remove-copy "copy9": the plan has no such copy; give the id or URL of one of its copies: copy1 \(/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['plan', 'edit', 'offsite', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(message);
    }
    expect(await showJson('offsite')).toEqual(before);
  });

  it('plan export / delete / import round-trips the copies, with secret references and no secret', async () => {
    const before = await showJson('offsite');
    const files = { json: path.join(work, 'offsite.json'), yaml: path.join(work, 'offsite.yaml') };
    for (const file of Object.values(files)) {
      const r = await cli(['plan', 'export', 'offsite', '--out', file]);
      expect(r.code, r.err).toBe(0);
    }
    const exported = JSON.parse(fs.readFileSync(files.json, 'utf8'));
    expect(exported.options.copies).toEqual([
      { id: 'copy1', kind: 'local', path: localCopy(), readBack: false },
      expect.objectContaining({ id: 'copy2', kind: 's3', endpoint: s3.endpoint, accessKeyId: ACCESS_KEY_ID, secretFrom: 'env:S3_SECRET' }),
    ]);
    expect(fs.readFileSync(files.yaml, 'utf8')).toContain('secretFrom: env:S3_SECRET');

    for (const file of [files.yaml, files.json]) {
      expect((await cli(['plan', 'delete', 'offsite', '--yes'])).code).toBe(0);
      const imported = await cli(['plan', 'import', file, '--yes']);
      expect(imported.code, imported.err).toBe(0);
      // a new plan: the diff lists every field of its copies
      expect(imported.out).toContain(`  + options.copies[copy2].endpoint: ${JSON.stringify(s3.endpoint)}`);
      const after = await showJson('offsite');
      const { id: _id, createdAt: _c, updatedAt: _u, nextRun: _n, ...rest } = after;
      const { id: _id2, createdAt: _c2, updatedAt: _u2, nextRun: _n2, ...expected } = before;
      expect(rest).toEqual(expected);
      // importing the same file again changes nothing
      expect((await cli(['plan', 'import', file, '--yes'])).out).toMatch(/already as .* says; nothing to change/);
    }

    // an edited file: the copy's change shows as a diff before anything is applied
    exported.options.copies[1].readBack = true;
    fs.writeFileSync(files.json, JSON.stringify(exported));
    const dry = await cli(['plan', 'import', files.json, '--dry-run']);
    expect(dry.out).toContain('  ~ options.copies[copy2].readBack: false -> true');
    expect(dry.out).toContain('Dry run: nothing was changed.');

    // the imported plan still runs its copies, its secret read from the environment
    const run = await cli(['run', 'offsite']);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(new RegExp(`^copy: +\\[uploaded\\] ${localCopy()}/offsite/offsite-.*\\.lifeboat$`, 'm'));
    expect(run.out).toMatch(new RegExp(`^copy: +\\[uploaded\\] s3://${BUCKET}/offsite/lifeboat/offsite/offsite-.*\\.lifeboat$`, 'm'));
  });

  it("keeps a copy's secret that the app's keychain holds through plan edit, export and import (the file says keychain)", async () => {
    const app = createLifeboatCore({ dataDir: home, appVersion: '0.0.0-test', secrets: new MemorySecretStore() });
    try {
      const reply = await dispatch(app.handlers, 'plans/save', {
        plan: {
          name: 'from the app',
          folders: [{ id: 'docs', path: path.join(work, 'src'), excludes: [] }],
          options: { destination: path.join(work, 'app-primary'), encrypt: false, copies: [{ id: 'b2', kind: 's3', bucket: BUCKET, prefix: 'app', credentials: 'keychain', accessKeyId: ACCESS_KEY_ID }] },
        },
        secrets: { dbPasswords: {}, destSecrets: { b2: SECRET } },
      });
      expect(reply.ok, JSON.stringify(reply)).toBe(true);
    } finally {
      await app.close();
    }
    expect((await showJson('from the app')).options.copies[0]).toMatchObject({ id: 'b2', hasSecret: true });
    expect((await cli(['plan', 'show', 'from the app'])).out).toContain(`access key id ${ACCESS_KEY_ID}, secret key from the app keychain)`);

    // an edit from the command line leaves the keychain's secret where it is
    const edit = await cli(['plan', 'edit', 'from the app', '--description', 'edited headless']);
    expect(edit.code, edit.err).toBe(0);
    expect(edit.out).not.toContain('copies');
    expect((await showJson('from the app')).options.copies[0].hasSecret).toBe(true);

    const file = path.join(work, 'from-the-app.json');
    expect((await cli(['plan', 'export', 'from the app', '--out', file])).code).toBe(0);
    const exported = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(exported.options.copies[0]).toMatchObject({ id: 'b2', secretFrom: 'keychain' });
    expect(exported.options.copies[0].hasSecret).toBeUndefined();
    const same = await cli(['plan', 'import', file, '--yes']);
    expect(same.out).toMatch(/already as .* says; nothing to change/);

    // the file imported as a new plan: the keychain holds nothing for it, which the import says
    exported.name = 'from the file';
    fs.writeFileSync(file, JSON.stringify(exported));
    const imported = await cli(['plan', 'import', file, '--yes']);
    expect(imported.code, imported.err).toBe(0);
    expect(imported.err).toContain("options.copies[0] (b2): the app's keychain holds no secret for it; name one with secretFrom env:NAME or file:/path");
    expect((await showJson('from the file')).options.copies[0]).toMatchObject({ id: 'b2', hasSecret: false });
    expect((await showJson('from the file')).options.copies[0].secretFrom).toBeUndefined();
  });

  it('never shows, stores or exports the secret', () => {
    expect(printed.length).toBeGreaterThan(20);
    for (const text of printed) expect(text).not.toContain(SECRET);
    for (const file of catalogFiles(home)) expect(containsSecret(file.bytes, SECRET), file.name).toBe(false);
    for (const file of ['offsite.json', 'offsite.yaml', 'from-the-app.json']) expect(fs.readFileSync(path.join(work, file), 'utf8')).not.toContain(SECRET);
    // the backups themselves are encrypted files; the plan's copies hold them, nothing else
    for (const name of fs.readdirSync(path.join(localCopy(), 'offsite'))) expect(containsSecret(fs.readFileSync(path.join(localCopy(), 'offsite', name)), SECRET)).toBe(false);
  });
});
