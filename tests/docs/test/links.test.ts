/**
 * Every relative link in the root README, CHANGELOG.md and docs/*.md points at a file that
 * exists (anchors are not checked): moving a topic between files must not leave dead links.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';

const docs = readdirSync(path.join(REPO_ROOT, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/${f}`);
const files = ['README.md', 'CHANGELOG.md', ...docs];

describe('relative links in the docs', () => {
  it.each(files)('%s links only to files that exist', (file) => {
    const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
    const dead: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = (m[1] as string).split('#')[0] as string;
      if (target === '' || /^[a-z]+:/.test(target)) continue; // an anchor, or http:, mailto:
      if (!existsSync(path.resolve(REPO_ROOT, path.dirname(file), target))) dead.push(target);
    }
    expect(dead).toEqual([]);
  });
});
