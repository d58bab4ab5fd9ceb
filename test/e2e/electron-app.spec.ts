/**
 * Smoke test of the real Electron app (main, preload, renderer together), where an Electron
 * binary exists. The browser specs cover the screens; this one proves the shell: the window
 * opens on our page, the preload bridge works end to end, and Node stays out of the renderer.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The binary `npm install` downloads; absent when installed with ELECTRON_SKIP_BINARY_DOWNLOAD. */
function electronBinary(): string | null {
  const pathFile = path.join(root, 'node_modules', 'electron', 'path.txt');
  if (!fs.existsSync(pathFile)) return null;
  const binary = path.join(root, 'node_modules', 'electron', 'dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(binary) ? binary : null;
}

const binary = electronBinary();
test.skip(!binary, 'Electron binary not installed here (ELECTRON_SKIP_BINARY_DOWNLOAD); this test runs where it exists');

/** window.lifeboat as the page sees it (this config has no DOM types) */
interface Bridge {
  lifeboat: { invoke(channel: string): Promise<unknown> };
}

let app: ElectronApplication | undefined;
let dataDir: string;

test.beforeAll(() => {
  // the app loads better-sqlite3 built for Electron; a no-op when already built (see the script)
  test.setTimeout(15 * 60_000);
  const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'electron-native.mjs')], { cwd: root, stdio: 'inherit' });
  expect(built.status, 'scripts/electron-native.mjs could not build the Electron SQLite binding').toBe(0);
});

test.beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-electron-'));
});

test.afterEach(async () => {
  await app?.close();
  app = undefined;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('the app window opens on the renderer, with the bridge and without Node', async () => {
  expect(fs.existsSync(path.join(root, 'out', 'main', 'index.js')), 'run `npx electron-vite build` first').toBe(true);
  app = await electron.launch({
    executablePath: binary!,
    // the app folder: Electron runs package.json's main, out/main/index.js
    args: [root, ...(process.platform === 'linux' ? ['--no-sandbox'] : [])],
    cwd: root,
    env: { ...process.env, LIFEBOAT_HOME: dataDir, LIFEBOAT_DISABLE_UPDATES: '1' } as Record<string, string>,
  });
  const page = await app.firstWindow();

  await expect(page).toHaveTitle('Lifeboat');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Plans' })).toBeVisible();

  // contextIsolation + sandbox: the page sees our API, and no Node at all
  const globals = await page.evaluate(() => ({
    api: typeof (globalThis as { lifeboat?: { invoke?: unknown } }).lifeboat?.invoke,
    require: typeof (globalThis as { require?: unknown }).require,
    process: typeof (globalThis as { process?: unknown }).process,
  }));
  expect(globals).toEqual({ api: 'function', require: 'undefined', process: 'undefined' });

  // a round trip through preload → ipcMain → dispatch → core, on the fresh data dir
  const info = await page.evaluate(() => (globalThis as unknown as Bridge).lifeboat.invoke('app/get-info'));
  expect(info).toMatchObject({ ok: true, value: { dataDir: path.resolve(dataDir), paused: false } });

  // a channel outside the contract is refused by the preload, not forwarded
  const unknown = await page.evaluate(() => (globalThis as unknown as Bridge).lifeboat.invoke('fs/read-file'));
  expect(unknown).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });

  // the catalog was created where LIFEBOAT_HOME points
  expect(fs.existsSync(path.join(dataDir, 'catalog.sqlite'))).toBe(true);
});
