/**
 * The root README's examples run as written. A fenced block whose opening line is preceded by
 * `<!-- runnable -->` is extracted and run: `ts` blocks with tsx from a file inside the
 * repository (so that `@tcpbalancer/*` imports resolve as a user's would, through the packages'
 * exports), `sh` blocks with bash -euo pipefail in the repository root. Each must exit 0 within
 * a minute; a `// …` comment after a console.log states what it must print.
 */

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eachLine, REPO_ROOT } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';

interface Example {
  readonly lang: string;
  readonly code: string;
  /** 1-based line of the opening fence in README.md. */
  readonly line: number;
}

const MARKER = '<!-- runnable -->';

/** Every fenced block right after a `<!-- runnable -->` line. */
export function runnableBlocks(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== MARKER) continue;
    const fence = /^```(\w+)/.exec(lines[i + 1] ?? '');
    if (!fence) throw new Error(`README.md:${i + 1}: ${MARKER} is not followed by a fenced block`);
    const end = lines.findIndex((l, j) => j > i + 1 && l.startsWith('```'));
    out.push({ lang: fence[1] as string, code: lines.slice(i + 2, end).join('\n'), line: i + 2 });
    i = end;
  }
  return out;
}

/** What the block's `console.log(…); // expected` comments say it prints, in order. */
function expectedOutput(code: string): string[] {
  return [...code.matchAll(/console\.log\(.*\);\s*\/\/\s*(.+)$/gm)].map((m) =>
    (m[1] as string).trim(),
  );
}

function run(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<{ code: number | null; out: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    if (child.stdout) eachLine(child.stdout, (l) => out.push(l));
    if (child.stderr) eachLine(child.stderr, (l) => out.push(`[stderr] ${l}`));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
const examples = runnableBlocks(readme);

describe('README.md examples marked runnable', () => {
  it('there are some', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples.map((e) => [`${e.lang} block at README.md:${e.line}`, e] as const))(
    '%s runs as written',
    async (_name, ex) => {
      let result: { code: number | null; out: string[] };
      if (ex.lang === 'ts') {
        // inside the repository (not the system temp dir) so that imports resolve like a user's
        const dir = await mkdtemp(path.join(REPO_ROOT, 'tests/docs/.readme-'));
        try {
          const file = path.join(dir, 'example.ts');
          await writeFile(file, ex.code);
          result = await run(process.execPath, ['--import', 'tsx', file], REPO_ROOT);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      } else if (ex.lang === 'sh' || ex.lang === 'bash') {
        result = await run('bash', ['-euo', 'pipefail', '-c', ex.code], REPO_ROOT);
      } else {
        throw new Error(`README.md:${ex.line}: cannot run a ${ex.lang} block`);
      }
      expect(result.code, result.out.join('\n')).toBe(0);
      const printed = result.out.filter((l) => !l.startsWith('[stderr]'));
      for (const want of expectedOutput(ex.code)) expect(printed, want).toContain(want);
    },
  );
});
