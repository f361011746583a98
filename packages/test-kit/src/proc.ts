/** Memory, descriptor and CPU figures of a live process, read from /proc (Linux only). */
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in ticks of 1/100 s. */
const CLK_TCK = 100;

/** The fields of /proc/<pid>/stat after the parenthesised command name (index 0 = field 3). */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Resident set size in KiB (VmRSS), or undefined once the process is gone. */
export async function rssKiB(pid: number): Promise<number | undefined> {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Synchronous RSS in KiB (0 once gone), for benchmarks that sample between measurements. */
export function rssKiBSync(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Open file descriptors, or undefined once the process is gone. */
export async function fdCount(pid: number): Promise<number | undefined> {
  try {
    return (await readdir(`/proc/${pid}/fd`)).length;
  } catch {
    return undefined;
  }
}

/** Whether the process still exists and is not a zombie. */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const state = statFields(await readFile(`/proc/${pid}/stat`, 'utf8'))[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) the process has used, or undefined once it is gone. */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const f = statFields(await readFile(`/proc/${pid}/stat`, 'utf8'));
    // utime and stime are fields 14 and 15 (1-based) → indexes 11 and 12 here
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Synchronous CPU seconds (0 once gone), for tight benchmark loops. */
export function cpuSecondsSync(pid: number): number {
  return statCpuSecondsSync(`/proc/${pid}/stat`);
}

/**
 * The CPU seconds of the process's main thread alone (its /proc task entry; 0 once gone): the
 * process's total minus this is what its other threads (libuv's pool, sharp's) used.
 */
export function mainThreadCpuSecondsSync(pid: number): number {
  return statCpuSecondsSync(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSecondsSync(path: string): number {
  try {
    const f = statFields(readFileSync(path, 'utf8'));
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** `pid` and all its descendants (cluster workers, `sh -c` children), from /proc/*\/stat. */
export function treePids(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [pid];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(statFields(readFileSync(`/proc/${name}/stat`, 'utf8'))[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

export interface Sampler {
  /** Largest RSS seen, KiB. */
  readonly maxRssKiB: () => number;
  readonly maxFds: () => number;
  readonly samples: () => number;
  stop(): Promise<void>;
}

/** Samples RSS and descriptors of `pid` every `everyMs` until stopped, keeping the maxima. */
export function sample(pid: number, everyMs = 50): Sampler {
  let maxRss = 0;
  let maxFds = 0;
  let n = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const [r, f] = await Promise.all([rssKiB(pid), fdCount(pid)]);
      if (r !== undefined) maxRss = Math.max(maxRss, r);
      if (f !== undefined) maxFds = Math.max(maxFds, f);
      n++;
      await new Promise((res) => setTimeout(res, everyMs));
    }
  })();
  return {
    maxRssKiB: () => maxRss,
    maxFds: () => maxFds,
    samples: () => n,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
