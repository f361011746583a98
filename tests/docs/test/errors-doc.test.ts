/**
 * docs/errors.md lists every error code of every package: a code that appears in any package's
 * sources (its code table, its error classes) and not in the doc fails here, and so does a code
 * in the doc that no source has any more. The sources are read as text, so that a new package or
 * a code written as a literal is covered without registering it anywhere.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { listFiles, REPO_ROOT } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';

/** `'ERR_SOMETHING'` as a string literal (quotes of any kind). */
const CODE_LITERAL = /['"`](ERR_[A-Z0-9_]+)['"`]/g;
/** `ERR_SOMETHING` in backticks in the Markdown. */
const CODE_IN_DOC = /`(ERR_[A-Z0-9_]+)`/g;

async function sourceCodes(): Promise<Map<string, string[]>> {
  const where = new Map<string, string[]>();
  for (const root of ['packages', 'apps']) {
    const files = await listFiles(path.join(REPO_ROOT, root));
    for (const rel of files) {
      if (!/^[^/]+\/src\/.*\.ts$/.test(rel) || rel.endsWith('.test.ts')) continue;
      const text = await readFile(path.join(REPO_ROOT, root, rel), 'utf8');
      for (const m of text.matchAll(CODE_LITERAL)) {
        const code = m[1] as string;
        where.set(code, [...(where.get(code) ?? []), `${root}/${rel}`]);
      }
    }
  }
  return where;
}

describe('docs/errors.md', () => {
  it('lists every error code found in the packages’ sources, and no code that is gone', async () => {
    const doc = await readFile(path.join(REPO_ROOT, 'docs/errors.md'), 'utf8');
    const documented = new Set([...doc.matchAll(CODE_IN_DOC)].map((m) => m[1] as string));
    const inSources = await sourceCodes();
    expect(inSources.size, 'the scan found the code tables').toBeGreaterThan(40);
    const missing = [...inSources.keys()]
      .filter((c) => !documented.has(c))
      .map((c) => `${c} (${[...new Set(inSources.get(c))].join(', ')})`);
    expect(missing, 'codes to document in docs/errors.md').toEqual([]);
    const stale = [...documented].filter((c) => !inSources.has(c));
    expect(stale, 'codes in docs/errors.md that no source has').toEqual([]);
  });

  it('gives each documented code a meaning and what to do (a table row with four cells or more)', async () => {
    const doc = await readFile(path.join(REPO_ROOT, 'docs/errors.md'), 'utf8');
    const rows = doc.split('\n').filter((l) => /^\| `ERR_/.test(l));
    expect(rows.length).toBeGreaterThan(40);
    for (const row of rows) {
      const cells = row.split(' | ').map((c) => c.replace(/^\|\s*|\s*\|$/g, '').trim());
      expect(cells.length, row).toBeGreaterThanOrEqual(3);
      expect(
        cells.slice(1).every((c) => c.length > 0),
        row,
      ).toBe(true);
    }
  });
});
