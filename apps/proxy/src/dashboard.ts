import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let page: string | undefined;

/**
 * The dashboard at `GET /` of the metrics listener: one self-contained HTML page — its script,
 * its styles and the chart library (uPlot, ~50 KB, inlined from the installed package the first
 * time the page is asked for) — so it works offline and behind any firewall, with no CDN. It
 * polls `GET /api/state` every second and computes rates from the difference between readings.
 */
export function renderDashboard(): string {
  if (page === undefined) {
    const require = createRequire(import.meta.url);
    const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
    const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    page = TEMPLATE.replace('/*UPLOT_CSS*/', () => uplotCss).replace(
      '/*UPLOT_JS*/',
      // A literal "</script>" inside would end the element early.
      () => uplotJs.replaceAll('</script', '<\\/script'),
    );
  }
  return page;
}

const TEMPLATE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tcpbalancer-proxy</title>
<style>/*UPLOT_CSS*/</style>
<style>
/* Okabe–Ito colours (distinguishable with every common colour-vision deficiency), and every
   state also has a symbol and a word: colour is never the only signal. */
:root { --up:#009E73; --down:#D55E00; --drain:#E69F00; --off:#6b6b6b; --check:#0072B2;
  --bg:#fafafa; --fg:#1a1a1a; --mute:#5f5f5f; --line:#ddd; --card:#fff; }
@media (prefers-color-scheme: dark) { :root { --bg:#15171a; --fg:#e8e8e8; --mute:#a0a0a0; --line:#333; --card:#1d2024; } }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; flex-wrap:wrap; gap:.5rem 1rem; align-items:center; padding:.6rem 1rem; border-bottom:1px solid var(--line); background:var(--card); position:sticky; top:0; z-index:2; }
header h1 { font-size:1.05rem; margin:0; }
#status { color:var(--mute); }
#status.stale { color:var(--down); font-weight:600; }
#auth { margin-left:auto; display:flex; gap:.4rem; align-items:center; }
input, button { font:inherit; }
input { padding:.25rem .4rem; border:1px solid var(--line); border-radius:4px; background:var(--bg); color:var(--fg); }
button { padding:.25rem .6rem; border:1px solid var(--mute); border-radius:4px; background:var(--card); color:var(--fg); cursor:pointer; }
button:disabled { opacity:.4; cursor:not-allowed; }
main { padding:1rem; max-width:1400px; margin:0 auto; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(140px,1fr)); gap:.6rem; margin-bottom:1rem; }
.card { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:.5rem .7rem; }
.card .k { color:var(--mute); font-size:.8rem; }
.card .v { font-size:1.2rem; font-variant-numeric:tabular-nums; }
.charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(300px,1fr)); gap:.6rem; margin-bottom:1rem; }
.chart { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:.4rem; min-width:0; }
.chart h3 { margin:.1rem .3rem .3rem; font-size:.85rem; font-weight:600; }
section.pool { margin-bottom:1.2rem; }
section.pool h2 { font-size:1rem; margin:.2rem 0 .4rem; }
.meta { color:var(--mute); font-weight:normal; font-size:.85rem; }
table { width:100%; border-collapse:collapse; background:var(--card); border:1px solid var(--line); }
th, td { padding:.3rem .4rem; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; font-variant-numeric:tabular-nums; }
th { font-size:.78rem; color:var(--mute); font-weight:600; }
th:first-child, td:first-child, td.state, th.state { text-align:left; }
.badge { display:inline-block; padding:.05rem .45rem; border-radius:3px; color:#fff; font-weight:600; font-size:.8rem; }
.badge.up { background:var(--up); } .badge.down { background:var(--down); } .badge.draining { background:var(--drain); color:#000; }
.badge.disabled, .badge.removed { background:var(--off); } .badge.checking { background:var(--check); }
.hist { font-family:ui-monospace, monospace; letter-spacing:-1px; font-size:.8rem; }
.hist .ok { color:var(--up); } .hist .ko { color:var(--down); }
.actions { display:flex; gap:.2rem; justify-content:flex-end; flex-wrap:nowrap; align-items:center; }
.actions button { padding:.1rem .4rem; font-size:.8rem; }
.actions input { width:3.6rem; padding:.1rem .3rem; font-size:.8rem; }
td .meta { font-size:.75rem; }
#toast { position:fixed; bottom:1rem; left:50%; transform:translateX(-50%); background:var(--fg); color:var(--bg); padding:.5rem .9rem; border-radius:5px; display:none; max-width:90vw; z-index:3; }
.wrap { overflow-x:auto; }
/* Phone width: each upstream becomes a card of labelled lines. */
@media (max-width: 760px) {
  table.ups thead { display:none; }
  table.ups, table.ups tbody, table.ups tr, table.ups td { display:block; width:100%; }
  table.ups tr { border-bottom:2px solid var(--line); padding:.3rem 0; }
  table.ups td { border:none; text-align:right; padding:.15rem .5rem; white-space:normal; }
  table.ups td::before { content:attr(data-label); float:left; color:var(--mute); font-size:.8rem; }
  table.ups td:first-child { font-weight:600; text-align:left; }
  table.ups td:first-child::before { content:none; }
  #auth { margin-left:0; width:100%; }
  #auth input { flex:1; }
}
</style>
</head>
<body>
<header>
  <h1>tcpbalancer-proxy</h1>
  <span id="status">connecting…</span>
  <form id="auth" autocomplete="off">
    <label for="token" class="meta">admin token</label>
    <input id="token" type="password" placeholder="to enable the buttons" aria-label="admin token">
    <button id="use-token" type="submit">use</button>
  </form>
</header>
<main>
  <div class="cards" id="cards"></div>
  <div class="charts">
    <div class="chart"><h3>New connections (conn/s)</h3><div id="c-rate"></div></div>
    <div class="chart"><h3>Throughput (KiB/s) <span class="meta">— solid: to upstreams, dashed: from</span></h3><div id="c-bytes"></div></div>
    <div class="chart"><h3>Connections (conns) <span class="meta">— solid: open, dashed: waiting</span></h3><div id="c-active"></div></div>
  </div>
  <div id="pools"></div>
  <h2 style="font-size:1rem">Listeners</h2>
  <div class="wrap"><table id="listeners"><thead><tr><th>listener</th><th>address</th><th>open (conns)</th><th>total (conns)</th><th>refused (conns)</th><th>state</th></tr></thead><tbody></tbody></table></div>
</main>
<div id="toast" role="status" aria-live="polite"></div>
<script>/*UPLOT_JS*/</script>
<script>
"use strict";
(function () {
  var POLL_MS = 1000, KEEP = 300; // 5 minutes of 1 s points
  var SYMBOL = { up: "\\u25CF", down: "\\u25BC", draining: "\\u25D0", disabled: "\\u25A0", checking: "?", removed: "\\u2715" };
  var token = sessionStorage.getItem("tcpb-token") || "";
  var prev = null, prevAt = 0, series = [[], [], [], [], [], []], charts = {};
  var $ = function (id) { return document.getElementById(id); };
  $("token").value = token;
  $("auth").addEventListener("submit", function (e) {
    e.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem("tcpb-token", token);
    toast(token ? "token set: buttons enabled" : "token cleared");
    draw(last);
  });

  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  function num(n) { return n >= 1e6 ? (n / 1e6).toFixed(1) + " M" : n >= 1e4 ? (n / 1e3).toFixed(1) + " k" : String(Math.round(n)); }
  function bytes(n) { var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0; while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; } return (i ? n.toFixed(1) : Math.round(n)) + " " + u[i]; }
  function rate(n, unit) { return (n < 10 && n > 0 ? n.toFixed(1) : num(n)) + " " + unit; }
  function ago(iso) {
    var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return s + " s ago"; if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s ago";
    if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min ago"; return Math.floor(s / 86400) + " d ago";
  }
  function toast(msg) { var t = $("toast"); t.textContent = msg; t.style.display = "block"; clearTimeout(toast.t); toast.t = setTimeout(function () { t.style.display = "none"; }, 3500); }

  function chart(el, labels, colors) {
    var s = [{}];
    labels.forEach(function (l, i) { s.push({ label: l, stroke: colors[i], width: 2, dash: i === 1 ? [6, 4] : undefined }); });
    var width = Math.max(260, el.clientWidth || 300);
    return new uPlot({ width: width, height: 140, series: s, legend: { show: false },
      axes: [{}, { size: 55 }], scales: { x: { time: true } } }, [[]].concat(labels.map(function () { return []; })), el);
  }

  function upstreamKey(p, u) { return p + "|" + u.address; }

  var last = null;
  function draw(st) {
    if (!st) return;
    last = st;
    var now = Date.parse(st.time), dt = prev ? (now - prevAt) / 1000 : 0;
    var prevUp = {};
    if (prev) prev.pools.forEach(function (p) { p.upstreams.forEach(function (u) { prevUp[upstreamKey(p.name, u)] = u; }); });

    // Process cards: the sum over workers for CPU and memory, the worst lag.
    var cpu = 0, rss = 0, heap = 0, lagMean = 0, lagMax = 0, up = 0;
    st.processes.forEach(function (p) { cpu += p.cpuPercent; rss += p.rssBytes; heap += p.heapUsedBytes; lagMean = Math.max(lagMean, p.eventLoopLagMs.mean); lagMax = Math.max(lagMax, p.eventLoopLagMs.max); up = Math.max(up, p.uptimeSeconds); });
    var cards = [
      ["open connections", num(st.connections.active) + " conns"],
      ["waiting for an upstream", num(st.connections.queued) + " conns"],
      ["refused", num(st.connections.refused) + " conns"],
      ["proxy CPU", cpu.toFixed(1) + " %"],
      ["proxy memory (RSS)", bytes(rss)],
      ["JS heap", bytes(heap)],
      ["event-loop lag mean / max", lagMean.toFixed(1) + " / " + lagMax.toFixed(1) + " ms"],
      ["workers", String(st.workers)],
      ["uptime", up >= 3600 ? (up / 3600).toFixed(1) + " h" : Math.round(up / 60) + " min"]
    ];
    $("cards").innerHTML = cards.map(function (c) { return '<div class="card"><div class="k">' + esc(c[0]) + '</div><div class="v">' + esc(c[1]) + "</div></div>"; }).join("");

    // Totals for the charts.
    var totIn = 0, totOut = 0, totConn = 0;
    var html = "";
    st.pools.forEach(function (p) {
      html += '<section class="pool" data-pool="' + esc(p.name) + '"><h2>pool ' + esc(p.name) + ' <span class="meta">' + esc(p.strategy) +
        " · queue " + p.queue.length + "/" + p.queue.max + " conns, timeout " + p.queue.timeoutMs + " ms · dropped: " +
        p.queue.dropped["queue-timeout"] + " timeout, " + p.queue.dropped["queue-full"] + " full</span></h2>" +
        '<div class="wrap"><table class="ups"><thead><tr><th>upstream</th><th class="state">state</th><th>since</th><th title="last checks, oldest first">checks</th><th title="connections open now">open</th><th title="connections, ever">total</th><th>rate</th><th title="bytes per second to and from the upstream">\\u2191 / \\u2193</th><th title="failed connects of client traffic">fails</th><th>weight</th><th></th></tr></thead><tbody>';
      p.upstreams.forEach(function (u) {
        var pu = prevUp[upstreamKey(p.name, u)];
        var r = pu && dt > 0 ? Math.max(0, (u.total - pu.total) / dt) : 0;
        var bi = pu && dt > 0 ? Math.max(0, (u.bytesToUpstream - pu.bytesToUpstream) / dt) : 0;
        var bo = pu && dt > 0 ? Math.max(0, (u.bytesFromUpstream - pu.bytesFromUpstream) / dt) : 0;
        totConn += r; totIn += bi; totOut += bo;
        var hist = (u.checks || []).map(function (c) { return c ? '<span class="ok" title="passed">\\u25AA</span>' : '<span class="ko" title="failed">\\u2715</span>'; }).join("") || '<span class="meta">none</span>';
        var dis = token ? "" : " disabled";
        var a = esc(u.address), pn = esc(p.name);
        html += '<tr data-upstream="' + a + '" data-state="' + esc(u.state) + '">' +
          '<td data-label="upstream">' + a + (u.upstream !== u.address ? ' <span class="meta">' + esc(u.upstream) + "</span>" : "") + "</td>" +
          '<td class="state" data-label="state"><span class="badge ' + esc(u.state) + '">' + (SYMBOL[u.state] || "") + " " + esc(u.state) + "</span>" + (u.lastCheckError ? ' <span class="meta" title="' + esc(u.lastCheckError) + '"><abbr>why</abbr></span>' : "") + "</td>" +
          '<td data-label="since" title="' + esc(u.since) + '">' + ago(u.since) + "</td>" +
          '<td data-label="checks" class="hist">' + hist + "</td>" +
          '<td data-label="open">' + num(u.active) + "</td>" +
          '<td data-label="total">' + num(u.total) + "</td>" +
          '<td data-label="rate">' + rate(r, "conn/s") + "</td>" +
          '<td data-label="to / from upstream" title="in total: ' + bytes(u.bytesToUpstream) + " to, " + bytes(u.bytesFromUpstream) + ' from">\\u2191 ' + bytes(bi) + "/s \\u2193 " + bytes(bo) + "/s</td>" +
          '<td data-label="connect failures">' + num(u.failures) + "</td>" +
          '<td data-label="weight">' + u.weight + "</td>" +
          '<td data-label="actions"><div class="actions">' +
          '<button data-action="drain" data-pool="' + pn + '" data-up="' + a + '"' + dis + (u.admin === "drain" ? " disabled" : "") + ">drain</button>" +
          '<button data-action="disable" data-pool="' + pn + '" data-up="' + a + '"' + dis + (u.admin === "maint" ? " disabled" : "") + ">disable</button>" +
          '<button data-action="enable" data-pool="' + pn + '" data-up="' + a + '"' + dis + (u.admin === "ready" ? " disabled" : "") + ">enable</button>" +
          '<input type="number" min="0" max="1000" value="' + u.weight + '" aria-label="weight of ' + a + '" data-weight-for="' + a + '"' + dis + ">" +
          '<button data-action="weight" data-pool="' + pn + '" data-up="' + a + '"' + dis + ">set</button>" +
          "</div></td></tr>";
      });
      html += "</tbody></table></div></section>";
    });
    // Rebuilding the rows would steal the focus from a weight being typed: keep it while editing.
    var editing = document.activeElement && document.activeElement.hasAttribute && document.activeElement.hasAttribute("data-weight-for");
    if (!editing) $("pools").innerHTML = html;
    $("listeners").tBodies[0].innerHTML = st.listeners.map(function (l) {
      return "<tr><td>" + esc(l.name) + "</td><td>" + esc(l.host + ":" + l.port) + "</td><td>" + num(l.active) + "</td><td>" + num(l.total) +
        "</td><td>" + num(Object.keys(l.refused).reduce(function (n, k) { return n + l.refused[k]; }, 0)) + "</td><td>" + (l.draining ? "draining" : "open") + "</td></tr>";
    }).join("");

    if (prev) {
      var t = now / 1000;
      var row = [t, totConn, totIn / 1024, totOut / 1024, st.connections.active, st.connections.queued];
      for (var i = 0; i < row.length; i++) { series[i].push(row[i]); if (series[i].length > KEEP) series[i].shift(); }
      if (!charts.rate && window.uPlot) {
        charts.rate = chart($("c-rate"), ["conn/s"], ["#0072B2"]);
        charts.bytes = chart($("c-bytes"), ["to upstreams KiB/s", "from upstreams KiB/s"], ["#009E73", "#CC79A7"]);
        charts.active = chart($("c-active"), ["open", "waiting"], ["#0072B2", "#D55E00"]);
      }
      if (charts.rate) {
        charts.rate.setData([series[0], series[1]]);
        charts.bytes.setData([series[0], series[2], series[3]]);
        charts.active.setData([series[0], series[4], series[5]]);
      }
    }
    prev = st; prevAt = now;
  }

  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button[data-action]");
    if (!b) return;
    var op = b.getAttribute("data-action"), pool = b.getAttribute("data-pool"), upstream = b.getAttribute("data-up");
    var base = "/api/pools/" + encodeURIComponent(pool) + "/upstreams/" + encodeURIComponent(upstream) + "/";
    var init = { method: "POST", headers: { authorization: "Bearer " + token, "x-actor": "dashboard" } };
    if (op === "weight") {
      var input = document.querySelector('input[data-weight-for="' + CSS.escape(upstream) + '"]');
      init.method = "PUT"; init.headers["content-type"] = "application/json";
      init.body = JSON.stringify({ weight: Number(input && input.value) });
    }
    b.disabled = true;
    fetch(base + op, init).then(function (r) { return r.json().then(function (j) { return { r: r, j: j }; }); }).then(function (x) {
      if (x.r.ok) { toast(op + " " + upstream + ": done"); poll(); }
      else toast(op + " " + upstream + ": " + (x.j.error ? x.j.error.message : x.r.status));
    }).catch(function (err) { toast(op + " failed: " + err.message); }).finally(function () { b.disabled = false; });
  });

  var failures = 0;
  function poll() {
    return fetch("/api/state", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (st) {
      failures = 0;
      $("status").className = "";
      $("status").textContent = "live · updated " + new Date(st.time).toLocaleTimeString() + (st.draining ? " · DRAINING" : "");
      draw(st);
    }).catch(function () {
      failures++;
      $("status").className = "stale";
      $("status").textContent = "no answer from the proxy (" + failures + " tries)";
    });
  }
  poll();
  setInterval(poll, POLL_MS);
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { var el = charts[k].root.parentNode; charts[k].setSize({ width: Math.max(260, el.clientWidth - 8), height: 150 }); });
  });
})();
</script>
</body>
</html>
`;
