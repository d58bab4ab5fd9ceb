/**
 * Playwright fixtures for the browser e2e specs: per test a fresh data dir and a real core, a
 * page bridged to its handler map (see bridge.ts), and `baseURL` pointing at the built renderer
 * served once per worker. Tests seed the catalog through `core` and assert on it afterwards.
 *
 * The core runs its scheduler, as the desktop app does from start-up. Its desktop notifications
 * go to `desktopNotifications`: the OS notification center is the one thing a browser test cannot
 * have, so the Notifier is the one fake here.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect } from '@playwright/test';
import type { Notifier } from '../../../src/main/core/ports';
import type { PickPathKind } from '../../../src/shared/ipc-contract';
import { makeTestCore } from '../../support/temp-core';
import { installBridge } from './bridge';
import { startStaticServer } from './static-server';

export type TestCore = ReturnType<typeof makeTestCore>;
/** What the fake OS open dialog answers to a Browse button: a folder, a backup file or a key file. */
export const PICKED_FOLDER = '/srv/picked/folder';
export const PICKED_BACKUP_FILE = '/srv/picked/nightly.lifeboat';
export const PICKED_KEY_FILE = '/srv/picked/.ssh/id_ed25519';
const PICKED: Record<PickPathKind, string> = { folder: PICKED_FOLDER, 'backup-file': PICKED_BACKUP_FILE, 'key-file': PICKED_KEY_FILE };
/** A desktop notification as core asked the OS to show it. */
export type DesktopNotification = Parameters<Notifier['notify']>[0];

// LIFEBOAT_E2E_RENDERER_DIR: a renderer built elsewhere (`electron-vite build --outDir …`)
const RENDERER_DIR =
  process.env.LIFEBOAT_E2E_RENDERER_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../out/renderer');

export const test = base.extend<
  { core: TestCore; desktopNotifications: DesktopNotification[]; pendingOpenFiles: string[] },
  { rendererUrl: string }
>({
  rendererUrl: [
    // the empty pattern is how Playwright reads "no dependencies"
    async ({}, use) => {
      const server = await startStaticServer(RENDERER_DIR);
      await use(server.url);
      await server.close();
    },
    { scope: 'worker' },
  ],

  desktopNotifications: async ({}, use) => {
    await use([]);
  },

  // the .lifeboat files the shell would hold as opened from the command line or the file
  // manager: 'app/take-pending-file' takes them, first in first out
  pendingOpenFiles: async ({}, use) => {
    await use([]);
  },

  core: async ({ desktopNotifications, pendingOpenFiles }, use) => {
    const core = makeTestCore({
      notifier: { notify: (message) => void desktopNotifications.push(message) },
      pendingOpenFile: () => pendingOpenFiles.shift() ?? null,
      // the OS open dialog: a browser has none, so Browse answers as if the user picked these
      pathPicker: { pick: async ({ kind }) => PICKED[kind] },
    });
    core.scheduler.start();
    await use(core);
    await core.cleanup();
  },

  baseURL: async ({ rendererUrl }, use) => {
    await use(rendererUrl);
  },

  page: async ({ page, core }, use) => {
    const detach = await installBridge(page, core);
    await use(page);
    // before the core closes (core is torn down after this fixture, which depends on it)
    await detach();
  },
});

export { expect };
