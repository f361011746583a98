import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface Reply {
  readonly status?: number;
  readonly type: string;
  readonly body: string;
}

/** Answers GET/HEAD of one path; a throw or rejection is logged and answered 500. */
export type Route = (req: IncomingMessage) => Reply | Promise<Reply>;

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  readonly port: number;
  readonly host: string;
  /** Errors (a failing route, the server's own) are logged here under `err`, never swallowed. */
  readonly logger: Pick<Logger, 'info' | 'error'>;
  /** Path → route, e.g. `/metrics`, `/healthz`. */
  readonly routes: Readonly<Record<string, Route>>;
  /**
   * Other routes on the same listener (the proxy's runtime API and dashboard, any method):
   * called first for every request; resolves true when it answered. Its failures are handled
   * like a route's.
   */
  readonly handle?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

/** `/metrics`: Prometheus text from a prom-client registry (or the cluster's aggregate). */
export function prometheusRoute(source: {
  readonly contentType: string;
  metrics(): Promise<string>;
}): Route {
  return async () => ({ type: source.contentType, body: await source.metrics() });
}

/** `/healthz`: 200 `ok` or 503 with `why`. */
export function healthRoute(healthy: () => boolean | Promise<boolean>, why: string): Route {
  return async () =>
    (await healthy())
      ? { status: 200, type: 'text/plain', body: 'ok\n' }
      : { status: 503, type: 'text/plain', body: `${why}\n` };
}

/** A JSON document (`/stats`). */
export function jsonRoute(value: () => unknown | Promise<unknown>): Route {
  return async () => ({
    type: 'application/json',
    body: `${JSON.stringify(await value(), null, 2)}\n`,
  });
}

/**
 * The HTTP side of a server app: GET/HEAD on a few paths. A route that fails is logged with its
 * error and answered `500 internal error` (never the error text: it may carry internals); a
 * scraper's bad request or reset closes only its socket; the server's own errors are logged.
 * Logs `metrics listening` with the port.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { logger, routes } = options;
  const paths = Object.keys(routes).join(', ');
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const reply = ({ status = 200, type, body }: Reply) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    const serve = async () => {
      if (options.handle !== undefined && (await options.handle(req, res))) return;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return reply({ status: 405, type: 'text/plain', body: 'method not allowed\n' });
      }
      const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
      if (route === undefined) {
        return reply({ status: 404, type: 'text/plain', body: `not found: try ${paths}\n` });
      }
      return reply(await route(req));
    };
    serve().catch((err: unknown) => {
      logger.error({ err, path }, 'metrics request failed');
      if (!res.headersSent) reply({ status: 500, type: 'text/plain', body: 'internal error\n' });
      else res.destroy();
    });
  });
  // A scraper's malformed request or reset must not become an unhandled 'error'.
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
  server.on('error', (err) => logger.error({ err }, 'metrics server error'));
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, 'metrics listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
