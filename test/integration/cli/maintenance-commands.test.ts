/**
 * Cleanup and listing on the command line against a real catalog and real backup files:
 * `verify --all` (one line per backup, exit 1 when one fails), `prune` (--dry-run lists and
 * keeps; without it removes and marks), `delete` (refuses a base that a kept incremental needs;
 * --with-dependents deletes the chain newest first) and `logs` (jobs and the audit log by time,
 * filtered; --follow in a real process until Ctrl-C).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../support/temp-core';
import { runCliCaptured } from '../../support/cli-run';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PASSPHRASE = 'maintenance test passphrase';
let work: string;
let home: string;

interface Job {
  id: string;
  status: string;
  filePath: string | null;
  displayMessage: string | null;
  planName: string | null;
  startedAt: string;
}

beforeAll(() => {
  work = makeTempDir('lifeboat-maint-cli-');
  home = path.join(work, 'home');
  fs.mkdirSync(path.join(work, 'src'), { recursive: true });
  fs.writeFileSync(path.join(work, 'src/a.txt'), 'alpha');
  fs.writeFileSync(path.join(work, 'pass'), `${PASSPHRASE}\n`, { mode: 0o600 });
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Runs the CLI in-process on the test's data dir, stdin not a terminal. */
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCliCaptured(args, { LIFEBOAT_HOME: home, ...env });

async function createPlan(name: string, ...extra: string[]) {
  const r = await cli([
    'plan', 'create', '--name', name, '--folder', path.join(work, 'src'), '--out', path.join(work, 'out', name),
    '--passphrase-file', path.join(work, 'pass'), '--keep-days', 'none', '--schedule', 'manual', ...extra,
  ]);
  expect(r.code, r.err).toBe(0);
}

/** Runs the plan once (a file changes between runs, so that each incremental holds something). */
async function runPlan(name: string): Promise<Job> {
  fs.writeFileSync(path.join(work, 'src', `${name}-${Date.now()}.txt`), 'change');
  const r = await cli(['run', name, '--json']);
  expect(r.code, r.out).toBe(0);
  return JSON.parse(r.out) as Job;
}

async function jobs(plan: string): Promise<Job[]> {
  const r = await cli(['list', '--plan', plan, '--json', '--limit', '100']);
  return (JSON.parse(r.out) as { items: Job[] }).items;
}

async function logLines(args: string[]): Promise<Record<string, unknown>[]> {
  const r = await cli(['logs', '--json', ...args]);
  expect(r.code, r.err).toBe(0);
  return r.out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

let chain: Job[] = [];
let fulls: Job[] = [];
let oneOff: string;

describe('lifeboat verify --all', () => {
  beforeAll(async () => {
    await createPlan('chain', '--type', 'incremental');
    await createPlan('fulls');
    await createPlan('damaged');
    for (let i = 0; i < 3; i++) chain.push(await runPlan('chain'));
    for (let i = 0; i < 4; i++) fulls.push(await runPlan('fulls'));
    await runPlan('damaged');
    const made = await cli(['backup', '--folder', path.join(work, 'src'), '--out', path.join(work, 'out', 'one-off'), '--passphrase-file', path.join(work, 'pass'), '--json']);
    oneOff = JSON.parse(made.out).filePath;
    // newest first, as the catalog lists them
    chain = chain.reverse();
    fulls = fulls.reverse();
  });

  it('verifies every backup, one line each, reading each plan’s passphrase where the plan names it', async () => {
    const r = await cli(['verify', '--all', '--passphrase-file', path.join(work, 'pass')]);
    expect(r.code, r.out).toBe(0);
    const lines = r.out.split('\n');
    for (const job of [...chain, ...fulls]) expect(lines.filter((l) => l.includes(job.filePath!) && l.startsWith('PASSED'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes(oneOff) && l.startsWith('PASSED'))).toHaveLength(1);
    expect(lines.at(-1)).toBe('9 backup(s): 9 passed, 0 with warnings, 0 failed, 0 not verified');

    const plan = await cli(['verify', '--all', '--plan', 'chain', '--json']);
    expect(plan.code).toBe(0);
    expect((JSON.parse(plan.out) as { backupJobId: string; status: string }[]).map((r) => [r.backupJobId, r.status])).toEqual(chain.map((j) => [j.id, 'passed']));
    const none = await cli(['verify', '--all', '--since', '2999-01-01']);
    expect(none.code).toBe(0);
    expect(none.out).toMatch(/^No backups to verify since \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.$/);
    // without the one-off's passphrase it is reported as not verified, and the command fails
    const noPass = await cli(['verify', '--all']);
    expect(noPass.code).toBe(1);
    expect(noPass.out.split('\n').find((l) => l.includes(oneOff))).toMatch(/^SKIPPED .*needs its passphrase/);
  });

  it('exits 1 naming the backup that failed', async () => {
    const damaged = (await jobs('damaged'))[0]!;
    const bytes = fs.readFileSync(damaged.filePath!);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    fs.writeFileSync(damaged.filePath!, bytes);
    const r = await cli(['verify', '--all', '--passphrase-file', path.join(work, 'pass')]);
    expect(r.code).toBe(1);
    const failed = r.out.split('\n').filter((l) => l.startsWith('FAILED'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain(damaged.filePath);
    expect(r.out).toContain('1 failed');
    const usage = await cli(['verify', 'some.lifeboat', '--all']);
    expect(usage.code).toBe(2);
    expect((await cli(['verify', '--plan', 'chain'])).code).toBe(2);
  });
});

describe('lifeboat prune', () => {
  it('--dry-run lists what retention would remove and removes nothing; prune removes and marks it', async () => {
    expect((await cli(['plan', 'edit', 'fulls', '--keep-last', '2'])).code).toBe(0);
    const dry = await cli(['prune', '--plan', 'fulls', '--dry-run']);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toContain('plan fulls: would remove 2 of 4 backup(s), keeps 2');
    const doomed = fulls.slice(2);
    for (const job of doomed) expect(dry.out).toMatch(new RegExp(`would remove .*${job.filePath}.*not selected by any keep rule`));
    for (const job of fulls) expect(fs.existsSync(job.filePath!)).toBe(true);

    const json = await cli(['prune', '--plan', 'fulls', '--dry-run', '--json']);
    expect(JSON.parse(json.out)[0].result.pruned.map((p: { id: string }) => p.id)).toEqual(doomed.map((j) => j.id));

    const real = await cli(['prune', '--plan', 'fulls']);
    expect(real.code).toBe(0);
    expect(real.out).toContain('plan fulls: removed 2 of 4 backup(s), keeps 2');
    for (const job of doomed) expect(fs.existsSync(job.filePath!)).toBe(false);
    for (const job of fulls.slice(0, 2)) expect(fs.existsSync(job.filePath!)).toBe(true);
    const after = await jobs('fulls');
    for (const job of doomed) expect(after.find((j) => j.id === job.id)).toMatchObject({ filePath: null, displayMessage: 'Removed by retention: not selected by any keep rule.' });
    const audit = await logLines(['--plan', 'fulls']);
    expect(audit.filter((e) => e.event === 'backup.prune').map((e) => [e.actor, e.target])).toEqual(doomed.map((j) => ['cli', j.id]));
    // every plan: nothing more to remove
    const all = await cli(['prune', '--dry-run']);
    expect(all.out).toContain('plan fulls: would remove 0 of 2 backup(s), keeps 2');
  });
});

describe('lifeboat delete', () => {
  it('refuses a base that a kept incremental needs, and deletes the chain newest first with --with-dependents', async () => {
    const [newest, middle, base] = chain as [Job, Job, Job];
    const refused = await cli(['delete', base.filePath!, '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('Newer backups build on this one');
    expect(refused.err).toContain(middle.filePath);
    expect(refused.err).toContain(newest.filePath);
    for (const job of chain) expect(fs.existsSync(job.filePath!)).toBe(true);

    const noTty = await cli(['delete', newest.id]);
    expect(noTty.code).toBe(2);
    expect(fs.existsSync(newest.filePath!)).toBe(true);

    // the middle link by a short id: its dependent goes first
    const all = await cli(['delete', middle.id.slice(0, 8), '--with-dependents', '--yes']);
    expect(all.code, all.err).toBe(0);
    expect(all.out.split('\n').filter((l) => l.startsWith('Deleted'))).toEqual([`Deleted ${newest.filePath} (backup ${newest.id})`, `Deleted ${middle.filePath} (backup ${middle.id})`]);
    const last = await cli(['delete', base.filePath!, '--yes']);
    expect(last.code, last.err).toBe(0);
    for (const job of chain) expect(fs.existsSync(job.filePath!)).toBe(false);
    const rows = await jobs('chain');
    expect(rows.map((j) => j.filePath)).toEqual([null, null, null]);
    expect(rows.map((j) => j.displayMessage)).toEqual([`Deleted by hand with the backup it builds on (${middle.id}).`, 'Deleted by hand.', 'Deleted by hand.']);
    const deletions = (await logLines(['--plan', 'chain'])).filter((e) => e.event === 'backup.delete');
    expect(deletions.map((e) => e.target)).toEqual([newest.id, middle.id, base.id]);
    expect(deletions.every((e) => e.actor === 'cli')).toBe(true);

    const gone = await cli(['delete', base.id, '--yes']);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain('has no file any more');
    expect((await cli(['delete', path.join(work, 'src', 'a.txt'), '--yes'])).code).toBe(1);
  });
});

describe('lifeboat logs', () => {
  it('prints job events and the audit log merged by time, filtered by plan and time', async () => {
    const all = await logLines(['--since', '1d']);
    const times = all.map((e) => e.at as string);
    expect([...times].sort()).toEqual(times);
    expect(all.some((e) => e.source === 'audit' && e.event === 'plan.create' && e.plan === 'chain')).toBe(true);
    expect(all.some((e) => e.source === 'job' && e.event === 'success' && e.kind === 'backup' && e.plan === 'fulls')).toBe(true);
    expect(all.some((e) => e.source === 'job' && e.event === 'started' && e.kind === 'verify')).toBe(true);

    const chainOnly = await logLines(['--plan', 'chain']);
    expect(chainOnly.length).toBeGreaterThan(0);
    expect(chainOnly.every((e) => e.plan === 'chain')).toBe(true);
    expect(chainOnly.some((e) => e.event === 'plan.run-now')).toBe(true);
    expect(chainOnly.some((e) => e.plan === 'fulls')).toBe(false);
    expect(await logLines(['--since', '2999-01-01'])).toEqual([]);

    const text = await cli(['logs', '--plan', 'fulls']);
    expect(text.out).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} {2}audit {4}fulls\s+cli plan\.create/m);
    expect(text.out).toMatch(/backup {3}fulls\s+SUCCESS: /);
    expect((await cli(['logs', '--since', 'soon'])).code).toBe(2);
  });

  it('--follow prints new events as they are recorded, until Ctrl-C', async () => {
    const child = spawn(process.execPath, [path.join(repo, 'bin/lifeboat.mjs'), 'logs', '--follow', '--json', '--since', '1m'], {
      env: { ...process.env, LIFEBOAT_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const waitFor = async (test: () => boolean, ms: number) => {
      for (const start = Date.now(); Date.now() - start < ms; ) {
        if (test()) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    };
    try {
      // it is reading the catalog (give it the time to start), then a plan is created elsewhere
      await new Promise((r) => setTimeout(r, 2500));
      await createPlan('followed');
      expect(await waitFor(() => output.includes('"plan.create"') && output.includes('"followed"'), 10_000), output).toBe(true);
      await runPlan('followed');
      expect(await waitFor(() => output.includes('"event":"success","actor":"manual","plan":"followed","kind":"backup"'), 10_000), output).toBe(true);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const events = output.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { event: string; plan: string | null });
    expect(events.filter((e) => e.event === 'plan.create' && e.plan === 'followed')).toHaveLength(1);
  });
});
