/**
 * Monorepo hygiene that review would otherwise have to catch: one `engines` range, every
 * workspace package exporting its sources under the `source` condition (tests and type checks
 * read siblings' sources, not a stale dist), builds that do not, turbo hashing the base
 * tsconfig, and a `dev` script for each app.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';

interface Pkg {
  readonly dir: string;
  readonly json: {
    name: string;
    engines?: { node?: string };
    exports?: Record<string, Record<string, string>>;
    scripts?: Record<string, string>;
  };
}

const readJson = async (p: string) => JSON.parse(await readFile(path.join(REPO_ROOT, p), 'utf8'));
const root = await readJson('package.json');
const { readdirSync, existsSync } = await import('node:fs');
const workspaces: Pkg[] = [];
for (const group of ['packages', 'apps', 'tests']) {
  for (const name of readdirSync(path.join(REPO_ROOT, group))) {
    const dir = `${group}/${name}`;
    if (existsSync(path.join(REPO_ROOT, dir, 'package.json')))
      workspaces.push({ dir, json: await readJson(`${dir}/package.json`) });
  }
}

describe('monorepo hygiene', () => {
  it('one engines range: every package and app declares the root’s, tests that declare one too', () => {
    const range = root.engines?.node;
    expect(range).toMatch(/^>=20\./);
    for (const w of workspaces) {
      if (w.dir.startsWith('tests/') && !w.json.engines) continue;
      expect(w.json.engines?.node, `${w.dir}/package.json engines.node`).toBe(range);
    }
  });

  it('every package with exports offers its sources first under "source"', () => {
    for (const w of workspaces.filter((x) => x.json.exports)) {
      const dot = w.json.exports?.['.'] ?? {};
      expect(Object.keys(dot)[0], `${w.dir}: first condition of exports["."]`).toBe('source');
      expect(dot.source, w.dir).toBe('./src/index.ts');
    }
  });

  it('type checks resolve "source"; builds do not (they read siblings’ dist)', async () => {
    const base = await readJson('tsconfig.base.json');
    expect(base.compilerOptions.customConditions).toEqual(['source']);
    expect(base.compilerOptions.moduleResolution).toMatch(/^(NodeNext|Node16|Bundler)$/i);
    for (const w of workspaces) {
      const file = path.join(REPO_ROOT, w.dir, 'tsconfig.build.json');
      if (!existsSync(file)) continue;
      const build = await readJson(`${w.dir}/tsconfig.build.json`);
      expect(build.compilerOptions.customConditions, `${w.dir}/tsconfig.build.json`).toEqual([]);
    }
  });

  it('turbo hashes tsconfig.base.json, so that editing it rebuilds everything', async () => {
    const turbo = await readJson('turbo.json');
    expect(turbo.globalDependencies).toContain('tsconfig.base.json');
  });

  it('each app has a dev script (watch mode)', () => {
    for (const w of workspaces.filter((x) => x.dir.startsWith('apps/'))) {
      expect(w.json.scripts?.dev, `${w.dir} scripts.dev`).toMatch(/watch/);
    }
  });
});
