import { withSourceConditions } from '@tcpbalancer/test-kit/vitest-preset';
import { defineConfig } from 'vitest/config';

export default defineConfig(
  withSourceConditions({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 15_000,
      // Real sockets and child processes: files in parallel on 2 cores is fine, tests within a file run in order.
      fileParallelism: true,
    },
  }),
);
