import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Sibling workspaces from their sources (the `source` export condition), not a stale dist;
  // tests run in Vite's server environment, whose default conditions follow 'source'.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } },
  test: {
    // The end-to-end tests spawn real processes on a shared 2-core machine: generous bounds.
    testTimeout: 30_000,
    hookTimeout: 90_000,
  },
});
