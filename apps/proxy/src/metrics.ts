import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { UpstreamPool } from './upstream-pool.js';

/** What the metrics read at scrape time (the counters themselves live on plain objects). */
export interface MetricsSource {
  readonly pool: UpstreamPool;
  activeConnections(): number;
  totalConnections(): number;
}

export interface ProxyMetrics {
  readonly registry: Registry;
  readonly refused: Counter<'reason'>;
  readonly connectFailures: Counter<'upstream'>;
  readonly retries: Counter;
  readonly duration: Histogram<'reason'>;
}

/**
 * One registry per proxy instance (several proxies can live in one process, as in the tests).
 * Hot-path numbers are read from the pool at scrape time through `collect`, so a chunk of data
 * costs two integer additions, not a label lookup.
 */
export function createMetrics(
  source: MetricsSource,
  options: { defaultMetrics: boolean },
): ProxyMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'tcpb_proxy_' });
  const registers = [registry];
  const pool = source.pool;

  new Gauge({
    name: 'tcpb_proxy_connections_active',
    help: 'Client connections open now (connecting included)',
    registers,
    collect() {
      this.set(source.activeConnections());
    },
  });
  new Counter({
    name: 'tcpb_proxy_connections_total',
    help: 'Client connections accepted (refused ones excluded)',
    registers,
    collect() {
      this.reset();
      this.inc(source.totalConnections());
    },
  });
  const refused = new Counter({
    name: 'tcpb_proxy_connections_refused_total',
    help: 'Client connections closed at once: max-conns reached, draining, or no upstream reachable',
    labelNames: ['reason'] as const,
    registers,
  });
  const connectFailures = new Counter({
    name: 'tcpb_proxy_upstream_connect_failures_total',
    help: 'Failed connect attempts to an upstream (real traffic, not health checks)',
    labelNames: ['upstream'] as const,
    registers,
  });
  const retries = new Counter({
    name: 'tcpb_proxy_retries_total',
    help: 'Connect attempts on another upstream after a failure',
    registers,
  });
  new Gauge({
    name: 'tcpb_proxy_upstream_connections_active',
    help: 'Connections open (or opening) to an upstream',
    labelNames: ['upstream'] as const,
    registers,
    collect() {
      this.reset();
      for (const up of pool.list) this.set({ upstream: up.key }, up.active);
    },
  });
  new Counter({
    name: 'tcpb_proxy_upstream_connections_total',
    help: 'Connections established to an upstream',
    labelNames: ['upstream'] as const,
    registers,
    collect() {
      this.reset();
      for (const up of pool.list) this.inc({ upstream: up.key }, up.total);
    },
  });
  new Counter({
    name: 'tcpb_proxy_upstream_bytes_total',
    help: 'Bytes relayed, per upstream and direction (to_upstream: from clients; from_upstream: to clients)',
    labelNames: ['upstream', 'direction'] as const,
    registers,
    collect() {
      this.reset();
      for (const up of pool.list) {
        this.inc({ upstream: up.key, direction: 'to_upstream' }, up.bytesToUpstream);
        this.inc({ upstream: up.key, direction: 'from_upstream' }, up.bytesFromUpstream);
      }
    },
  });
  new Gauge({
    name: 'tcpb_proxy_upstream_up',
    help: '1 when the upstream takes new connections (healthy and still in DNS), else 0',
    labelNames: ['upstream'] as const,
    registers,
    collect() {
      this.reset();
      for (const up of pool.list) this.set({ upstream: up.key }, up.available ? 1 : 0);
    },
  });
  const duration = new Histogram({
    name: 'tcpb_proxy_connection_duration_seconds',
    help: 'Lifetime of client connections, by why they ended',
    labelNames: ['reason'] as const,
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600, 3600],
    registers,
  });
  return { registry, refused, connectFailures, retries, duration };
}
