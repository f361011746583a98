import { defineConfig } from 'vitest/config';

// Real containers on a real engine: one file at a time, one test at a time, timeouts sized for
// cold image builds on a 2-core machine shared with other work. The engine check (and the
// clear skip, or the failure under CI=true) is in global-setup.ts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 240_000,
    hookTimeout: 600_000,
    teardownTimeout: 120_000,
    reporters: ['default'],
  },
});
