import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { describeEnvironment } from '../series/environment.js';
import { IntervalRecorder } from '../series/interval-recorder.js';
import { buildRunFile, parseRunFile } from '../series/run-file.js';
import { Stats } from '../stats.js';
import type { Summary } from '../summary.js';
import { renderHtml } from './render-html.js';
import { align, buildReportModel, percentileCurve, type ReportRun } from './report-model.js';

function run(name: string, latencies: number[], endMs = 2000): ReportRun {
  const stats = new Stats();
  const rec = new IntervalRecorder(1000, 0, stats);
  stats.series = rec;
  for (const ms of latencies) {
    stats.sent++;
    stats.ok++;
    stats.recordLatency(ms);
    stats.recordBackend('b1');
  }
  rec.finish(endMs);
  const config = parseConfig(['--proxy', '127.0.0.1:1', '-i', 'in', '--dry-run'], {});
  const summary = {
    requests: latencies.length,
    ok: latencies.length,
    failed: 0,
    retries: 0,
    seconds: 2,
    rps: latencies.length / 2,
    latencyMs: stats.latency(),
    bytesSent: 0,
    bytesReceived: 0,
    connections: 1,
    backends: { b1: latencies.length },
    openLoop: false,
  } as unknown as Summary;
  const file = buildRunFile({
    name,
    config,
    environment: describeEnvironment(),
    summary,
    recorder: rec,
    histogram: stats.histogram,
  });
  return parseRunFile(JSON.stringify(file), `${name}.json`);
}

describe('the report model', () => {
  it('aligns runs of different lengths on one x axis, gaps as null', () => {
    expect(
      align([
        { x: [0, 1], ys: [[5, 6]] },
        { x: [0, 1, 2], ys: [[7, 8, 9]] },
      ]),
    ).toEqual([
      [0, 1, 2],
      [5, 6, null],
      [7, 8, 9],
    ]);
  });

  it('the percentile curve runs from 0 % to the max on the nines axis', () => {
    const r = run(
      'a',
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );
    const c = percentileCurve(r.decoded);
    expect(c.x[0]).toBe(1);
    expect(c.y.at(-1)).toBeCloseTo(1000, -1);
    for (let i = 1; i < c.y.length; i++) expect(c.y[i]).toBeGreaterThanOrEqual(c.y[i - 1]!);
  });

  it('compares two runs: one series per run, a differences column', () => {
    const m = buildReportModel([run('before', [10, 20]), run('after', [5, 10])]);
    expect(m.charts.find((c) => c.id === 'hdr')?.series.map((s) => s.label)).toEqual([
      'before',
      'after',
    ]);
    const p50 = m.summary.find((r) => r[0] === 'p50 ms');
    expect(p50?.[3]).toMatch(/^-\d+(\.\d)? %$/);
  });

  it('names and settings from a run file cannot break out of the page', () => {
    const evil = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';
    const html = renderHtml(buildReportModel([run(evil, [1])]), { script: '', css: '' });
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&#60;/script&#62;');
  });

  it('a run shorter than one interval still draws its one row', () => {
    const tp = buildReportModel([run('short', [1, 2, 3], 300)]).charts.find(
      (c) => c.id === 'throughput',
    )!;
    expect(tp.data[0]).toEqual([0]);
    expect(tp.data[1]![0]).toBeCloseTo(10, 5); // 3 answers in 0.3 s
  });

  it('a long run drops only a tail shorter than half an interval from the rate charts', () => {
    const tp = buildReportModel([run('tail', [1, 2], 2100)]).charts.find(
      (c) => c.id === 'throughput',
    )!;
    expect(tp.data[0]).toEqual([0, 1, 2]);
    expect(tp.data[1]![2]).toBeNull();
  });
});
