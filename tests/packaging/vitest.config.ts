import { defineConfig } from 'vitest/config';

// One file, run once: it packs, installs and type-checks — slow on a shared 2-core machine, so
// the timeouts are generous; nothing here is a timing assertion.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 300_000,
  },
});
