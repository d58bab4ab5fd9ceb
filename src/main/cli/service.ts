/**
 * `lifeboat service install|uninstall|status [--user]`: makes `lifeboat daemon` a service of the
 * operating system. Linux: a systemd unit (system: /etc/systemd/system, root only; --user:
 * ~/.config/systemd/user), enabled and started with systemctl. macOS: a launchd agent in
 * ~/Library/LaunchAgents, bootstrapped into the user's GUI domain. Windows: a Task Scheduler task
 * at logon running a .cmd script in the data folder. Where that cannot be done (no systemd, a
 * system unit without root, schtasks refused) it prints the exact steps to do by hand instead.
 * `--dry-run` prints the files and commands without writing or running anything.
 *
 * The unit files themselves come from the pure generators in core/service/units.ts. Secrets stay
 * out of them: a passphrase is passed as the path of a private file (--passphrase-file), never
 * as its text, and LIFEBOAT_PASSPHRASE is not copied.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { AppError } from '../../shared/errors';
import { resolveDataDir } from '../core/paths';
import {
  LAUNCHD_LABEL,
  SYSTEMD_UNIT_NAME,
  WINDOWS_TASK_NAME,
  launchdPlist,
  schtasksCreateArgs,
  serviceCommand,
  shellWord,
  systemdUnit,
  windowsArg,
  windowsDaemonScript,
  type ServiceSpec,
} from '../core/service/units';
import { readPassphrase } from './args';

export interface ServiceIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What the service commands need from the machine; tests pass a fake one. */
export interface ServiceHost {
  platform: NodeJS.Platform;
  /** the effective user id (null on Windows) */
  uid: number | null;
  homeDir: string;
  /** where system units go: /etc/systemd/system */
  systemUnitDir: string;
  /** systemd is the running init system (what sd_booted(3) checks: /run/systemd/system exists) */
  systemdRunning(): boolean;
  /** runs a program (no shell), resolving with its exit code and output; a program that is not there is code 127 */
  run(command: string, args: readonly string[]): Promise<CommandResult>;
}

/** The real machine. */
export function systemServiceHost(env: NodeJS.ProcessEnv = process.env): ServiceHost {
  return {
    platform: process.platform,
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    homeDir: env.HOME || os.homedir(),
    systemUnitDir: '/etc/systemd/system',
    systemdRunning: () => fs.existsSync('/run/systemd/system'),
    run: (command, args) =>
      new Promise((resolve) => {
        execFile(command, [...args], { encoding: 'utf8', windowsHide: true }, (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : error.code === 'ENOENT' ? 127 : 1) : 0;
          resolve({ code, stdout: String(stdout ?? ''), stderr: String(stderr ?? '') || (error && !stderr ? error.message : '') });
        });
      }),
  };
}

/** How the daemon is started: the runtime and CLI script of this very process, and what they need in the environment. */
export interface DaemonLauncher {
  runtime: string;
  script: string;
  /** ELECTRON_RUN_AS_NODE and the SQLite binding when the installed app's Electron runs the CLI */
  environment: Record<string, string>;
  notes: string[];
}

/**
 * The command line of this CLI: `process.execPath` and the built CLI file. Run from the bundle
 * (out/cli/lifeboat.mjs, or the installed app's copy) that is this module's own file. Run from
 * the TypeScript sources (a development checkout through tsx), it is bin/lifeboat.mjs, which runs
 * the build while it is up to date with the sources and the sources otherwise.
 */
export function currentDaemonLauncher(env: NodeJS.ProcessEnv, moduleUrl: string = import.meta.url): DaemonLauncher {
  const self = fileURLToPath(moduleUrl);
  const environment: Record<string, string> = {};
  const notes: string[] = [];
  if (process.versions.electron) {
    // the installed app's Electron, run as plain Node by its `lifeboat` launcher
    environment.ELECTRON_RUN_AS_NODE = '1';
    if (env.LIFEBOAT_NATIVE_BINDING) environment.LIFEBOAT_NATIVE_BINDING = env.LIFEBOAT_NATIVE_BINDING;
  }
  if (/\.m?js$/.test(self)) return { runtime: process.execPath, script: self, environment, notes };
  const script = path.resolve(path.dirname(self), '../../../bin/lifeboat.mjs');
  notes.push(
    `This is a development checkout: the service runs ${script}, which uses the built CLI (npm run build:cli) while it matches the sources, and the sources through tsx otherwise.`,
  );
  return { runtime: process.execPath, script, environment, notes };
}

export type ServiceScope = 'user' | 'system';

export interface InstallOptions {
  scope: ServiceScope;
  passphraseFile?: string;
  dryRun: boolean;
}

/** One file the service needs, and who may read it. */
interface PlannedFile {
  path: string;
  content: string;
  mode: number;
}

/** A command of the plan; `mayFail` ones are clean-ups whose failure changes nothing (nothing loaded to unload). */
interface PlannedCommand {
  argv: string[];
  mayFail?: boolean;
}

/** What install or uninstall does on this platform: the files, the commands, and what to tell the user. */
export interface ServicePlan {
  platform: 'linux' | 'darwin' | 'win32';
  scope: ServiceScope;
  /** the unit, plist or script that is the service */
  servicePath: string;
  command: string[];
  dataDir: string;
  files: PlannedFile[];
  /** files to remove (uninstall) */
  remove: string[];
  /** folders to create first (the data folder is private) */
  folders: { path: string; mode: number }[];
  commands: PlannedCommand[];
  notes: string[];
  /** set when this machine cannot do it: why, and the plan is then printed as steps by hand */
  blocked?: string;
}

function supportedPlatform(platform: NodeJS.Platform): 'linux' | 'darwin' | 'win32' {
  if (platform === 'linux' || platform === 'darwin' || platform === 'win32') return platform;
  throw new AppError('VALIDATION', { detail: `lifeboat service supports Linux (systemd), macOS (launchd) and Windows (Task Scheduler), not ${platform}; run \`lifeboat daemon\` under your own supervisor` });
}

function systemctl(scope: ServiceScope, ...args: string[]): string[] {
  return scope === 'user' ? ['systemctl', '--user', ...args] : ['systemctl', ...args];
}

function systemdUnitPath(scope: ServiceScope, host: ServiceHost, env: NodeJS.ProcessEnv): string {
  if (scope === 'system') return path.join(host.systemUnitDir, SYSTEMD_UNIT_NAME);
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(host.homeDir, '.config');
  return path.join(config, 'systemd', 'user', SYSTEMD_UNIT_NAME);
}

function launchdPlistPath(host: ServiceHost): string {
  return path.join(host.homeDir, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
}

function windowsScriptPath(dataDir: string): string {
  return path.join(dataDir, 'lifeboat-daemon.cmd');
}

function launchdDomain(host: ServiceHost): string {
  return `gui/${host.uid ?? 0}`;
}

/**
 * The install plan: the service's files from the generators and the commands that enable and
 * start it. Checks the passphrase file (absolute, private, readable, long enough) so that the
 * daemon does not fail on it at every start.
 */
export function planInstall(options: InstallOptions, io: ServiceIo, host: ServiceHost, launcher: DaemonLauncher): ServicePlan {
  const platform = supportedPlatform(host.platform);
  const dataDir = resolveDataDir(null, io.env);
  const args = ['daemon'];
  if (options.passphraseFile) {
    const file = path.resolve(options.passphraseFile);
    // private, readable, non-empty and long enough to encrypt, as every command checks it; only its path goes in the unit
    readPassphrase(file, {}, 'encrypt');
    args.push('--passphrase-file', file);
  }
  const environment: Record<string, string> = { LIFEBOAT_HOME: dataDir, ...launcher.environment };
  if (io.env.LIFEBOAT_PG_BIN) environment.LIFEBOAT_PG_BIN = path.resolve(io.env.LIFEBOAT_PG_BIN);
  // launchd starts agents with PATH=/usr/bin:/bin:/usr/sbin:/sbin: Homebrew's pg_dump would not be found
  if (platform === 'darwin' && io.env.PATH) environment.PATH = io.env.PATH;
  const notes = [...launcher.notes];
  if (!options.passphraseFile) {
    notes.push(
      `No --passphrase-file: the service passes the daemon no passphrase${io.env.LIFEBOAT_PASSPHRASE ? ' (LIFEBOAT_PASSPHRASE is never copied into a service file)' : ''}, so plans that encrypt cannot run unless the daemon finds their passphrase elsewhere.`,
    );
  }
  const spec: ServiceSpec = {
    runtime: launcher.runtime,
    script: launcher.script,
    args,
    environment,
    workingDirectory: dataDir,
    scope: options.scope,
    logFile: platform === 'darwin' ? path.join(dataDir, 'daemon.log') : undefined,
  };
  const base = { platform, command: serviceCommand(spec), dataDir, remove: [], folders: [{ path: dataDir, mode: 0o700 }] };

  if (platform === 'linux') {
    const unitPath = systemdUnitPath(options.scope, host, io.env);
    const plan: ServicePlan = {
      ...base,
      scope: options.scope,
      servicePath: unitPath,
      files: [{ path: unitPath, content: systemdUnit(spec), mode: 0o644 }],
      commands: [
        { argv: systemctl(options.scope, 'daemon-reload') },
        { argv: systemctl(options.scope, 'enable', '--now', SYSTEMD_UNIT_NAME) },
        // installed again (another passphrase file, a new build): a running daemon must take the new unit
        ...(fs.existsSync(unitPath) ? [{ argv: systemctl(options.scope, 'restart', SYSTEMD_UNIT_NAME) }] : []),
      ],
      notes,
    };
    if (options.scope === 'user') {
      const user = io.env.USER || io.env.LOGNAME || os.userInfo().username;
      notes.push(`A user service runs while you are logged in; to run it from boot without a login: loginctl enable-linger ${shellWord(user)}`);
    }
    if (!host.systemdRunning()) {
      plan.blocked = 'systemd is not running on this machine (no /run/systemd/system), so there is no systemd service to install. Run `lifeboat daemon` under the init system or supervisor this machine has, with the environment and command line below.';
    } else if (options.scope === 'system' && host.uid !== 0) {
      plan.blocked = `a system unit (${unitPath}) needs root: run this command again with sudo, or add --user for a service of your own user. To do it by hand as root, write the file and run the commands below.`;
    }
    return plan;
  }

  if (platform === 'darwin') {
    const plistPath = launchdPlistPath(host);
    if (options.scope === 'system') notes.push('On macOS the daemon is a launchd agent of your user (LaunchAgents), as with --user.');
    const target = `${launchdDomain(host)}/${LAUNCHD_LABEL}`;
    return {
      ...base,
      scope: 'user',
      servicePath: plistPath,
      files: [{ path: plistPath, content: launchdPlist(spec), mode: 0o644 }],
      commands: [
        // a loaded older copy must go first; a disabled label cannot be bootstrapped
        { argv: ['launchctl', 'bootout', target], mayFail: true },
        { argv: ['launchctl', 'enable', target] },
        { argv: ['launchctl', 'bootstrap', launchdDomain(host), plistPath] },
      ],
      notes: [...notes, `Its output goes to ${spec.logFile}.`],
    };
  }

  const scriptPath = windowsScriptPath(dataDir);
  if (options.scope === 'system') notes.push('On Windows the daemon is a task that starts at logon and runs as your user, as with --user.');
  return {
    ...base,
    scope: 'user',
    servicePath: scriptPath,
    files: [{ path: scriptPath, content: windowsDaemonScript(spec), mode: 0o600 }],
    commands: [{ argv: ['schtasks', ...schtasksCreateArgs(scriptPath)] }, { argv: ['schtasks', '/Run', '/TN', WINDOWS_TASK_NAME] }],
    notes,
  };
}

/** The uninstall plan: stop and disable the service, remove its file. */
export function planUninstall(scope: ServiceScope, io: ServiceIo, host: ServiceHost): ServicePlan {
  const platform = supportedPlatform(host.platform);
  const dataDir = resolveDataDir(null, io.env);
  const base = { platform, command: [], dataDir, files: [], folders: [], notes: [] };
  if (platform === 'linux') {
    const unitPath = systemdUnitPath(scope, host, io.env);
    const plan: ServicePlan = {
      ...base,
      scope,
      servicePath: unitPath,
      remove: [unitPath],
      commands: [{ argv: systemctl(scope, 'disable', '--now', SYSTEMD_UNIT_NAME), mayFail: true }, { argv: systemctl(scope, 'daemon-reload') }],
    };
    if (scope === 'system' && host.uid !== 0) plan.blocked = `removing a system unit (${unitPath}) needs root: run this command again with sudo, or do it by hand as root with the steps below.`;
    else if (!host.systemdRunning()) plan.commands = [];
    return plan;
  }
  if (platform === 'darwin') {
    const plistPath = launchdPlistPath(host);
    return {
      ...base,
      scope: 'user',
      servicePath: plistPath,
      remove: [plistPath],
      commands: [{ argv: ['launchctl', 'bootout', `${launchdDomain(host)}/${LAUNCHD_LABEL}`], mayFail: true }],
    };
  }
  const scriptPath = windowsScriptPath(dataDir);
  return {
    ...base,
    scope: 'user',
    servicePath: scriptPath,
    remove: [scriptPath],
    commands: [{ argv: ['schtasks', '/End', '/TN', WINDOWS_TASK_NAME], mayFail: true }, { argv: ['schtasks', '/Delete', '/TN', WINDOWS_TASK_NAME, '/F'], mayFail: true }],
  };
}

/** A command as a user would type it: POSIX shell words, or cmd.exe words on Windows. */
export function formatCommand(argv: readonly string[], platform: ServicePlan['platform']): string {
  return argv.map((word) => (platform === 'win32' ? windowsArg(word) : shellWord(word))).join(' ');
}

interface Verbs {
  create: string;
  write: string;
  run: string;
}
const WOULD: Verbs = { create: 'Would create', write: 'Would write', run: 'Would run' };
const BY_HAND: Verbs = { create: 'Create', write: 'Write', run: 'Then run' };

/** One step after the files are written: a command, or removing a file. */
type Step = { kind: 'command'; argv: string[]; mayFail: boolean } | { kind: 'remove'; path: string };

/**
 * The plan's commands and removals in the order they run: a systemd unit is removed between
 * `disable --now` and `daemon-reload`; a plist or script after the service is unloaded.
 */
function planSteps(plan: ServicePlan): Step[] {
  const steps: Step[] = plan.commands.map((c) => ({ kind: 'command', argv: c.argv, mayFail: Boolean(c.mayFail) }));
  const at = plan.platform === 'linux' ? Math.max(steps.length - 1, 0) : steps.length;
  steps.splice(at, 0, ...plan.remove.map((file): Step => ({ kind: 'remove', path: file })));
  return steps;
}

/** The plan as text: folders, each file with its content, then each step as a command to type. */
export function describePlan(plan: ServicePlan, verb: Verbs): string[] {
  const lines: string[] = [];
  for (const folder of plan.folders) lines.push(`${verb.create} the folder ${folder.path} (mode 0${folder.mode.toString(8)}) if it is missing`);
  for (const file of plan.files) {
    lines.push(`${verb.write} ${file.path} (mode 0${file.mode.toString(8)}):`, '', file.content.replace(/\r\n/g, '\n').trimEnd(), '');
  }
  const steps = planSteps(plan);
  if (steps.length) {
    lines.push(`${verb.run}:`);
    for (const step of steps) {
      if (step.kind === 'remove') lines.push(`  ${formatCommand(plan.platform === 'win32' ? ['del', step.path] : ['rm', '-f', step.path], plan.platform)}`);
      else lines.push(`  ${formatCommand(step.argv, plan.platform)}${step.mayFail ? '   (may fail: nothing to unload)' : ''}`);
    }
  }
  return lines;
}

function planJson(plan: ServicePlan, extra: Record<string, unknown>) {
  return {
    platform: plan.platform,
    scope: plan.scope,
    path: plan.servicePath,
    dataDir: plan.dataDir,
    command: plan.command,
    files: plan.files.map((f) => ({ path: f.path, mode: `0${f.mode.toString(8)}`, content: f.content })),
    remove: plan.remove,
    commands: plan.commands.map((c) => c.argv),
    notes: plan.notes,
    blocked: plan.blocked ?? null,
    ...extra,
  };
}

/** A command of a plan that failed: the command as typed, its exit code and output. */
interface FailedStep {
  command: string;
  code: number;
  output: string;
}

/** Carries out a plan, stopping at the first command that fails (not a `mayFail` one), which it returns. */
async function execute(plan: ServicePlan, host: ServiceHost): Promise<FailedStep | null> {
  for (const folder of plan.folders) {
    if (!fs.existsSync(folder.path)) fs.mkdirSync(folder.path, { recursive: true, mode: folder.mode });
  }
  for (const file of plan.files) {
    fs.mkdirSync(path.dirname(file.path), { recursive: true });
    // written whole under another name, then renamed: a half-written unit never exists
    const temp = `${file.path}.${process.pid}.tmp`;
    fs.writeFileSync(temp, file.content, { mode: file.mode });
    fs.chmodSync(temp, file.mode);
    fs.renameSync(temp, file.path);
  }
  for (const step of planSteps(plan)) {
    if (step.kind === 'remove') {
      fs.rmSync(step.path, { force: true });
      continue;
    }
    const [command, ...args] = step.argv;
    const result = await host.run(command!, args);
    if (result.code !== 0 && !step.mayFail) {
      return { command: formatCommand(step.argv, plan.platform), code: result.code, output: `${result.stderr}${result.stdout}`.trim() };
    }
  }
  return null;
}

function reportFailure(failed: FailedStep, plan: ServicePlan, io: ServiceIo, json: boolean, extra: Record<string, unknown>): number {
  const message = `\`${failed.command}\` failed (exit ${failed.code})${failed.output ? `: ${failed.output}` : ''}`;
  if (json) {
    io.out(JSON.stringify(planJson(plan, { ...extra, error: { code: 'SERVICE_COMMAND_FAILED', message } }), null, 2));
    return 1;
  }
  io.err(`lifeboat: ${message}`);
  if (failed.code === 127) io.err(`lifeboat: ${failed.command.split(' ')[0]} was not found on PATH.`);
  if (plan.platform === 'win32' && plan.files.length) {
    io.err(
      `lifeboat: creating a logon task may need an elevated prompt: run the schtasks commands below in a Command Prompt opened with "Run as administrator", or put a shortcut to ${plan.servicePath} in your Startup folder (Win+R, shell:startup).`,
    );
  }
  for (const line of describePlan(plan, { create: 'Created', write: 'Written', run: 'The steps (run them by hand once the cause is fixed)' })) io.out(line);
  return 1;
}

/** `lifeboat service install`: prints the plan (--dry-run), the steps by hand (blocked), or carries it out. */
export async function installService(
  options: InstallOptions & { json: boolean },
  io: ServiceIo,
  host: ServiceHost,
  launcher: DaemonLauncher,
): Promise<number> {
  const plan = planInstall(options, io, host, launcher);
  if (options.dryRun) {
    if (options.json) io.out(JSON.stringify(planJson(plan, { dryRun: true, installed: false }), null, 2));
    else {
      const notes = plan.blocked ? [...plan.notes, `without --dry-run it would stop here: ${plan.blocked}`] : plan.notes;
      for (const line of [...describePlan(plan, WOULD), ...notes.map((n) => `note: ${n}`)]) io.out(line);
    }
    return 0;
  }
  if (plan.blocked) {
    if (options.json) io.out(JSON.stringify(planJson(plan, { dryRun: false, installed: false }), null, 2));
    else {
      io.err(`lifeboat: ${plan.blocked}`);
      for (const line of [...describePlan(plan, BY_HAND), ...plan.notes.map((n) => `note: ${n}`)]) io.out(line);
    }
    return 1;
  }
  const failed = await execute(plan, host);
  if (failed) return reportFailure(failed, plan, io, options.json, { dryRun: false, installed: false });
  if (options.json) {
    io.out(JSON.stringify(planJson(plan, { dryRun: false, installed: true }), null, 2));
    return 0;
  }
  const kind = plan.platform === 'linux' ? `a systemd ${plan.scope === 'user' ? 'user ' : ''}service` : plan.platform === 'darwin' ? 'a launchd agent' : 'a logon task';
  io.out(`Installed the Lifeboat daemon as ${kind}: ${plan.servicePath}`);
  io.out(`It runs: ${formatCommand(plan.command, plan.platform)}`);
  io.out(`Data folder (LIFEBOAT_HOME): ${plan.dataDir}`);
  if (plan.platform === 'linux') {
    const user = plan.scope === 'user' ? ' --user' : '';
    io.out(`See it with: systemctl${user} status ${SYSTEMD_UNIT_NAME}; its log: journalctl${user} -u ${SYSTEMD_UNIT_NAME}`);
  }
  for (const note of plan.notes) io.out(`note: ${note}`);
  return 0;
}

/** `lifeboat service uninstall`. */
export async function uninstallService(scope: ServiceScope, options: { dryRun: boolean; json: boolean }, io: ServiceIo, host: ServiceHost): Promise<number> {
  const plan = planUninstall(scope, io, host);
  const installed = fs.existsSync(plan.servicePath);
  if (options.dryRun || plan.blocked || !installed) {
    if (options.json) io.out(JSON.stringify(planJson(plan, { dryRun: options.dryRun, installed, removed: false }), null, 2));
    else if (!installed) io.out(`The Lifeboat daemon is not installed here (no ${plan.servicePath}).`);
    else if (options.dryRun) for (const line of describePlan(plan, WOULD)) io.out(line);
    else {
      io.err(`lifeboat: ${plan.blocked}`);
      for (const line of describePlan(plan, BY_HAND)) io.out(line);
    }
    return plan.blocked && installed && !options.dryRun ? 1 : 0;
  }
  const failed = await execute(plan, host);
  if (failed) return reportFailure(failed, plan, io, options.json, { dryRun: false, installed, removed: false });
  if (options.json) io.out(JSON.stringify(planJson(plan, { dryRun: false, installed, removed: true }), null, 2));
  else io.out(`Removed the Lifeboat daemon service: ${plan.servicePath} (the data folder ${plan.dataDir} is kept)`);
  return 0;
}

export interface ServiceStatus {
  platform: ServicePlan['platform'];
  scope: ServiceScope;
  path: string;
  installed: boolean;
  /** systemctl is-enabled (enabled, disabled, ...), launchd's "loaded", schtasks' task status; null when unknown */
  enabled: string | null;
  /** systemctl is-active (active, inactive, failed, ...), launchd's state, schtasks' status */
  active: string | null;
  running: boolean;
}

/** Whether the service is installed, enabled and running, from the service manager itself. */
export async function serviceStatus(scope: ServiceScope, io: ServiceIo, host: ServiceHost): Promise<ServiceStatus> {
  const plan = planUninstall(scope, io, host);
  const status: ServiceStatus = {
    platform: plan.platform,
    scope: plan.scope,
    path: plan.servicePath,
    installed: fs.existsSync(plan.servicePath),
    enabled: null,
    active: null,
    running: false,
  };
  if (plan.platform === 'linux') {
    if (!host.systemdRunning()) return status;
    const [, ...enabledArgs] = systemctl(scope, 'is-enabled', SYSTEMD_UNIT_NAME);
    const [, ...activeArgs] = systemctl(scope, 'is-active', SYSTEMD_UNIT_NAME);
    // both exit non-zero when the answer is no; the answer is their first line either way
    status.enabled = (await host.run('systemctl', enabledArgs)).stdout.trim().split('\n')[0] || null;
    status.active = (await host.run('systemctl', activeArgs)).stdout.trim().split('\n')[0] || null;
    status.running = status.active === 'active';
  } else if (plan.platform === 'darwin') {
    const printed = await host.run('launchctl', ['print', `${launchdDomain(host)}/${LAUNCHD_LABEL}`]);
    status.enabled = printed.code === 0 ? 'loaded' : 'not loaded';
    status.active = printed.code === 0 ? (/^\s*state = (.+)$/m.exec(printed.stdout)?.[1]?.trim() ?? null) : null;
    status.running = status.active === 'running';
  } else {
    const query = await host.run('schtasks', ['/Query', '/TN', WINDOWS_TASK_NAME, '/FO', 'CSV', '/NH']);
    if (query.code === 0) {
      // "TaskName","Next Run Time","Status"
      const fields = [...query.stdout.trim().split(/\r?\n/)[0]!.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
      status.enabled = fields[2] === 'Disabled' ? 'disabled' : 'enabled';
      status.active = fields[2] ?? null;
      status.running = fields[2] === 'Running';
    } else status.enabled = 'not registered';
  }
  return status;
}

function printStatus(status: ServiceStatus, io: ServiceIo): void {
  const manager = status.platform === 'linux' ? `systemd${status.scope === 'user' ? ' --user' : ''}` : status.platform === 'darwin' ? 'launchd' : 'Task Scheduler';
  io.out(`service:   ${status.path} (${manager})`);
  io.out(`installed: ${status.installed ? 'yes' : 'no'}`);
  io.out(`enabled:   ${status.enabled ?? (status.platform === 'linux' ? 'unknown (systemd is not running)' : 'unknown')}`);
  io.out(`active:    ${status.active ?? 'unknown'}`);
}

/**
 * Registers `lifeboat service`. `host` and `launcher` are the real machine and this process
 * unless a test passes others.
 */
export function registerServiceCommand(
  program: Command,
  io: ServiceIo,
  setExit: (code: number) => void,
  host: ServiceHost = systemServiceHost(io.env),
  launcher: () => DaemonLauncher = () => currentDaemonLauncher(io.env),
): void {
  const service = program
    .command('service')
    .description('run `lifeboat daemon` as a service of this machine: systemd (Linux), launchd (macOS), a logon task (Windows)');
  const userOption = ['--user', 'Linux: a systemd unit of your own user (~/.config/systemd/user) instead of a system unit (root)'] as const;

  service
    .command('install')
    .description('write the service (unit, plist or task) that runs `lifeboat daemon`, enable and start it')
    .option(...userOption)
    .option('--passphrase-file <file>', 'private file (chmod 600) whose first line is the passphrase; the service gets its path, never the passphrase')
    .option('--dry-run', 'print the files and commands instead of writing and running them')
    .option('--json', 'print what was done (or would be) as JSON')
    .action(async (opts) => {
      const scope: ServiceScope = opts.user ? 'user' : 'system';
      setExit(await installService({ scope, passphraseFile: opts.passphraseFile, dryRun: Boolean(opts.dryRun), json: Boolean(opts.json) }, io, host, launcher()));
    });

  service
    .command('uninstall')
    .description('stop and disable the service and remove its file (the data folder and catalog stay)')
    .option(...userOption)
    .option('--dry-run', 'print what would be removed and run')
    .option('--json', 'print what was done as JSON')
    .action(async (opts) => {
      setExit(await uninstallService(opts.user ? 'user' : 'system', { dryRun: Boolean(opts.dryRun), json: Boolean(opts.json) }, io, host));
    });

  service
    .command('status')
    .description('whether the service is installed, enabled and running (exit 0 only when it runs), and its file')
    .option(...userOption)
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      const status = await serviceStatus(opts.user ? 'user' : 'system', io, host);
      if (opts.json) io.out(JSON.stringify(status, null, 2));
      else printStatus(status, io);
      setExit(status.running ? 0 : 1);
    });
}
