import { workspaceTests } from '@tcpbalancer/test-kit/vitest-preset';
import { defineConfig } from 'vitest/config';

export default defineConfig(
  // Real sockets and child processes: files in parallel on 2 cores is fine, tests within a file run in order.
  workspaceTests({ fileParallelism: true }),
);
