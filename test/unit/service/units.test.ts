import { describe, expect, it } from 'vitest';
import {
  cmdWord,
  launchdPlist,
  schtasksCreateArgs,
  serviceCommand,
  shellWord,
  systemdEnvironmentAssignment,
  systemdExecArgument,
  systemdExecProgram,
  systemdPath,
  systemdUnit,
  windowsArg,
  windowsDaemonScript,
  xmlEscape,
  type ServiceSpec,
} from '../../../src/main/core/service/units';

const spec: ServiceSpec = {
  runtime: '/opt/node 20/bin/node',
  script: '/home/ann/My Apps/lifeboat/out/cli/lifeboat.mjs',
  args: ['daemon', '--passphrase-file', '/home/ann/.secrets/life boat 100%.pass'],
  environment: { LIFEBOAT_HOME: '/home/ann/.config/Life "boat"' },
  workingDirectory: '/home/ann/.config/Life "boat"',
  scope: 'system',
};

describe('systemd quoting (systemd.syntax)', () => {
  it('leaves a plain word bare and double-quotes one with blanks, escaping \\ and "', () => {
    expect(systemdExecArgument('daemon')).toBe('daemon');
    expect(systemdExecArgument('--passphrase-file')).toBe('--passphrase-file');
    expect(systemdExecArgument('/a/b-c_d.mjs')).toBe('/a/b-c_d.mjs');
    expect(systemdExecArgument('/my dir/x')).toBe('"/my dir/x"');
    expect(systemdExecArgument('say "hi"')).toBe('"say \\"hi\\""');
    expect(systemdExecArgument('C:\\dir')).toBe('"C:\\\\dir"');
    expect(systemdExecArgument("it's")).toBe('"it\'s"');
    expect(systemdExecArgument('')).toBe('""');
  });

  it('doubles % (specifiers) everywhere and $ (variables) in arguments, and escapes a lone ;', () => {
    expect(systemdExecArgument('100%')).toBe('100%%');
    expect(systemdExecArgument('/a b/100%')).toBe('"/a b/100%%"');
    expect(systemdExecArgument('$HOME')).toBe('"$$HOME"');
    expect(systemdExecArgument('a${b}')).toBe('"a$${b}"');
    expect(systemdExecArgument(';')).toBe('\\;');
  });

  it('quotes the program path, doubles its %, keeps its $, and refuses a quote or backslash in it', () => {
    expect(systemdExecProgram('/usr/bin/node')).toBe('/usr/bin/node');
    expect(systemdExecProgram('/opt/node 20/bin/node')).toBe('"/opt/node 20/bin/node"');
    expect(systemdExecProgram('/opt/100%/node')).toBe('/opt/100%%/node');
    expect(systemdExecProgram('/opt/$x/node')).toBe('/opt/$x/node');
    expect(() => systemdExecProgram('/opt/"q"/node')).toThrow(/symlink/);
    expect(() => systemdExecProgram("/opt/it's/node")).toThrow(/quote or a backslash/);
    expect(() => systemdExecProgram('node')).toThrow(/absolute/);
  });

  it('refuses control characters, which no unit setting can carry', () => {
    expect(() => systemdExecArgument('a\nExecStartPre=/bin/rm')).toThrow(/control character/);
    expect(() => systemdEnvironmentAssignment('X', 'a\rb')).toThrow(/control character/);
    expect(() => systemdPath('/a\tb', 'the working directory')).toThrow(/control character/);
  });

  it('quotes a whole Environment= assignment, with % doubled and $ left alone', () => {
    expect(systemdEnvironmentAssignment('LIFEBOAT_HOME', '/home/ann/Life boat')).toBe('"LIFEBOAT_HOME=/home/ann/Life boat"');
    expect(systemdEnvironmentAssignment('X', 'a "b" \\c 5% $d')).toBe('"X=a \\"b\\" \\\\c 5%% $d"');
    expect(() => systemdEnvironmentAssignment('BAD NAME', 'x')).toThrow(/not an environment variable name/);
    expect(() => systemdEnvironmentAssignment('1X', 'x')).toThrow(/not an environment variable name/);
  });

  it('writes a path setting unquoted (spaces kept), % doubled; refuses relative and blank-edged paths', () => {
    expect(systemdPath('/home/ann/Life boat', 'x')).toBe('/home/ann/Life boat');
    expect(systemdPath('/data/100%', 'x')).toBe('/data/100%%');
    expect(() => systemdPath('data', 'the working directory')).toThrow(/absolute/);
    expect(() => systemdPath('/data ', 'the working directory')).toThrow(/blank/);
  });
});

describe('systemdUnit', () => {
  it('runs `<node> <cli> daemon` with LIFEBOAT_HOME, restart on failure, hardening, after the network', () => {
    expect(systemdUnit(spec)).toBe(
      [
        '# Written by `lifeboat service install`; remove it with `lifeboat service uninstall`.',
        '[Unit]',
        'Description=Lifeboat backup daemon (scheduled PostgreSQL and folder backups)',
        'After=network-online.target',
        'Wants=network-online.target',
        '',
        '[Service]',
        'Type=simple',
        'ExecStart="/opt/node 20/bin/node" "/home/ann/My Apps/lifeboat/out/cli/lifeboat.mjs" daemon --passphrase-file "/home/ann/.secrets/life boat 100%%.pass"',
        'Environment="LIFEBOAT_HOME=/home/ann/.config/Life \\"boat\\""',
        'WorkingDirectory=/home/ann/.config/Life "boat"',
        'Restart=on-failure',
        'RestartSec=10',
        'UMask=0077',
        'NoNewPrivileges=yes',
        'PrivateTmp=yes',
        'ProtectSystem=full',
        '# ProtectHome= is left off on purpose: it would hide the home folders being backed up.',
        '',
        '[Install]',
        'WantedBy=multi-user.target',
        '',
      ].join('\n'),
    );
  });

  it('never sets ProtectHome (it would hide the folders being backed up)', () => {
    expect(systemdUnit(spec)).not.toMatch(/^ProtectHome=/m);
    expect(systemdUnit({ ...spec, scope: 'user' })).not.toMatch(/^ProtectHome=/m);
  });

  it('a user unit: default.target, no namespace hardening a user manager cannot do without user namespaces', () => {
    const unit = systemdUnit({ ...spec, scope: 'user' });
    expect(unit).toContain('WantedBy=default.target');
    expect(unit).toContain('NoNewPrivileges=yes');
    expect(unit).toContain('After=network-online.target');
    expect(unit).not.toMatch(/^(PrivateTmp|ProtectSystem|Wants)=/m);
  });

  it('writes one Environment= line per variable, in order', () => {
    const unit = systemdUnit({ ...spec, environment: { LIFEBOAT_HOME: '/d', ELECTRON_RUN_AS_NODE: '1', LIFEBOAT_NATIVE_BINDING: '/opt/Life boat/native.node' } });
    expect(unit.split('\n').filter((l) => l.startsWith('Environment='))).toEqual([
      'Environment="LIFEBOAT_HOME=/d"',
      'Environment="ELECTRON_RUN_AS_NODE=1"',
      'Environment="LIFEBOAT_NATIVE_BINDING=/opt/Life boat/native.node"',
    ]);
  });

  it('refuses a relative runtime or script', () => {
    expect(() => systemdUnit({ ...spec, runtime: 'node' })).toThrow(/absolute/);
    expect(() => systemdUnit({ ...spec, script: 'out/cli/lifeboat.mjs' })).toThrow(/absolute/);
  });

  it('serviceCommand is runtime, script, then the arguments', () => {
    expect(serviceCommand(spec)).toEqual([spec.runtime, spec.script, ...spec.args]);
  });
});

describe('launchdPlist', () => {
  it('XML-escapes the five special characters', () => {
    expect(xmlEscape(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
    expect(xmlEscape('tab\tok')).toBe('tab\tok');
    expect(() => xmlEscape('a\u0001b')).toThrow(/control character/);
    expect(() => xmlEscape('a\nb')).toThrow(/control character/);
  });

  it('is the agent dev.lifeboat.daemon: arguments, environment, working directory, restart after a failure', () => {
    const plist = launchdPlist({
      ...spec,
      script: '/Users/ann/R&D <tools>/lifeboat.mjs',
      environment: { LIFEBOAT_HOME: "/Users/ann/Library/Application Support/Lifeboat's", PATH: '/opt/homebrew/bin:/usr/bin' },
      workingDirectory: '/Users/ann/Library/Application Support/Lifeboat',
      logFile: '/Users/ann/Library/Application Support/Lifeboat/daemon.log',
    });
    expect(plist.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist')).toBe(true);
    expect(plist).toContain('<key>Label</key>\n  <string>dev.lifeboat.daemon</string>');
    expect(plist).toContain(
      [
        '  <key>ProgramArguments</key>',
        '  <array>',
        '    <string>/opt/node 20/bin/node</string>',
        '    <string>/Users/ann/R&amp;D &lt;tools&gt;/lifeboat.mjs</string>',
        '    <string>daemon</string>',
        '    <string>--passphrase-file</string>',
        '    <string>/home/ann/.secrets/life boat 100%.pass</string>',
        '  </array>',
      ].join('\n'),
    );
    expect(plist).toContain('<key>LIFEBOAT_HOME</key>\n    <string>/Users/ann/Library/Application Support/Lifeboat&apos;s</string>');
    expect(plist).toContain('<key>PATH</key>\n    <string>/opt/homebrew/bin:/usr/bin</string>');
    expect(plist).toContain('<key>WorkingDirectory</key>\n  <string>/Users/ann/Library/Application Support/Lifeboat</string>');
    expect(plist).toContain('<key>RunAtLoad</key>\n  <true/>');
    expect(plist).toContain('<key>KeepAlive</key>\n  <dict>\n    <key>SuccessfulExit</key>\n    <false/>\n  </dict>');
    expect(plist).toContain('<key>ThrottleInterval</key>\n  <integer>10</integer>');
    expect(plist).toContain('<key>StandardErrorPath</key>\n  <string>/Users/ann/Library/Application Support/Lifeboat/daemon.log</string>');
    expect(plist.trimEnd().endsWith('</plist>')).toBe(true);
  });
});

describe('Windows: the logon task and its script', () => {
  const winSpec: ServiceSpec = {
    runtime: 'C:\\Program Files\\nodejs\\node.exe',
    script: 'C:\\Users\\Ann Lee\\lifeboat\\out\\cli\\lifeboat.mjs',
    args: ['daemon', '--passphrase-file', 'C:\\Users\\Ann Lee\\100% secret\\pass.txt'],
    environment: { LIFEBOAT_HOME: 'C:\\Users\\Ann Lee\\AppData\\Roaming\\Lifeboat 50%' },
    workingDirectory: 'C:\\Users\\Ann Lee\\AppData\\Roaming\\Lifeboat 50%',
    scope: 'user',
  };

  it('cmdWord: quoted, % doubled, trailing backslashes doubled; a double quote is refused', () => {
    expect(cmdWord('C:\\Program Files\\nodejs\\node.exe')).toBe('"C:\\Program Files\\nodejs\\node.exe"');
    expect(cmdWord('50%')).toBe('"50%%"');
    expect(cmdWord('C:\\')).toBe('"C:\\\\"');
    expect(cmdWord('a&b|c^d')).toBe('"a&b|c^d"');
    expect(() => cmdWord('say "x"')).toThrow(/double quote/);
  });

  it('the .cmd script sets the environment, changes folder and restarts the daemon 10 s after a failure', () => {
    expect(windowsDaemonScript(winSpec)).toBe(
      [
        '@echo off',
        'rem Written by `lifeboat service install`; remove it with `lifeboat service uninstall`.',
        'setlocal',
        'set "LIFEBOAT_HOME=C:\\Users\\Ann Lee\\AppData\\Roaming\\Lifeboat 50%%"',
        'cd /d "C:\\Users\\Ann Lee\\AppData\\Roaming\\Lifeboat 50%%"',
        ':run',
        '"C:\\Program Files\\nodejs\\node.exe" "C:\\Users\\Ann Lee\\lifeboat\\out\\cli\\lifeboat.mjs" "daemon" "--passphrase-file" "C:\\Users\\Ann Lee\\100%% secret\\pass.txt"',
        'if %ERRORLEVEL% equ 0 exit /b 0',
        'ping -n 11 127.0.0.1 >nul',
        'goto run',
        '',
      ].join('\r\n'),
    );
  });

  it('schtasks /Create: a logon task, unelevated, replacing an older one, /TR holding the quoted script path', () => {
    expect(schtasksCreateArgs('C:\\Users\\Ann Lee\\AppData\\Roaming\\Lifeboat\\lifeboat-daemon.cmd')).toEqual([
      '/Create',
      '/TN',
      'Lifeboat Daemon',
      '/SC',
      'ONLOGON',
      '/TR',
      '"C:\\Users\\Ann Lee\\AppData\\Roaming\\Lifeboat\\lifeboat-daemon.cmd"',
      '/RL',
      'LIMITED',
      '/F',
    ]);
    expect(() => schtasksCreateArgs(`C:\\${'x'.repeat(300)}\\lifeboat-daemon.cmd`)).toThrow(/too long for schtasks/);
    expect(() => schtasksCreateArgs('lifeboat-daemon.cmd')).toThrow(/absolute/);
  });

  it('windowsArg prints an argument as a Windows program parses it back (MSVCRT rules)', () => {
    expect(windowsArg('/Create')).toBe('/Create');
    expect(windowsArg('Lifeboat Daemon')).toBe('"Lifeboat Daemon"');
    expect(windowsArg('"C:\\a b\\x.cmd"')).toBe('"\\"C:\\a b\\x.cmd\\""');
    expect(windowsArg('C:\\a b\\')).toBe('"C:\\a b\\\\"');
    expect(windowsArg('a\\\\"b')).toBe('"a\\\\\\\\\\"b"');
    expect(windowsArg('')).toBe('""');
  });
});

describe('shellWord', () => {
  it('single-quotes what a POSIX shell would split or expand', () => {
    expect(shellWord('systemctl')).toBe('systemctl');
    expect(shellWord('/etc/systemd/system/lifeboat.service')).toBe('/etc/systemd/system/lifeboat.service');
    expect(shellWord('/home/ann/Life boat')).toBe("'/home/ann/Life boat'");
    expect(shellWord("it's $HOME")).toBe("'it'\\''s $HOME'");
  });
});
