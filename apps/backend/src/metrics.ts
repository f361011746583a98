import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The backend's Prometheus metrics, in a registry of its own (several backends per process in tests). */
export interface BackendMetrics {
  readonly registry: Registry;
  /** outcome: ok, dry_run, or the error code sent (ERR_PIXEL_LIMIT, …). */
  readonly requests: Counter<'outcome'>;
  readonly resizeSeconds: Histogram;
  readonly inflight: Gauge;
  readonly connections: Gauge;
  readonly connectionsTotal: Counter;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  /** Connections closed on a protocol violation or timeout, or refused (ERR_BUSY), by code. */
  readonly connectionErrors: Counter<'code'>;
  /** Bytes held for peers (input + unsent answers), sampled at scrape time. */
  readonly bufferedBytes: Gauge;
  /** Times a socket was paused because --max-buffered-bytes was reached. */
  readonly budgetPauses: Counter;
  /** Resizes running (holding a --concurrency slot), sampled at scrape time. */
  readonly resizesRunning: Gauge;
}

/** Gauges read from the backend's state when scraped. */
export interface MetricSamplers {
  bufferedBytes(): number;
  resizesRunning(): number;
}

export function createMetrics(
  labels: { backend: string },
  samplers: MetricSamplers = { bufferedBytes: () => 0, resizesRunning: () => 0 },
): BackendMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, prefix: 'tcpb_backend_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'tcpb_backend_requests_total',
      help: 'Requests answered, by outcome (ok, dry_run, or the error code)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    resizeSeconds: new Histogram({
      name: 'tcpb_backend_resize_duration_seconds',
      help: 'Time to resize one image (after its turn came), seconds',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    inflight: new Gauge({
      name: 'tcpb_backend_inflight_requests',
      help: 'Requests received and not yet answered, all connections',
      registers,
    }),
    connections: new Gauge({
      name: 'tcpb_backend_connections',
      help: 'Open connections',
      registers,
    }),
    connectionsTotal: new Counter({
      name: 'tcpb_backend_connections_total',
      help: 'Connections accepted',
      registers,
    }),
    bytesIn: new Counter({
      name: 'tcpb_backend_bytes_received_total',
      help: 'Bytes read from peers',
      registers,
    }),
    bytesOut: new Counter({
      name: 'tcpb_backend_bytes_sent_total',
      help: 'Bytes written to peers',
      registers,
    }),
    connectionErrors: new Counter({
      name: 'tcpb_backend_connection_errors_total',
      help: 'Connections closed on a protocol error or a timeout, or refused (ERR_BUSY), by code',
      labelNames: ['code'] as const,
      registers,
    }),
    bufferedBytes: new Gauge({
      name: 'tcpb_backend_buffered_bytes',
      help: 'Bytes held for peers: input not yet resized and answers not yet written',
      registers,
      collect() {
        this.set(samplers.bufferedBytes());
      },
    }),
    resizesRunning: new Gauge({
      name: 'tcpb_backend_resizes_running',
      help: 'Resizes running now (each holds one of the --concurrency slots)',
      registers,
      collect() {
        this.set(samplers.resizesRunning());
      },
    }),
    budgetPauses: new Counter({
      name: 'tcpb_backend_budget_pauses_total',
      help: 'Sockets paused because --max-buffered-bytes was reached',
      registers,
    }),
  };
}
