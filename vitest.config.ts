import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // one message listing what this machine lacks (scripts/check-test-deps.mjs), not N cluster errors
          globalSetup: ['test/integration/global-setup.ts'],
          // one PostgreSQL cluster per file; files run one at a time on a 2-core machine
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // the file-restore suites again, every plan replayed from the folder index (a large
          // tree's way, restore/plan-files.ts): their helpers read the variable (restore/support.ts)
          name: 'integration-replayed',
          include: ['test/integration/fidelity/folders.test.ts', 'test/integration/restore/{files,hardening-files,partial-reads}.test.ts'],
          environment: 'node',
          env: { LIFEBOAT_TEST_HELD_ITEMS: '0' },
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
