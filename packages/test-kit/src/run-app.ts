/** Running a program to completion (the client, or any app given flags that make it exit). */
import { once } from 'node:events';
import type { AppName } from './paths.js';
import { type AppTarget, type RunningApp, type SpawnOptions, startApp } from './spawn-app.js';

/** The client's `--json` summary: the fields the architecture promises, and the rest. */
export interface ClientSummary {
  requests: number;
  ok: number;
  failed: number;
  seconds: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  bytesSent: number;
  bytesReceived: number;
  backends: Record<string, number>;
  [key: string]: unknown;
}

export interface AppRun {
  readonly app: RunningApp;
  /** The exit code, or the signal name when it was killed. */
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface ClientRun extends AppRun {
  /** The last stdout line that parses as a JSON object with `requests` (the --json summary). */
  readonly summary: ClientSummary | undefined;
}

export interface RunOptions extends Omit<SpawnOptions, 'waitListening'> {
  /** SIGKILL after this long (default 60 s): a run always ends. */
  readonly timeoutMs?: number;
  /** Runs once the process exists, so that a test can inject a fault while it works. */
  readonly onStart?: (app: RunningApp) => void | Promise<void>;
}

/** The --json summary: the last JSON object on stdout that has a `requests` count. */
export function findSummary(stdout: string): ClientSummary | undefined {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const v: unknown = JSON.parse(lines[i] ?? '');
      if (v !== null && typeof v === 'object' && 'requests' in v) return v as ClientSummary;
    } catch {
      // not JSON
    }
  }
  return undefined;
}

/** Runs `target` to completion, bounded: SIGKILL after `timeoutMs`. */
export async function runApp(
  target: AppTarget,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<AppRun> {
  const t0 = performance.now();
  const { timeoutMs = 60_000, onStart, ...spawnOpts } = opts;
  const app = await startApp(target, args, { ...spawnOpts, waitListening: false });
  const timer = setTimeout(() => app.signal('SIGKILL'), timeoutMs);
  try {
    const hook = onStart ? Promise.resolve(onStart(app)) : Promise.resolve();
    const code = await app.exited;
    await hook;
    // the pipes may still hold the tail of the output after 'exit'
    const out = app.proc.stdout;
    if (out && !out.readableEnded) {
      await Promise.race([once(out, 'end'), new Promise((r) => setTimeout(r, 1000))]);
    }
    return {
      app,
      code,
      stdout: app.stdoutLines.join('\n'),
      stderr: app.stderr,
      ms: performance.now() - t0,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the client to completion and picks out its --json summary. */
export async function runClient(
  args: readonly string[],
  opts: RunOptions = {},
): Promise<ClientRun> {
  const run = await runApp('client' satisfies AppName, args, opts);
  return { ...run, summary: findSummary(run.stdout) };
}

/**
 * The start of most client command lines: `--proxy 127.0.0.1:<port> --input <dir>`, and
 * `--output <dir>` when given (a dry run or a load run saves nothing).
 */
export function clientArgs(port: number, input: string, output?: string): string[] {
  const out = output === undefined ? [] : ['--output', output];
  return ['--proxy', `127.0.0.1:${port}`, '--input', input, ...out];
}
