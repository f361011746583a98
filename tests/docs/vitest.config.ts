import { withSourceConditions } from '@tcpbalancer/test-kit/vitest-preset';
import { defineConfig } from 'vitest/config';

export default defineConfig(
  withSourceConditions({
    test: {
      include: ['test/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 30_000,
    },
  }),
);
