/** What every soak phase uses: children with log files, /proc and /metrics figures, verdicts. */
import { closeSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AppName,
  BINS,
  fdCount,
  freePort,
  type RunningApp,
  rssKiBSync,
  sleep,
  startApp,
  treePids,
  waitForPort,
} from '@tcpbalancer/test-kit';

export const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : String(x));

/** A child whose output goes to `<logDir>/<name>.log` and whose heap snapshots land in logDir. */
export interface SoakChild {
  readonly app: RunningApp;
  readonly log: string;
  readonly logDir: string;
}

/**
 * Starts `app` with fixed ports the caller chose (the soak's children log at `warn`, so there is
 * no `listening` line to read). `--heapsnapshot-signal=SIGUSR2`: a heap snapshot forces a full
 * garbage collection, which is how the soak measures the live heap.
 */
export async function startChild(
  name: string,
  app: AppName | { name: string; main: string },
  args: readonly string[],
  logDir: string,
  nodeArgs: readonly string[] = [],
): Promise<SoakChild> {
  const log = join(logDir, `${name}.log`);
  const fd = openSync(log, 'w');
  const target = typeof app === 'string' ? { name, main: BINS[app] } : app;
  const running = await startApp(target, args, {
    waitListening: false,
    cwd: logDir,
    nodeArgs: ['--heapsnapshot-signal=SIGUSR2', ...nodeArgs],
    onLine: (line) => writeSync(fd, `${line}\n`),
  });
  void running.exited.then(() => closeSync(fd));
  return { app: running, log, logDir };
}

/** Resolves once the child accepts on `port`; names its log when it does not. */
export async function listening(c: SoakChild, port: number, timeoutMs = 20_000): Promise<void> {
  try {
    await waitForPort(port, { timeoutMs, gone: () => c.app.hasExited() });
  } catch (err) {
    throw new Error(`${(err as Error).message}; see ${c.log}`);
  }
}

const ECHO_MAIN = fileURLToPath(new URL('./echo-upstream.ts', import.meta.url));

/** An echo upstream in its own process, listening on a fresh port. */
export async function startEcho(logDir: string): Promise<{ child: SoakChild; port: number }> {
  const port = await freePort();
  const child = await startChild(
    'echo',
    { name: 'echo', main: ECHO_MAIN },
    [String(port)],
    logDir,
    // resolved here: the child's working directory is the log folder, outside the repository
    ['--import', import.meta.resolve('tsx')],
  );
  await listening(child, port);
  return { child, port };
}

export interface TreeFigures {
  readonly procs: number;
  readonly rssMiB: number;
  readonly fds: number;
}

/** RSS (MiB) and descriptors summed over a process and its descendants (cluster workers). */
export async function treeFigures(pid: number): Promise<TreeFigures> {
  const pids = treePids(pid);
  const fds = await Promise.all(pids.map(async (p) => (await fdCount(p)) ?? 0));
  return {
    procs: pids.length,
    rssMiB: pids.reduce((s, p) => s + rssKiBSync(p), 0) / 1024,
    fds: fds.reduce((a, b) => a + b, 0),
  };
}

/** RSS of each process of the tree, MiB, as `a + b`. */
export function perProcessRss(pid: number): string {
  return treePids(pid)
    .map((p) => f1(rssKiBSync(p) / 1024))
    .join(' + ');
}

export interface ProxyFigures {
  readonly heapUsedMiB: number;
  readonly fds: number;
  readonly handles: number;
  readonly timers: number;
  readonly rssMiB: number;
}

/** The figures the soak reads from the proxy's /metrics (summed over workers when aggregated). */
export async function metrics(port: number): Promise<ProxyFigures> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(10_000),
  });
  const lines = (await res.text()).split('\n').filter((l) => !l.startsWith('#'));
  const get = (re: RegExp): number => {
    const hits = lines.filter((l) => re.test(l));
    if (hits.length === 0) return Number.NaN;
    return hits.reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  };
  return {
    heapUsedMiB: get(/^\w*nodejs_heap_size_used_bytes(\{[^}]*\})? /) / 2 ** 20,
    fds: get(/^\w*process_open_fds(\{[^}]*\})? /),
    handles: get(/^\w*nodejs_active_handles_total(\{[^}]*\})? /),
    timers: get(/^\w*nodejs_active_resources\{[^}]*type="Timeout"[^}]*\} /) || 0,
    rssMiB: get(/^\w*process_resident_memory_bytes(\{[^}]*\})? /) / 2 ** 20,
  };
}

/**
 * Forces a full GC in every process of the tree: SIGUSR2 makes each write a heap snapshot
 * (which collects first); waits (bounded) for the files to stop growing, deletes them.
 */
export async function fullGc(pid: number, dir: string): Promise<number> {
  const pids = treePids(pid);
  const before = new Set(readdirSync(dir));
  for (const p of pids) {
    try {
      process.kill(p, 'SIGUSR2');
    } catch {
      // gone
    }
  }
  const end = Date.now() + 120_000;
  let files: string[] = [];
  let sizes = '';
  for (;;) {
    await sleep(1000);
    files = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    const now = files.map((f) => statSync(join(dir, f)).size).join(',');
    if ((files.length >= pids.length && now === sizes) || Date.now() > end) break;
    sizes = now;
  }
  for (const f of files) rmSync(join(dir, f), { force: true });
  return files.length;
}

const MESSAGE = Buffer.from('0123456789abcdef');

/** One connect → 16 bytes → echo → close; resolves with whether the echo came back whole. */
function shortConn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let got = 0;
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 10_000);
    s.on('error', () => done(false));
    s.on('connect', () => s.end(MESSAGE));
    s.on('data', (b: Buffer) => {
      got += b.length;
    });
    s.on('end', () => done(got === MESSAGE.length));
  });
}

/** `total` short connections, `concurrency` at a time; resolves with the failures. */
export async function shortConns(
  port: number,
  total: number,
  concurrency: number,
  onProgress?: (n: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      if (!(await shortConn(port))) failed++;
      if (onProgress) await onProgress(next);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failed;
}

export interface Check {
  readonly ok: boolean;
  readonly what: string;
}

export interface PhaseResult {
  readonly phase: string;
  readonly pass: boolean;
  readonly figures: unknown;
  readonly checks: readonly string[];
}

/** Prints each check and the phase's PASS/FAIL; returns the record for the summary. */
export function verdict(phase: string, checks: readonly Check[], figures: unknown): PhaseResult {
  const pass = checks.every((c) => c.ok);
  for (const c of checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}`);
  console.log(`${pass ? 'PASS' : 'FAIL'} ${phase}`);
  return { phase, pass, figures, checks: checks.map((c) => `${c.ok ? 'ok' : 'FAIL'}: ${c.what}`) };
}
