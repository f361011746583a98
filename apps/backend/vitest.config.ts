import { workspaceTests } from '@tcpbalancer/test-kit/vitest-preset';
import { defineConfig } from 'vitest/config';

export default defineConfig(
  workspaceTests({
    // Kills what each file spawned when it ends (test/setup.ts).
    setupFiles: ['test/setup.ts'],
    hookTimeout: 30_000,
    // Each file spawns its own backend; two cores: run files one after another.
    fileParallelism: false,
  }),
);
