/**
 * Spawning the real built bins. Every child gets its own process group (detached) so that a
 * kill reaches anything it started; every child is registered so `killAll()` in afterEach /
 * afterAll (and a last-resort process 'exit' hook) leaves nothing behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { BINS, REPO_ROOT } from './paths.js';

export type AppName = 'proxy' | 'backend' | 'client';

export interface LogLine {
  readonly msg?: string;
  readonly port?: number;
  readonly [key: string]: unknown;
}

export interface RunningApp {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** The port from the `listening` line (servers only; 0 until seen). */
  port: number;
  /** The port from the `metrics listening` line, when --metrics-port was given. */
  metricsPort: number | undefined;
  /** Every stdout line, raw. */
  readonly stdoutLines: string[];
  /** Every stdout line that parsed as JSON. */
  readonly logs: LogLine[];
  stderr: string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  readonly hasExited: () => boolean;
  /** Sends a signal to the whole process group. Idempotent; ignores already-gone groups. */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves with the exit code or signal. */
  stop(graceMs?: number): Promise<number | string>;
  /** Waits for a stdout JSON line matching `pred` (already seen ones count). */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

const live = new Set<RunningApp>();

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

// Last resort: a crashed or timed-out test file must not leave servers behind.
process.once('exit', () => {
  for (const app of live) killGroup(app.pid, 'SIGKILL');
});

export interface SpawnOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Wait for the `listening` line (default true for proxy/backend, false for client). */
  readonly waitListening?: boolean;
  readonly timeoutMs?: number;
  /** Run under `sh -c 'ulimit -n N; exec node …'`. */
  readonly ulimitNofile?: number;
}

export function assertBuilt(app: AppName): void {
  if (!existsSync(BINS[app])) {
    throw new Error(`${BINS[app]} is missing: run \`npx turbo run build\` in ${REPO_ROOT} first`);
  }
}

/** Spawns `node apps/<app>/dist/main.js ...args`. */
export async function startApp(
  app: AppName,
  args: readonly string[],
  opts: SpawnOptions = {},
): Promise<RunningApp> {
  assertBuilt(app);
  const env = { ...process.env, NODE_OPTIONS: '', ...opts.env };
  const nodeArgs = [BINS[app], ...args];
  const proc =
    opts.ulimitNofile !== undefined
      ? spawn(
          'sh',
          ['-c', `ulimit -n ${opts.ulimitNofile} && exec "$0" "$@"`, process.execPath, ...nodeArgs],
          {
            env,
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        )
      : spawn(process.execPath, nodeArgs, {
          env,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  if (proc.pid === undefined) {
    await once(proc, 'error');
    throw new Error(`could not spawn ${app}`);
  }
  const pid = proc.pid;
  let exitedFlag = false;
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, sig) => {
      exitedFlag = true;
      live.delete(running);
      resolve(code ?? sig ?? -1);
    });
  });
  const waiters = new Set<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  const running: RunningApp = {
    name: app,
    proc,
    pid,
    port: 0,
    metricsPort: undefined,
    stdoutLines: [],
    logs: [],
    stderr: '',
    exited,
    hasExited: () => exitedFlag,
    signal(sig) {
      if (!exitedFlag) killGroup(pid, sig);
    },
    async stop(graceMs = 5000) {
      if (exitedFlag) return exited;
      killGroup(pid, 'SIGTERM');
      const t = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(t);
      }
    },
    waitForLog(pred, timeoutMs = 15_000) {
      const seen = running.logs.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise<LogLine>((resolve, reject) => {
        const w = {
          pred,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            waiters.delete(w);
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(
            new Error(
              `${app} (pid ${pid}): no matching log line within ${timeoutMs} ms; stdout tail:\n${running.stdoutLines
                .slice(-10)
                .join('\n')}\nstderr:\n${running.stderr.slice(-2000)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(w);
        void exited.then((code) => {
          if (!waiters.has(w)) return;
          clearTimeout(timer);
          waiters.delete(w);
          reject(
            new Error(
              `${app} exited (${code}) before the expected log line; stderr:\n${running.stderr.slice(-2000)}\nstdout tail:\n${running.stdoutLines.slice(-10).join('\n')}`,
            ),
          );
        });
      });
    },
  };
  live.add(running);
  proc.on('error', () => {});
  let buf = '';
  proc.stdout?.setEncoding('utf8');
  const onLine = (line: string) => {
    // Bound what we keep: a flooded log must not grow the test runner without limit.
    if (running.stdoutLines.length < 20_000) running.stdoutLines.push(line);
    let parsed: LogLine | undefined;
    try {
      const v: unknown = JSON.parse(line);
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) parsed = v as LogLine;
    } catch {
      // not JSON: kept only as raw text
    }
    if (parsed) {
      if (parsed.msg === 'listening' && typeof parsed.port === 'number' && running.port === 0)
        running.port = parsed.port;
      if (parsed.msg === 'metrics listening' && typeof parsed.port === 'number')
        running.metricsPort = parsed.port;
      if (running.logs.length < 20_000) running.logs.push(parsed);
      for (const w of [...waiters]) if (w.pred(parsed)) w.resolve(parsed);
    }
  };
  proc.stdout?.on('data', (chunk: string) => {
    buf += chunk;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
  });
  proc.stdout?.on('end', () => {
    if (buf !== '') onLine(buf);
    buf = '';
  });
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk: string) => {
    if (running.stderr.length < 1_000_000) running.stderr += chunk;
  });
  const waitListening = opts.waitListening ?? app !== 'client';
  if (waitListening) {
    try {
      await running.waitForLog(
        (l) => l.msg === 'listening' && typeof l.port === 'number',
        opts.timeoutMs ?? 15_000,
      );
      if (args.includes('--metrics-port')) {
        await running.waitForLog((l) => l.msg === 'metrics listening', opts.timeoutMs ?? 15_000);
      }
    } catch (err) {
      killGroup(pid, 'SIGKILL');
      throw err;
    }
  }
  return running;
}

/** Kills every app still running (SIGKILL to each process group) and waits for the exits. */
export async function killAll(): Promise<void> {
  const apps = [...live];
  for (const app of apps) app.signal('SIGKILL');
  await Promise.all(
    apps.map((a) => Promise.race([a.exited, new Promise((r) => setTimeout(r, 3000))])),
  );
}

export function liveApps(): readonly RunningApp[] {
  return [...live];
}

export interface BackendOptions {
  readonly name?: string;
  readonly port?: number;
  readonly extra?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export function startBackend(o: BackendOptions = {}): Promise<RunningApp> {
  const args = ['--host', '127.0.0.1', '--port', String(o.port ?? 0), '--log-level', 'info'];
  if (o.name) args.push('--name', o.name);
  return startApp('backend', [...args, ...(o.extra ?? [])], { env: o.env ?? {} });
}

export interface ProxyOptions {
  readonly upstreams: readonly number[];
  readonly port?: number;
  readonly extra?: readonly string[];
  readonly ulimitNofile?: number;
}

export function startProxy(o: ProxyOptions): Promise<RunningApp> {
  const args = ['--host', '127.0.0.1', '--port', String(o.port ?? 0), '--log-level', 'info'];
  for (const p of o.upstreams) args.push('--upstream', `127.0.0.1:${p}`);
  const opts: SpawnOptions = o.ulimitNofile === undefined ? {} : { ulimitNofile: o.ulimitNofile };
  return startApp('proxy', [...args, ...(o.extra ?? [])], opts);
}

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

export interface ClientRun {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** The last stdout line that parses as a JSON object with `requests` (the --json summary). */
  readonly summary: ClientSummary | undefined;
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

/**
 * Runs the client to completion (bounded: SIGKILL after `timeoutMs`). `onStart` runs once the
 * process exists, so a test can inject a fault while it works.
 */
export async function runClient(
  args: readonly string[],
  opts: { timeoutMs?: number; onStart?: (app: RunningApp) => void | Promise<void> } = {},
): Promise<ClientRun & { app: RunningApp }> {
  const t0 = performance.now();
  const app = await startApp('client', args, { waitListening: false });
  const timer = setTimeout(() => app.signal('SIGKILL'), opts.timeoutMs ?? 60_000);
  try {
    const hook = opts.onStart ? Promise.resolve(opts.onStart(app)) : Promise.resolve();
    const code = await app.exited;
    await hook;
    // the pipes may still hold the tail of the output after 'exit'
    await new Promise((r) => setImmediate(r));
    if (app.proc.stdout && !app.proc.stdout.readableEnded) {
      await Promise.race([once(app.proc.stdout, 'end'), new Promise((r) => setTimeout(r, 1000))]);
    }
    const stdout = app.stdoutLines.join('\n');
    return {
      app,
      code,
      stdout,
      stderr: app.stderr,
      ms: performance.now() - t0,
      summary: findSummary(stdout),
    };
  } finally {
    clearTimeout(timer);
  }
}
