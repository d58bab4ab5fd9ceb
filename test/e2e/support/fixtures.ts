/**
 * Playwright fixtures for the browser e2e specs: per test a fresh data dir and a real core, a
 * page bridged to its handler map (see bridge.ts), and `baseURL` pointing at the built renderer
 * served once per worker. Tests seed the catalog through `core` and assert on it afterwards.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect } from '@playwright/test';
import { makeTestCore } from '../../support/temp-core';
import { installBridge } from './bridge';
import { startStaticServer } from './static-server';

export type TestCore = ReturnType<typeof makeTestCore>;

const RENDERER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../out/renderer');

export const test = base.extend<{ core: TestCore }, { rendererUrl: string }>({
  rendererUrl: [
    // the empty pattern is how Playwright reads "no dependencies"
    async ({}, use) => {
      const server = await startStaticServer(RENDERER_DIR);
      await use(server.url);
      await server.close();
    },
    { scope: 'worker' },
  ],

  core: async ({}, use) => {
    const core = makeTestCore();
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
