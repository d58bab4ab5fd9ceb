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
    ],
  },
});
