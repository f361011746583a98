import type { ReportModel } from './report-model.js';

/** The chart library, inlined: the page works offline, from a file, with no CDN. */
export interface ChartAssets {
  readonly script: string;
  readonly css: string;
}

const escapeHtml = (s: unknown): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON inside a <script>: no `</script>` or `<!--` can end or bend it. */
const scriptJson = (v: unknown): string =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

function table(head: readonly unknown[], rows: readonly (readonly unknown[])[]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const tr = rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

function keyValues(model: ReportModel, pick: 'settings' | 'environment'): string {
  const keys = [...new Set(model.runs.flatMap((r) => Object.keys(r[pick])))];
  const rows = keys.map((k) => [k, ...model.runs.map((r) => fmtValue(r[pick][k]))]);
  return table(['', ...model.runs.map((r) => r.name)], rows);
}

function fmtValue(v: unknown): string {
  if (v === undefined || v === null) return '—';
  if (Array.isArray(v)) return v.join(', ');
  return String(v);
}

/** Draws every chart of the model with uPlot; `window.__charts[id]` is each instance (tests read it). */
const PAGE_SCRIPT = `
(function () {
  var model = JSON.parse(document.getElementById('model').textContent);
  var palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
  function nines(v) {
    var p = 100 * (1 - 1 / v);
    if (p <= 0) return '0%';
    return (Math.round(p * 1000) / 1000) + '%';
  }
  // The nines axis: one tick per decade (0%, 90%, 99%, 99.9%…), not uPlot's log sub-ticks.
  function decades(u, axisIdx, min, max) {
    var out = [];
    for (var v = 1; v <= max * 1.0001; v *= 10) if (v >= min / 1.0001) out.push(v);
    return out;
  }
  window.__charts = {};
  model.charts.forEach(function (c) {
    var el = document.getElementById('chart-' + c.id);
    var hasY = c.data.slice(1).some(function (col) { return col.some(function (v) { return v !== null && v > 0; }); });
    var log = c.logY && hasY;
    var opts = {
      title: c.title,
      width: Math.max(480, el.clientWidth || 900),
      height: 260,
      scales: { x: { time: false, distr: c.nines ? 3 : 1 }, y: { distr: log ? 3 : 1 } },
      axes: [
        c.nines
          ? { label: 'percentile', splits: decades, values: function (u, vals) { return vals.map(nines); } }
          : { label: 'seconds since start' },
        { label: c.yLabel }
      ],
      series: [{ label: c.nines ? 'percentile' : 's', value: c.nines ? function (u, v) { return v == null ? '' : nines(v); } : undefined }].concat(c.series.map(function (s, i) {
        var color = palette[(s.run * 3 + i) % palette.length];
        var out = { label: s.label, stroke: color, width: 1.5, spanGaps: true };
        if (s.dash) out.dash = [6, 4];
        if (s.points) { out.paths = function () { return null; }; out.points = { show: true, size: 9, stroke: '#d62728', fill: '#d62728' }; }
        return out;
      }))
    };
    window.__charts[c.id] = new uPlot(opts, c.data, el);
  });
  document.body.setAttribute('data-charts-drawn', String(model.charts.length));
})();
`;

/** One self-contained HTML page: styles, the chart library, the data, tables and charts. */
export function renderHtml(model: ReportModel, assets: ChartAssets): string {
  const charts = model.charts
    .map((c) => `<section class="chart" id="chart-${escapeHtml(c.id)}"></section>`)
    .join('\n');
  const summaryHead = ['metric', ...model.runs.map((r) => r.name)];
  if (model.runs.length > 1)
    summaryHead.push(...model.runs.slice(1).map((r) => `${r.name} vs ${model.runs[0]!.name}`));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(model.title)}</title>
<style>${assets.css}</style>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; } .chart { margin: 1em 0; min-height: 300px; }
</style>
</head>
<body>
<h1>${escapeHtml(model.title)}</h1>
<h2>Summary</h2>
${table(summaryHead, model.summary)}
<h2>Charts</h2>
${charts}
<h2>Share per backend</h2>
${table(
  ['run', 'backend', 'answers', 'share %'],
  model.backendShare.map((b) => [b.run, b.backend, b.answers, b.share]),
)}
<h2>Settings</h2>
${keyValues(model, 'settings')}
<h2>Environment</h2>
${keyValues(model, 'environment')}
<script id="model" type="application/json">${scriptJson(model)}</script>
<script>${assets.script}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
