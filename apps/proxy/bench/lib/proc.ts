import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const CLK_TCK = 100; // getconf CLK_TCK on Linux

/** User + system CPU seconds of a process, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** The proxy's command line: `main` listening on 127.0.0.1:`port`, one upstream on loopback. */
export function proxyArgs(main: string, port: number, upstreamPort: number): string[] {
  return [main, '-p', String(port), '--host', '127.0.0.1', '-u', `127.0.0.1:${upstreamPort}`];
}

/** The pid and all its descendants (a cluster primary and its workers, nginx's master and worker). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i] as number;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const kids = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
        if (kids) for (const k of kids.split(' ')) out.push(Number(k));
      } catch {
        // the thread or process is gone
      }
    }
  }
  return out;
}

/** `measure` summed over a process and its descendants (those alive now). */
function sumOverTree(pid: number, measure: (pid: number) => number): number {
  let sum = 0;
  for (const p of processTree(pid)) {
    try {
      sum += measure(p);
    } catch {
      // exited meanwhile
    }
  }
  return sum;
}

/** CPU seconds of a process and its descendants. */
export const treeCpuSeconds = (pid: number): number => sumOverTree(pid, cpuSeconds);

/** RSS in bytes of a process and its descendants. */
export const treeRssBytes = (pid: number): number => sumOverTree(pid, rssBytes);

/** Resident set size in bytes, from /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Resolves with the first stdout line that parses as JSON and satisfies `match`. */
  line(
    match: (o: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
}

/**
 * Runs a bench's `main`: an error is printed and makes the exit code 1, and whatever was
 * spawned is killed either way (a bench must never leave a pinned proxy behind).
 */
export function runBench(main: () => Promise<void>): void {
  main()
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => killChildren());
}

/** Spawns `cmd args` pinned to `cpu` with taskset. */
export function spawnPinned(
  cpu: number,
  cmd: string,
  args: string[],
  opts: { stdin?: boolean } = {},
): Child {
  const proc = spawn('taskset', ['-c', String(cpu), cmd, ...args], {
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'inherit'],
  });
  children.add(proc);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.once('exit', () => children.delete(proc));
  const waiters: {
    match: (o: Record<string, unknown>) => boolean;
    resolve: (o: Record<string, unknown>) => void;
  }[] = [];
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text);
    } catch {
      return;
    }
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i];
      if (w?.match(o)) {
        waiters.splice(i, 1);
        w.resolve(o);
        return;
      }
    }
  });
  return {
    proc,
    // taskset execs the command: same pid
    pid: proc.pid as number,
    line(match, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${cmd}: no matching output in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (o) => {
            clearTimeout(timer);
            resolve(o);
          },
        });
      });
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
