import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface Spawned {
  readonly child: ChildProcess;
  readonly port: number;
  readonly metricsPort?: number;
  readonly lines: Record<string, unknown>[];
  readonly stderr: () => string;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
  kill(): void;
}

const live = new Set<ChildProcess>();

/** Kills every spawned proxy still alive (afterEach/afterAll). */
export function killAll(): void {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}

/** Runs the built bin and waits for its `listening` line (and `metrics listening` when asked). */
export function spawnProxy(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<Spawned> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const lines: Record<string, unknown>[] = [];
  let err = '';
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? -1);
    }),
  );
  const wantMetrics = args.includes('--metrics-port');
  return new Promise((resolve, reject) => {
    let buf = '';
    let port: number | undefined;
    let metricsPort: number | undefined;
    const timer = setTimeout(
      () => reject(new Error(`proxy did not listen in time; stderr: ${err}`)),
      timeoutMs,
    );
    const done = () => {
      if (port === undefined || (wantMetrics && metricsPort === undefined)) return;
      clearTimeout(timer);
      resolve({
        child,
        port,
        ...(metricsPort !== undefined ? { metricsPort } : {}),
        lines,
        stderr: () => err,
        exited,
        kill: () => child.kill('SIGKILL'),
      });
    };
    child.stdout?.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl = buf.indexOf('\n');
      while (nl !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        try {
          const obj = JSON.parse(line) as Record<string, unknown>;
          lines.push(obj);
          if (obj.msg === 'listening') port = obj.port as number;
          if (obj.msg === 'metrics listening') metricsPort = obj.port as number;
          done();
        } catch {
          // not JSON: ignore
        }
      }
    });
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited (${code}) before listening; stderr: ${err}`));
    });
  });
}

/** Runs the bin to completion (for flags that make it exit). */
export function runProxy(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('proxy did not exit'));
    }, 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
