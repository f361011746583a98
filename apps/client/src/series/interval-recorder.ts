import { build, type Histogram } from 'hdr-histogram-js';
import { Columns, KeyedColumns } from './columns.js';

/** Latency range of the histograms, in µs: 1 µs .. 1 h, 3 significant digits. */
export const HISTOGRAM_OPTIONS = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000,
  numberOfSignificantValueDigits: 3,
} as const;

export const newHistogram = (): Histogram => build(HISTOGRAM_OPTIONS);

/** µs for the histogram from ms, clamped to its range. */
export const toMicros = (ms: number): number =>
  Math.min(Math.max(1, Math.round((Number.isFinite(ms) && ms > 0 ? ms : 0) * 1000)), 3_600_000_000);

/** The run's cumulative counters the recorder reads at each boundary (Stats has them). */
export interface CounterSource {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly retries: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly connections: number;
  readonly active: number;
  /** Open loop: timetable slots taken so far. */
  readonly scheduled: number;
  readonly backends: ReadonlyMap<string, number>;
  readonly errors: ReadonlyMap<string, number>;
}

/** The numeric fields of one interval (the columns of the series). */
export const SERIES_FIELDS = [
  't',
  'dur',
  'started',
  'completed',
  'ok',
  'failed',
  'retries',
  'bytesSent',
  'bytesReceived',
  'connections',
  'active',
  'p50',
  'p90',
  'p99',
  'p999',
  'max',
  'scheduled',
  'late',
  'maxLateMs',
  'p99Uncorrected',
] as const;
export type SeriesField = (typeof SERIES_FIELDS)[number];

/** Distinct error codes kept per run in the series (the rest count as '(other)'). */
const MAX_ERROR_KEYS = 64;
const MAX_BACKEND_KEYS = 256;
/** A request sent more than this after its open-loop slot is late (coordinated omission). */
export const LATE_MS = 1;

/**
 * Per-interval statistics of a run, in every mode: at each boundary (start + k × interval) the
 * counters' increase since the last one, the interval's own latency histogram (reset, so the
 * state is constant), and gauges are appended to columns. Bounded: 20 numbers (160 bytes) per
 * interval plus 8 bytes per backend and per error code seen — about 17 MB for 24 h at 1 s.
 * `roll(now)` closes every interval that has ended by `now`, so intervals with no event (a
 * stall) are still rows, and `finish(now)` closes the last, partial one (its `dur` says how long).
 */
export class IntervalRecorder {
  readonly columns = new Columns<SeriesField>(SERIES_FIELDS);
  readonly backends = new KeyedColumns(MAX_BACKEND_KEYS);
  readonly errors = new KeyedColumns(MAX_ERROR_KEYS);
  readonly #latency = newHistogram();
  readonly #uncorrected = newHistogram();
  #late = 0;
  #maxLateMs = 0;
  #maxMs = 0;
  /** Start of the open interval (performance.now() ms). */
  #openedAt: number;
  #last: Snapshot;
  #finished = false;

  constructor(
    readonly intervalMs: number,
    readonly startedAt: number,
    private readonly source: CounterSource,
  ) {
    if (!(intervalMs > 0)) throw new RangeError('intervalMs must be > 0');
    this.#openedAt = startedAt;
    this.#last = this.#snapshot();
  }

  /** One answer's latency (from its scheduled time in open loop) and, open loop, from its send. */
  recordLatency(ms: number, uncorrectedMs?: number): void {
    this.#latency.recordValue(toMicros(ms));
    if (ms > this.#maxMs) this.#maxMs = ms;
    if (uncorrectedMs !== undefined) this.#uncorrected.recordValue(toMicros(uncorrectedMs));
  }

  /** Open loop: a request went out `ms` after its slot. */
  recordLateness(ms: number): void {
    if (ms > LATE_MS) this.#late++;
    if (ms > this.#maxLateMs) this.#maxLateMs = ms;
  }

  /** Closes every interval that ended at or before `now`. */
  roll(now: number): void {
    if (this.#finished) return;
    while (now >= this.#openedAt + this.intervalMs) this.#close(this.#openedAt + this.intervalMs);
  }

  /** Closes the intervals up to `now` and the last, partial one (if it has any length). */
  finish(now: number): void {
    if (this.#finished) return;
    this.roll(now);
    if (now > this.#openedAt || this.columns.length === 0)
      this.#close(Math.max(now, this.#openedAt));
    this.#finished = true;
  }

  /** When the open interval ends (performance.now() ms): the next roll() worth making. */
  get nextBoundary(): number {
    return this.#openedAt + this.intervalMs;
  }

  /** Bytes the series holds now. */
  get bytes(): number {
    return this.columns.bytes + this.backends.bytes + this.errors.bytes;
  }

  #close(end: number): void {
    const s = this.#snapshot();
    const last = this.#last;
    const h = this.#latency;
    const n = h.totalCount;
    const max = Math.round(this.#maxMs * 1000) / 1000;
    const pct = (p: number) => (n === 0 ? 0 : Math.min(max, h.getValueAtPercentile(p) / 1000));
    const u = this.#uncorrected;
    this.columns.push({
      // Rounded to the ms: boundaries are start + k × interval, and two runs' rows must line up.
      t: Math.round(this.#openedAt - this.startedAt) / 1000,
      dur: Math.round((end - this.#openedAt) * 1000) / 1e6,
      started: s.sent - last.sent,
      completed: s.ok + s.failed - last.ok - last.failed,
      ok: s.ok - last.ok,
      failed: s.failed - last.failed,
      retries: s.retries - last.retries,
      bytesSent: s.bytesSent - last.bytesSent,
      bytesReceived: s.bytesReceived - last.bytesReceived,
      connections: s.connections - last.connections,
      active: s.active,
      p50: pct(50),
      p90: pct(90),
      p99: pct(99),
      p999: pct(99.9),
      max: n === 0 ? 0 : max,
      scheduled: s.scheduled - last.scheduled,
      late: this.#late,
      maxLateMs: Math.round(this.#maxLateMs * 1000) / 1000,
      p99Uncorrected: u.totalCount === 0 ? 0 : u.getValueAtPercentile(99) / 1000,
    });
    this.backends.push(diff(s.backends, last.backends));
    this.errors.push(diff(s.errors, last.errors));
    h.reset();
    u.reset();
    this.#maxMs = 0;
    this.#late = 0;
    this.#maxLateMs = 0;
    this.#last = s;
    this.#openedAt = end;
  }

  #snapshot(): Snapshot {
    const src = this.source;
    return {
      sent: src.sent,
      ok: src.ok,
      failed: src.failed,
      retries: src.retries,
      bytesSent: src.bytesSent,
      bytesReceived: src.bytesReceived,
      connections: src.connections,
      active: src.active,
      scheduled: src.scheduled,
      backends: new Map(src.backends),
      errors: new Map(src.errors),
    };
  }
}

/** The counters as they were at a boundary (maps copied). */
type Snapshot = CounterSource;

function diff(now: ReadonlyMap<string, number>, before: ReadonlyMap<string, number>) {
  const out = new Map<string, number>();
  for (const [k, v] of now) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out.set(k, d);
  }
  return out;
}
