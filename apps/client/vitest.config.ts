import { withSourceConditions } from '@tcpbalancer/test-kit/vitest-preset';
import { defineConfig } from 'vitest/config';

export default defineConfig(
  withSourceConditions({
    test: {
      // The end-to-end tests spawn real processes on a shared 2-core machine: generous bounds.
      testTimeout: 30_000,
      hookTimeout: 90_000,
    },
  }),
);
