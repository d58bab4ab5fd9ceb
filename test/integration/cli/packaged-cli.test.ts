/*
 * `lifeboat` of the installed app, in a miniature installation: /usr/bin/lifeboat -> the
 * alternatives link -> <resources>/bin/lifeboat (resources/cli/lifeboat), which runs the bundled
 * CLI from app.asar with the app's Electron as Node. Electron cannot run here, so a stand-in
 * `lifeboat` binary checks ELECTRON_RUN_AS_NODE=1 and runs node; app.asar is a link to this
 * checkout. And the deb scripts that make the /usr/bin link, rendered as electron-builder does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
const run = promisify(execFile);
const nativeBuild = path.join(repo, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');

let work: string;
let usrBinLifeboat: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-packaged-'));
  const app = path.join(work, 'opt', 'Lifeboat');
  const resources = path.join(app, 'resources');
  fs.mkdirSync(path.join(resources, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(resources, 'native'), { recursive: true });
  // the stand-in for the app's Electron binary: only as Node, and only for the bundled CLI
  fs.writeFileSync(
    path.join(app, 'lifeboat'),
    `#!/bin/sh\n[ "$ELECTRON_RUN_AS_NODE" = 1 ] || { echo "not run as node" >&2; exit 99; }\nexec '${process.execPath}' "$@"\n`,
    { mode: 0o755 },
  );
  fs.copyFileSync(path.join(repo, 'resources/cli/lifeboat'), path.join(resources, 'bin', 'lifeboat'));
  fs.chmodSync(path.join(resources, 'bin', 'lifeboat'), 0o755);
  fs.symlinkSync(repo, path.join(resources, 'app.asar'));
  fs.symlinkSync(nativeBuild, path.join(resources, 'native', 'better_sqlite3.node'));
  // /usr/bin/lifeboat -> /etc/alternatives/lifeboat -> <resources>/bin/lifeboat, as update-alternatives makes it
  fs.mkdirSync(path.join(work, 'etc', 'alternatives'), { recursive: true });
  fs.symlinkSync(path.join(resources, 'bin', 'lifeboat'), path.join(work, 'etc', 'alternatives', 'lifeboat'));
  fs.mkdirSync(path.join(work, 'usr', 'bin'), { recursive: true });
  usrBinLifeboat = path.join(work, 'usr', 'bin', 'lifeboat');
  fs.symlinkSync('../../etc/alternatives/lifeboat', usrBinLifeboat);
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, LIFEBOAT_HOME: path.join(work, 'data'), ...extra };
  delete e.NODE_OPTIONS;
  delete e.LIFEBOAT_NATIVE_BINDING;
  if (extra.LIFEBOAT_NATIVE_BINDING) e.LIFEBOAT_NATIVE_BINDING = extra.LIFEBOAT_NATIVE_BINDING;
  return e;
}

describe.skipIf(process.platform === 'win32')('the installed app\'s `lifeboat` launcher (resources/cli/lifeboat)', () => {
  it('follows the /usr/bin links to the app and runs the bundled CLI as Node', async () => {
    expect(fs.existsSync(path.join(repo, 'out/cli/lifeboat.mjs')), 'npm run build:cli first').toBe(true);
    const { stdout } = await run(usrBinLifeboat, ['--version'], { env: env() });
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('opens the catalog with the app\'s SQLite build (LIFEBOAT_NATIVE_BINDING), and fails without it', async () => {
    const { stdout } = await run(usrBinLifeboat, ['status', '--json'], { env: env() });
    expect(JSON.parse(stdout).dataDir).toBe(path.join(work, 'data'));
    const missing = path.join(work, 'opt', 'no-such-binding.node');
    await expect(run(usrBinLifeboat, ['list'], { env: env({ LIFEBOAT_NATIVE_BINDING: missing }) })).rejects.toMatchObject({ code: 1 });
  });
});

/** electron-builder's template rendering (FpmTarget writeConfigFile): ${name} from the options, an unknown one is an error. */
function render(template: string, options: Record<string, string>): string {
  return template.replace(/\${([a-zA-Z]+)}/g, (_m, name: string) => {
    if (!(name in options)) throw new Error(`Macro ${name} is not defined`);
    return options[name]!;
  });
}

describe('the deb scripts (resources/linux/*.tpl)', () => {
  const options = { executable: 'lifeboat', sanitizedProductName: 'Lifeboat', productFilename: 'Lifeboat' };

  it('after-install links /usr/bin/lifeboat to the command line, not the window', async () => {
    const script = render(fs.readFileSync(path.join(repo, 'resources/linux/after-install.tpl'), 'utf8'), options);
    expect(script).toContain("CLI='/opt/Lifeboat/resources/bin/lifeboat'");
    expect(script).toContain(`update-alternatives --install '/usr/bin/lifeboat' 'lifeboat' "$CLI" 100`);
    expect(script).toContain("chmod 0755 '/opt/Lifeboat/chrome-sandbox'");
    const file = path.join(work, 'after-install.sh');
    fs.writeFileSync(file, script);
    await run('bash', ['-n', file]);
  });

  it('after-remove removes that same alternative', async () => {
    const script = render(fs.readFileSync(path.join(repo, 'resources/linux/after-remove.tpl'), 'utf8'), options);
    expect(script).toContain("update-alternatives --remove 'lifeboat' '/opt/Lifeboat/resources/bin/lifeboat'");
    const file = path.join(work, 'after-remove.sh');
    fs.writeFileSync(file, script);
    await run('bash', ['-n', file]);
  });

  it('electron-builder.yml ships the launchers and uses these scripts', () => {
    const config = fs.readFileSync(path.join(repo, 'electron-builder.yml'), 'utf8');
    expect(config).toContain('afterInstall: resources/linux/after-install.tpl');
    expect(config).toContain('afterRemove: resources/linux/after-remove.tpl');
    expect(config).toMatch(/from: resources\/cli\/lifeboat\n\s+to: bin\/lifeboat/);
    expect(config).toMatch(/from: resources\/cli\/lifeboat\.cmd\n\s+to: bin\/lifeboat\.cmd/);
    expect(fs.statSync(path.join(repo, 'resources/cli/lifeboat')).mode & 0o111).not.toBe(0);
  });
});
