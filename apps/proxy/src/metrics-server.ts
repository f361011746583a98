import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  healthRoute,
  jsonRoute,
  type MetricsServer,
  prometheusRoute,
  startMetricsServer as startHttp,
} from '@tcpbalancer/cli';
import type { Logger } from './logger.js';

export type { MetricsServer };

/** What the HTTP endpoints serve; the cluster primary passes aggregating versions. */
export interface MetricsEndpoints {
  metrics(): Promise<string>;
  readonly contentType: string;
  /** At least one upstream takes connections. */
  healthy(): Promise<boolean>;
  stats(): Promise<unknown>;
  /**
   * Other routes on the same listener (the runtime API and dashboard): called first for every
   * request; resolves true when it answered.
   */
  handle?(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/** GET /metrics (Prometheus text), /healthz (200 or 503), /stats (JSON), on the shell's server. */
export function startMetricsServer(
  endpoints: MetricsEndpoints,
  options: { port: number; host: string; logger: Logger },
): Promise<MetricsServer> {
  return startHttp({
    port: options.port,
    host: options.host,
    logger: options.logger,
    routes: {
      '/metrics': prometheusRoute(endpoints),
      '/healthz': healthRoute(() => endpoints.healthy(), 'no healthy upstream'),
      '/stats': jsonRoute(() => endpoints.stats()),
    },
    ...(endpoints.handle !== undefined ? { handle: endpoints.handle.bind(endpoints) } : {}),
  });
}
