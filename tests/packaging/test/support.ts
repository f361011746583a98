// Helpers of the packaging test: run a command to completion, and pull the examples out of a
// README. Not a test file itself (no `.test.` in the name).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` in `cwd` to completion (bounded by `timeoutMs`); never rejects. */
export function run(
  cmd: string,
  args: readonly string[],
  cwd: string,
  timeoutMs = 180_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** `run`, and throws with everything the command printed when it fails. */
export async function mustRun(
  cmd: string,
  args: readonly string[],
  cwd: string,
  timeoutMs?: number,
): Promise<Ran> {
  const r = await run(cmd, args, cwd, timeoutMs);
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.code}\n${r.stdout}\n${r.stderr}`,
    );
  }
  return r;
}

export interface Example {
  /** Where it came from, for messages: `README.md#3`. */
  origin: string;
  code: string;
}

/**
 * The runnable examples of a markdown file: every ```ts block whose first line is an `import`
 * is a complete module that users may copy as is. Other ```ts blocks (signatures, fragments,
 * the TS2775 counter-example) are not programs and are left out. `section`: only the blocks
 * under that `## ` heading, up to the next one.
 */
export function readmeExamples(file: string, label: string, section?: string): Example[] {
  let text = readFileSync(file, 'utf8');
  if (section !== undefined) {
    const start = text.indexOf(`\n## ${section}\n`);
    if (start < 0) throw new Error(`${file}: no section "## ${section}"`);
    const next = text.indexOf('\n## ', start + 4);
    text = text.slice(start, next < 0 ? undefined : next);
  }
  const out: Example[] = [];
  const fence = /^```ts\n([\s\S]*?)^```$/gm;
  let n = 0;
  for (const m of text.matchAll(fence)) {
    n++;
    const code = m[1] ?? '';
    if (code.trimStart().startsWith('import ')) out.push({ origin: `${label}#${n}`, code });
  }
  return out;
}
