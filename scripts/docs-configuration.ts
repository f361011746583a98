// Regenerates the flag tables of docs/configuration.md from each program's CLI definition
// (`optionsMarkdown(createCli())`, the same definition `--help` prints), between the
// `<!-- generated: … -->` markers; the prose around them is kept.
//
//   npm run docs:configuration
//
// tests/docs fails when the tables and the programs' `--help` disagree: run this after
// changing a flag.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCli as backendCli } from '@tcpbalancer/backend';
import { optionsMarkdown } from '@tcpbalancer/cli';
import { createCli as clientCli } from '@tcpbalancer/client';
import { createCli as proxyCli } from '@tcpbalancer/proxy';
import { REPO_ROOT } from '@tcpbalancer/test-kit';

const DOC = join(REPO_ROOT, 'docs/configuration.md');
const CLIS = { proxy: proxyCli, backend: backendCli, client: clientCli } as const;

let doc = readFileSync(DOC, 'utf8');
for (const [app, createCli] of Object.entries(CLIS)) {
  const begin = `<!-- generated: tcpbalancer-${app} --help -->`;
  const end = `<!-- end generated: tcpbalancer-${app} -->`;
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`docs/configuration.md has no ${begin} … ${end} block`);
  const table = optionsMarkdown(createCli()).trimEnd();
  doc = `${doc.slice(0, a + begin.length)}\n\n${table}\n\n${doc.slice(b)}`;
}
writeFileSync(DOC, doc);
// the tree's formatter aligns the columns (the test compares cell by cell)
execFileSync('npx', ['biome', 'format', '--write', DOC], { cwd: REPO_ROOT, stdio: 'inherit' });
console.log(`wrote ${DOC}`);
