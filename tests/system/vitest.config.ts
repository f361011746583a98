import { defineConfig } from 'vitest/config';

// System tests spawn real processes and bind real ports: one file at a time, one test at a
// time, with timeouts sized for a 2-core machine shared with other work.
export default defineConfig({
  // Sibling workspaces from their sources (the `source` export condition), not a stale dist;
  // tests run in Vite's server environment, whose default conditions follow 'source'.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 30_000,
    teardownTimeout: 15_000,
    reporters: ['default'],
  },
});
