/**
 * Hardening of database restores against a real PostgreSQL: damage in any chunk of the file
 * never leaves a hanging process or a pg_restore behind (the CLI exits); a restore of a database
 * and a folder whose folder part cannot succeed never touches the database; the safety backup
 * before a restore over an existing database is always encrypted, also for an unencrypted backup.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readContainerHeader } from '../../../src/main/core/crypto/container';
import { restoreDatabase } from '../../../src/main/core/restore/restore-database';
import { databaseTargetSchema, type DatabaseTargetInput, type ServerTarget } from '../../../src/shared/restore';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import {
  FAST_CONTAINER,
  PASSPHRASE,
  appError,
  backupNow,
  databaseNames,
  finished,
  headerBytes,
  invoke,
  pgRestorePids,
  planInput,
  savePlan,
  snapshotTree,
  testContext,
} from './support';

const repoRoot = path.resolve(__dirname, '../../..');
let cluster: PgCluster;
let work: string;
let core: ReturnType<typeof makeTestCore>;
let server: ServerTarget;
let backupFile: string;
let backupJobId: string;
let folder: string;

function target(input: Omit<DatabaseTargetInput, 'server'>) {
  return databaseTargetSchema.parse({ server, ...input });
}

/** A copy of `file` with one byte flipped in container chunk `index`. */
function damageChunk(file: string, index: number, out: string): void {
  const bytes = fs.readFileSync(file);
  const at = headerBytes(file) + index * (FAST_CONTAINER.chunkSize + 16) + 1000;
  bytes[at] = bytes[at]! ^ 0x5a;
  fs.writeFileSync(out, bytes);
}

async function chunkCount(file: string): Promise<number> {
  const size = fs.statSync(file).size - headerBytes(file) - 16;
  return Math.ceil(size / (FAST_CONTAINER.chunkSize + 16));
}

async function noPgRestoreLeft(): Promise<number[]> {
  for (let i = 0; i < 50 && pgRestorePids(cluster.port).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  return pgRestorePids(cluster.port);
}

/** Runs the real CLI (bin/lifeboat.mjs) as a child process; resolves with its exit code and how long it took. */
function runCliChild(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; ms: number; stderr: string }> /* stderr: both streams */ {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'lifeboat.mjs'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // the job's message goes to stdout, errors before a job to stderr: keep both, in order
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, ms: Date.now() - started, stderr });
    });
  });
}

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('shop');
  // about 2 MB of dump, so the dump spans many 64 KiB chunks
  await cluster.psql(
    `CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, note text);
     INSERT INTO orders (customer, note) SELECT 'customer ' || i, md5(i::text) || md5((i * 7)::text) FROM generate_series(1, 30000) i;`,
    'shop',
  );
  work = makeTempDir('lifeboat-hardening-db-');
  folder = path.join(work, 'folder');
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'notes.txt'), 'notes\n');
  core = makeTestCore({ containerOptions: FAST_CONTAINER });
  server = { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable', password: cluster.password };
  const source = cluster.source('shop');
  const plan = await savePlan(
    core,
    planInput({ name: 'Shop and files', databases: [source], folders: [{ id: 'f1', path: folder }], destination: path.join(work, 'backups') }),
    { dbPasswords: { [source.id]: cluster.password }, passphrase: PASSPHRASE },
  );
  const job = await backupNow(core, plan);
  backupFile = job.filePath!;
  backupJobId = job.id;
});

afterAll(async () => {
  await core?.cleanup();
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('damage in any chunk never hangs a restore into a new database', () => {
  it('each chunk position in turn: the restore fails within seconds, no pg_restore remains, no database is left', async () => {
    const chunks = await chunkCount(backupFile);
    expect(chunks).toBeGreaterThan(8);
    for (let index = 0; index < chunks; index++) {
      const bad = path.join(work, `chunk-${index}.lifeboat`);
      damageChunk(backupFile, index, bad);
      const name = `never_chunk_${index}`;
      const started = Date.now();
      const error = await appError(restoreDatabase({ filePath: bad, passphrase: PASSPHRASE, target: target({ database: name }), password: cluster.password }, testContext()));
      expect(['FILE_CORRUPT'], `chunk ${index}: ${error.message}`).toContain(error.code);
      expect(Date.now() - started, `chunk ${index}`).toBeLessThan(15_000);
      expect(await noPgRestoreLeft(), `chunk ${index}`).toEqual([]);
      expect(await databaseNames(cluster)).not.toContain(name);
      fs.rmSync(bad);
    }
  });

  it('the CLI exits (code 1) when the chunk that holds the start of the dump is damaged', async () => {
    // the dump is the first entry: it starts in chunk 0
    const bad = path.join(work, 'dump-start.lifeboat');
    damageChunk(backupFile, 0, bad);
    const passFile = path.join(work, 'pass.txt');
    fs.writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, LIFEBOAT_HOME: path.join(work, 'cli-home'), PGPASSWORD: cluster.password };
    const result = await runCliChild(
      ['restore', bad, '--to-db', `postgres://${encodeURIComponent(cluster.user)}@${cluster.host}:${cluster.port}/cli_never`, '--passphrase-file', passFile],
      env,
      60_000,
    );
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/damaged/);
    expect(await noPgRestoreLeft()).toEqual([]);
    expect(await databaseNames(cluster)).not.toContain('cli_never');
  });
});

describe('a restore of a database and a folder checks the folder part before touching the database', () => {
  it('into a new database: the folder target cannot be used, so the database is never created', async () => {
    const blocker = path.join(work, 'a-file-not-a-folder');
    fs.writeFileSync(blocker, 'I am a file\n');
    const { jobId } = await invoke(core, 'restore/start', { backupJobId, database: { server, database: 'combo_new' }, files: { folder: blocker } });
    const job = await finished(core, jobId);
    expect(job).toMatchObject({ status: 'failed', errorCode: 'RESTORE_TARGET_INVALID' });
    expect(await databaseNames(cluster)).not.toContain('combo_new');
    expect(fs.readFileSync(blocker, 'utf8')).toBe('I am a file\n');
  });

  it('over an existing database: the database is untouched and no safety backup is taken', async () => {
    await cluster.createDatabase('combo_live');
    await cluster.psql('CREATE TABLE mine (id int); INSERT INTO mine VALUES (1), (2), (3);', 'combo_live');
    const blocker = path.join(work, 'another-file');
    fs.writeFileSync(blocker, 'x');
    const safetyDir = path.join(core.dataDir, 'safety');
    const safetyBefore = fs.existsSync(safetyDir) ? fs.readdirSync(safetyDir) : [];
    const { jobId } = await invoke(core, 'restore/start', { backupJobId, database: { server, database: 'combo_live', mode: 'existing' }, files: { folder: blocker } });
    const job = await finished(core, jobId);
    expect(job).toMatchObject({ status: 'failed', errorCode: 'RESTORE_TARGET_INVALID' });
    expect((await cluster.psql('SELECT count(*) FROM mine', 'combo_live')).trim()).toBe('3');
    expect((await cluster.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'orders'", 'combo_live')).trim()).toBe('0');
    expect(fs.existsSync(safetyDir) ? fs.readdirSync(safetyDir) : []).toEqual(safetyBefore);
  });

  it('both parts good: the database and the folder are restored together', async () => {
    const into = path.join(work, 'combo-files');
    const { jobId } = await invoke(core, 'restore/start', { backupJobId, database: { server, database: 'combo_ok' }, files: { folder: into } });
    const job = await finished(core, jobId);
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect((await cluster.psql('SELECT count(*) FROM orders', 'combo_ok')).trim()).toBe('30000');
    expect(Object.keys(snapshotTree(into))).toEqual(['notes.txt']);
  });
});

describe('the safety backup before a restore over an existing database is always encrypted', () => {
  let plainFile: string;
  let plainJobId: string;

  beforeAll(async () => {
    const source = cluster.source('shop');
    const plan = await savePlan(
      core,
      planInput({ name: 'Unencrypted shop', databases: [source], destination: path.join(work, 'plain'), options: { encrypt: false } }),
      { dbPasswords: { [source.id]: cluster.password } },
    );
    const job = await backupNow(core, plan);
    plainFile = job.filePath!;
    plainJobId = job.id;
    expect((await readContainerHeader(plainFile)).header.encryption).toBeNull();
    // the catalog records which backups were written encrypted (History labels the others)
    expect(core.jobs.get(plainJobId)!.encrypted).toBe(false);
    expect(core.jobs.get(backupJobId)!.encrypted).toBe(true);
  });

  it('in the app: with a generated passphrase the keychain keeps, so the safety backup restores from the catalog', async () => {
    await cluster.createDatabase('plain_live');
    await cluster.psql('CREATE TABLE before_restore (id int); INSERT INTO before_restore VALUES (42);', 'plain_live');
    const { jobId } = await invoke(core, 'restore/start', { backupJobId: plainJobId, database: { server, database: 'plain_live', mode: 'existing' } });
    const job = await finished(core, jobId);
    expect(job.status, job.displayMessage ?? '').toBe('success');
    const safety = core.jobs.all({ kind: 'backup', search: 'Safety backup of plain_live' });
    expect(safety).toHaveLength(1);
    expect((await readContainerHeader(safety[0]!.filePath!)).header.encryption).not.toBeNull();
    expect(await core.secrets.get(`safety:${safety[0]!.id}`)).toBeTruthy();
    // the previous state comes back from it, with no passphrase typed
    const back = await invoke(core, 'restore/start', { backupJobId: safety[0]!.id, database: { server, database: 'plain_before' } });
    expect((await finished(core, back.jobId)).status).toBe('success');
    expect((await cluster.psql('SELECT id FROM before_restore', 'plain_before')).trim()).toBe('42');
  });

  it('in the CLI: without --safety-passphrase-file it is refused before the database is touched; with it, it works', async () => {
    await cluster.createDatabase('plain_cli');
    await cluster.psql('CREATE TABLE untouched (id int); INSERT INTO untouched VALUES (7);', 'plain_cli');
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, LIFEBOAT_HOME: path.join(work, 'cli-home-2'), PGPASSWORD: cluster.password };
    const url = `postgres://${encodeURIComponent(cluster.user)}@${cluster.host}:${cluster.port}/plain_cli`;
    const refused = await runCliChild(['restore', plainFile, '--to-db', url, '--over-existing'], env, 60_000);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/--safety-passphrase-file/);
    expect((await cluster.psql('SELECT id FROM untouched', 'plain_cli')).trim()).toBe('7');

    const safetyPass = path.join(work, 'safety-pass.txt');
    fs.writeFileSync(safetyPass, 'a safety passphrase\n', { mode: 0o600 });
    const done = await runCliChild(['restore', plainFile, '--to-db', url, '--over-existing', '--safety-passphrase-file', safetyPass], env, 60_000);
    expect(done.code, done.stderr).toBe(0);
    expect((await cluster.psql('SELECT count(*) FROM orders', 'plain_cli')).trim()).toBe('30000');
  });
});
