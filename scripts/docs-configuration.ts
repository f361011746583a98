// Regenerates the flag tables of docs/configuration.md from each program's own `--help`
// (between the `<!-- generated: … -->` markers; the prose around them is kept).
//
//   npm run docs:configuration
//
// tests/docs fails when the tables and `--help` disagree: run this after changing a flag.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AppName, helpMarkdown, parseHelp, REPO_ROOT, runApp } from '@tcpbalancer/test-kit';

const DOC = join(REPO_ROOT, 'docs/configuration.md');
const APPS: readonly AppName[] = ['proxy', 'backend', 'client'];

let doc = readFileSync(DOC, 'utf8');
for (const app of APPS) {
  const run = await runApp(app, ['--help'], { inheritEnv: false, timeoutMs: 30_000 });
  if (run.code !== 0) throw new Error(`${app} --help exited ${run.code}: ${run.stderr}`);
  const begin = `<!-- generated: tcpbalancer-${app} --help -->`;
  const end = `<!-- end generated: tcpbalancer-${app} -->`;
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`docs/configuration.md has no ${begin} … ${end} block`);
  doc = `${doc.slice(0, a + begin.length)}\n\n${helpMarkdown(parseHelp(run.stdout))}\n\n${doc.slice(b)}`;
}
writeFileSync(DOC, doc);
// the tree's formatter aligns the columns (the test compares cell by cell)
execFileSync('npx', ['biome', 'format', '--write', DOC], { cwd: REPO_ROOT, stdio: 'inherit' });
console.log(`wrote ${DOC}`);
