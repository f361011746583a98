/**
 * Spawning the real built programs and waiting for their `listening` line. Every child gets its
 * own process group (detached) so that a kill reaches anything it started (cluster workers,
 * `sh -c`); every child is registered so that `killAll()` in afterEach / afterAll — and a
 * last-resort process 'exit' hook — leaves nothing behind. Every wait is bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { eachLine, type LogLine, parseLogLine } from './lines.js';
import { type AppName, BINS, REPO_ROOT } from './paths.js';

/** What a test keeps of a child's output, at most: a flooded log must not grow the runner. */
const MAX_LINES = 20_000;
const MAX_STDERR_CHARS = 1_000_000;
const DEFAULT_START_TIMEOUT_MS = 15_000;
/** How long a missing bin is waited for before the test is told to build. */
const BUILD_WAIT_MS = 30_000;

export interface RunningApp {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** The port of the `listening` line (servers only; 0 until seen). */
  port: number;
  /** The port of the `metrics listening` line, when a metrics port was asked for. */
  metricsPort: number | undefined;
  /** Every stdout line, raw. */
  readonly stdoutLines: string[];
  /** Every stdout line that parsed as a JSON object. */
  readonly logs: LogLine[];
  /** Everything on stderr so far. */
  stderr: string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  readonly hasExited: () => boolean;
  /** Sends a signal to the whole process group. Idempotent; ignores already-gone groups. */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves with the exit code or signal. */
  stop(graceMs?: number): Promise<number | string>;
  /** Waits for a stdout JSON line matching `pred` (lines already seen count). */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

export interface SpawnOptions {
  /** Added to the environment (after the inherited part). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * true (default): the caller's environment minus every `TCPB_*` variable, so that a stray one
   * in the shell cannot change what a test runs; false: only PATH plus `env`.
   */
  readonly inheritEnv?: boolean;
  /** Wait for the `listening` line (default true for proxy/backend, false for the client). */
  readonly waitListening?: boolean;
  /** Bound on the wait for `listening` (and `metrics listening`). */
  readonly timeoutMs?: number;
  /** Run under `sh -c 'ulimit -n N; exec node …'`. */
  readonly ulimitNofile?: number;
  /** Pinned to these CPUs (`taskset -c`, Linux): a bench keeps the program off its own core. */
  readonly cpus?: string;
  readonly cwd?: string;
  /** Node's own flags, before the entry point (`--heapsnapshot-signal=SIGUSR2`, `--import tsx`). */
  readonly nodeArgs?: readonly string[];
  /** Every output line as it comes (the demo and the soak tee them into log files). */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** An app by name (its built bin) or any Node entry point. */
export type AppTarget = AppName | { readonly name: string; readonly main: string };

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

/**
 * Waits (bounded) for a built entry point: another workspace's build may be writing it while a
 * test starts. Then throws a message that says what to do.
 */
export async function waitForBuilt(main: string, timeoutMs = BUILD_WAIT_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!existsSync(main)) {
    if (Date.now() > end) {
      throw new Error(`${main} is missing: run \`npx turbo run build\` in ${REPO_ROOT} first`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function childEnv(opts: SpawnOptions): NodeJS.ProcessEnv {
  const base =
    opts.inheritEnv === false
      ? { PATH: process.env.PATH ?? '' }
      : Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TCPB_')));
  return { ...base, NODE_OPTIONS: '', ...opts.env };
}

function spawnNode(main: string, args: readonly string[], opts: SpawnOptions): ChildProcess {
  const nodeArgs = [...(opts.nodeArgs ?? []), main, ...args];
  const common = {
    env: childEnv(opts),
    cwd: opts.cwd ?? REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
  };
  const [cmd, ...pre] =
    opts.cpus === undefined ? [process.execPath] : ['taskset', '-c', opts.cpus, process.execPath];
  if (opts.ulimitNofile === undefined) return spawn(cmd as string, [...pre, ...nodeArgs], common);
  const script = `ulimit -n ${opts.ulimitNofile} && exec "$0" "$@"`;
  return spawn('sh', ['-c', script, cmd as string, ...pre, ...nodeArgs], common);
}

function tail(app: RunningApp): string {
  return `stdout tail:\n${app.stdoutLines.slice(-10).join('\n')}\nstderr:\n${app.stderr.slice(-2000)}`;
}

/**
 * Spawns `node <main> ...args` and, for servers, resolves once its `listening` line (and
 * `metrics listening`, when `--metrics-port` is among the args) has been logged.
 */
export async function startApp(
  target: AppTarget,
  args: readonly string[],
  opts: SpawnOptions = {},
): Promise<RunningApp> {
  const name = typeof target === 'string' ? target : target.name;
  const main = typeof target === 'string' ? BINS[target] : target.main;
  await waitForBuilt(main);
  const proc = spawnNode(main, args, opts);
  if (proc.pid === undefined) {
    await once(proc, 'error');
    throw new Error(`could not spawn ${name}`);
  }
  const running = track(name, proc, proc.pid, opts);
  const waitListening = opts.waitListening ?? name !== 'client';
  if (!waitListening) return running;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  try {
    await running.waitForLog((l) => l.msg === 'listening' && typeof l.port === 'number', timeoutMs);
    if (args.includes('--metrics-port')) {
      await running.waitForLog((l) => l.msg === 'metrics listening', timeoutMs);
    }
  } catch (err) {
    killGroup(proc.pid, 'SIGKILL');
    throw err;
  }
  return running;
}

interface Waiter {
  readonly pred: (l: LogLine) => boolean;
  readonly resolve: (l: LogLine) => void;
}

/** The ports of the `listening` (the first one) and `metrics listening` lines. */
function notePorts(app: RunningApp, l: LogLine): void {
  if (typeof l.port !== 'number') return;
  if (l.msg === 'listening' && app.port === 0) app.port = l.port;
  if (l.msg === 'metrics listening') app.metricsPort = l.port;
}

function track(name: string, proc: ChildProcess, pid: number, opts: SpawnOptions): RunningApp {
  let exitedFlag = false;
  const waiters = new Set<Waiter>();
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, sig) => {
      exitedFlag = true;
      live.delete(running);
      resolve(code ?? sig ?? -1);
    });
  });
  const running: RunningApp = {
    name,
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
    waitForLog(pred, timeoutMs = DEFAULT_START_TIMEOUT_MS) {
      const seen = running.logs.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise<LogLine>((resolve, reject) => {
        const settle = () => {
          clearTimeout(timer);
          waiters.delete(w);
        };
        const w: Waiter = {
          pred,
          resolve: (l) => {
            settle();
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          settle();
          reject(
            new Error(
              `${name} (pid ${pid}): no matching log line within ${timeoutMs} ms; ${tail(running)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(w);
        void exited.then((code) => {
          if (!waiters.has(w)) return;
          settle();
          reject(
            new Error(`${name} exited (${code}) before the expected log line; ${tail(running)}`),
          );
        });
      });
    },
  };
  live.add(running);
  proc.on('error', () => {});
  const onStdout = (line: string) => {
    opts.onLine?.(line, 'stdout');
    if (running.stdoutLines.length < MAX_LINES) running.stdoutLines.push(line);
    const parsed = parseLogLine(line);
    if (!parsed) return;
    notePorts(running, parsed);
    if (running.logs.length < MAX_LINES) running.logs.push(parsed);
    for (const w of [...waiters]) if (w.pred(parsed)) w.resolve(parsed);
  };
  if (proc.stdout) eachLine(proc.stdout, onStdout);
  if (proc.stderr) {
    eachLine(proc.stderr, (line) => {
      opts.onLine?.(line, 'stderr');
      if (running.stderr.length < MAX_STDERR_CHARS) running.stderr += `${line}\n`;
    });
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

/** The apps started by this process that have not exited yet. */
export function liveApps(): readonly RunningApp[] {
  return [...live];
}
