/**
 * The `lifeboat` command: the same engine as the app, without a window. Usable on a server with
 * no desktop. Exit codes: 0 success, 1 failure, 2 bad usage, 3 partial (some sources failed),
 * 130 cancelled (Ctrl-C).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { AppError, toTransferable, type ErrorCode } from '../../shared/errors';
import { JOB_STATUSES, type JobDetail, type JobStatus, type JobSummary } from '../../shared/job';
import { DEFAULT_EXCLUDES, MAX_DESCRIPTION_CHARS, type SecretRef } from '../../shared/plan';
import { readManifest } from '../core/archive/reader';
import { readContainerHeader, setExpensiveKdfAllowed } from '../core/crypto/container';
import { createLifeboatCore, type LifeboatCore } from '../core/lifeboat';
import { cliCoreOptions } from './core-options';
import { oneOffCopies, parseBackupOutputs, startOneOffBackup } from '../core/tasks/one-off-backup';
import type { SecretStore } from '../core/ports';
import { verifyBackupFile } from '../core/verify/verify-backup';
import { backupLocation, checkBackupFile, parseDatabaseUrl, readPassphrase } from './args';
import { acceptHostKeyOption, closeRemoteOpener, installRemoteOpener, printRemoteList, sshKeyOption } from './remote-options';
import { registerImportCommand, registerRestoreCommand, runCliDrill, type CliDeps } from './restore-commands';
import { registerDaemonCommand } from './daemon';
import { readMonitoringSnapshot } from '../core/metrics/monitoring-snapshot';
import { registerServiceCommand } from './service';
import { registerMaintenanceCommands, runVerifyAll } from './maintenance-commands';
import { registerPlanCommands, type HeadlessDeps } from './plan-commands';
import { registerSettingsCommand } from './settings-command';
import { readSecretRef } from './plan-secrets';
import { BUILT_VERSION } from './version';
import { formatBytes, formatDuration, printTable } from './format';
import { cliJobDetail, cliMessage } from './messages';
import { createProgressPrinter, PROGRESS_MODES, resolveProgressMode, type ProgressMode } from './progress';

const APP_VERSION: string =
  BUILT_VERSION ?? JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version;

export const EXIT = { ok: 0, failed: 1, usage: 2, partial: 3, cancelled: 130 } as const;

/** Secrets on the command line come from the environment and files, never from arguments. */
class CliSecretStore implements SecretStore {
  constructor(
    private readonly passphrase: string | null,
    private readonly env: NodeJS.ProcessEnv,
  ) {}
  async get(key: string): Promise<string | null> {
    if (key.startsWith('passphrase:')) return this.passphrase;
    // null lets libpq fall back to ~/.pgpass
    if (key.startsWith('db:')) return this.env.PGPASSWORD || null;
    return null;
  }
  async set(): Promise<void> {
    throw new AppError('VALIDATION', { detail: 'the CLI does not store secrets; save plans in the app' });
  }
  async delete(): Promise<void> {}
  /** A plan's passwordFrom / passphraseFrom (env:NAME, file:/path), read each time it is asked for. */
  async resolveReference(ref: string, what: string): Promise<string> {
    return readSecretRef(ref as SecretRef, this.env, what);
  }
}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  isTty: boolean;
  /** whether stdin is a terminal, for confirmations (default: process.stdin's) */
  stdinIsTty?: boolean;
}

function exitFor(status: JobStatus): number {
  if (status === 'success') return EXIT.ok;
  if (status === 'partial') return EXIT.partial;
  if (status === 'cancelled') return EXIT.cancelled;
  return EXIT.failed;
}

/** Runs a job to its end, showing progress on stderr as --progress says and cancelling on Ctrl-C. */
async function followJob(core: LifeboatCore, job: JobSummary, io: Io, json: boolean, progress: ProgressMode | undefined): Promise<JobDetail> {
  const printer = createProgressPrinter(resolveProgressMode(progress, json, io.isTty), io.err);
  const off = core.events.on('jobs/updated', (update) => {
    if (update.id === job.id && update.progress) printer.update(update.progress);
  });
  const onSigint = () => core.runner.cancel(job.id, 'user');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    await core.runner.wait(job.id);
  } finally {
    off();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    printer.end();
  }
  return core.jobs.detail(job.id)!;
}

/** Prints a finished job, its messages in the CLI's wording for `command`. */
function printJob(finished: JobDetail, io: Io, json: boolean, command: string): void {
  const detail = cliJobDetail(finished, command);
  if (json) {
    io.out(JSON.stringify(detail, null, 2));
    return;
  }
  io.out(`${detail.status.toUpperCase()}: ${detail.displayMessage ?? ''}`.trim());
  if (detail.filePath) io.out(`file:     ${detail.filePath}`);
  if (detail.sizeBytes !== null) io.out(`size:     ${formatBytes(detail.sizeBytes)} (ratio ${detail.compressionRatio?.toFixed(2) ?? '-'})`);
  if (detail.checksum) io.out(`sha256:   ${detail.checksum}`);
  if (detail.durationMs !== null) io.out(`duration: ${formatDuration(detail.durationMs)}`);
  if (detail.description) io.out(`label:    ${detail.description}`);
  for (const s of detail.sources) {
    io.out(`  [${s.status}] ${s.kind} ${s.label}${s.message ? ` — ${s.message}` : ''}`);
  }
  for (const h of detail.hooks ?? []) {
    const how = h.timedOut ? 'timed out' : h.exitCode !== null ? `exit code ${h.exitCode}` : h.signal ? `killed by ${h.signal}` : 'did not start';
    io.out(`  [${h.error ? 'failed' : 'ok'}] ${h.phase}-backup hook ${h.command} — ${how}`);
  }
  if (detail.status !== 'success' && detail.stderrTail) io.out(`tool output:\n${detail.stderrTail}`);
}

function openCore(io: Io, passphrase: string | null): LifeboatCore {
  return createLifeboatCore({
    ...cliCoreOptions(io.env),
    appVersion: APP_VERSION,
    secrets: new CliSecretStore(passphrase, io.env),
    actor: 'cli',
    // overdue-plan alerts are the app's job (it runs the schedules); a one-off command must not
    // alert about plans it was not asked to look at
    notifications: { watchOverdue: false },
    // a catalog created (deleted, or a new data folder) or a mode tightened: one line on stderr
    onCatalogNotice: (notice) => io.err(`lifeboat: ${notice.message}`),
  });
}

/**
 * Errors that are usage errors (exit 2): the command line itself is wrong or lacks what the work
 * needs (a valid option, a passphrase it must be given), so running it again unchanged fails
 * again. Every other error ends the command with exit 1: the work failed (a server, a file, the
 * disk). exitCodeForError is the one place that tells them apart.
 */
const USAGE_CODES: readonly ErrorCode[] = ['VALIDATION', 'PASSPHRASE_REQUIRED', 'PASSPHRASE_FILE_UNSAFE', 'PASSPHRASE_TOO_SHORT'];

/**
 * The exit code for an error that ended a command (a job that ran maps through exitFor): 0 for
 * --help and --version, 2 for what commander refuses (an unknown option, a missing argument, a
 * value not among the choices) and USAGE_CODES, 130 for a cancel, 1 for the rest.
 */
export function exitCodeForError(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  const { code } = toTransferable(error);
  if (USAGE_CODES.includes(code)) return EXIT.usage;
  return code === 'CANCELLED' ? EXIT.cancelled : EXIT.failed;
}

/** `--description`: trimmed, at most MAX_DESCRIPTION_CHARS; null when not given or empty. */
function descriptionArg(text: string | undefined): string | null {
  const trimmed = text?.trim() ?? '';
  if (trimmed.length > MAX_DESCRIPTION_CHARS) {
    throw new AppError('VALIDATION', { detail: `--description takes at most ${MAX_DESCRIPTION_CHARS} characters; this one has ${trimmed.length}` });
  }
  return trimmed || null;
}

/** `list --limit`: a whole number of jobs, 1-1000. */
const MAX_LIST_LIMIT = 1000;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** What the catalog recorded for the backup in `filePath` (its SHA-256, whether it was encrypted), if it knows it. */
async function catalogRecord(io: Io, filePath: string): Promise<{ sha256: string | null; encrypted: boolean }> {
  const { header } = await readContainerHeader(filePath).catch(() => ({ header: null }));
  if (!header) return { sha256: null, encrypted: false };
  const core = openCore(io, null);
  try {
    const job = core.jobs.get(header.backupId);
    return { sha256: job?.checksum ?? null, encrypted: job?.encrypted === true };
  } finally {
    await core.close();
  }
}

/** Builds the command tree; `run(argv)` executes it. Exported for tests. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  /** the command running (backup, restore, ...): the CLI's wording of an error depends on it */
  let commandName = '';
  const progressOption = (): ProgressMode | undefined => program.opts().progress;
  const restoreDeps: CliDeps = {
    io,
    openCore: (passphrase) => openCore(io, passphrase),
    followJob: (core, job, json) => followJob(core, job, io, json, progressOption()),
    printJob: (detail, json) => printJob(detail, io, json, commandName),
    setExitFor: (detail) => setExit(exitFor(detail.status)),
  };
  const headlessDeps: HeadlessDeps = { ...restoreDeps, io, setExit };
  /** Follows a job to its end, prints it (`withCopies`: and the copies of its backup) and sets the exit code from its status. */
  const completeJob = async (core: LifeboatCore, job: JobSummary, json: boolean, withCopies = false): Promise<void> => {
    const detail = await followJob(core, job, io, json, progressOption());
    const copies = withCopies ? oneOffCopies(core, job.id).map(({ backupId: _backupId, ...copy }) => copy) : [];
    if (json && withCopies) io.out(JSON.stringify({ ...cliJobDetail(detail, commandName), copies }, null, 2));
    else printJob(detail, io, json, commandName);
    if (!json) for (const copy of copies) io.out(`copy:     [${copy.status}] ${copy.url}${copy.error ? ` — ${copy.error}` : ''}`);
    setExit(exitFor(detail.status));
  };

  const program = new Command('lifeboat')
    .description('Lifeboat: backups of PostgreSQL databases and folders, without the window.')
    .version(APP_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError()
    .addOption(
      new Option('--progress <mode>', 'progress of a job on stderr: tty redraws one line, lines prints a line every few seconds (for logs), none; auto (the default) is tty on a terminal, else lines; none with --json unless given')
        .choices(PROGRESS_MODES),
    );
  // --allow-expensive-kdf (inspect, verify, restore) must reach every open deep inside their jobs: a process-wide switch
  program.hook('preAction', (_program, command) => {
    commandName = command.name();
    setExpensiveKdfAllowed(Boolean(command.opts().allowExpensiveKdf));
    // s3://, azure://, sftp:// URLs where a backup file is taken: credentials from the environment (and --ssh-key, --accept-host-key)
    installRemoteOpener(io.env, command.opts());
  });

  program
    .command('backup')
    .description('back up databases and/or folders now, into one .lifeboat file')
    .option('--db <url>', 'postgres://user@host:port/db (repeatable); password from PGPASSWORD or ~/.pgpass', collect, [])
    .option('--folder <dir>', 'a folder to back up (repeatable)', collect, [])
    .option('--exclude <pattern>', `exclude pattern for the folders, added to the defaults (repeatable; the defaults: ${DEFAULT_EXCLUDES.join(' ')})`, collect, [])
    .option('--no-default-excludes', 'do not exclude the default patterns; only the --exclude ones')
    .option(
      '--out <dir-or-url>',
      'where the backup goes: a folder, s3://bucket/prefix, azure://account/container/prefix or sftp://user@host[:port]/path (repeatable: the first is the primary, the others get copies); credentials from the environment (AWS_*, AZURE_STORAGE_*, --ssh-key / LIFEBOAT_SSH_KEY)',
      collect,
      [],
    )
    .option('--passphrase-file <file>', 'file whose first line is the passphrase (or set LIFEBOAT_PASSPHRASE)')
    .option('--no-encrypt', 'write an unencrypted (still checksummed) backup')
    .addOption(new Option('--compression <level>', 'compression level 0-9').default('1').argParser((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 9) throw new AppError('VALIDATION', { detail: '--compression takes 0 to 9' });
      return String(n);
    }))
    .option('--no-verify', 'skip verification after the backup')
    .option('--description <text>', 'a label of this backup, shown in History, lifeboat list and the CSV export, and kept in the file')
    .addOption(sshKeyOption())
    .addOption(acceptHostKeyOption())
    .option('--json', 'print the result as JSON (with the copies)')
    .action(async (opts) => {
      const outputs = parseBackupOutputs(opts.out as string[], io.env, { sshKey: opts.sshKey, acceptHostKey: opts.acceptHostKey });
      const databases = (opts.db as string[]).map((url, i) => parseDatabaseUrl(url, `db${i + 1}`));
      const description = descriptionArg(opts.description);
      const excludes = [...new Set([...(opts.defaultExcludes ? DEFAULT_EXCLUDES : []), ...(opts.exclude as string[])])];
      const folders = (opts.folder as string[]).map((dir, i) => ({ id: `folder${i + 1}`, path: path.resolve(dir), excludes }));
      if (databases.length + folders.length === 0) {
        throw new AppError('VALIDATION', { detail: 'nothing to back up: give at least one --db or --folder' });
      }
      // options that would be ignored are refused: the user meant something by them
      if (folders.length === 0 && ((opts.exclude as string[]).length || !opts.defaultExcludes)) {
        throw new AppError('VALIDATION', { detail: '--exclude and --no-default-excludes apply to folders; give a --folder' });
      }
      if ((opts.exclude as string[]).some((pattern) => pattern.trim() === '')) {
        throw new AppError('VALIDATION', { detail: '--exclude takes a pattern such as "*.iso" or "cache", not an empty one' });
      }
      if (!opts.encrypt && opts.passphraseFile) {
        throw new AppError('VALIDATION', { detail: 'give --passphrase-file or --no-encrypt, not both' });
      }
      const passphrase = opts.encrypt ? readPassphrase(opts.passphraseFile, io.env) : null;
      if (opts.encrypt && !passphrase) throw new AppError('PASSPHRASE_REQUIRED', { detail: 'or pass --no-encrypt for an unencrypted backup' });
      const core = openCore(io, passphrase);
      try {
        const job = startOneOffBackup(
          core,
          {
            databases: databases.map((source) => ({ source, password: io.env.PGPASSWORD || null })),
            folders,
            outputs,
            compressionLevel: Number(opts.compression),
            passphrase,
            verify: Boolean(opts.verify),
            env: io.env,
            description,
          },
          'cli',
        );
        // the job's outcome with its copies (url, status, size, SHA-256, the failure's reason)
        const json = Boolean(opts.json);
        const detail = await followJob(core, job, io, json, progressOption());
        const copies = oneOffCopies(core, job.id).map(({ backupId: _backupId, ...copy }) => copy);
        if (json) io.out(JSON.stringify({ ...cliJobDetail(detail, commandName), copies }, null, 2));
        else {
          printJob(detail, io, false, commandName);
          for (const copy of copies) io.out(`copy:     [${copy.status}] ${copy.url}`);
        }
        setExit(exitFor(detail.status));
      } finally {
        await core.close();
      }
    });

  program
    .command('run')
    .argument('<plan>', 'plan name or id')
    .description('run a saved plan now (passphrase from --passphrase-file or LIFEBOAT_PASSPHRASE, database passwords from PGPASSWORD or ~/.pgpass)')
    .option('--passphrase-file <file>', 'file whose first line is the plan passphrase')
    .option('--full', 'make a full backup that starts a new chain (an incremental or differential plan; a full plan always does)')
    .option('--description <text>', "a label of this run's backup (default: the plan's description)")
    .option('--json', 'print the result as JSON (with the copies)')
    .action(async (name: string, opts) => {
      const core = openCore(io, readPassphrase(opts.passphraseFile, io.env));
      try {
        const plan = core.plans.get(name) ?? core.plans.findByName(name);
        if (!plan) throw new AppError('NOT_FOUND', { detail: `no plan named "${name}"; see lifeboat status for the plans` });
        const description = descriptionArg(opts.description) ?? undefined;
        const job = core.startPlanBackup(plan, 'manual', undefined, { full: Boolean(opts.full), description });
        await completeJob(core, job, Boolean(opts.json), true);
      } finally {
        await core.close();
      }
    });

  program
    .command('list')
    .description('list jobs and backups from the catalog, newest first; or, with --remote, the backups at a remote prefix')
    .option('--plan <name>', 'only this plan (name or id)')
    .option('--status <status>', `only jobs with this status: ${JOB_STATUSES.join(', ')}`)
    .option('--limit <n>', `how many (1-${MAX_LIST_LIMIT})`, '20')
    .option('--remote <url-prefix>', 'list the .lifeboat backups at s3://bucket/prefix, azure://account/container/prefix or sftp://user@host[:port]/path, with their full URLs (read from their headers; no passphrase needed)')
    .addOption(sshKeyOption())
    .addOption(acceptHostKeyOption())
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      if (opts.remote !== undefined) {
        if (opts.plan !== undefined || opts.status !== undefined) throw new AppError('VALIDATION', { detail: '--plan and --status list the catalog; --remote lists a remote prefix: give one or the other' });
        await printRemoteList(opts.remote as string, Boolean(opts.json), io.out);
        return;
      }
      if (opts.status !== undefined && !(JOB_STATUSES as readonly string[]).includes(opts.status)) {
        throw new AppError('VALIDATION', { detail: `--status takes one of ${JOB_STATUSES.join(', ')}; not "${opts.status}"` });
      }
      const limit = /^\d+$/.test(opts.limit) ? Number(opts.limit) : NaN;
      if (!(limit >= 1 && limit <= MAX_LIST_LIMIT)) {
        throw new AppError('VALIDATION', { detail: `--limit takes a whole number from 1 to ${MAX_LIST_LIMIT}; not "${opts.limit}"` });
      }
      const core = openCore(io, null);
      try {
        const plan = opts.plan ? (core.plans.get(opts.plan) ?? core.plans.findByName(opts.plan)) : undefined;
        if (opts.plan && !plan) throw new AppError('NOT_FOUND', { detail: `no plan named "${opts.plan}"` });
        const page = core.jobs.list({ planId: plan?.id, status: opts.status }, 1, limit);
        if (opts.json) {
          io.out(JSON.stringify(page, null, 2));
          return;
        }
        if (page.items.length === 0) {
          io.out('No jobs yet. Run `lifeboat backup --help` to make the first backup.');
          return;
        }
        printTable(
          io.out,
          ['started', 'plan', 'kind', 'status', 'size', 'duration', 'file'],
          page.items.map((j) => [
            j.startedAt.replace('T', ' ').slice(0, 19),
            // a backup's description after its plan: what the admin labelled it
            j.description ? `${j.planName ?? '-'} (${j.description.length > 40 ? `${j.description.slice(0, 39)}…` : j.description})` : (j.planName ?? '-'),
            j.kind,
            j.status,
            j.sizeBytes !== null ? formatBytes(j.sizeBytes) : '-',
            j.durationMs !== null ? formatDuration(j.durationMs) : '-',
            j.filePath ?? j.displayMessage ?? '',
          ]),
        );
        if (page.total > page.items.length) io.out(`(${page.total - page.items.length} more; use --limit)`);
      } finally {
        await core.close();
      }
    });

  program
    .command('status')
    .description('plans, their last result, and running jobs')
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      const core = openCore(io, null);
      try {
        const plans = core.plans.list().map((plan) => {
          const last = core.jobs.list({ planId: plan.id, kind: 'backup' }, 1, 1).items[0] ?? null;
          return { id: plan.id, name: plan.name, enabled: plan.enabled, schedule: plan.schedule, last };
        });
        const running = core.jobs.list({ status: 'running' }, 1, 50).items;
        // the rule of the daemon's /healthz (core/metrics/health.ts): a scheduled plan overdue or failing twice in a row exits 1
        const { health, schedulerHolder } = readMonitoringSnapshot(core, { now: core.clock.now() });
        if (!health.ok) setExit(EXIT.failed);
        if (opts.json) {
          io.out(JSON.stringify({ dataDir: core.dataDir, plans, running, health, scheduler: schedulerHolder }, null, 2));
          return;
        }
        io.out(`catalog: ${core.dataDir}`);
        if (plans.length === 0) io.out('No plans yet. Create one in the app, or use `lifeboat backup` for a one-off backup.');
        else
          printTable(
            io.out,
            ['plan', 'enabled', 'last run', 'last status'],
            plans.map((p) => [p.name, p.enabled ? 'yes' : 'no', p.last?.startedAt.replace('T', ' ').slice(0, 19) ?? 'never', p.last?.status ?? '-']),
          );
        io.out(running.length ? `${running.length} job(s) running` : 'No job running.');
        if (schedulerHolder) io.out(`Schedules are run by the Lifeboat ${schedulerHolder.role} (pid ${schedulerHolder.pid} on ${schedulerHolder.host}).`);
        for (const reason of health.reasons) io.out(`UNHEALTHY: ${reason.message}`);
      } finally {
        await core.close();
      }
    });

  program
    .command('verify')
    .argument('[file]', 'a .lifeboat file, or its s3://, azure:// or sftp:// URL (or --all)')
    .description('verify a backup: checksums, authentication of every chunk, archive, entries, pg_restore --list')
    .option('--all', "verify every backup in the catalog that still has its file, one line each; exit 1 if any failed")
    .option('--plan <plan>', "with --all: only this plan's backups")
    .option('--since <when>', 'with --all: only backups made since then (7d, 12h, 2026-03-01, ...)')
    .option('--passphrase-file <file>', 'file whose first line is the passphrase (or set LIFEBOAT_PASSPHRASE)')
    .option('--allow-expensive-kdf', 'open a file whose header asks for a costlier key derivation than Lifeboat writes (still at most 1 GiB)')
    .option('--drill', 'also restore every database into a throwaway database on --server, compare row counts, drop it')
    .option('--server <url>', 'postgres://user@host:port[/maintenance-db] for --drill (password from PGPASSWORD or ~/.pgpass)')
    .addOption(sshKeyOption())
    .addOption(acceptHostKeyOption())
    .option('--json', 'print the report as JSON')
    .action(async (file: string | undefined, opts) => {
      if (opts.all || opts.plan || opts.since) return runVerifyAll(headlessDeps, file, opts);
      if (!file) throw new AppError('VALIDATION', { detail: 'name a .lifeboat file, or --all' });
      if (opts.drill && !opts.server) throw new AppError('VALIDATION', { detail: '--drill needs --server postgres://user@host:port' });
      await checkBackupFile(file);
      const passphrase = readPassphrase(opts.passphraseFile, io.env, 'decrypt');
      // a backup the catalog knows must be the file it recorded (its SHA-256, encrypted or not)
      const recorded = await catalogRecord(io, backupLocation(file));
      const report = await verifyBackupFile(backupLocation(file), passphrase, {
        env: io.env,
        expectedSha256: recorded.sha256,
        expectEncrypted: passphrase !== null || recorded.encrypted,
      });
      const { manifest, ...verified } = report;
      const rest = { ...verified, reasons: verified.reasons.map((r) => cliMessage(report.errorCode, r, 'verify')) };
      if (opts.json && !opts.drill) io.out(JSON.stringify({ ...rest, backupId: manifest?.backupId ?? null }, null, 2));
      else if (!opts.json) {
        io.out(`${report.status.toUpperCase()}: ${file}`);
        for (const c of report.checks) io.out(`  ok   ${c}`);
        for (const r of rest.reasons) io.out(`  ${report.status === 'failed' ? 'FAIL' : 'warn'} ${r}`);
      }
      setExit(report.status === 'failed' ? EXIT.failed : EXIT.ok);
      if (!opts.drill) return;
      if (report.status === 'failed') {
        if (opts.json) io.out(JSON.stringify({ verify: { ...rest, backupId: manifest?.backupId ?? null }, drill: null }, null, 2));
        return;
      }
      const drill = await runCliDrill(restoreDeps, file, passphrase, opts.server, Boolean(opts.json));
      if (opts.json) io.out(JSON.stringify({ verify: { ...rest, backupId: manifest?.backupId ?? null }, drill: cliJobDetail(drill, commandName) }, null, 2));
      else printJob(drill, io, false, commandName);
      setExit(drill.status === 'success' ? EXIT.ok : exitFor(drill.status));
    });

  program
    .command('inspect')
    .argument('<file>', 'a .lifeboat file, or its s3://, azure:// or sftp:// URL (reads only its header, directory and manifest)')
    .description('show what a backup holds: databases with tables and row counts, folders and files')
    .option('--passphrase-file <file>', 'file whose first line is the passphrase (or set LIFEBOAT_PASSPHRASE)')
    .option('--allow-expensive-kdf', 'open a file whose header asks for a costlier key derivation than Lifeboat writes (still at most 1 GiB)')
    .addOption(sshKeyOption())
    .addOption(acceptHostKeyOption())
    .option('--json', 'print the manifest as JSON')
    .action(async (file: string, opts) => {
      await checkBackupFile(file);
      const { header } = await readContainerHeader(backupLocation(file));
      const manifest = await readManifest(backupLocation(file), header.encryption ? readPassphrase(opts.passphraseFile, io.env, 'decrypt') : null);
      if (opts.json) {
        io.out(JSON.stringify(manifest, null, 2));
        return;
      }
      io.out(`backup ${manifest.backupId} (${manifest.type}${manifest.encrypted ? ', encrypted' : ''}) made ${manifest.createdAt} on ${manifest.host} by Lifeboat ${manifest.app.version}`);
      if (!manifest.encrypted) {
        io.out('NOT ENCRYPTED: its checksums find damage, but anyone who can write the file could have changed it consistently; only the catalog\'s SHA-256 (lifeboat verify) can tell.');
      }
      if (manifest.plan) io.out(`plan: ${manifest.plan.name}`);
      for (const s of manifest.sources) {
        if (s.kind === 'database') {
          io.out(`database ${s.label} [${s.status}] server ${s.serverVersion ?? '?'}, pg_dump ${s.pgDumpVersion ?? '?'}`);
          for (const t of s.tables) io.out(`  ${t.schema}.${t.name}: ${t.rows} rows, ${formatBytes(t.bytes)}`);
        } else {
          io.out(`folder ${s.root} [${s.status}] ${s.files} files stored, ${formatBytes(s.bytes)}${s.unchanged.length ? `, ${s.unchanged.length} unchanged (in base backup)` : ''}`);
        }
        if (s.error) io.out(`  error: ${s.error.message}`);
      }
    });

  registerRestoreCommand(program, restoreDeps);
  registerImportCommand(program, { ...restoreDeps, setExit });
  registerDaemonCommand(program, { io, appVersion: APP_VERSION, secrets: (passphrase) => new CliSecretStore(passphrase, io.env) });
  registerServiceCommand(program, io, setExit);
  registerPlanCommands(program, headlessDeps);
  registerMaintenanceCommands(program, headlessDeps);
  registerSettingsCommand(program, headlessDeps);

  return program;
}

/** Runs the CLI; resolves with the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    // commander has printed its own message (and the help) already
    if (error instanceof CommanderError) return exitCodeForError(error);
    const t = toTransferable(error);
    // the first word naming a command is it: no option before a command takes a command's name as its value
    const command = argv.find((arg) => program.commands.some((c) => c.name() === arg)) ?? '';
    const message = cliMessage(t.code, t.message, command);
    if (argv.includes('--json')) io.out(JSON.stringify({ error: { ...t, message } }, null, 2));
    else io.err(`lifeboat: ${message}`);
    return exitCodeForError(error);
  } finally {
    // the connections of the remote backups the command read (an open SFTP session keeps the process alive)
    await closeRemoteOpener().catch(() => undefined);
  }
}
