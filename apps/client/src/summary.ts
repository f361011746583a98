import { printable } from './printable.js';
import type { LatencySummary } from './stats.js';

export interface Failure {
  /** The image, relative to --input. */
  readonly path: string;
  readonly round: number;
  readonly code: string;
  readonly message: string;
}

export interface Skipped {
  readonly path: string;
  readonly reason: string;
  /** With UNSUPPORTED_FORMAT: the format recognised (bmp, ico, …). */
  readonly format?: string;
}

/** The result of a run, printed as a table or (`--json`) as one JSON object. */
export interface Summary {
  readonly mode: 'resize' | 'load';
  readonly dryRun: boolean;
  readonly openLoop: boolean;
  /** Requests settled: ok + failed (a retried request counts once). */
  readonly requests: number;
  readonly ok: number;
  readonly failed: number;
  readonly seconds: number;
  /** requests / seconds. */
  readonly rps: number;
  readonly latencyMs: LatencySummary;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Answers per backend name (from the answers' `backend` field). */
  readonly backends: Record<string, number>;
  /** Re-sends after a broken connection, a timeout, or a busy backend. */
  readonly retries: number;
  /** TCP connections made. */
  readonly connections: number;
  readonly rounds: number;
  /** Images found (resize mode: per round). */
  readonly images: number;
  /** Files of --input that are not sent (not images, unreadable…), the first 1000. */
  readonly skipped: readonly Skipped[];
  readonly skippedCount: number;
  /** Failures by error code. */
  readonly errors: Record<string, number>;
  /** Each failed request (capped at 1000 in load mode; `failed` has the count). */
  readonly failures: readonly Failure[];
  /** Files written, relative to --output (resize mode). */
  readonly written: number;
  /**
   * (Not in the table: runClient already wrote it on stderr as `error: …`, and the failures
   * below carry it.) Present when the run was given up for a cause that is not any one image's (every backend
   * down behind the proxy, the proxy unreachable): one line saying why. The failures follow.
   */
  readonly aborted?: string;
}

/** Failures shown per distinct error in the table; the rest are counted (JSON keeps them all). */
const SAME_FAILURES_SHOWN = 5;

function mb(n: number): string {
  return (n / 1_000_000).toFixed(2);
}

/** The human summary: a small aligned table, the backends, then every failure and skip. */
export function formatSummary(s: Summary): string {
  const rows: [string, string][] = [
    ['mode', `${s.mode}${s.dryRun ? ' (dry run)' : ''}${s.openLoop ? ' (open loop)' : ''}`],
    ['requests', String(s.requests)],
    ['ok', String(s.ok)],
    ['failed', String(s.failed)],
    ['retries', String(s.retries)],
    ['connections', String(s.connections)],
    ['wall time', `${s.seconds.toFixed(3)} s`],
    // A rate of nothing is no rate: 0 when no request succeeded.
    [s.mode === 'resize' ? 'images/s' : 'requests/s', (s.ok > 0 ? s.rps : 0).toFixed(1)],
    ['MB sent', mb(s.bytesSent)],
    ['MB received', mb(s.bytesReceived)],
    [
      'latency ms',
      `p50 ${s.latencyMs.p50}  p90 ${s.latencyMs.p90}  p99 ${s.latencyMs.p99}  max ${s.latencyMs.max}`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = ['', 'summary', ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
  const backends = Object.entries(s.backends).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (backends.length > 0) {
    lines.push('', 'backends');
    const w = Math.max(...backends.map(([k]) => k.length));
    for (const [name, n] of backends) {
      const pct = s.ok + s.failed > 0 ? ((100 * n) / Math.max(1, sum(s.backends))).toFixed(1) : '0';
      lines.push(`  ${name.padEnd(w)}  ${String(n).padStart(8)}  ${pct.padStart(5)} %`);
    }
  }
  if (s.failures.length > 0) {
    lines.push('', `failed (${s.failed})`);
    // The first few of each distinct error, then a count: 200 identical lines say nothing more.
    const seen = new Map<string, number>();
    for (const f of s.failures) {
      const key = printable(`${f.code}: ${f.message}`, 600);
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (n <= SAME_FAILURES_SHOWN)
        lines.push(
          `  ${printable(f.path, 300)}${s.rounds > 1 ? ` [round ${f.round}]` : ''}: ${key}`,
        );
    }
    for (const [key, n] of seen)
      if (n > SAME_FAILURES_SHOWN) lines.push(`  … and ${n - SAME_FAILURES_SHOWN} more: ${key}`);
  }
  if (s.skipped.length > 0) {
    lines.push('', `skipped (${s.skippedCount})`);
    for (const k of s.skipped)
      lines.push(`  ${printable(k.path, 300)}: ${k.reason}${k.format ? ` (${k.format})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function sum(r: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(r)) n += v;
  return n;
}

/**
 * The exit status a run earns: 1 when a request failed or the run was given up (`aborted`:
 * nothing reachable, no request completed), else 0. Stopped by a signal, the requests cut off
 * (ERR_ABORTED) are not failures of the system: only real failures count then.
 */
export function exitStatus(s: Summary, stoppedBySignal: boolean): 0 | 1 {
  if (stoppedBySignal) return s.failed - (s.errors.ERR_ABORTED ?? 0) > 0 ? 1 : 0;
  return s.failed > 0 || s.aborted !== undefined ? 1 : 0;
}
