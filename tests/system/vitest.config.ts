import { withSourceConditions } from '@tcpbalancer/test-kit/vitest-preset';
import { defineConfig } from 'vitest/config';

// System tests spawn real processes and bind real ports: one file at a time, one test at a
// time, with timeouts sized for a 2-core machine shared with other work.
export default defineConfig(
  withSourceConditions({
    test: {
      include: ['test/**/*.test.ts'],
      fileParallelism: false,
      pool: 'forks',
      testTimeout: 60_000,
      hookTimeout: 30_000,
      teardownTimeout: 15_000,
      reporters: ['default'],
    },
  }),
);
