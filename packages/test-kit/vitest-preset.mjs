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

/**
 * A workspace whose tests sit in `src/**` and `test/**` and talk to real sockets and processes:
 * 30 s per test, 15 s per hook (a loaded 2-core machine), the source conditions, and `test`
 * settings of its own over those.
 *
 * @param {import('vitest/config').UserConfig['test']} [test]
 */
export function workspaceTests(test = {}) {
  return withSourceConditions({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 15_000,
      ...test,
    },
  });
}
