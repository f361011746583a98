import {
  healthRoute,
  type MetricsServer,
  prometheusRoute,
  startMetricsServer as startHttp,
} from '@tcpbalancer/cli';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export type { MetricsServer };

/** Prometheus text at /metrics and liveness at /healthz (503 once draining), on the shell's server. */
export function startMetricsServer(opts: {
  port: number;
  host: string;
  registry: Registry;
  healthy: () => boolean;
  logger: Logger;
}): Promise<MetricsServer> {
  return startHttp({
    port: opts.port,
    host: opts.host,
    logger: opts.logger,
    routes: {
      '/metrics': prometheusRoute(opts.registry),
      '/healthz': healthRoute(opts.healthy, 'draining'),
    },
  });
}
