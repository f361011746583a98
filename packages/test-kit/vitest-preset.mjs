// The vitest settings every workspace shares. Plain JavaScript so that a vitest.config.ts can
// load it before anything is built.
//
// Sibling workspaces resolve from their sources (the `source` export condition), not from a
// stale dist; tests run in Vite's server environment, whose default conditions follow 'source'.

/** @param {import('vitest/config').UserConfig} config */
export function withSourceConditions(config) {
  return {
    ...config,
    resolve: { ...config.resolve, conditions: ['source'] },
    ssr: {
      ...config.ssr,
      resolve: { conditions: ['source', 'module', 'node', 'development|production'] },
    },
  };
}
