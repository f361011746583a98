import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AppName } from './apps.js';
import { ROOT } from './files.js';

export interface RunningApp {
  readonly proc: ChildProcess;
  /** The port of the `listening` line. */
  readonly port: number;
  /** The port of the `metrics listening` line, if a metrics server was asked for. */
  readonly metricsPort: number | undefined;
  /** Every stdout and stderr line so far, for failure messages. */
  readonly output: string[];
  /** SIGTERM, then the exit code (SIGKILL after `ms`). */
  stop(ms?: number): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Kills whatever a test left running (call from afterAll / afterEach). */
export function killAll(): void {
  for (const p of running) p.kill('SIGKILL');
  running.clear();
}

function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

/**
 * Starts the built app (`apps/<app>/dist/main.js`) and resolves once it has logged
 * `listening` (and `metrics listening`, when `--metrics-port` is among the args).
 */
export function startApp(
  app: AppName,
  args: readonly string[],
  timeoutMs = 15_000,
): Promise<RunningApp> {
  const bin = join(ROOT, 'apps', app, 'dist', 'main.js');
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TCPB_')),
  );
  const proc = spawn(process.execPath, [bin, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  const output: string[] = [];
  const wantMetrics = args.includes('--metrics-port');
  return new Promise((resolve, reject) => {
    let port: number | undefined;
    let metricsPort: number | undefined;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(
        new Error(`${app} did not log listening within ${timeoutMs} ms:\n${output.join('\n')}`),
      );
    }, timeoutMs);
    const check = () => {
      if (port === undefined || (wantMetrics && metricsPort === undefined)) return;
      clearTimeout(timer);
      resolve({
        proc,
        port,
        metricsPort,
        output,
        async stop(ms = 10_000) {
          const done = exited(proc);
          proc.kill('SIGTERM');
          const killer = setTimeout(() => proc.kill('SIGKILL'), ms);
          const code = await done;
          clearTimeout(killer);
          return code;
        },
      });
    };
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      output.push(line);
      try {
        const rec = JSON.parse(line) as { msg?: unknown; port?: unknown };
        if (rec.msg === 'listening' && typeof rec.port === 'number' && port === undefined)
          port = rec.port;
        if (rec.msg === 'metrics listening' && typeof rec.port === 'number') metricsPort = rec.port;
        check();
      } catch {
        // not a log line
      }
    });
    createInterface({ input: proc.stderr! }).on('line', (line) => output.push(`[stderr] ${line}`));
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`${app} exited (${code ?? signal}) before listening:\n${output.join('\n')}`),
      );
    });
  });
}

/** Runs `argv` (node …) to completion; resolves with its exit code. */
export function run(
  argv: readonly string[],
  env: Record<string, string>,
  timeoutMs = 10_000,
): Promise<number | null> {
  const [cmd = '', ...args] = argv;
  const proc = spawn(cmd === 'node' ? process.execPath : cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  running.add(proc);
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  return exited(proc).finally(() => {
    clearTimeout(timer);
    running.delete(proc);
  });
}
