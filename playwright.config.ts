import { defineConfig } from '@playwright/test';
import { chromiumPath } from './test/support/test-deps.mjs';

/**
 * Browser e2e: the built renderer (out/renderer, from `npx electron-vite build`) in Debian's
 * Chromium, bridged to the real main-process handler map (test/e2e/support/bridge.ts).
 * One worker: the machine has two cores and each test runs its own core and SQLite catalog.
 */
export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  // one message listing what this machine lacks (scripts/check-test-deps.mjs), not N launch errors
  globalSetup: './test/e2e/global-setup.ts',
  outputDir: 'test-results',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  reporter: 'list',
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1360, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: {
      // Playwright's own browser download is not available here: Debian's chromium (or LIFEBOAT_CHROMIUM)
      executablePath: chromiumPath(),
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
