import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../../src/main/cli/index';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir } from '../../support/temp-core';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let cluster: PgCluster;
let work: string;

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('shop');
  await cluster.psql("CREATE TABLE items (id int primary key, name text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g;", 'shop');
  work = makeTempDir('lifeboat-cli-');
  fs.mkdirSync(path.join(work, 'src/sub'), { recursive: true });
  fs.writeFileSync(path.join(work, 'src/sub/a.txt'), 'alpha');
  fs.writeFileSync(path.join(work, 'pass'), 'cli test passphrase\n');
});

afterAll(async () => {
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Runs the CLI in-process with its own data dir and captured output. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { PATH: process.env.PATH, LIFEBOAT_HOME: path.join(work, 'home'), ...env },
    isTty: false,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const dbUrl = () => `postgres://${encodeURIComponent(cluster.user)}@127.0.0.1:${cluster.port}/shop?sslmode=disable`;

describe('lifeboat CLI', () => {
  it('backs up a database and a folder, encrypted, and reports JSON with exit 0', async () => {
    const r = await cli(
      ['backup', '--db', dbUrl(), '--folder', path.join(work, 'src'), '--out', path.join(work, 'out'), '--passphrase-file', path.join(work, 'pass'), '--json'],
      { PGPASSWORD: cluster.password },
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const job = JSON.parse(r.out);
    expect(job.status).toBe('success');
    expect(job.sources.map((s: { status: string }) => s.status)).toEqual(['success', 'success']);
    expect(fs.existsSync(job.filePath)).toBe(true);
    expect(job.displayMessage).toMatch(/Verified/);
    expect(r.out).not.toContain(cluster.password);

    const inspect = await cli(['inspect', job.filePath, '--json'], { LIFEBOAT_PASSPHRASE: 'cli test passphrase' });
    expect(inspect.code).toBe(0);
    const manifest = JSON.parse(inspect.out);
    const db = manifest.sources.find((s: { kind: string }) => s.kind === 'database');
    expect(db.tables).toEqual([expect.objectContaining({ name: 'items', rows: 500 })]);

    const list = await cli(['list', '--json']);
    expect(JSON.parse(list.out).items[0]).toMatchObject({ id: job.id, status: 'success' });
    const verify = await cli(['verify', job.filePath, '--passphrase-file', path.join(work, 'pass')]);
    expect(verify.code).toBe(0);
    expect(verify.out).toMatch(/PASSED/);
    expect(verify.out).toMatch(/readable by pg_restore/);
  });

  it('refuses a password inside the --db URL (exit 2), naming PGPASSWORD as the fix', async () => {
    const url = `postgres://${encodeURIComponent(cluster.user)}:${encodeURIComponent(cluster.password)}@127.0.0.1:${cluster.port}/shop`;
    const r = await cli(['backup', '--db', url, '--out', path.join(work, 'out2'), '--no-encrypt']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/PGPASSWORD/);
    expect(r.err).not.toContain(cluster.password);
    expect(fs.existsSync(path.join(work, 'out2'))).toBe(false);
  });

  it('fails with exit 1 and a clear message when the server is unreachable, leaving no file', async () => {
    const r = await cli(['backup', '--db', 'postgres://nobody@127.0.0.1:1/shop', '--out', path.join(work, 'out3'), '--no-encrypt']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAILED: Cannot reach the PostgreSQL server/);
    expect(fs.readdirSync(path.join(work, 'out3'))).toEqual([]);
  });

  it('requires a passphrase unless --no-encrypt, and reports partial with exit 3', async () => {
    const noPass = await cli(['backup', '--folder', path.join(work, 'src'), '--out', path.join(work, 'out4')]);
    expect(noPass.code).toBe(1);
    expect(noPass.err).toMatch(/needs its passphrase|--no-encrypt/);
    const partial = await cli(
      ['backup', '--folder', path.join(work, 'src'), '--folder', path.join(work, 'missing'), '--out', path.join(work, 'out4'), '--no-encrypt'],
    );
    expect(partial.code).toBe(3);
    expect(partial.out).toMatch(/PARTIAL/);
    expect(partial.out).toMatch(/FOLDER_MISSING|does not exist/);
  });

  it('fails verify (exit 1) on a damaged file, and with a wrong passphrase', async () => {
    const made = await cli(['backup', '--folder', path.join(work, 'src'), '--out', path.join(work, 'out5'), '--passphrase-file', path.join(work, 'pass'), '--json']);
    const file = JSON.parse(made.out).filePath as string;
    const wrong = await cli(['verify', file], { LIFEBOAT_PASSPHRASE: 'not the passphrase' });
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/passphrase is wrong/);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const damaged = await cli(['verify', file, '--passphrase-file', path.join(work, 'pass'), '--json']);
    expect(damaged.code).toBe(1);
    expect(JSON.parse(damaged.out)).toMatchObject({ status: 'failed', errorCode: 'FILE_CORRUPT' });
  });

  it('runs as `lifeboat` from bin/ right after install (no build step)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(repo, 'bin/lifeboat.mjs'), 'status', '--json'], {
      env: { ...process.env, LIFEBOAT_HOME: path.join(work, 'home') },
    });
    expect(JSON.parse(stdout).dataDir).toBe(path.join(work, 'home'));
  });
});
