/**
 * docs/configuration.md's flag tables are generated from each program's CLI definition
 * (`npm run docs:configuration`: `optionsMarkdown(createCli())`). This keeps them equal twice
 * over: the tables in the doc are what the definitions generate now, and the definitions are
 * what the built program's `--help` prints (flags in order, variables, defaults, descriptions).
 * A flag added, renamed or given another default or variable without regenerating fails here.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createCli as backendCli } from '@tcpbalancer/backend';
import { optionRows, optionsMarkdown } from '@tcpbalancer/cli';
import { createCli as clientCli } from '@tcpbalancer/client';
import { createCli as proxyCli } from '@tcpbalancer/proxy';
import { killAll, parseHelp, REPO_ROOT, runApp } from '@tcpbalancer/test-kit';
import { afterAll, describe, expect, it } from 'vitest';

afterAll(killAll);

const CLIS = { proxy: proxyCli, backend: backendCli, client: clientCli } as const;
type App = keyof typeof CLIS;

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

function generatedBlock(doc: string, app: App): string {
  const begin = `<!-- generated: tcpbalancer-${app} --help -->`;
  const end = `<!-- end generated: tcpbalancer-${app} -->`;
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  return a < 0 || b < a ? '' : doc.slice(a + begin.length, b);
}

/** `"0.0.0.0"` as --help shows a string default, `false` for an off switch: both as the table has them. */
const plainDefault = (d: string | undefined) =>
  d === undefined || d === '' || d === 'false' ? '' : d.replace(/^"(.*)"$/, '$1');
const words = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('docs/configuration.md', () => {
  it.each(Object.keys(CLIS) as App[])(
    'the %s table is what its CLI definition generates (run `npm run docs:configuration` after changing a flag)',
    async (app) => {
      const doc = await readFile(path.join(REPO_ROOT, 'docs/configuration.md'), 'utf8');
      expect(normalize(generatedBlock(doc, app))).toEqual(normalize(optionsMarkdown(CLIS[app]())));
    },
  );

  it.each(Object.keys(CLIS) as App[])(
    'the %s definition is what the built program prints with --help',
    async (app) => {
      const run = await runApp(app, ['--help'], { inheritEnv: false, timeoutMs: 30_000 });
      expect(run.code, run.stderr).toBe(0);
      const help = parseHelp(run.stdout);
      const rows = optionRows(CLIS[app]());
      expect(help.length, 'options parsed from --help').toBeGreaterThan(8);
      expect(help.map((h) => h.flags)).toEqual(rows.map((r) => r.flags));
      for (const [i, r] of rows.entries()) {
        const h = help[i];
        expect(h?.env || undefined, `${r.flags}: env`).toBe(r.env);
        expect(plainDefault(h?.defaultValue), `${r.flags}: default`).toBe(plainDefault(r.default));
        expect(words(h?.description ?? ''), `${r.flags}: description`).toBe(words(r.description));
      }
    },
  );
});
