import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import {
  currentDaemonLauncher,
  registerServiceCommand,
  type CommandResult,
  type DaemonLauncher,
  type ServiceHost,
} from '../../../src/main/cli/service';

let work: string;

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat service '));
});
afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

interface FakeHost extends ServiceHost {
  calls: string[][];
}

/** A machine with systemd (or launchd, schtasks) whose commands are recorded and answered by `answer`. */
function fakeHost(overrides: Partial<ServiceHost> = {}, answer: (argv: string[]) => Partial<CommandResult> = () => ({})): FakeHost {
  const calls: string[][] = [];
  return {
    platform: 'linux',
    uid: 1000,
    homeDir: path.join(work, 'home'),
    systemUnitDir: path.join(work, 'etc-systemd-system'),
    systemdRunning: () => true,
    run: async (command, args) => {
      calls.push([command, ...args]);
      return { code: 0, stdout: '', stderr: '', ...answer([command, ...args]) };
    },
    calls,
    ...overrides,
  };
}

const launcher: DaemonLauncher = { runtime: '/usr/bin/node', script: '/opt/life boat/out/cli/lifeboat.mjs', environment: {}, notes: [] };

/** Runs `lifeboat service ...` against the fake host; resolves with the exit code and output. */
async function service(args: string[], host: ServiceHost, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: { LIFEBOAT_HOME: path.join(work, 'data dir'), ...env } };
  const program = new Command('lifeboat').exitOverride();
  registerServiceCommand(program, io, (c) => (code = c), host, () => launcher);
  await program.parseAsync(['service', ...args], { from: 'user' });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function writePassphrase(mode: number): string {
  const file = path.join(work, 'pass phrase');
  fs.writeFileSync(file, 'correct horse battery\n', { mode });
  fs.chmodSync(file, mode);
  return file;
}

describe('lifeboat service install (Linux, systemd)', () => {
  it('--user writes the unit under XDG_CONFIG_HOME, creates the data folder private, reloads and enables it', async () => {
    const host = fakeHost();
    const pass = writePassphrase(0o600);
    const r = await service(['install', '--user', '--passphrase-file', pass], host, { XDG_CONFIG_HOME: path.join(work, 'config'), LIFEBOAT_PASSPHRASE: 'never in the unit' });
    expect(r.code).toBe(0);
    const unitPath = path.join(work, 'config', 'systemd', 'user', 'lifeboat.service');
    const unit = fs.readFileSync(unitPath, 'utf8');
    expect(fs.statSync(unitPath).mode & 0o777).toBe(0o644);
    expect(unit).toContain(`ExecStart=/usr/bin/node "/opt/life boat/out/cli/lifeboat.mjs" daemon --passphrase-file "${pass}"`);
    expect(unit).toContain(`Environment="LIFEBOAT_HOME=${path.join(work, 'data dir')}"`);
    expect(unit).toContain(`WorkingDirectory=${path.join(work, 'data dir')}`);
    expect(unit).not.toContain('correct horse');
    expect(unit).not.toContain('never in the unit');
    expect(fs.statSync(path.join(work, 'data dir')).mode & 0o777).toBe(0o700);
    expect(host.calls).toEqual([
      ['systemctl', '--user', 'daemon-reload'],
      ['systemctl', '--user', 'enable', '--now', 'lifeboat.service'],
    ]);
    expect(r.out).toContain(`Installed the Lifeboat daemon as a systemd user service: ${unitPath}`);
    expect(r.out).toContain('loginctl enable-linger');
  });

  it('a system unit as root goes to the system unit folder and uses systemctl without --user', async () => {
    const host = fakeHost({ uid: 0 });
    const r = await service(['install'], host);
    expect(r.code).toBe(0);
    const unit = fs.readFileSync(path.join(work, 'etc-systemd-system', 'lifeboat.service'), 'utf8');
    expect(unit).toContain('WantedBy=multi-user.target');
    expect(unit).toContain('ProtectSystem=full');
    expect(host.calls).toEqual([
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', 'lifeboat.service'],
    ]);
    // installed again: the running daemon is restarted onto the new unit
    const again = fakeHost({ uid: 0 });
    expect((await service(['install'], again)).code).toBe(0);
    expect(again.calls.at(-1)).toEqual(['systemctl', 'restart', 'lifeboat.service']);
  });

  it('a system unit without root writes and runs nothing: exit 1 and the exact steps to do as root', async () => {
    const host = fakeHost({ uid: 1000 });
    const r = await service(['install'], host);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/needs root: run this command again with sudo, or add --user/);
    expect(r.out).toContain(`Write ${path.join(work, 'etc-systemd-system', 'lifeboat.service')} (mode 0644):`);
    expect(r.out).toContain('[Service]');
    expect(r.out).toContain('Then run:\n  systemctl daemon-reload\n  systemctl enable --now lifeboat.service');
    expect(host.calls).toEqual([]);
    expect(fs.existsSync(path.join(work, 'etc-systemd-system'))).toBe(false);
  });

  it('without systemd it says so and prints the unit and command line instead (exit 1)', async () => {
    const host = fakeHost({ systemdRunning: () => false });
    const r = await service(['install', '--user'], host, { XDG_CONFIG_HOME: path.join(work, 'config') });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/systemd is not running on this machine/);
    expect(r.out).toContain('ExecStart=/usr/bin/node');
    expect(host.calls).toEqual([]);
    expect(fs.existsSync(path.join(work, 'config'))).toBe(false);
  });

  it('--dry-run prints the unit and the commands, and writes and runs nothing (exit 0)', async () => {
    const host = fakeHost({ uid: 0 });
    const r = await service(['install', '--dry-run'], host);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Would write ${path.join(work, 'etc-systemd-system', 'lifeboat.service')} (mode 0644):`);
    expect(r.out).toContain('Restart=on-failure');
    expect(r.out).toContain('Would run:\n  systemctl daemon-reload\n  systemctl enable --now lifeboat.service');
    expect(host.calls).toEqual([]);
    expect(fs.existsSync(path.join(work, 'etc-systemd-system'))).toBe(false);
    expect(fs.existsSync(path.join(work, 'data dir'))).toBe(false);
  });

  it('--dry-run --json gives the files and the commands', async () => {
    const r = await service(['install', '--user', '--dry-run', '--json'], fakeHost(), { XDG_CONFIG_HOME: path.join(work, 'config') });
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({
      platform: 'linux',
      scope: 'user',
      dryRun: true,
      command: ['/usr/bin/node', '/opt/life boat/out/cli/lifeboat.mjs', 'daemon'],
      commands: [
        ['systemctl', '--user', 'daemon-reload'],
        ['systemctl', '--user', 'enable', '--now', 'lifeboat.service'],
      ],
    });
    expect(json.files[0]).toMatchObject({ path: path.join(work, 'config', 'systemd', 'user', 'lifeboat.service'), mode: '0644' });
  });

  it('refuses a passphrase file other users can read, before writing anything', async () => {
    const host = fakeHost({ uid: 0 });
    const pass = writePassphrase(0o644);
    await expect(service(['install', '--passphrase-file', pass], host)).rejects.toMatchObject({ code: 'PASSPHRASE_FILE_UNSAFE' });
    await expect(service(['install', '--passphrase-file', path.join(work, 'missing')], host)).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(host.calls).toEqual([]);
    expect(fs.existsSync(path.join(work, 'etc-systemd-system'))).toBe(false);
  });

  it('a failing systemctl is exit 1 naming the command and its output', async () => {
    const host = fakeHost({ uid: 0 }, (argv) => (argv.includes('enable') ? { code: 1, stderr: 'Failed to enable unit: Access denied' } : {}));
    const r = await service(['install'], host);
    expect(r.code).toBe(1);
    expect(r.err).toContain('`systemctl enable --now lifeboat.service` failed (exit 1): Failed to enable unit: Access denied');
  });
});

describe('lifeboat service uninstall and status (Linux)', () => {
  it('uninstall disables and stops it, removes the unit, then reloads systemd', async () => {
    const host = fakeHost({ uid: 0 });
    await service(['install'], host);
    const unitPath = path.join(work, 'etc-systemd-system', 'lifeboat.service');
    const seen: boolean[] = [];
    const recording = fakeHost({ uid: 0 }, () => {
      seen.push(fs.existsSync(unitPath));
      return {};
    });
    const r = await service(['uninstall'], recording);
    expect(r.code).toBe(0);
    expect(recording.calls).toEqual([
      ['systemctl', 'disable', '--now', 'lifeboat.service'],
      ['systemctl', 'daemon-reload'],
    ]);
    // the unit is still there for `disable`, gone by `daemon-reload`
    expect(seen).toEqual([true, false]);
    expect(r.out).toContain('Removed the Lifeboat daemon service');
    expect(fs.existsSync(path.join(work, 'data dir'))).toBe(true);
    expect((await service(['uninstall'], recording)).out).toContain('is not installed here');
  });

  it('status reports installed, is-enabled and is-active, exit 0 only when active', async () => {
    const host = fakeHost({ uid: 0 });
    await service(['install'], host);
    const active = fakeHost({ uid: 0 }, (argv) => ({ stdout: argv.includes('is-enabled') ? 'enabled\n' : 'active\n' }));
    const r = await service(['status', '--json'], active);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      platform: 'linux',
      scope: 'system',
      path: path.join(work, 'etc-systemd-system', 'lifeboat.service'),
      installed: true,
      enabled: 'enabled',
      active: 'active',
      running: true,
    });
    expect(active.calls).toEqual([
      ['systemctl', 'is-enabled', 'lifeboat.service'],
      ['systemctl', 'is-active', 'lifeboat.service'],
    ]);
    const failed = fakeHost({ uid: 0 }, (argv) => ({ code: 3, stdout: argv.includes('is-enabled') ? 'enabled\n' : 'failed\n' }));
    const text = await service(['status'], failed);
    expect(text.code).toBe(1);
    expect(text.out).toContain('installed: yes');
    expect(text.out).toContain('active:    failed');
  });
});

describe('lifeboat service on macOS and Windows', () => {
  it('macOS: a LaunchAgents plist, bootstrapped into gui/<uid>', async () => {
    const host = fakeHost({ platform: 'darwin', uid: 501 });
    const r = await service(['install'], host, { PATH: '/opt/homebrew/bin:/usr/bin' });
    expect(r.code).toBe(0);
    const plistPath = path.join(work, 'home', 'Library', 'LaunchAgents', 'dev.lifeboat.daemon.plist');
    const plist = fs.readFileSync(plistPath, 'utf8');
    expect(plist).toContain('<string>/opt/life boat/out/cli/lifeboat.mjs</string>');
    expect(plist).toContain('<key>PATH</key>\n    <string>/opt/homebrew/bin:/usr/bin</string>');
    expect(host.calls).toEqual([
      ['launchctl', 'bootout', 'gui/501/dev.lifeboat.daemon'],
      ['launchctl', 'enable', 'gui/501/dev.lifeboat.daemon'],
      ['launchctl', 'bootstrap', 'gui/501', plistPath],
    ]);
    const status = fakeHost({ platform: 'darwin', uid: 501 }, () => ({ stdout: 'gui/501/dev.lifeboat.daemon = {\n\tactive count = 1\n\tstate = running\n' }));
    expect(JSON.parse((await service(['status', '--json'], status)).out)).toMatchObject({ installed: true, enabled: 'loaded', active: 'running', running: true });
    const removed = await service(['uninstall'], host);
    expect(removed.code).toBe(0);
    expect(fs.existsSync(plistPath)).toBe(false);
  });

  it('Windows: a .cmd script in the data folder and a logon task; a refused schtasks prints the way by hand', async () => {
    const host = fakeHost({ platform: 'win32', uid: null }, (argv) => (argv[1] === '/Create' ? { code: 1, stderr: 'ERROR: Access is denied.' } : {}));
    const r = await service(['install'], host);
    expect(r.code).toBe(1);
    const script = path.join(work, 'data dir', 'lifeboat-daemon.cmd');
    expect(fs.readFileSync(script, 'utf8')).toContain('"/usr/bin/node" "/opt/life boat/out/cli/lifeboat.mjs" "daemon"');
    expect(host.calls[0]).toEqual(['schtasks', '/Create', '/TN', 'Lifeboat Daemon', '/SC', 'ONLOGON', '/TR', `"${script}"`, '/RL', 'LIMITED', '/F']);
    expect(r.err).toContain('ERROR: Access is denied.');
    expect(r.err).toMatch(/Run as administrator.*shell:startup/s);
    expect(r.out).toContain(`schtasks /Create /TN "Lifeboat Daemon" /SC ONLOGON /TR "\\"${script}\\"" /RL LIMITED /F`);
  });
});

describe('currentDaemonLauncher', () => {
  it('runs the bundle it is part of, with node', () => {
    const bundle = path.join(work, 'out', 'cli', 'lifeboat.mjs');
    expect(currentDaemonLauncher({}, pathToFileURL(bundle).href)).toMatchObject({ runtime: process.execPath, script: bundle, environment: {} });
  });

  it('from the TypeScript sources, runs bin/lifeboat.mjs of the checkout', () => {
    const launcherFromSource = currentDaemonLauncher({}, pathToFileURL(path.join(work, 'src', 'main', 'cli', 'service.ts')).href);
    expect(launcherFromSource.script).toBe(path.join(work, 'bin', 'lifeboat.mjs'));
    expect(launcherFromSource.notes.join(' ')).toMatch(/development checkout/);
  });
});
