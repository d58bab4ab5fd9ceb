import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DEFAULT_EXCLUDES } from '../../../src/shared/plan';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir } from '../../support/temp-core';
import { runCliCaptured } from '../../support/cli-run';

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
  // private, as the CLI requires of a passphrase file
  fs.writeFileSync(path.join(work, 'pass'), 'cli test passphrase\n', { mode: 0o600 });
});

afterAll(async () => {
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Runs the CLI in-process on the test's data dir, stdin not a terminal. */
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCliCaptured(args, { LIFEBOAT_HOME: path.join(work, 'home'), ...env });

const dbUrl = () => `postgres://${encodeURIComponent(cluster.user)}@127.0.0.1:${cluster.port}/shop?sslmode=disable`;

describe('lifeboat CLI', () => {
  it('backs up a database and a folder, encrypted, and reports JSON with exit 0', async () => {
    const r = await cli(
      ['backup', '--db', dbUrl(), '--folder', path.join(work, 'src'), '--out', path.join(work, 'out'), '--passphrase-file', path.join(work, 'pass'), '--json'],
      { PGPASSWORD: cluster.password },
    );
    // the first command on a new data folder creates the catalog, and says so (only that)
    expect(r.err).toBe(`lifeboat: Created a new, empty catalog at ${path.join(work, 'home', 'catalog.sqlite')}`);
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
    // the CLI's wording: the URL to fix, not the app's plan
    expect(r.out).toContain('the host and port in the --db URL are right');
    expect(r.out).not.toContain('in the plan');
    expect(fs.readdirSync(path.join(work, 'out3'))).toEqual([]);
  });

  it('requires a passphrase unless --no-encrypt (a usage error, exit 2), and reports partial with exit 3', async () => {
    const noPass = await cli(['backup', '--folder', path.join(work, 'src'), '--out', path.join(work, 'out4')]);
    expect(noPass.code).toBe(2);
    expect(noPass.err).toBe(
      'lifeboat: An encrypted backup needs a passphrase. Give --passphrase-file <file> (its first line) or set LIFEBOAT_PASSPHRASE. (or pass --no-encrypt for an unencrypted backup)',
    );
    const json = await cli(['backup', '--folder', path.join(work, 'src'), '--out', path.join(work, 'out4'), '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.out).error).toMatchObject({ code: 'PASSPHRASE_REQUIRED', message: expect.stringContaining('--passphrase-file') });
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

describe('lifeboat CLI: bad input', () => {
  it('refuses a passphrase file other users can read, naming chmod 600 (exit 2)', async () => {
    const open = path.join(work, 'pass-open');
    fs.writeFileSync(open, 'cli test passphrase\n', { mode: 0o644 });
    fs.chmodSync(open, 0o644);
    const r = await cli(['backup', '--folder', path.join(work, 'src'), '--out', path.join(work, 'out-unsafe'), '--passphrase-file', open]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`chmod 600 ${open}`);
    expect(r.err).not.toContain('cli test passphrase');
    expect(fs.existsSync(path.join(work, 'out-unsafe'))).toBe(false);
  });

  it('refuses a passphrase under 8 characters, from a file or LIFEBOAT_PASSPHRASE (exit 2)', async () => {
    const short = path.join(work, 'pass-short');
    fs.writeFileSync(short, 'seven77\n', { mode: 0o600 });
    const fromFile = await cli(['backup', '--folder', path.join(work, 'src'), '--out', path.join(work, 'out-short'), '--passphrase-file', short]);
    expect(fromFile.code).toBe(2);
    expect(fromFile.err).toMatch(/at least 8 characters/);
    const fromEnv = await cli(['backup', '--folder', path.join(work, 'src'), '--out', path.join(work, 'out-short')], { LIFEBOAT_PASSPHRASE: 'seven77' });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.err).toMatch(/too short.*LIFEBOAT_PASSPHRASE/s);
    expect(fs.existsSync(path.join(work, 'out-short'))).toBe(false);
  });

  it('never echoes the password of a malformed --db URL', async () => {
    for (const url of ['postgres://ann:SE/CRET@127.0.0.1:5432/shop', 'postgres://ann:SE#CRET@127.0.0.1:99999/shop', 'postgres://ann:SE CRET@/shop']) {
      const r = await cli(['backup', '--db', url, '--out', path.join(work, 'out-url'), '--no-encrypt']);
      expect(r.code, url).toBe(2);
      expect(r.err, url).toMatch(/postgres:\/\/user@host:5432\/dbname|PGPASSWORD/);
      expect(r.err, url).not.toMatch(/SE|CRET/);
    }
  });

  it('list: an unknown --status or a --limit that is not 1-1000 is a usage error naming the valid values', async () => {
    const status = await cli(['list', '--status', 'bogus']);
    expect(status.code).toBe(2);
    expect(status.err).toContain('--status takes one of pending, running, success, failed, partial, cancelled, interrupted; not "bogus"');
    for (const limit of ['abc', '0', '1001', '1.5', '-3', '']) {
      const r = await cli(['list', `--limit=${limit}`]);
      expect(r.code, limit).toBe(2);
      expect(r.err, limit).toContain(`--limit takes a whole number from 1 to 1000; not "${limit}"`);
    }
    const ok = await cli(['list', '--status', 'success', '--limit', '1000', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).items.every((j: { status: string }) => j.status === 'success')).toBe(true);
  });

  it('restore --source with a typo fails listing the backup’s sources, and restores nothing', async () => {
    const made = await cli(['backup', '--folder', path.join(work, 'src'), '--out', path.join(work, 'out-source'), '--no-encrypt', '--json']);
    expect(made.code).toBe(0);
    const file = JSON.parse(made.out).filePath as string;
    const target = path.join(work, 'restored-source');
    const r = await cli(['restore', file, '--to-folder', target, '--source', 'folder9']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--source folder9 is not in the backup; its sources are: folder1 \(folder /);
    const wrongKind = await cli(['restore', file, '--to-db', dbUrl(), '--source', 'folder1']);
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.err).toMatch(/--source folder1 is a folder, which needs --to-folder or --to-original/);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('inspect, verify and restore: a missing file is NOT_FOUND, a folder or another file NOT_A_BACKUP, naming the path', async () => {
    const missing = path.join(work, 'no-such.lifeboat');
    const notBackup = path.join(work, 'src', 'sub', 'a.txt');
    const folder = path.join(work, 'src');
    const commands = [['inspect'], ['verify'], ['restore', '--to-folder', path.join(work, 'restored-bad')]];
    for (const [command, ...rest] of commands) {
      const cases = [
        [missing, 'NOT_FOUND', `no file at ${missing}`],
        [folder, 'NOT_A_BACKUP', `${folder} is a folder`],
        [notBackup, 'NOT_A_BACKUP', notBackup],
      ] as const;
      for (const [file, code, detail] of cases) {
        const json = await cli([command!, file, ...rest, '--json']);
        expect(json.code, `${command} ${file}`).toBe(1);
        expect(JSON.parse(json.out).error, `${command} ${file}`).toMatchObject({ code });
        expect(JSON.parse(json.out).error.message).toContain(detail);
        const plain = await cli([command!, file, ...rest]);
        expect(plain.err, `${command} ${file}`).toContain(detail);
      }
    }
  });
});

interface ChildRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs bin/lifeboat.mjs as a child process, its stdout and stderr pipes (not terminals).
 * `stdoutLines`: the reader closes stdout after that many lines, as `| head -1` does;
 * `closeStderr`: nothing reads stderr, its pipe is closed at once.
 */
function runChild(args: string[], env: NodeJS.ProcessEnv = {}, options: { stdoutLines?: number; closeStderr?: boolean } = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repo, 'bin/lifeboat.mjs'), ...args], {
      env: { ...process.env, LIFEBOAT_HOME: path.join(work, 'home'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const lines = stdout.split('\n');
      if (options.stdoutLines !== undefined && lines.length > options.stdoutLines) {
        stdout = lines.slice(0, options.stdoutLines).join('\n');
        child.stdout.destroy();
      }
    });
    if (options.closeStderr) child.stderr.destroy();
    else {
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => (stderr += chunk));
    }
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The folder source of a backup's manifest, and the paths of the files it stored. */
async function folderOf(file: string): Promise<{ excludes: string[]; files: string[] }> {
  const inspect = await cli(['inspect', file, '--json']);
  expect(inspect.code, inspect.err).toBe(0);
  const manifest = JSON.parse(inspect.out);
  const source = manifest.sources.find((s: { kind: string }) => s.kind === 'folder');
  const files = manifest.entries
    .filter((e: { kind: string; sourceId: string }) => e.kind === 'file' && e.sourceId === source.id)
    .map((e: { name: string; path?: string }) => e.path ?? e.name.slice(source.entryPrefix.length))
    .sort();
  return { excludes: source.excludes, files };
}

describe('lifeboat CLI: output, progress and wording', () => {
  it('a reader that closes the pipe early (| head -1) gets no stack trace, and a good run still exits 0', async () => {
    // 1000 files: `inspect --json` writes their manifest, some 400 KB, far more than a pipe holds
    const many = path.join(work, 'many');
    fs.mkdirSync(many);
    for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(many, `file-${i}.txt`), String(i));
    const made = await cli(['backup', '--folder', many, '--out', path.join(work, 'out-many'), '--no-encrypt', '--no-verify', '--json']);
    expect(made.code, made.err).toBe(0);
    const file = JSON.parse(made.out).filePath as string;

    const inspect = await runChild(['inspect', file, '--json'], {}, { stdoutLines: 1 });
    expect(inspect.stdout).toBe('{');
    expect(inspect.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(inspect.code).toBe(0);

    const backup = await runChild(['backup', '--folder', path.join(work, 'src'), '--out', path.join(work, 'out-pipe'), '--no-encrypt'], {}, { stdoutLines: 1 });
    expect(backup.stdout).toMatch(/^SUCCESS: Backed up 1 source/);
    expect(backup.stderr).not.toMatch(/EPIPE|Error/);
    expect(backup.code).toBe(0);

    // nothing reads stderr: its progress lines go nowhere, and the backup is made all the same
    const quiet = await runChild(['backup', '--folder', path.join(work, 'src'), '--out', path.join(work, 'out-pipe'), '--no-encrypt', '--progress=lines'], {}, { closeStderr: true });
    expect(quiet.stdout).toMatch(/^SUCCESS: Backed up 1 source/);
    expect(quiet.code).toBe(0);
  });

  it('--progress: plain lines on stderr when it is a pipe (auto), at each phase; none under --json unless asked', async () => {
    const args = ['backup', '--db', dbUrl(), '--folder', path.join(work, 'src'), '--out', path.join(work, 'out-progress'), '--no-encrypt'];
    const env = { PGPASSWORD: cluster.password };
    const auto = await runChild(args, env);
    expect(auto.code, auto.stderr).toBe(0);
    const lines = auto.stderr.split('\n').filter((line) => line.startsWith('progress: '));
    expect(lines.map((line) => line.split(' ')[1])).toEqual(expect.arrayContaining(['preflight', 'dump', 'files', 'finalize', 'verify']));
    expect(lines.find((line) => line.startsWith('progress: dump '))).toMatch(/^progress: dump \d+%.* — .*shop/);
    expect(lines.find((line) => line.startsWith('progress: files '))).toContain(` — ${path.join(work, 'src')}`);
    expect(auto.stderr).not.toContain('\r');

    const json = await runChild([...args, '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).status).toBe('success');
    expect(json.stderr).not.toContain('progress:');
    const jsonLines = await runChild([...args, '--json', '--progress=lines'], env);
    expect(JSON.parse(jsonLines.stdout).status).toBe('success');
    expect(jsonLines.stderr).toMatch(/^progress: finalize 90%/m);

    const none = await cli([...args, '--progress=none'], env);
    expect(none.code).toBe(0);
    expect(none.err).toBe('');
    const tty = await cli(['--progress', 'tty', ...args], env);
    expect(tty.code).toBe(0);
    expect(tty.err).toMatch(/^\r(preflight|queued) /);
    const bad = await cli([...args, '--progress=verbose']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("argument 'verbose' is invalid. Allowed choices are auto, tty, lines, none.");
  });

  it('names the option or variable that fixes a problem, not the app: the --db URL, PGPASSWORD, --help', async () => {
    const auth = await cli(['backup', '--db', dbUrl(), '--out', path.join(work, 'out-words'), '--no-encrypt', '--progress=none'], { PGPASSWORD: 'not the password' });
    expect(auth.code).toBe(1);
    expect(auth.out).toContain(
      'FAILED: The PostgreSQL server refused the user name or password. Check the user in the --db URL, and give the password in PGPASSWORD or ~/.pgpass.',
    );
    const missing = await cli(
      ['backup', '--db', dbUrl().replace('/shop?', '/no_such_db?'), '--out', path.join(work, 'out-words'), '--no-encrypt', '--progress=none', '--json'],
      { PGPASSWORD: cluster.password },
    );
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out).displayMessage).toMatch(/^The database does not exist on the server\. Check the database name in the --db URL\./);
    const invalid = await cli(['list', '--limit', '0']);
    expect(invalid.code).toBe(2);
    expect(invalid.err).toBe('lifeboat: The command line is not valid; see lifeboat list --help. (--limit takes a whole number from 1 to 1000; not "0")');
    for (const r of [auth, missing, invalid]) expect(r.out + r.err).not.toMatch(/in the plan|highlighted fields|Enter the/);
  });

  it('--exclude adds to the default excludes, --no-default-excludes leaves only its own; both need a --folder', async () => {
    const tree = path.join(work, 'tree');
    fs.mkdirSync(path.join(tree, 'node_modules'), { recursive: true });
    for (const name of ['keep.txt', 'debug.log', 'disk.iso', 'node_modules/m.js']) fs.writeFileSync(path.join(tree, name), name);
    const backup = async (...extra: string[]) => {
      const r = await cli(['backup', '--folder', tree, '--out', path.join(work, 'out-excludes'), '--no-encrypt', '--no-verify', '--json', ...extra]);
      expect(r.code, r.out + r.err).toBe(0);
      return folderOf(JSON.parse(r.out).filePath);
    };
    expect(await backup()).toEqual({ excludes: DEFAULT_EXCLUDES, files: ['disk.iso', 'keep.txt'] });
    expect(await backup('--exclude', '*.iso', '--exclude', '*.log')).toEqual({ excludes: [...DEFAULT_EXCLUDES, '*.iso'], files: ['keep.txt'] });
    expect(await backup('--no-default-excludes', '--exclude', '*.iso')).toEqual({
      excludes: ['*.iso'],
      files: ['debug.log', 'keep.txt', 'node_modules/m.js'],
    });
    expect(await backup('--no-default-excludes')).toMatchObject({ excludes: [], files: ['debug.log', 'disk.iso', 'keep.txt', 'node_modules/m.js'] });

    // options that would do nothing, or contradict each other, are refused rather than ignored
    const noFolder = await cli(['backup', '--db', dbUrl(), '--exclude', '*.iso', '--out', path.join(work, 'out-excludes'), '--no-encrypt']);
    expect(noFolder.code).toBe(2);
    expect(noFolder.err).toContain('--exclude and --no-default-excludes apply to folders; give a --folder');
    const empty = await cli(['backup', '--folder', tree, '--exclude', '', '--out', path.join(work, 'out-excludes'), '--no-encrypt']);
    expect(empty.code).toBe(2);
    const both = await cli(['backup', '--folder', tree, '--out', path.join(work, 'out-excludes'), '--no-encrypt', '--passphrase-file', path.join(work, 'pass')]);
    expect(both.code).toBe(2);
    expect(both.err).toContain('give --passphrase-file or --no-encrypt, not both');
  });

  it('LIFEBOAT_PG_BIN naming a folder without pg_dump is an error naming that folder, not another pg_dump from PATH', async () => {
    const empty = path.join(work, 'empty-pg-bin');
    fs.mkdirSync(empty);
    const r = await cli(['backup', '--db', dbUrl(), '--out', path.join(work, 'out-pgbin'), '--no-encrypt', '--progress=none'], {
      PGPASSWORD: cluster.password,
      LIFEBOAT_PG_BIN: empty,
      PATH: [cluster.binDir, process.env.PATH].join(path.delimiter),
    });
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAILED: pg_dump was not found.');
    expect(r.out).toContain(`LIFEBOAT_PG_BIN is set to ${empty}, which holds no executable pg_dump; point it at the folder that does, or unset it to search PATH`);
  });
});

describe('lifeboat CLI: the catalog', () => {
  it('creates a deleted catalog again with a notice, and reports a garbage one as CATALOG_CORRUPT naming its path', async () => {
    const home = path.join(work, 'home-catalog');
    const file = path.join(home, 'catalog.sqlite');
    const created = `lifeboat: Created a new, empty catalog at ${file}`;
    const first = await cli(['status'], { LIFEBOAT_HOME: home });
    expect(first.code).toBe(0);
    expect(first.err).toBe(created);
    expect((await cli(['status'], { LIFEBOAT_HOME: home })).err).toBe('');

    fs.rmSync(file);
    const deleted = await cli(['list'], { LIFEBOAT_HOME: home });
    expect(deleted.code).toBe(0);
    expect(deleted.err).toBe(created);

    for (const name of fs.readdirSync(home)) fs.rmSync(path.join(home, name));
    fs.writeFileSync(file, 'this is not a catalog '.repeat(100), { mode: 0o600 });
    const corrupt = await cli(['status'], { LIFEBOAT_HOME: home });
    expect(corrupt.code).toBe(1);
    expect(corrupt.err).toContain('The catalog (catalog.sqlite in the data folder) cannot be read');
    expect(corrupt.err).toContain(file);
    const json = await cli(['list', '--json'], { LIFEBOAT_HOME: home });
    expect(JSON.parse(json.out).error.code).toBe('CATALOG_CORRUPT');
    // left as it was, for the user to move aside
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^this is not a catalog/);
  });

  it.skipIf(process.platform === 'win32')('tightens a data folder and catalog other users could open, with a warning on stderr', async () => {
    const home = path.join(work, 'home-open');
    await cli(['status'], { LIFEBOAT_HOME: home });
    fs.chmodSync(home, 0o755);
    fs.chmodSync(path.join(home, 'catalog.sqlite'), 0o644);
    const r = await cli(['status'], { LIFEBOAT_HOME: home });
    expect(r.code).toBe(0);
    expect(r.err.split('\n')).toEqual([
      `lifeboat: ${home} was open to other users (mode 0755); changed it to 0700`,
      `lifeboat: ${path.join(home, 'catalog.sqlite')} was open to other users (mode 0644); changed it to 0600`,
    ]);
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(home, 'catalog.sqlite')).mode & 0o777).toBe(0o600);
  });
});

/*
 * What the PostgreSQL tools get in their environment, read from /proc/<pid>/environ of each
 * child: LIFEBOAT_PG_BIN points at wrappers that record their own environ and argv, then exec
 * the real tool. The CLI runs as a child process whose own environment holds the secrets, as
 * it does for a user who exported them.
 */
describe.skipIf(process.platform !== 'linux')('lifeboat CLI: the environment of the PostgreSQL tools', () => {
  it('gives no tool a LIFEBOAT_* variable, and PGPASSWORD only to the one that connects', async () => {
    const wrappers = path.join(work, 'pg-wrappers');
    const records = path.join(work, 'pg-records');
    fs.mkdirSync(wrappers);
    fs.mkdirSync(records);
    for (const tool of ['pg_dump', 'pg_restore']) {
      const script = [
        '#!/bin/sh',
        `record="${records}/${tool}-$$"`,
        'printf "%s\\n" "$@" > "$record.args"',
        'cat /proc/$$/environ > "$record.env"',
        `exec '${path.join(cluster.binDir, tool)}' "$@"`,
        '',
      ].join('\n');
      fs.writeFileSync(path.join(wrappers, tool), script, { mode: 0o755 });
    }
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(repo, 'bin/lifeboat.mjs'), 'backup', '--db', dbUrl(), '--folder', path.join(work, 'src'), '--out', path.join(work, 'out-env'), '--json'],
      {
        env: {
          ...process.env,
          LIFEBOAT_HOME: path.join(work, 'home'),
          LIFEBOAT_PG_BIN: wrappers,
          LIFEBOAT_PASSPHRASE: 'the passphrase of the env test',
          LIFEBOAT_SECRET_CANARY: 'canary',
          PGPASSWORD: cluster.password,
          PGSERVICE: 'not-for-the-tools',
          LC_ALL: 'C.UTF-8',
        },
      },
    );
    expect(JSON.parse(stdout).status).toBe('success');

    const runs = fs
      .readdirSync(records)
      .filter((name) => name.endsWith('.env'))
      .map((name) => {
        const base = path.join(records, name.slice(0, -'.env'.length));
        const env = Object.fromEntries(
          fs
            .readFileSync(`${base}.env`, 'utf8')
            .split('\0')
            .filter(Boolean)
            .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
        );
        return { tool: path.basename(base).replace(/-\d+$/, ''), args: fs.readFileSync(`${base}.args`, 'utf8').trim().split('\n'), env };
      });
    const probes = runs.filter((r) => r.args.includes('--version'));
    const lists = runs.filter((r) => r.tool === 'pg_restore' && r.args.includes('--list'));
    const dumps = runs.filter((r) => r.tool === 'pg_dump' && !r.args.includes('--version'));
    expect(probes.length).toBeGreaterThan(0);
    expect(lists.length).toBeGreaterThan(0);
    expect(dumps).toHaveLength(1);

    const allowed = /^(PATH|HOME|LANG|LC_(?!ALL$)\w+|TZ|TMPDIR|PG(HOST|PORT|USER|DATABASE|SSLMODE|CONNECT_TIMEOUT|APPNAME|PASSFILE|SERVICEFILE|PASSWORD)|PGSSL(CERT|KEY|ROOTCERT|CRL|CRLDIR))$/;
    for (const run of runs) {
      const names = Object.keys(run.env);
      expect(names.filter((n) => n.startsWith('LIFEBOAT_')), `${run.tool} ${run.args.join(' ')}`).toEqual([]);
      expect(names.filter((n) => !allowed.test(n)), `${run.tool} ${run.args.join(' ')}`).toEqual([]);
      expect(Object.values(run.env)).not.toContain('the passphrase of the env test');
      expect(run.env.LC_MESSAGES).toBe('C');
    }
    for (const run of [...probes, ...lists]) {
      expect(run.env.PGPASSWORD, `${run.tool} ${run.args.join(' ')}`).toBeUndefined();
      expect(run.env.PGHOST).toBeUndefined();
    }
    expect(dumps[0]!.env).toMatchObject({ PGPASSWORD: cluster.password, PGHOST: '127.0.0.1', PGDATABASE: 'shop', PATH: process.env.PATH });
  });
});
