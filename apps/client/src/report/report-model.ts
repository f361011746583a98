import type { Histogram } from 'hdr-histogram-js';
import type { RunFile } from '../series/run-file.js';

/** A saved run as the report reads it: the file and its decoded histogram. */
export type ReportRun = RunFile & { readonly decoded: Histogram };

/** One chart: aligned columns (x first) as uPlot takes them, and how to draw each series. */
export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly yLabel: string;
  /** Logarithmic y axis (latency). */
  readonly logY?: boolean;
  /** The x axis is the 'nines' of a percentile plot (1/(1-p), log), not seconds. */
  readonly nines?: boolean;
  readonly series: readonly { label: string; run: number; dash?: boolean; points?: boolean }[];
  readonly data: (number | null)[][];
}

export interface ReportModel {
  readonly title: string;
  readonly runs: readonly {
    name: string;
    settings: Record<string, unknown>;
    environment: Record<string, unknown>;
  }[];
  readonly charts: readonly ChartSpec[];
  /** Rows of the summary table: metric, then one value per run, then (2+ runs) the change vs the first. */
  readonly summary: readonly (string | number)[][];
  readonly backendShare: readonly {
    run: string;
    backend: string;
    answers: number;
    share: number;
  }[];
}

/** A p99 more than this times the uncorrected one: coordinated-omission correction mattered. */
export const CO_FACTOR = 1.5;

/** Several runs' columns on one x axis (the union of their x values; gaps are null). */
export function align(tables: { x: number[]; ys: number[][] }[]): (number | null)[][] {
  const xs = [...new Set(tables.flatMap((t) => t.x))].sort((a, b) => a - b);
  const out: (number | null)[][] = [xs];
  for (const t of tables) {
    const at = new Map(t.x.map((x, i) => [x, i]));
    for (const y of t.ys) out.push(xs.map((x) => (at.has(x) ? (y[at.get(x)!] ?? null) : null)));
  }
  return out;
}

/** HdrHistogram's percentile plot: x = 1/(1-p) (10 = 90 %, 100 = 99 %…), y = latency ms. */
export function percentileCurve(h: Histogram): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  if (h.totalCount === 0) return { x, y };
  const maxNines = Math.max(1, Math.log10(h.totalCount));
  for (let k = 0; k <= maxNines + 1e-9; k += 0.05) {
    const p = 1 - 10 ** -k;
    x.push(Math.round(10 ** k * 1000) / 1000);
    y.push(h.getValueAtPercentile(Math.min(100, p * 100)) / 1000);
  }
  x.push(10 ** (maxNines + 0.3));
  y.push(h.maxValue / 1000);
  return { x, y };
}

const latencyFields = [
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p99', 'p99'],
  ['p999', 'p99.9'],
  ['max', 'max'],
] as const;

/** Zero latency (an interval without answers) cannot sit on a log axis: a gap instead. */
const nonZero = (v: number[]) => v.map((n) => (n > 0 ? n : Number.NaN));

function latencyChart(runs: readonly ReportRun[]): ChartSpec {
  const multi = runs.length > 1;
  const fields = multi ? latencyFields.filter(([f]) => f === 'p50' || f === 'p99') : latencyFields;
  const series = runs.flatMap((r, run) =>
    fields.map(([, label]) => ({
      label: multi ? `${r.name} ${label}` : label,
      run,
      dash: label === 'p50' && multi,
    })),
  );
  const data = align(
    runs.map((r) => ({ x: r.series.t, ys: fields.map(([f]) => nonZero(r.series[f])) })),
  );
  return {
    id: 'latency',
    title: 'Latency percentiles per interval (ms, log)',
    yLabel: 'ms',
    logY: true,
    series,
    data: nanToNull(data),
  };
}

function nanToNull(data: (number | null)[][]): (number | null)[][] {
  return data.map((col) => col.map((v) => (v === null || Number.isNaN(v) ? null : v)));
}

function perRun(
  runs: readonly ReportRun[],
  id: string,
  title: string,
  yLabel: string,
  columns: readonly (readonly [label: string, pick: (r: ReportRun) => number[]])[],
): ChartSpec {
  const multi = runs.length > 1;
  const series = runs.flatMap((r, run) =>
    columns.map(([label]) => ({ label: multi ? `${r.name} ${label}` : label, run })),
  );
  const data = align(runs.map((r) => ({ x: r.series.t, ys: columns.map(([, pick]) => pick(r)) })));
  return { id, title, yLabel, series, data: nanToNull(data) };
}

/**
 * Counts per second. The last, partial interval of a run (the tail awaiting its last answers)
 * is left out when shorter than half an interval: 20 answers in 10 ms would plot as 2000/s.
 * A run shorter than one interval keeps its only row.
 */
const perSec = (r: ReportRun, v: number[]) =>
  v.map((n, i) => {
    const dur = r.series.dur[i]!;
    const shortTail = i > 0 && i === v.length - 1 && dur * 2000 < r.intervalMs;
    return shortTail || dur <= 0 ? Number.NaN : n / dur;
  });
const sumKeyed = (cols: Record<string, number[]>, length: number) => {
  const out = new Array<number>(length).fill(0);
  for (const col of Object.values(cols)) for (let i = 0; i < length; i++) out[i]! += col[i] ?? 0;
  return out;
};

function openLoopCharts(runs: readonly ReportRun[]): ChartSpec[] {
  const open = runs.filter((r) => r.summary.openLoop);
  if (open.length === 0) return [];
  const rate = perRun(
    open,
    'openloop-rate',
    'Open loop: scheduled vs achieved rate (req/s)',
    'req/s',
    [
      ['scheduled', (r) => perSec(r, r.series.scheduled)],
      ['achieved', (r) => perSec(r, r.series.completed)],
    ],
  );
  const co = perRun(
    open,
    'openloop-co',
    'Open loop: p99 corrected vs uncorrected (ms, log); marks where the correction mattered',
    'ms',
    [
      ['p99 (from schedule)', (r) => nonZero(r.series.p99)],
      ['p99 (from send)', (r) => nonZero(r.series.p99Uncorrected)],
      [
        `correction > ${CO_FACTOR}x`,
        (r) =>
          r.series.p99.map((p, i) =>
            p > CO_FACTOR * (r.series.p99Uncorrected[i] ?? 0) &&
            (r.series.p99Uncorrected[i] ?? 0) > 0
              ? p
              : Number.NaN,
          ),
      ],
    ],
  );
  return [
    rate,
    {
      ...co,
      logY: true,
      data: nanToNull(co.data),
      series: co.series.map((s) => (s.label.includes('correction >') ? { ...s, points: true } : s)),
    },
  ];
}

function backendChart(runs: readonly ReportRun[]): ChartSpec {
  const multi = runs.length > 1;
  const series: ChartSpec['series'][number][] = [];
  const tables = runs.map((r, run) => {
    const names = Object.keys(r.series.backends).sort();
    for (const n of names) series.push({ label: multi ? `${r.name} ${n}` : n, run });
    return { x: r.series.t, ys: names.map((n) => perSec(r, r.series.backends[n]!)) };
  });
  return {
    id: 'backends',
    title: 'Answers per backend (per second)',
    yLabel: 'answers/s',
    series,
    data: nanToNull(align(tables)),
  };
}

function fmt(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function summaryRows(runs: readonly ReportRun[]): (string | number)[][] {
  const metrics: [string, (r: ReportRun) => number][] = [
    ['requests', (r) => r.summary.requests],
    ['ok', (r) => r.summary.ok],
    ['failed', (r) => r.summary.failed],
    ['retries', (r) => r.summary.retries],
    ['seconds', (r) => r.summary.seconds],
    ['req/s', (r) => r.summary.rps],
    ['p50 ms', (r) => r.summary.latencyMs.p50],
    ['p90 ms', (r) => r.summary.latencyMs.p90],
    ['p99 ms', (r) => r.summary.latencyMs.p99],
    [
      'p99.9 ms',
      (r) =>
        r.decoded.totalCount > 0
          ? Math.min(r.summary.latencyMs.max, r.decoded.getValueAtPercentile(99.9) / 1000)
          : 0,
    ],
    ['max ms', (r) => r.summary.latencyMs.max],
    ['MB sent', (r) => r.summary.bytesSent / 1e6],
    ['MB received', (r) => r.summary.bytesReceived / 1e6],
    ['connections', (r) => r.summary.connections],
  ];
  return metrics.map(([name, pick]) => {
    const values = runs.map((r) => fmt(pick(r)));
    const row: (string | number)[] = [name, ...values];
    if (runs.length > 1) {
      const base = values[0]!;
      for (const v of values.slice(1))
        row.push(
          base === 0
            ? v === 0
              ? '='
              : 'new'
            : `${v >= base ? '+' : ''}${((100 * (v - base)) / base).toFixed(1)} %`,
        );
    }
    return row;
  });
}

/** Everything the page shows, computed here (tested in node); the page only draws it. */
export function buildReportModel(runs: readonly ReportRun[]): ReportModel {
  const charts: ChartSpec[] = [
    perRun(runs, 'throughput', 'Throughput (completed requests/s)', 'req/s', [
      ['req/s', (r) => perSec(r, r.series.completed)],
      // One run: requests started beside completed (a gap between them is a queue building up).
      ...(runs.length === 1
        ? ([['started/s', (r: ReportRun) => perSec(r, r.series.started)]] as const)
        : []),
    ]),
    perRun(runs, 'bytes', 'Bytes per second (MB/s)', 'MB/s', [
      ['sent', (r) => perSec(r, r.series.bytesSent).map((v) => v / 1e6)],
      ['received', (r) => perSec(r, r.series.bytesReceived).map((v) => v / 1e6)],
    ]),
    latencyChart(runs),
    {
      id: 'hdr',
      title: 'Latency by percentile (HdrHistogram, whole run)',
      yLabel: 'ms',
      logY: true,
      nines: true,
      series: runs.map((r, run) => ({ label: r.name, run })),
      data: nanToNull(
        align(
          runs.map((r) => {
            const c = percentileCurve(r.decoded);
            return { x: c.x, ys: [nonZero(c.y)] };
          }),
        ),
      ),
    },
    perRun(runs, 'errors', 'Errors (by code for one run) and retries per interval', 'count', [
      ['errors', (r) => sumKeyed(r.series.errors, r.series.t.length)],
      ['retries', (r) => r.series.retries],
      ...(runs.length === 1
        ? Object.keys(runs[0]!.series.errors)
            .sort()
            .map((code) => [code, (r: ReportRun) => r.series.errors[code] ?? []] as const)
        : []),
    ]),
    perRun(runs, 'active', 'Open connections', 'connections', [['active', (r) => r.series.active]]),
    backendChart(runs),
    ...openLoopCharts(runs),
  ];
  const backendShare = runs.flatMap((r) => {
    const total = Object.values(r.summary.backends).reduce((a, b) => a + b, 0);
    return Object.entries(r.summary.backends)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([backend, answers]) => ({
        run: r.name,
        backend,
        answers,
        share: total > 0 ? fmt((100 * answers) / total) : 0,
      }));
  });
  return {
    title:
      runs.length === 1
        ? `tcpbalancer-client run: ${runs[0]!.name}`
        : `tcpbalancer-client: ${runs.map((r) => r.name).join(' vs ')}`,
    runs: runs.map((r) => ({
      name: r.name,
      settings: r.settings,
      environment: { ...r.environment },
    })),
    charts,
    summary: summaryRows(runs),
    backendShare,
  };
}
