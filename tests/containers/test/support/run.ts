import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is tests/containers/test/support/run.ts). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

export interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface RunOptions {
  readonly timeoutMs?: number;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

/**
 * Runs a command to completion (SIGKILL after `timeoutMs`), collecting its output. Never
 * throws for a non-zero exit: tests assert on `code` and show the output when it is wrong.
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<Result> {
  const started = Date.now();
  const proc = spawn(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  return new Promise((resolve, reject) => {
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `docker …`; throws with the output when it exits non-zero. */
export async function docker(args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run('docker', args, opts);
  if (r.code !== 0) {
    throw new Error(`docker ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** What `docker inspect` says about a container's end. */
export async function exitCode(container: string): Promise<number> {
  const out = await docker(['inspect', '-f', '{{.State.ExitCode}} {{.State.Running}}', container]);
  const [code, running] = out.trim().split(' ');
  if (running === 'true') throw new Error(`${container} is still running`);
  return Number(code);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a value (not undefined) or `ms` pass; then throws `what`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = 60_000,
  every = 500,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await sleep(every);
  }
}
