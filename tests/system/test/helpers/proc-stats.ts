/** Memory and descriptor figures of a live process, read from /proc (Linux only). */
import { readdir, readFile } from 'node:fs/promises';

/** Resident set size in KiB (VmRSS), or undefined once the process is gone. */
export async function rssKiB(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
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

/** Whether the process still exists (and is not a zombie). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // field 3, after the parenthesised command name
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export interface Sampler {
  /** Largest RSS seen, KiB. */
  readonly maxRssKiB: () => number;
  readonly maxFds: () => number;
  readonly samples: () => number;
  stop(): Promise<void>;
}

/** Samples RSS and fds of `pid` every `everyMs` until stopped, keeping the maxima. */
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

/** CPU seconds (user + system) the process has used, from /proc/<pid>/stat (100 ticks/s). */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after the command name: state is field 3, utime 14, stime 15 (1-based) → indexes 11, 12
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
