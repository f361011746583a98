import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { Stats } from '../stats.js';
import type { Summary } from '../summary.js';
import { describeEnvironment } from './environment.js';
import { IntervalRecorder } from './interval-recorder.js';
import { buildRunFile, parseRunFile, RunFileError } from './run-file.js';

const T0 = 10_000; // performance.now() ms at the start, any value

function setup(intervalMs = 1000) {
  const stats = new Stats();
  const rec = new IntervalRecorder(intervalMs, T0, stats);
  stats.series = rec;
  return {
    stats,
    rec,
    col: (f: Parameters<typeof rec.columns.column>[0]) => rec.columns.column(f),
  };
}

/** A request answered ok with this latency, as the client records it. */
function answer(stats: Stats, ms: number, backend = 'b1') {
  stats.sent++;
  stats.ok++;
  stats.recordLatency(ms);
  stats.recordBackend(backend);
}

describe('IntervalRecorder', () => {
  it('rolls over at each boundary: each interval counts only its own events', () => {
    const { stats, rec, col } = setup();
    answer(stats, 5);
    answer(stats, 7);
    stats.bytesSent += 1000;
    rec.roll(T0 + 999); // not yet
    expect(rec.columns.length).toBe(0);
    rec.roll(T0 + 1000);
    answer(stats, 100, 'b2');
    stats.failed++;
    stats.recordError('ERR_X');
    stats.retries++;
    rec.finish(T0 + 2000);
    expect(col('t')).toEqual([0, 1]);
    expect(col('dur')).toEqual([1, 1]);
    expect(col('started')).toEqual([2, 1]);
    expect(col('completed')).toEqual([2, 2]);
    expect(col('ok')).toEqual([2, 1]);
    expect(col('failed')).toEqual([0, 1]);
    expect(col('retries')).toEqual([0, 1]);
    expect(col('bytesSent')).toEqual([1000, 0]);
    // The histogram is the interval's own: the second one saw only the 100 ms answer.
    expect(col('max')).toEqual([7, 100]);
    expect(col('p50')[0]).toBeCloseTo(5, 1);
    expect(col('p99')[1]).toBeCloseTo(100, 0);
    expect(rec.backends.toJSON()).toEqual({ b1: [2, 0], b2: [0, 1] });
    expect(rec.errors.toJSON()).toEqual({ ERR_X: [0, 1] });
  });

  it('intervals with no event (a stall, a late timer) are still rows, all zero', () => {
    const { stats, rec, col } = setup(500);
    answer(stats, 3);
    rec.roll(T0 + 2_200); // one call, four boundaries passed
    expect(col('t')).toEqual([0, 0.5, 1, 1.5]);
    expect(col('completed')).toEqual([1, 0, 0, 0]);
    expect(col('p99').slice(1)).toEqual([0, 0, 0]);
    expect(col('max').slice(1)).toEqual([0, 0, 0]);
  });

  it('a run shorter than one interval is one partial row whose dur says how long', () => {
    const { stats, rec, col } = setup(1000);
    answer(stats, 2);
    answer(stats, 4);
    rec.finish(T0 + 300);
    expect(col('t')).toEqual([0]);
    expect(col('dur')).toEqual([0.3]);
    expect(col('completed')).toEqual([2]);
  });

  it('a run that ended at once still has one row', () => {
    const { rec } = setup();
    rec.finish(T0);
    expect(rec.columns.length).toBe(1);
  });

  it('open loop: lateness and the uncorrected p99 per interval', () => {
    const { stats, rec, col } = setup();
    stats.scheduled += 3;
    stats.recordLateness(0.2);
    stats.recordLateness(40);
    stats.recordLatency(50, 10);
    rec.finish(T0 + 1000);
    expect(col('scheduled')).toEqual([3]);
    expect(col('late')).toEqual([1]);
    expect(col('maxLateMs')).toEqual([40]);
    expect(col('p99Uncorrected')[0]).toBeCloseTo(10, 1);
    expect(col('p99')[0]).toBeCloseTo(50, 0);
  });

  it('memory stays bounded: about 190 bytes per interval, so 24 h at 1 s is under 24 MB', () => {
    const { stats, rec } = setup();
    const rows = 20_000;
    for (let i = 0; i < rows; i++) {
      answer(stats, 1 + (i % 50), `b${i % 3}`);
      rec.roll(T0 + (i + 1) * 1000);
    }
    expect(rec.columns.length).toBe(rows);
    // 20 numeric columns + 3 backend columns, 8 bytes each (184 B/row), capacity doubling at most 2x.
    const perRow = rec.bytes / rows;
    expect(perRow).toBeLessThanOrEqual(2 * 23 * 8);
    expect(86_400 * 23 * 8 * 2).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('a saved run reads back', () => {
  const config = parseConfig(
    ['--proxy', '127.0.0.1:7000', '-i', 'in', '--dry-run', '--duration', '3s'],
    {},
  );
  function saved() {
    const { stats, rec } = setup();
    for (const ms of [1, 2, 3, 50, 400]) answer(stats, ms);
    rec.finish(T0 + 2500);
    const summary = { requests: 5, ok: 5 } as unknown as Summary;
    return {
      stats,
      text: JSON.stringify(
        buildRunFile({
          name: 'r',
          config,
          environment: describeEnvironment(),
          summary,
          recorder: rec,
          histogram: stats.histogram,
        }),
      ),
    };
  }

  it('series, settings, environment and the whole-run histogram come back equal', () => {
    const { stats, text } = saved();
    const run = parseRunFile(text, 'r.json');
    expect(run.series.t).toEqual([0, 1, 2]);
    expect(run.series.completed).toEqual([5, 0, 0]);
    expect(run.series.dur).toEqual([1, 1, 0.5]);
    expect(run.series.rps).toEqual([5, 0, 0]);
    expect(run.settings.durationMs).toBe(3000);
    expect(run.settings.intervalMs).toBe(1000);
    expect(run.environment.cores).toBeGreaterThan(0);
    expect(run.decoded.totalCount).toBe(5);
    for (const p of [50, 90, 99, 100])
      expect(run.decoded.getValueAtPercentile(p)).toBe(stats.histogram.getValueAtPercentile(p));
  });

  it('refuses what is not a saved run, naming the file and the problem', () => {
    const { text } = saved();
    expect(() => parseRunFile('{', 'x.json')).toThrow(RunFileError);
    expect(() => parseRunFile('{"format":"other"}', 'x.json')).toThrow(
      /x\.json: not a tcpbalancer-client-run/,
    );
    const cut = JSON.parse(text);
    cut.series.p99.pop();
    expect(() => parseRunFile(JSON.stringify(cut), 'x.json')).toThrow(/series\.p99/);
    const bad = JSON.parse(text);
    bad.histogram.data = 'not base64 of a histogram';
    expect(() => parseRunFile(JSON.stringify(bad), 'x.json')).toThrow(/histogram/);
  });
});
