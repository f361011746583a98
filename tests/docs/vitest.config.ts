import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Sibling workspaces from their sources (the `source` export condition), not a stale dist;
  // tests run in Vite's server environment, whose default conditions follow 'source'.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
