import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

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

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** GET /metrics (Prometheus text), /healthz (200 or 503), /stats (JSON). */
export async function startMetricsServer(
  endpoints: MetricsEndpoints,
  options: { port: number; host: string; logger: Logger },
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    const serve = async () => {
      if (endpoints.handle !== undefined && (await endpoints.handle(req, res))) return;
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return reply(405, 'text/plain', 'method not allowed\n');
      switch (path) {
        case '/metrics':
          return reply(200, endpoints.contentType, await endpoints.metrics());
        case '/healthz': {
          const ok = await endpoints.healthy();
          return reply(ok ? 200 : 503, 'text/plain', ok ? 'ok\n' : 'no healthy upstream\n');
        }
        case '/stats':
          return reply(
            200,
            'application/json',
            `${JSON.stringify(await endpoints.stats(), null, 2)}\n`,
          );
        default:
          return reply(404, 'text/plain', 'not found: try /metrics, /healthz, /stats\n');
      }
    };
    serve().catch((err: unknown) => {
      options.logger.error({ err, path }, 'metrics request failed');
      if (!res.headersSent) reply(500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  // A slow or stalled client (a body that never ends) is cut off rather than held.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => options.logger.error({ err }, 'metrics server error'));
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port }, 'metrics listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
