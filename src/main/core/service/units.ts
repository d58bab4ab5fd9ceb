/**
 * The files that make `lifeboat daemon` a service of the operating system, as pure functions of
 * what the service runs: a systemd unit (Linux), a launchd agent plist (macOS) and, for Windows,
 * a .cmd script that a logon task of the Task Scheduler starts, with the `schtasks` arguments that
 * create that task. Nothing here touches the disk or runs a command (src/main/cli/service.ts
 * does), so each quoting rule is unit-tested on its own.
 */
import { AppError } from '../../../shared/errors';

/** The systemd unit's file name, and the name `systemctl` takes. */
export const SYSTEMD_UNIT_NAME = 'lifeboat.service';
/** The launchd label of the agent; its plist is `~/Library/LaunchAgents/<label>.plist`. */
export const LAUNCHD_LABEL = 'dev.lifeboat.daemon';
/** The Task Scheduler task that starts the daemon at logon. */
export const WINDOWS_TASK_NAME = 'Lifeboat Daemon';
/** Seconds between a failed daemon and its restart (systemd RestartSec, launchd ThrottleInterval, the .cmd loop). */
export const RESTART_DELAY_SECONDS = 10;

export interface ServiceSpec {
  /** absolute path of the runtime: node, or the installed app's Electron run as node */
  runtime: string;
  /** absolute path of the CLI script the runtime runs (the built out/cli/lifeboat.mjs) */
  script: string;
  /** arguments after the script, starting with `daemon` */
  args: readonly string[];
  /** environment of the daemon: LIFEBOAT_HOME and what else it needs; never a secret */
  environment: Readonly<Record<string, string>>;
  /** absolute path the daemon starts in (the data folder) */
  workingDirectory: string;
  /** systemd only: a unit of the user's own manager (`--user`) or of the system's (root) */
  scope: 'user' | 'system';
  /** where launchd writes the daemon's stdout and stderr (macOS) */
  logFile?: string;
}

/** The daemon's whole command line: runtime, script, arguments. */
export function serviceCommand(spec: ServiceSpec): string[] {
  return [spec.runtime, spec.script, ...spec.args];
}

function invalid(detail: string): AppError {
  return new AppError('VALIDATION', { detail });
}

const CONTROL = /[\u0000-\u001f\u007f]/;

function assertNoControl(value: string, what: string): void {
  if (CONTROL.test(value)) throw invalid(`${what} holds a control character (a newline?), which a service file cannot carry: ${JSON.stringify(value)}`);
}

function assertEnvironmentName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalid(`"${name}" is not an environment variable name`);
}

function assertAbsolute(value: string, what: string): void {
  // POSIX or Windows (C:\ or \\server\share) absolute paths: the generators are pure, the platform is the caller's
  if (!/^(\/|[A-Za-z]:[\\/]|\\\\)/.test(value)) throw invalid(`${what} must be an absolute path, not "${value}"`);
}

// ---------------------------------------------------------------------------------------------
// systemd

/** `%` starts a specifier in almost every unit setting (systemd.unit(5)); `%%` is a literal `%`. */
function escapeSpecifiers(text: string): string {
  return text.replace(/%/g, '%%');
}

/** Inside a double-quoted word of a unit file, `\` and `"` are escaped with a backslash (systemd.syntax(7)). */
function systemdDoubleQuote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * One argument of ExecStart=, as systemd.service(5) reads it: a word of safe characters stays
 * bare, any other is double-quoted with `\` and `"` escaped; `%` becomes `%%` (specifiers) and
 * `$` becomes `$$` (arguments expand $VAR). A lone `;` would separate two commands, so it is `\;`.
 */
export function systemdExecArgument(word: string): string {
  assertNoControl(word, 'an argument of the command line');
  if (word === ';') return '\\;';
  const quoted = /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : systemdDoubleQuote(word);
  return escapeSpecifiers(quoted).replace(/\$/g, '$$$$');
}

/**
 * The program of ExecStart= (its first word): quoted when it holds a blank, `%` doubled. systemd
 * expands no `$` there, and refuses a program path holding a quote or a backslash at all
 * ("Executable name contains special characters"), so such a path is refused here, naming the
 * way out: a symlink without them.
 */
export function systemdExecProgram(program: string): string {
  assertNoControl(program, 'the program path');
  assertAbsolute(program, 'the program path');
  if (/["'\\]/.test(program)) {
    throw invalid(`systemd cannot start a program whose path holds a quote or a backslash (${program}); make a symlink to it from a path without them and run lifeboat through that`);
  }
  return escapeSpecifiers(/^[A-Za-z0-9_@%+=:,./$-]+$/.test(program) ? program : `"${program}"`);
}

/**
 * One assignment of Environment=, always double-quoted so spaces stay in the value
 * (systemd.exec(5): `Environment="VAR=a b"`); `$` has no meaning there, `%` does.
 */
export function systemdEnvironmentAssignment(name: string, value: string): string {
  assertEnvironmentName(name);
  assertNoControl(value, `the value of ${name}`);
  return escapeSpecifiers(systemdDoubleQuote(`${name}=${value}`));
}

/**
 * A path setting such as WorkingDirectory=: taken as the rest of the line, unquoted, so a space
 * needs nothing; `%` is a specifier there too. Leading or trailing blanks would be trimmed off
 * by the parser, and a leading `-` or `~` means something else, so those are refused.
 */
export function systemdPath(value: string, what: string): string {
  assertNoControl(value, what);
  assertAbsolute(value, what);
  if (value !== value.trim()) throw invalid(`${what} begins or ends with a blank, which a unit file cannot keep: "${value}"`);
  return escapeSpecifiers(value);
}

/**
 * The systemd unit that runs the daemon. Restarted 10 s after a failure (not after a clean stop);
 * after the network is up, as backups reach database servers. Hardening that leaves a backup
 * daemon working: no new privileges and, for a system unit (user managers can only do it through
 * user namespaces, which would hide other users' files), a private /tmp and a read-only /usr,
 * /boot and /etc. ProtectHome= is left off on purpose: it would hide the home folders being
 * backed up. UMask=0077 keeps whatever the daemon creates private to its user.
 */
export function systemdUnit(spec: ServiceSpec): string {
  assertAbsolute(spec.runtime, 'the runtime (node)');
  assertAbsolute(spec.script, 'the CLI script');
  const system = spec.scope === 'system';
  const lines = [
    '# Written by `lifeboat service install`; remove it with `lifeboat service uninstall`.',
    '[Unit]',
    'Description=Lifeboat backup daemon (scheduled PostgreSQL and folder backups)',
    'After=network-online.target',
    // a user manager has no network-online.target to pull in; ordering after it is harmless
    ...(system ? ['Wants=network-online.target'] : []),
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${[systemdExecProgram(spec.runtime), ...[spec.script, ...spec.args].map(systemdExecArgument)].join(' ')}`,
    ...Object.entries(spec.environment).map(([name, value]) => `Environment=${systemdEnvironmentAssignment(name, value)}`),
    `WorkingDirectory=${systemdPath(spec.workingDirectory, 'the working directory')}`,
    'Restart=on-failure',
    `RestartSec=${RESTART_DELAY_SECONDS}`,
    'UMask=0077',
    'NoNewPrivileges=yes',
    ...(system
      ? [
          'PrivateTmp=yes',
          'ProtectSystem=full',
          '# ProtectHome= is left off on purpose: it would hide the home folders being backed up.',
        ]
      : []),
    '',
    '[Install]',
    `WantedBy=${system ? 'multi-user.target' : 'default.target'}`,
    '',
  ];
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// launchd

/** Text for an XML element or attribute: the five predefined entities. */
export function xmlEscape(text: string): string {
  // XML 1.0 cannot carry most control characters at all, escaped or not
  assertNoControl(text.replace(/\t/g, ' '), 'a value of the plist');
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function plistString(value: string): string {
  return `<string>${xmlEscape(value)}</string>`;
}

/**
 * The launchd agent (`~/Library/LaunchAgents/dev.lifeboat.daemon.plist`): started at load and
 * login, started again after a failed exit (KeepAlive SuccessfulExit=false) at most every 10 s
 * (ThrottleInterval), output appended to `logFile`.
 */
export function launchdPlist(spec: ServiceSpec): string {
  assertAbsolute(spec.runtime, 'the runtime (node)');
  assertAbsolute(spec.script, 'the CLI script');
  assertAbsolute(spec.workingDirectory, 'the working directory');
  for (const name of Object.keys(spec.environment)) assertEnvironmentName(name);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- Written by `lifeboat service install`; remove it with `lifeboat service uninstall`. -->',
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  ${plistString(LAUNCHD_LABEL)}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...serviceCommand(spec).map((word) => `    ${plistString(word)}`),
    '  </array>',
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    ...Object.entries(spec.environment).flatMap(([name, value]) => [`    <key>${xmlEscape(name)}</key>`, `    ${plistString(value)}`]),
    '  </dict>',
    '  <key>WorkingDirectory</key>',
    `  ${plistString(spec.workingDirectory)}`,
    '  <key>RunAtLoad</key>',
    '  <true/>',
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key>',
    '    <false/>',
    '  </dict>',
    '  <key>ThrottleInterval</key>',
    `  <integer>${RESTART_DELAY_SECONDS}</integer>`,
    '  <key>ProcessType</key>',
    '  <string>Background</string>',
    ...(spec.logFile
      ? ['  <key>StandardOutPath</key>', `  ${plistString(spec.logFile)}`, '  <key>StandardErrorPath</key>', `  ${plistString(spec.logFile)}`]
      : []),
    '</dict>',
    '</plist>',
    '',
  ];
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Windows

function assertCmdSafe(value: string, what: string): void {
  assertNoControl(value, what);
  // no quoting scheme of cmd.exe can carry a double quote inside a quoted word
  if (value.includes('"')) throw invalid(`${what} holds a double quote, which a .cmd script cannot pass on: ${value}`);
}

/**
 * One word of a command in a .cmd script: double-quoted (cmd takes & | < > ^ inside quotes
 * literally), `%` doubled (a batch file expands %VAR%), and trailing backslashes doubled so that
 * the program's own argument parser (MSVCRT rules: node's too) does not read `\"` as a quote.
 */
export function cmdWord(word: string): string {
  assertCmdSafe(word, 'a word of the command line');
  return `"${word.replace(/(\\+)$/, '$1$1').replace(/%/g, '%%')}"`;
}

/**
 * The .cmd script the logon task starts: sets the environment, changes to the working directory
 * and runs the daemon, starting it again 10 s after a failed exit (the task scheduler's own
 * restart cannot be set from the schtasks command line). A delay with ping, not timeout, which
 * fails without a console.
 */
export function windowsDaemonScript(spec: ServiceSpec): string {
  assertAbsolute(spec.runtime, 'the runtime (node)');
  assertAbsolute(spec.script, 'the CLI script');
  assertAbsolute(spec.workingDirectory, 'the working directory');
  const lines = [
    '@echo off',
    'rem Written by `lifeboat service install`; remove it with `lifeboat service uninstall`.',
    'setlocal',
    ...Object.entries(spec.environment).map(([name, value]) => {
      assertEnvironmentName(name);
      assertCmdSafe(value, `the value of ${name}`);
      return `set "${name}=${value.replace(/%/g, '%%')}"`;
    }),
    `cd /d ${cmdWord(spec.workingDirectory)}`,
    ':run',
    serviceCommand(spec).map(cmdWord).join(' '),
    'if %ERRORLEVEL% equ 0 exit /b 0',
    `ping -n ${RESTART_DELAY_SECONDS + 1} 127.0.0.1 >nul`,
    'goto run',
    '',
  ];
  return lines.join('\r\n');
}

/** schtasks takes at most 261 characters after /TR. */
export const SCHTASKS_TR_MAX = 261;

/**
 * The arguments of `schtasks` that create (or replace, /F) the logon task running `scriptPath`.
 * /TR is one argument holding the quoted script path, as schtasks wants it; /RL LIMITED keeps it
 * unelevated.
 */
export function schtasksCreateArgs(scriptPath: string): string[] {
  assertAbsolute(scriptPath, 'the daemon script');
  assertCmdSafe(scriptPath, 'the daemon script');
  const tr = `"${scriptPath}"`;
  if (tr.length > SCHTASKS_TR_MAX) {
    throw invalid(`the path of the daemon script is too long for schtasks /TR (${tr.length} > ${SCHTASKS_TR_MAX} characters): ${scriptPath}; set LIFEBOAT_HOME to a shorter folder`);
  }
  return ['/Create', '/TN', WINDOWS_TASK_NAME, '/SC', 'ONLOGON', '/TR', tr, '/RL', 'LIMITED', '/F'];
}

/**
 * An argument as a Windows program's MSVCRT parser reads it back (what node's child_process
 * does when it spawns one): bare when it holds no blank or quote, else in quotes with each `"`
 * escaped and the backslashes before it, or before the closing quote, doubled. For printing a
 * command a user can paste into cmd.exe.
 */
export function windowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let slashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      slashes++;
      continue;
    }
    if (ch === '"') out += '\\'.repeat(slashes * 2 + 1) + '"';
    else out += '\\'.repeat(slashes) + ch;
    slashes = 0;
  }
  return `${out}${'\\'.repeat(slashes * 2)}"`;
}

/** A word for a POSIX shell, single-quoted when it needs it: for printing commands a user can paste. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
