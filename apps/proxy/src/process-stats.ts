import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 20;

/** The proxy process's own load, as the dashboard shows it. */
export interface ProcessStats {
  readonly pid: number;
  /** CPU time over wall time since the previous reading, in percent of one core. */
  readonly cpuPercent: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Event-loop delay since the previous reading: mean and max, in ms. */
  readonly eventLoopLagMs: { readonly mean: number; readonly max: number };
  readonly uptimeSeconds: number;
}

/**
 * Reads CPU, memory and event-loop lag of this process. The lag histogram (perf_hooks, 20 ms
 * resolution) and the CPU baseline are reset at each reading, so each one covers the time since
 * the one before — the dashboard reads every second. Created on the first request, not at start:
 * a proxy nobody watches pays nothing.
 */
export class ProcessSampler {
  #histogram: IntervalHistogram | undefined;
  #cpu = process.cpuUsage();
  #at = performance.now();

  read(): ProcessStats {
    if (this.#histogram === undefined) {
      this.#histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      this.#histogram.enable();
    }
    const h = this.#histogram;
    const now = performance.now();
    const cpu = process.cpuUsage(this.#cpu);
    const elapsedUs = Math.max(1, (now - this.#at) * 1000);
    this.#cpu = process.cpuUsage();
    this.#at = now;
    const mem = process.memoryUsage();
    // Histogram values are ns and include the sampling timer's own period (RESOLUTION_MS): an
    // idle loop reads ~20 ms. The lag is what lies beyond it. With no sample yet, mean is NaN.
    const mean = Number.isFinite(h.mean) ? Math.max(0, h.mean / 1e6 - RESOLUTION_MS) : 0;
    const max = h.count > 0 ? Math.max(0, h.max / 1e6 - RESOLUTION_MS) : 0;
    h.reset();
    return {
      pid: process.pid,
      cpuPercent: Math.round(((cpu.user + cpu.system) / elapsedUs) * 1000) / 10,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      eventLoopLagMs: { mean: Math.round(mean * 100) / 100, max: Math.round(max * 100) / 100 },
      uptimeSeconds: Math.round(process.uptime()),
    };
  }

  stop(): void {
    this.#histogram?.disable();
  }
}
