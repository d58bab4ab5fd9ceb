/*
 * The service files against the tools that read them: `systemd-analyze verify` (Debian package
 * `systemd`; works offline on a unit file, no running systemd needed) on generated units, and
 * Python's plistlib on a generated launchd plist. `lifeboat service install --dry-run` runs as a
 * real process through bin/lifeboat.mjs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { launchdPlist, systemdUnit, type ServiceSpec } from '../../../src/main/core/service/units';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const hasSystemdAnalyze = process.platform === 'linux' && has('systemd-analyze');
const hasPython = has('python3');

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-service-'));
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** `systemd-analyze verify` of `unit` saved as lifeboat.service in its own folder: exit code and what it printed. */
async function verifyUnit(unit: string, name: string): Promise<{ code: number; output: string }> {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'lifeboat.service');
  fs.writeFileSync(file, unit);
  try {
    const { stdout, stderr } = await run('systemd-analyze', ['verify', file], { env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** A node to run, and a CLI file, at paths with blanks, %, $ and quotes: what the quoting must get through. */
function awkwardSpec(scope: 'system' | 'user'): ServiceSpec {
  const binDir = path.join(work, 'node 20 (100%) $x');
  fs.mkdirSync(binDir, { recursive: true });
  const runtime = path.join(binDir, 'node');
  if (!fs.existsSync(runtime)) fs.symlinkSync(process.execPath, runtime);
  const cliDir = path.join(work, `my "apps" it's 5% $HOME`);
  fs.mkdirSync(cliDir, { recursive: true });
  const script = path.join(cliDir, 'lifeboat.mjs');
  fs.writeFileSync(script, '');
  const dataDir = path.join(work, 'data dir 100%');
  fs.mkdirSync(dataDir, { recursive: true });
  return {
    runtime,
    script,
    args: ['daemon', '--passphrase-file', path.join(work, 'pass word $1 "x" \\y')],
    environment: { LIFEBOAT_HOME: dataDir, LIFEBOAT_PG_BIN: '/usr/lib/postgresql/15/bin' },
    workingDirectory: dataDir,
    scope,
  };
}

describe.skipIf(!hasSystemdAnalyze)('systemd-analyze verify on generated units', () => {
  it('accepts a system unit whose program, script, environment and folder have blanks, %, $ and quotes', async () => {
    const result = await verifyUnit(systemdUnit(awkwardSpec('system')), 'system');
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('accepts the user unit', async () => {
    const result = await verifyUnit(systemdUnit(awkwardSpec('user')), 'user');
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('(control) rejects the same unit with the program path left unquoted, so the check has teeth', async () => {
    const spec = awkwardSpec('system');
    const naive = systemdUnit(spec).replace(/^ExecStart="[^"]*"/m, `ExecStart=${spec.runtime.replace(/%/g, '%%')}`);
    expect(naive).not.toBe(systemdUnit(spec));
    const result = await verifyUnit(naive, 'naive');
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/is not executable|No such file/);
  });

  it('accepts the unit `lifeboat service install --dry-run` prints, run as a real process', async () => {
    const home = path.join(work, 'dry run home');
    const config = path.join(work, 'dry run config');
    const { stdout } = await run(process.execPath, [path.join(repo, 'bin/lifeboat.mjs'), 'service', 'install', '--user', '--dry-run', '--json'], {
      env: { ...process.env, LIFEBOAT_HOME: home, XDG_CONFIG_HOME: config, LIFEBOAT_PASSPHRASE: 'not for the unit' },
    });
    const plan = JSON.parse(stdout);
    const unitPath = path.join(config, 'systemd', 'user', 'lifeboat.service');
    expect(plan).toMatchObject({ platform: 'linux', scope: 'user', path: unitPath, dryRun: true, installed: false, dataDir: home });
    expect(plan.command[0]).toBe(process.execPath);
    expect(plan.command.slice(2)).toEqual(['daemon']);
    expect(fs.existsSync(plan.command[1])).toBe(true);
    // a dry run writes nothing
    expect(fs.existsSync(config)).toBe(false);
    expect(fs.existsSync(home)).toBe(false);
    const unit: string = plan.files[0].content;
    expect(unit).toContain(`Environment="LIFEBOAT_HOME=${home}"`);
    expect(unit).not.toContain('not for the unit');
    const result = await verifyUnit(unit, 'dry-run');
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('lifeboat service install --dry-run (a real process)', () => {
  it('prints the unit and the commands in text, exit 0, and writes nothing', async () => {
    const home = path.join(work, 'text home');
    const config = path.join(work, 'text config');
    const pass = path.join(work, 'text pass');
    fs.writeFileSync(pass, 'a passphrase for the daemon\n', { mode: 0o600 });
    const { stdout } = await run(process.execPath, [path.join(repo, 'bin/lifeboat.mjs'), 'service', 'install', '--user', '--dry-run', '--passphrase-file', pass], {
      env: { ...process.env, LIFEBOAT_HOME: home, XDG_CONFIG_HOME: config },
    });
    expect(stdout).toContain(`Would write ${path.join(config, 'systemd', 'user', 'lifeboat.service')} (mode 0644):`);
    expect(stdout).toMatch(/^ExecStart=\S+ \S+ daemon --passphrase-file "\/.*text pass"$/m);
    expect(stdout).toContain('Restart=on-failure\nRestartSec=10');
    expect(stdout).toContain('Would run:\n  systemctl --user daemon-reload\n  systemctl --user enable --now lifeboat.service');
    expect(stdout).not.toContain('a passphrase for the daemon');
    expect(fs.existsSync(config)).toBe(false);
  });
});

describe.skipIf(!hasPython)('launchd plist', () => {
  it('reads back through plistlib with every awkward character intact', async () => {
    const spec: ServiceSpec = {
      runtime: '/usr/local/bin/node',
      script: `/Users/ann/R&D <"tools"> it's/lifeboat.mjs`,
      args: ['daemon', '--passphrase-file', '/Users/ann/pass & "word"'],
      environment: { LIFEBOAT_HOME: '/Users/ann/Library/Application Support/Lifeboat <1>', PATH: '/opt/homebrew/bin:/usr/bin' },
      workingDirectory: '/Users/ann/Library/Application Support/Lifeboat <1>',
      scope: 'user',
      logFile: '/Users/ann/Library/Application Support/Lifeboat <1>/daemon.log',
    };
    const file = path.join(work, 'dev.lifeboat.daemon.plist');
    fs.writeFileSync(file, launchdPlist(spec));
    const { stdout } = await run('python3', ['-c', 'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))', file]);
    expect(JSON.parse(stdout)).toEqual({
      Label: 'dev.lifeboat.daemon',
      ProgramArguments: [spec.runtime, spec.script, ...spec.args],
      EnvironmentVariables: spec.environment,
      WorkingDirectory: spec.workingDirectory,
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 10,
      ProcessType: 'Background',
      StandardOutPath: spec.logFile,
      StandardErrorPath: spec.logFile,
    });
  });
});
