/**
 * Cleanup and listing on the command line: `lifeboat prune` (a plan's retention, now),
 * `lifeboat delete` (one backup, never a base a kept backup needs unless its dependents go too),
 * `lifeboat verify --all` (every backup of the catalog, or a plan's, or those since a time) and
 * `lifeboat logs` (job events and the audit log merged by time; --follow). The work is the
 * core's (tasks/apply-retention, tasks/delete-backup, tasks/verify-job, catalog/activity-log);
 * each deletion is recorded in the audit log there.
 */
import type { Command } from 'commander';
import { AppError, toTransferable } from '../../shared/errors';
import type { JobSummary } from '../../shared/job';
import type { Plan } from '../../shared/plan';
import { readActivity, type ActivityEvent } from '../core/catalog/activity-log';
import type { LifeboatCore } from '../core/lifeboat';
import { pruneNow, type RetentionResult } from '../core/tasks/apply-retention';
import { assertDeletable, deleteBackup, planBackupDeletion } from '../core/tasks/delete-backup';
import { startVerifyAll } from '../core/tasks/verify-job';
import { readPassphrase } from './args';
import { confirm } from './confirm';
import { EXIT_FAILED, findPlan, type HeadlessDeps } from './plan-commands';
import { parseSince } from './time-arg';

/** Exit code of a command ended by Ctrl-C, as index.ts's EXIT.cancelled. */
const EXIT_CANCELLED = 130;
/** How often `logs --follow` reads the catalog again. */
const FOLLOW_INTERVAL_MS = 1000;
/** Events `logs` shows without --since: the newest ones. */
const DEFAULT_LOG_EVENTS = 50;

/** A catalog time as `list` shows it: 2026-03-01 02:00:03 (UTC). */
const shortTime = (iso: string) => iso.replace('T', ' ').slice(0, 19);

async function withCore<T>(deps: HeadlessDeps, passphrase: string | null, work: (core: LifeboatCore) => Promise<T>): Promise<T> {
  const core = deps.openCore(passphrase);
  try {
    return await work(core);
  } finally {
    await core.close();
  }
}

/** Runs `work` with Ctrl-C (and SIGTERM) calling `onStop` instead of ending the process. */
async function onInterrupt<T>(onStop: () => void, work: () => Promise<T>): Promise<T> {
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  try {
    return await work();
  } finally {
    process.off('SIGINT', onStop);
    process.off('SIGTERM', onStop);
  }
}

function printRetention(deps: HeadlessDeps, plan: Plan, result: RetentionResult): void {
  const { out } = deps.io;
  const verb = result.dryRun ? 'would remove' : 'removed';
  const total = result.kept.length + result.pruned.length;
  out(`plan ${plan.name}: ${verb} ${result.pruned.length} of ${total} backup(s), keeps ${result.kept.length}`);
  for (const p of result.pruned) out(`  ${result.dryRun ? 'would remove' : 'removed'}  ${shortTime(p.startedAt)}  ${p.filePath ?? p.id}  (${p.reason})`);
}

/** One line of `logs` for a person. */
function formatEvent(e: ActivityEvent): string {
  const what = e.source === 'job' ? (e.kind ?? 'job') : 'audit';
  let text: string;
  if (e.source === 'job') text = e.event === 'started' ? `started (${e.actor})` : `${e.event.toUpperCase()}${e.message ? `: ${e.message}` : ''}`;
  else text = `${e.actor} ${e.event}${e.target ? ` ${e.target}` : ''}${e.message ? ` ${e.message}` : ''}`;
  return `${shortTime(e.at)}  ${what.padEnd(7)}  ${(e.planName ?? '-').padEnd(12)}  ${text}`;
}

/** One line of `logs --json`: the same fields, in the same order, for every event. */
function eventJson(e: ActivityEvent): string {
  return JSON.stringify({
    at: e.at,
    source: e.source,
    event: e.event,
    actor: e.actor,
    plan: e.planName,
    kind: e.kind,
    jobId: e.jobId,
    target: e.target,
    message: e.source === 'job' ? e.message : null,
    details: e.details,
  });
}

/** A verified (or skipped) backup as `verify --all` reports it. */
interface VerifyAllRow {
  backupJobId: string;
  planName: string | null;
  startedAt: string;
  filePath: string | null;
  status: 'passed' | 'warnings' | 'failed' | 'cancelled' | 'skipped';
  message: string | null;
}

/**
 * `verify --all [--plan P] [--since D]`: starts a verification job for each backup that still has
 * its file (the jobs run two at a time), prints one line per backup as each ends, and sets exit 1
 * if any failed or could not be verified (a missing file, no passphrase), 130 on Ctrl-C.
 */
export async function runVerifyAll(
  deps: HeadlessDeps,
  file: string | undefined,
  opts: { all?: boolean; plan?: string; since?: string; passphraseFile?: string; drill?: boolean; json?: boolean },
): Promise<void> {
  if (!opts.all) throw new AppError('VALIDATION', { detail: '--plan and --since go with --all' });
  if (file) throw new AppError('VALIDATION', { detail: 'give a file or --all, not both' });
  if (opts.drill) throw new AppError('VALIDATION', { detail: '--drill verifies one file; it does not go with --all' });
  const { io } = deps;
  const since = opts.since ? parseSince(opts.since, new Date()) : undefined;
  const passphrase = readPassphrase(opts.passphraseFile, io.env, 'decrypt');
  await withCore(deps, passphrase, async (core) => {
    const plan = opts.plan ? findPlan(core, opts.plan) : undefined;
    const { started, skipped } = await startVerifyAll(core, { planId: plan?.id, since, passphrase, env: io.env });
    const rows: VerifyAllRow[] = [];
    const print = (row: VerifyAllRow) => {
      rows.push(row);
      if (!opts.json) {
        io.out(`${row.status.toUpperCase().padEnd(9)} ${shortTime(row.startedAt)}  ${(row.planName ?? '-').padEnd(12)}  ${row.filePath ?? row.backupJobId}${row.message ? `  ${row.message}` : ''}`);
      }
    };
    const backupRow = (backupJobId: string): Omit<VerifyAllRow, 'status' | 'message'> => {
      const backup = core.jobs.get(backupJobId);
      return { backupJobId, planName: backup?.planName ?? null, startedAt: backup?.startedAt ?? '', filePath: backup?.filePath ?? null };
    };
    let cancelled = false;
    await onInterrupt(
      () => {
        cancelled = true;
        for (const s of started) core.runner.cancel(s.jobId, 'user');
      },
      async () => {
        for (const s of started) {
          await core.runner.wait(s.jobId);
          const job = core.jobs.get(s.jobId);
          const recorded = core.verifications.latestStatus(s.backupJobId);
          const status: VerifyAllRow['status'] =
            job?.status === 'cancelled' ? 'cancelled' : job?.status !== 'success' ? 'failed' : recorded === 'warnings' ? 'warnings' : recorded === 'failed' ? 'failed' : 'passed';
          print({ ...backupRow(s.backupJobId), status, message: job?.displayMessage ?? null });
        }
      },
    );
    for (const s of skipped) print({ ...backupRow(s.backupJobId), status: 'skipped', message: s.reason });
    if (opts.json) io.out(JSON.stringify(rows, null, 2));
    else if (!rows.length) io.out(`No backups to verify${plan ? ` of plan "${plan.name}"` : ''}${since ? ` since ${shortTime(since)}` : ''}.`);
    else {
      const count = (status: VerifyAllRow['status']) => rows.filter((r) => r.status === status).length;
      io.out(`${rows.length} backup(s): ${count('passed')} passed, ${count('warnings')} with warnings, ${count('failed')} failed, ${count('skipped')} not verified`);
    }
    if (cancelled || rows.some((r) => r.status === 'cancelled')) deps.setExit(EXIT_CANCELLED);
    else if (rows.some((r) => r.status === 'failed' || r.status === 'skipped')) deps.setExit(EXIT_FAILED);
  });
}

/** Registers prune, delete and logs (verify --all is an option of the verify command: runVerifyAll). */
export function registerMaintenanceCommands(program: Command, deps: HeadlessDeps): void {
  const { io } = deps;

  program
    .command('prune')
    .description("apply the plans' retention now and print what it removes (never the newest, the newest verified, or a base a kept backup needs)")
    .option('--plan <plan>', 'only this plan (name or id; default every plan)')
    .option('--dry-run', 'only print what would be removed')
    .option('--json', 'print as JSON')
    .action(async (opts) =>
      withCore(deps, null, async (core) => {
        const plans = opts.plan ? [findPlan(core, opts.plan)] : core.plans.list();
        const results: { plan: string; planId: string; result: RetentionResult | null; error: string | null }[] = [];
        for (const plan of plans) {
          try {
            const result = await pruneNow(core, plan, { dryRun: Boolean(opts.dryRun), actor: 'cli' });
            results.push({ plan: plan.name, planId: plan.id, result, error: null });
            if (!opts.json) printRetention(deps, plan, result);
          } catch (error) {
            // one plan running now must not stop the others' cleanup
            if (opts.plan) throw error;
            const message = toTransferable(error).message;
            results.push({ plan: plan.name, planId: plan.id, result: null, error: message });
            if (!opts.json) io.err(`lifeboat: plan ${plan.name}: ${message}`);
            deps.setExit(EXIT_FAILED);
          }
        }
        if (opts.json) io.out(JSON.stringify(results, null, 2));
        else if (!plans.length) io.out('No plans: retention belongs to plans (lifeboat plan list).');
      }),
    );

  program
    .command('delete')
    .argument('<backup>', 'a backup: its id (or its first 8+ characters) or its file')
    .description('delete one backup file and mark it in the catalog; refuses a base that newer backups need unless --with-dependents')
    .option('--with-dependents', 'also delete the backups that build on it, newest first')
    .option('--yes', 'do not ask (needed when stdin is not a terminal)')
    .option('--json', 'print the deleted backups as JSON')
    .action(async (ref: string, opts) =>
      withCore(deps, null, async (core) => {
        const deletion = planBackupDeletion(core, ref);
        const withDependents = Boolean(opts.withDependents);
        assertDeletable(core, deletion, withDependents);
        const doomed: JobSummary[] = [...deletion.dependents, deletion.backup];
        if (!opts.json) {
          io.out(`To delete${doomed.length > 1 ? ` (${doomed.length} backups, newest first)` : ''}:`);
          for (const job of doomed) io.out(`  ${shortTime(job.startedAt)}  ${job.planName ?? '-'}  ${job.filePath}`);
        }
        const yes = await confirm(`Delete ${doomed.length === 1 ? 'this backup' : `these ${doomed.length} backups`}?`, { yes: Boolean(opts.yes), stdinIsTty: io.stdinIsTty });
        if (!yes) {
          io.out('Nothing was deleted.');
          deps.setExit(EXIT_FAILED);
          return;
        }
        const deleted = await deleteBackup(core, deletion, { withDependents, actor: 'cli' });
        if (opts.json) io.out(JSON.stringify(deleted.map((j) => ({ id: j.id, plan: j.planName, startedAt: j.startedAt, filePath: j.filePath })), null, 2));
        else for (const job of deleted) io.out(`Deleted ${job.filePath} (backup ${job.id})`);
      }),
    );

  program
    .command('logs')
    .description('job events and the audit log, merged by time (UTC)')
    .option('--plan <plan>', "only this plan's jobs and audit entries (name or id)")
    .option('--since <when>', 'from this time on: 30m, 12h, 7d, 2w, today, yesterday, 2026-03-01, 2026-03-01T10:00')
    .option('--follow', 'keep printing new events (the catalog is read every second) until Ctrl-C')
    .option('--json', 'one JSON object per line')
    .action(async (opts) =>
      withCore(deps, null, async (core) => {
        const plan = opts.plan ? findPlan(core, opts.plan) : undefined;
        const since = opts.since ? parseSince(opts.since, new Date()) : null;
        const filter = { plan: plan && { id: plan.id, name: plan.name } };
        const print = (e: ActivityEvent) => io.out(opts.json ? eventJson(e) : formatEvent(e));
        const startedAt = new Date().toISOString();
        const all = readActivity(core, { ...filter, since });
        const shown = since ? all : all.slice(-DEFAULT_LOG_EVENTS);
        shown.forEach(print);
        if (!opts.follow) {
          if (!since && all.length > shown.length && !opts.json) io.err(`lifeboat: (the newest ${DEFAULT_LOG_EVENTS} of ${all.length}; --since shows more)`);
          if (!all.length && !opts.json) io.out('Nothing logged yet.');
          return;
        }
        const printed = new Set(all.map((e) => e.key));
        // what happens from now on (and from --since), each event once
        const from = since ?? (all.length ? all[all.length - 1]!.at : startedAt);
        await new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            for (const e of readActivity(core, { ...filter, since: from })) {
              if (printed.has(e.key)) continue;
              printed.add(e.key);
              print(e);
            }
          }, FOLLOW_INTERVAL_MS);
          const stop = () => {
            clearInterval(timer);
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            resolve();
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      }),
    );
}
