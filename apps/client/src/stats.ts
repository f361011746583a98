import type { Histogram } from 'hdr-histogram-js';
import { type IntervalRecorder, newHistogram, toMicros } from './series/interval-recorder.js';

/** Backend names are untrusted strings: capped in length and in how many distinct ones are kept. */
const MAX_BACKEND_NAME = 64;
const MAX_BACKENDS = 256;
const OTHER_BACKENDS = '(other)';

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * Counters of one run. Latency goes into an HDR histogram in microseconds (3 significant
 * digits, 1 µs .. 1 h), reported in ms; the exact max is kept beside it.
 */
export class Stats {
  readonly #latency: Histogram = newHistogram();
  #maxMs = 0;
  ok = 0;
  failed = 0;
  retries = 0;
  bytesSent = 0;
  bytesReceived = 0;
  connections = 0;
  /** Requests written to a connection (a retry counts again). */
  sent = 0;
  /** Connections open now. */
  active = 0;
  /** Open loop: timetable slots taken. */
  scheduled = 0;
  /** Per-interval statistics, fed from here (absent: none kept). */
  series: IntervalRecorder | undefined = undefined;
  /** Answer frames received (responses and error answers, retryable ones too): any sign of life. */
  answers = 0;
  readonly backends = new Map<string, number>();
  readonly errors = new Map<string, number>();

  get requests(): number {
    return this.ok + this.failed;
  }

  /** `uncorrectedMs`: open loop, the latency from the actual send (the series compares both). */
  recordLatency(ms: number, uncorrectedMs?: number): void {
    const v = Number.isFinite(ms) && ms > 0 ? ms : 0;
    if (v > this.#maxMs) this.#maxMs = v;
    this.#latency.recordValue(toMicros(v));
    this.series?.recordLatency(v, uncorrectedMs);
  }

  /** Open loop: a request went out `ms` after its slot. */
  recordLateness(ms: number): void {
    this.series?.recordLateness(ms);
  }

  /** The whole run's latency histogram (µs), for saving with the run. */
  get histogram(): Histogram {
    return this.#latency;
  }

  recordBackend(name: string): void {
    let key = name.replace(/[\p{Cc}\p{Cf}]/gu, '?').slice(0, MAX_BACKEND_NAME);
    if (!this.backends.has(key) && this.backends.size >= MAX_BACKENDS) key = OTHER_BACKENDS;
    this.backends.set(key, (this.backends.get(key) ?? 0) + 1);
  }

  recordError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  latency(): LatencySummary {
    const h = this.#latency;
    if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
    const max = Math.round(this.#maxMs * 1000) / 1000;
    // A bucket's upper edge can lie above the exact max: never report a percentile above it.
    const ms = (us: number) => Math.min(max, Math.round(us) / 1000);
    return {
      p50: ms(h.getValueAtPercentile(50)),
      p90: ms(h.getValueAtPercentile(90)),
      p99: ms(h.getValueAtPercentile(99)),
      max,
      mean: ms(h.mean),
    };
  }
}
