/**
 * `lifeboat plan ...` against a real catalog and a real PostgreSQL: plans created with every
 * schedule form, export -> delete -> import giving the same plan, files that name their secrets
 * and never hold them, the diff and the confirmation an import asks for, an invalid file that
 * lists every problem and changes nothing, and a plan run that reads its secrets where the plan
 * names them.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLifeboatCore } from '../../../src/main/core/lifeboat';
import { MemorySecretStore } from '../../../src/main/core/ports';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir } from '../../support/temp-core';
import { runCliCaptured } from '../../support/cli-run';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PASSPHRASE = 'plan test passphrase';
let cluster: PgCluster;
let work: string;
let home: string;

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.createDatabase('shop');
  await cluster.psql("CREATE TABLE items (id int primary key, name text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 200) g;", 'shop');
  work = makeTempDir('lifeboat-plan-cli-');
  home = path.join(work, 'home');
  fs.mkdirSync(path.join(work, 'src'), { recursive: true });
  fs.writeFileSync(path.join(work, 'src/a.txt'), 'alpha');
  fs.writeFileSync(path.join(work, 'pass'), `${PASSPHRASE}\n`, { mode: 0o600 });
});

afterAll(async () => {
  await cluster?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Runs the CLI in-process on the test's data dir, stdin not a terminal. */
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCliCaptured(args, { LIFEBOAT_HOME: home, ...env });

async function showJson(name: string) {
  const r = await cli(['plan', 'show', name, '--json']);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
}

/** The plan without what a new save gives it anew: id, timestamps, next run. */
function comparable(plan: Record<string, unknown>) {
  const { id: _id, createdAt: _c, updatedAt: _u, nextRun: _n, ...rest } = plan;
  return rest;
}

const dbUrl = () => `postgres://${encodeURIComponent(cluster.user)}@127.0.0.1:${cluster.port}/shop?sslmode=disable`;
const folder = () => path.join(work, 'src');
const out = (name: string) => path.join(work, 'out', name);

describe('lifeboat plan create', () => {
  it('creates plans with every schedule form, mapped to the app’s schedules and validated', async () => {
    const forms: [string, Record<string, unknown>][] = [
      ['daily 02:00', { kind: 'daily', time: '02:00' }],
      ['weekly mon,thu 03:30', { kind: 'weekly', days: [1, 4], time: '03:30' }],
      ['monthly 1 04:00', { kind: 'monthly', day: 1, time: '04:00' }],
      ['every 6h', { kind: 'hourly', everyHours: 6 }],
      ['cron:15 1 * * 1-5', { kind: 'cron', expression: '15 1 * * 1-5' }],
      ['manual', { kind: 'manual' }],
    ];
    for (const [i, [text, schedule]] of forms.entries()) {
      const r = await cli(['plan', 'create', '--name', `sched-${i}`, '--folder', folder(), '--out', out('sched'), '--no-encrypt', '--schedule', text, '--timezone', 'Europe/Berlin']);
      expect(r.code, `${text}: ${r.err}`).toBe(0);
      expect(r.out).toMatch(new RegExp(`Created plan "sched-${i}"`));
      const plan = await showJson(`sched-${i}`);
      expect(plan.schedule, text).toEqual(schedule);
      expect(plan.timezone).toBe('Europe/Berlin');
      expect(plan.scheduleText).toBe(text);
      expect(plan.nextRun === null).toBe(text === 'manual');
    }
    const list = await cli(['plan', 'list', '--json']);
    expect(JSON.parse(list.out).map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(forms.map((_, i) => `sched-${i}`)));
    const table = await cli(['plan', 'list']);
    expect(table.out).toMatch(/sched-1\s+yes\s+full\s+weekly mon,thu 03:30 Europe\/Berlin/);

    // a schedule that does not parse, an unknown zone, a cron that never runs: refused, nothing created
    const bad = [
      ['--schedule', 'fortnightly'],
      ['--timezone', 'Mars/Olympus_Mons'],
      ['--schedule', 'cron:0 0 30 2 *'],
    ];
    for (const args of bad) {
      const r = await cli(['plan', 'create', '--name', 'bad', '--folder', folder(), '--out', out('bad'), '--no-encrypt', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
    }
    expect((await cli(['plan', 'show', 'bad'])).code).toBe(1);
  });

  it('takes the backup command’s options and the plan’s own, and refuses what it cannot keep', async () => {
    const r = await cli(
      [
        'plan', 'create', '--name', 'options', '--db', dbUrl(), '--password-from', 'env:PG_SHOP', '--folder', folder(), '--exclude', '*.iso',
        '--out', out('options'), '--passphrase-file', path.join(work, 'pass'), '--compression', '6', '--type', 'differential',
        '--keep-last', '3', '--keep-weekly', '4', '--no-verify-after', '--drill-after', '--schedule', 'daily 01:00', '--timezone', 'UTC',
      ],
      { PG_SHOP: cluster.password },
    );
    expect(r.code, r.err).toBe(0);
    const plan = await showJson('options');
    expect(plan).toMatchObject({
      type: 'differential',
      databases: [{ id: 'db1', host: '127.0.0.1', port: cluster.port, database: 'shop', sslMode: 'disable', hasPassword: false, passwordFrom: 'env:PG_SHOP' }],
      folders: [{ id: 'folder1', path: folder(), excludes: expect.arrayContaining(['node_modules', '*.iso']) }],
      retention: { days: null, maxCount: null, keepLast: 3, keepDaily: 0, keepWeekly: 4, keepMonthly: 0 },
      options: { compressionLevel: 6, encrypt: true, passphraseFrom: `file:${path.join(work, 'pass')}`, verifyAfter: false, drillAfter: true, destination: out('options') },
    });
    const shown = await cli(['plan', 'show', 'options']);
    expect(shown.out).toContain('password from env:PG_SHOP');
    expect(shown.out).toContain(`passphrase from file:${path.join(work, 'pass')}`);

    // an encrypted plan needs its passphrase named; the same name twice is refused
    const noPass = await cli(['plan', 'create', '--name', 'nopass', '--folder', folder(), '--out', out('x')]);
    expect(noPass.code).toBe(2);
    expect(noPass.err).toMatch(/--passphrase-file <file>, --passphrase-from env:NAME/);
    const twice = await cli(['plan', 'create', '--name', 'options', '--folder', folder(), '--out', out('x'), '--no-encrypt']);
    expect(twice.code).toBe(2);
    expect(twice.err).toContain('a plan named "options" exists');
    const badRef = await cli(['plan', 'create', '--name', 'badref', '--folder', folder(), '--out', out('x'), '--passphrase-from', 'hunter2-the-passphrase']);
    expect(badRef.code).toBe(2);
    expect(badRef.err).toContain('give env:NAME, file:/path or keychain');
    const tooMany = await cli(['plan', 'create', '--name', 'badref', '--db', dbUrl(), '--password-from', 'env:A', '--password-from', 'env:B', '--out', out('x'), '--no-encrypt']);
    expect(tooMany.code).toBe(2);
    // a passphrase file others can read is refused at once, as the backup command refuses it
    fs.writeFileSync(path.join(work, 'pass-open'), `${PASSPHRASE}\n`, { mode: 0o644 });
    fs.chmodSync(path.join(work, 'pass-open'), 0o644);
    const open = await cli(['plan', 'create', '--name', 'open', '--folder', folder(), '--out', out('x'), '--passphrase-file', path.join(work, 'pass-open')]);
    expect(open.code).toBe(1);
    expect(open.err).toContain(`chmod 600 ${path.join(work, 'pass-open')}`);
    expect(open.err).not.toContain(PASSPHRASE);
    expect((await cli(['plan', 'list', '--json'])).out).not.toMatch(/"name": "(nopass|badref|open)"/);
  });

  it('runs a plan made here, reading its password and passphrase where the plan names them', async () => {
    const created = await cli(
      ['plan', 'create', '--name', 'runs', '--db', dbUrl(), '--password-from', 'env:PG_SHOP', '--out', out('runs'), '--passphrase-from', 'env:SHOP_PASSPHRASE', '--schedule', 'manual'],
      { PG_SHOP: cluster.password, SHOP_PASSPHRASE: PASSPHRASE },
    );
    expect(created.code, created.err).toBe(0);
    // PGPASSWORD is not what the plan names: only PG_SHOP may be read
    const run = await cli(['run', 'runs', '--json'], { PG_SHOP: cluster.password, SHOP_PASSPHRASE: PASSPHRASE, PGPASSWORD: 'wrong' });
    expect(run.code, run.out).toBe(0);
    const job = JSON.parse(run.out);
    expect(job.status).toBe('success');
    expect(run.out).not.toContain(cluster.password);
    const inspect = await cli(['inspect', job.filePath, '--json'], { LIFEBOAT_PASSPHRASE: PASSPHRASE });
    expect(JSON.parse(inspect.out).sources[0].tables[0]).toMatchObject({ name: 'items', rows: 200 });

    const missing = await cli(['run', 'runs', '--json'], { PG_SHOP: cluster.password });
    expect(missing.code).toBe(1);
    const failed = JSON.parse(missing.out);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'SECRET_UNAVAILABLE' });
    expect(failed.displayMessage).toContain('plan "runs", its passphrase: env:SHOP_PASSPHRASE is not set');
  });
});

describe('lifeboat plan export / import', () => {
  it('export -> delete -> import gives the same plan; the file names its secrets and holds none', async () => {
    const created = await cli(
      [
        'plan', 'create', '--name', 'round', '--db', dbUrl(), '--password-from', 'env:PG_SHOP', '--folder', folder(), '--out', out('round'),
        '--passphrase-file', path.join(work, 'pass'), '--schedule', 'weekly mon,thu 02:30', '--timezone', 'America/New_York', '--type', 'incremental',
        '--keep-daily', '7', '--keep-monthly', '6', '--drill-after',
      ],
      { PG_SHOP: cluster.password },
    );
    expect(created.code, created.err).toBe(0);
    const before = await showJson('round');
    for (const format of ['json', 'yaml'] as const) {
      const file = path.join(work, `round.${format}`);
      const exported = await cli(['plan', 'export', 'round', '--out', file]);
      expect(exported.code, exported.err).toBe(0);
      const text = fs.readFileSync(file, 'utf8');
      expect(text).not.toContain(cluster.password);
      expect(text).not.toContain(PASSPHRASE);
      expect(text).toContain('env:PG_SHOP');
      expect(text).toContain(`file:${path.join(work, 'pass')}`);
      expect((await cli(['plan', 'delete', 'round', '--yes'])).code).toBe(0);
      expect((await cli(['plan', 'show', 'round'])).code).toBe(1);
      const imported = await cli(['plan', 'import', file, '--yes']);
      expect(imported.code, imported.err).toBe(0);
      expect(imported.out).toContain('New plan "round":');
      expect(imported.out).toContain('+ databases[db1].passwordFrom: "env:PG_SHOP"');
      expect(comparable(await showJson('round'))).toEqual(comparable(before));
      // the same file again: nothing to change
      const again = await cli(['plan', 'import', file]);
      expect(again.code).toBe(0);
      expect(again.out).toContain('nothing to change');
    }
    // to standard output too
    const stdout = await cli(['plan', 'export', 'round', '--format', 'yaml']);
    expect(stdout.out).toMatch(/^lifeboatPlan: 1\nname: round\n/);
  });

  it("says passwordFrom: keychain for what the app's keychain keeps, and never the secret", async () => {
    // the app saves a plan with its secrets in its keychain
    const app = createLifeboatCore({ dataDir: home, appVersion: '0.0.0-test', secrets: new MemorySecretStore() });
    try {
      const saved = await app.handlers['plans/save']({
        plan: {
          name: 'from the app',
          enabled: true,
          type: 'full',
          databases: [{ id: 'd1', host: '127.0.0.1', port: cluster.port, user: cluster.user, database: 'shop', sslMode: 'disable', hasPassword: false }],
          folders: [],
          schedule: { kind: 'daily', time: '02:00' },
          timezone: 'UTC',
          retention: { days: 7, maxCount: null, keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepChains: 0, capBytes: null },
          options: planOptions(out('app')),
        },
        secrets: { passphrase: 'the app keychain passphrase', dbPasswords: { d1: 'the-app-db-password' } },
      });
      expect(saved.databases[0]!.hasPassword).toBe(true);
    } finally {
      await app.close();
    }
    const file = path.join(work, 'app.json');
    expect((await cli(['plan', 'export', 'from the app', '--out', file])).code).toBe(0);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('the app keychain passphrase');
    expect(text).not.toContain('the-app-db-password');
    const exported = JSON.parse(text);
    expect(exported.databases[0].passwordFrom).toBe('keychain');
    expect(exported.options.passphraseFrom).toBe('keychain');
    // importing it over the same plan changes nothing: the keychain keeps its secrets
    const same = await cli(['plan', 'import', file]);
    expect(same.out).toContain('nothing to change');
    const shown = await showJson('from the app');
    expect(shown.databases[0].hasPassword).toBe(true);
    // a CLI edit of the app's plan keeps what the keychain holds, too
    const edit = await cli(['plan', 'edit', 'from the app', '--schedule', 'daily 05:00']);
    expect(edit.code, edit.err).toBe(0);
    expect(edit.out).toContain('~ schedule.time: "02:00" -> "05:00"');
    expect((await showJson('from the app')).databases[0].hasPassword).toBe(true);
    // as a new plan elsewhere it could not be encrypted: the keychain of this process holds nothing
    exported.name = 'copy of the app plan';
    fs.writeFileSync(file, JSON.stringify(exported));
    const copy = await cli(['plan', 'import', file, '--yes']);
    expect(copy.code).toBe(2);
    expect(copy.err).toMatch(/options\.passphraseFrom: an encrypted plan needs its passphrase/);
  });

  it('shows the changes and needs --yes when stdin is not a terminal; asks on a terminal', async () => {
    const created = await cli(['plan', 'create', '--name', 'confirm', '--folder', folder(), '--out', out('confirm'), '--no-encrypt', '--schedule', 'daily 02:00']);
    expect(created.code, created.err).toBe(0);
    const file = path.join(work, 'confirm.json');
    await cli(['plan', 'export', 'confirm', '--out', file]);
    const edited = JSON.parse(fs.readFileSync(file, 'utf8'));
    edited.schedule = { kind: 'daily', time: '04:45' };
    edited.retention.keepLast = 2;
    fs.writeFileSync(file, JSON.stringify(edited, null, 2));

    const refused = await cli(['plan', 'import', file]);
    expect(refused.code).toBe(2);
    expect(refused.out).toContain('Changes to plan "confirm"');
    expect(refused.out).toContain('~ schedule.time: "02:00" -> "04:45"');
    expect(refused.out).toContain('~ retention.keepLast: 0 -> 2');
    expect(refused.err).toContain('stdin is not a terminal');
    expect(refused.err).toContain('--yes');
    expect((await showJson('confirm')).schedule.time).toBe('02:00');

    const dry = await cli(['plan', 'import', file, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('Dry run: nothing was changed.');
    expect((await showJson('confirm')).schedule.time).toBe('02:00');

    // on a terminal (a pseudo-terminal from script(1)) it asks, and "n" changes nothing, "y" applies
    for (const answer of ['n', 'y']) {
      const { code, output } = await onTerminal(['plan', 'import', file], answer, /Apply these changes to plan "confirm"\? \[y\/N\]/);
      expect(output).toContain('~ schedule.time: "02:00" -> "04:45"');
      expect(code, output).toBe(answer === 'y' ? 0 : 1);
      expect((await showJson('confirm')).schedule.time).toBe(answer === 'y' ? '04:45' : '02:00');
    }
  });

  it('refuses an invalid file listing every problem, and changes nothing', async () => {
    const before = await showJson('confirm');
    const file = path.join(work, 'invalid.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        lifeboatPlan: 1,
        name: 'confirm',
        enabled: 'yes',
        databases: [{ id: 'db1', host: '127.0.0.1', port: 99999, user: 'u', database: 'shop', passwordFrom: 'the-password' }],
        folders: [],
        schedule: { kind: 'weekly', time: '25:00', days: [] },
        timezone: 'Nowhere/City',
        retension: { days: 3 },
        options: { destination: '', compressionLevel: 11 },
      }),
    );
    const r = await cli(['plan', 'import', file, '--yes']);
    expect(r.code).toBe(2);
    const lines = r.err.split('\n');
    expect(lines[0]).toMatch(/is not a valid Lifeboat plan \(\d+ problems\); nothing was changed:/);
    for (const p of ['enabled', 'databases[0].port', 'databases[0].passwordFrom', 'schedule.time', 'schedule.days', 'timezone', 'retension', 'options.destination', 'options.compressionLevel']) {
      expect(lines.some((line) => line.startsWith(`  ${p}: `)), p).toBe(true);
    }
    expect(await showJson('confirm')).toEqual(before);

    const json = await cli(['plan', 'import', file, '--yes', '--json']);
    expect(json.code).toBe(2);
    const report = JSON.parse(json.out);
    expect(report.error.code).toBe('VALIDATION');
    expect(report.issues.length).toBeGreaterThanOrEqual(9);

    const yaml = path.join(work, 'broken.yaml');
    fs.writeFileSync(yaml, 'lifeboatPlan: 1\nname: [broken\nfolders: {\n');
    const broken = await cli(['plan', 'import', yaml]);
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/  line \d+, column \d+: /);
  });

  it('plan delete asks on a terminal, and refuses without --yes when stdin is not one', async () => {
    const refused = await cli(['plan', 'delete', 'confirm']);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('stdin is not a terminal');
    expect((await cli(['plan', 'show', 'confirm'])).code).toBe(0);
    const no = await onTerminal(['plan', 'delete', 'confirm'], 'n', /Delete plan "confirm"\?/);
    expect(no.code).toBe(1);
    expect((await cli(['plan', 'show', 'confirm'])).code).toBe(0);
    const yes = await onTerminal(['plan', 'delete', 'confirm'], 'y', /Delete plan "confirm"\?/);
    expect(yes.code, yes.output).toBe(0);
    expect((await cli(['plan', 'show', 'confirm'])).code).toBe(1);
  });

  it('enable and disable', async () => {
    expect((await cli(['plan', 'disable', 'sched-0'])).out).toBe('Disabled plan "sched-0".');
    expect((await showJson('sched-0')).enabled).toBe(false);
    expect((await showJson('sched-0')).nextRun).toBeNull();
    expect((await cli(['plan', 'disable', 'sched-0'])).out).toBe('Plan "sched-0" is already disabled.');
    expect((await cli(['plan', 'enable', 'sched-0'])).out).toBe('Enabled plan "sched-0".');
    expect((await showJson('sched-0')).enabled).toBe(true);
  });
});

function planOptions(destination: string) {
  return {
    compressionLevel: 1,
    encrypt: true,
    verifyAfter: true,
    drillAfter: false,
    drillServer: null,
    fullEveryRuns: null,
    fullEveryDays: 7,
    retries: { count: 0, backoffSeconds: 1 },
    destination,
    copies: [],
  };
}

/**
 * Runs `lifeboat <args>` with a pseudo-terminal as its stdin (script(1)), answers `answer` once
 * `prompt` shows, and resolves with its exit code and everything it printed.
 */
function onTerminal(args: string[], answer: string, prompt: RegExp): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, path.join(repo, 'bin/lifeboat.mjs'), ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, LIFEBOAT_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let answered = false;
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (!answered && prompt.test(output)) {
      answered = true;
      child.stdin.write(`${answer}\n`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}
