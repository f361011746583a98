import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Upstream } from './upstream.js';

/** A listener as the metrics read it at scrape time. */
export interface ListenerSource {
  readonly name: string;
  readonly active: number;
  readonly total: number;
}

/** A pool as the metrics read it at scrape time. */
export interface PoolSource {
  readonly name: string;
  readonly pool: { readonly list: readonly Upstream[] };
}

/** What the metrics read at scrape time (the counters themselves live on plain objects). */
export interface MetricsSource {
  listeners(): Iterable<ListenerSource>;
  pools(): Iterable<PoolSource>;
}

export interface ProxyMetrics {
  readonly registry: Registry;
  /** `reason` first, then `listener`. */
  readonly refused: Counter<'reason' | 'listener'>;
  readonly connectFailures: Counter<'upstream' | 'pool'>;
  readonly retries: Counter<'pool'>;
  readonly duration: Histogram<'reason' | 'listener'>;
  /** `{ listener: name }`, or `{}` for the flags' unlabelled series. */
  readonly listenerLabel: (name: string) => { listener?: string };
  readonly poolLabel: (name: string) => { pool?: string };
}

/**
 * One registry per proxy instance (several proxies can live in one process, as in the tests).
 * Hot-path numbers are read from the listeners and pools at scrape time through `collect`, so a
 * chunk of data costs two integer additions, not a label lookup. With a config file
 * (`labelled`), every series carries the `listener` or the `pool` it belongs to; the flags' one
 * listener and pool keep the series exactly as they were, without those labels.
 */
export function createMetrics(
  source: MetricsSource,
  options: { defaultMetrics: boolean; labelled: boolean },
): ProxyMetrics {
  // The flags' one listener and pool: no listener/pool labels, the series exactly as before.
  const L = options.labelled ? (name: string) => ({ listener: name }) : (_name: string) => ({});
  const P = options.labelled ? (name: string) => ({ pool: name }) : (_name: string) => ({});
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'tcpb_proxy_' });
  const registers = [registry];
  const perUpstream = (each: (up: Upstream, pool: { pool?: string }) => void) => {
    for (const p of source.pools()) {
      const label = P(p.name);
      for (const up of p.pool.list) each(up, label);
    }
  };

  new Gauge({
    name: 'tcpb_proxy_connections_active',
    help: 'Client connections open now (connecting included), per listener',
    labelNames: ['listener'] as const,
    registers,
    collect() {
      this.reset();
      for (const l of source.listeners()) this.set(L(l.name), l.active);
    },
  });
  new Counter({
    name: 'tcpb_proxy_connections_total',
    help: 'Client connections accepted (refused ones excluded), per listener',
    labelNames: ['listener'] as const,
    registers,
    collect() {
      this.reset();
      for (const l of source.listeners()) this.inc(L(l.name), l.total);
    },
  });
  const refused = new Counter({
    name: 'tcpb_proxy_connections_refused_total',
    help: 'Client connections closed at once: max-conns, draining, no upstream, per-source limits, PROXY header or TLS hello refused',
    labelNames: ['reason', 'listener'] as const,
    registers,
  });
  const connectFailures = new Counter({
    name: 'tcpb_proxy_upstream_connect_failures_total',
    help: 'Failed connect attempts to an upstream (real traffic, not health checks)',
    labelNames: ['upstream', 'pool'] as const,
    registers,
  });
  const retries = new Counter({
    name: 'tcpb_proxy_retries_total',
    help: 'Connect attempts on another upstream after a failure',
    // Unlabelled for the flags: then the series exists (at 0) before the first retry.
    labelNames: options.labelled ? (['pool'] as const) : [],
    registers,
  });
  new Gauge({
    name: 'tcpb_proxy_upstream_connections_active',
    help: 'Connections open (or opening) to an upstream',
    labelNames: ['upstream', 'pool'] as const,
    registers,
    collect() {
      this.reset();
      perUpstream((up, pool) => this.set({ upstream: up.key, ...pool }, up.active));
    },
  });
  new Counter({
    name: 'tcpb_proxy_upstream_connections_total',
    help: 'Connections established to an upstream',
    labelNames: ['upstream', 'pool'] as const,
    registers,
    collect() {
      this.reset();
      perUpstream((up, pool) => this.inc({ upstream: up.key, ...pool }, up.total));
    },
  });
  new Counter({
    name: 'tcpb_proxy_upstream_bytes_total',
    help: 'Bytes relayed, per upstream and direction (to_upstream: from clients; from_upstream: to clients)',
    labelNames: ['upstream', 'direction', 'pool'] as const,
    registers,
    collect() {
      this.reset();
      perUpstream((up, pool) => {
        this.inc({ upstream: up.key, direction: 'to_upstream', ...pool }, up.bytesToUpstream);
        this.inc({ upstream: up.key, direction: 'from_upstream', ...pool }, up.bytesFromUpstream);
      });
    },
  });
  new Gauge({
    name: 'tcpb_proxy_upstream_up',
    help: '1 when the upstream takes new connections (healthy and still in DNS), else 0',
    labelNames: ['upstream', 'pool'] as const,
    registers,
    collect() {
      this.reset();
      perUpstream((up, pool) => this.set({ upstream: up.key, ...pool }, up.available ? 1 : 0));
    },
  });
  const duration = new Histogram({
    name: 'tcpb_proxy_connection_duration_seconds',
    help: 'Lifetime of client connections, by why they ended',
    labelNames: ['reason', 'listener'] as const,
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600, 3600],
    registers,
  });
  return { registry, refused, connectFailures, retries, duration, listenerLabel: L, poolLabel: P };
}
