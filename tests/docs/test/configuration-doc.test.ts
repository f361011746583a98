/**
 * docs/configuration.md's flag tables are generated from the programs' `--help`
 * (`npm run docs:configuration`); this keeps them equal: a flag added, renamed or given another
 * default or variable without regenerating the doc fails here.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type AppName,
  helpMarkdown,
  killAll,
  parseHelp,
  REPO_ROOT,
  runApp,
} from '@tcpbalancer/test-kit';
import { afterAll, describe, expect, it } from 'vitest';

afterAll(killAll);

/** A Markdown table with its cells trimmed: Biome aligns the columns, the content is what counts. */
function normalize(table: string): string[] {
  return table
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/^-{3,}$/, '---'))
        .join('|'),
    );
}

function generatedBlock(doc: string, app: AppName): string | undefined {
  const begin = `<!-- generated: tcpbalancer-${app} --help -->`;
  const end = `<!-- end generated: tcpbalancer-${app} -->`;
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  return a < 0 || b < a ? undefined : doc.slice(a + begin.length, b).trim();
}

describe('docs/configuration.md', () => {
  it.each(['proxy', 'backend', 'client'] as const)(
    'the %s table is what `--help` says (run `npm run docs:configuration` after changing a flag)',
    async (app) => {
      const doc = await readFile(path.join(REPO_ROOT, 'docs/configuration.md'), 'utf8');
      const run = await runApp(app, ['--help'], { inheritEnv: false, timeoutMs: 30_000 });
      expect(run.code, run.stderr).toBe(0);
      const rows = parseHelp(run.stdout);
      expect(rows.length, 'options parsed from --help').toBeGreaterThan(8);
      expect(rows.find((r) => r.flags.includes('--log-level'))?.env).toMatch(/^TCPB_/);
      expect(normalize(generatedBlock(doc, app) ?? '')).toEqual(normalize(helpMarkdown(rows)));
    },
  );
});
