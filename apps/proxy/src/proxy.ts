import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createStrategy } from './balancing/create-strategy.js';
import type { Random, Strategy } from './balancing/strategy.js';
import type { ProxyConfig } from './config.js';
import { Connection, type ConnectionContext } from './connection.js';
import { IdleTimeoutError, NoUpstreamError, PeerError, ShutdownError } from './errors.js';
import { HealthChecker } from './health-checker.js';
import { type Logger, silentLogger } from './logger.js';
import { createMetrics, type ProxyMetrics } from './metrics.js';
import { type MetricsServer, startMetricsServer } from './metrics-server.js';
import { type Resolver, systemResolver } from './resolver.js';
import type { Upstream, UpstreamState } from './upstream.js';
import { UpstreamPool } from './upstream-pool.js';

export interface ProxyOptions {
  readonly logger?: Logger;
  /** Host-name resolver; the system one by default. Tests drive DNS changes through it. */
  readonly resolver?: Resolver;
  /** Randomness for `random` and `p2c`. */
  readonly random?: Random;
  /** Process-wide metrics (CPU, memory, event loop lag) in the registry; default true. */
  readonly defaultMetrics?: boolean;
}

export interface UpstreamStats {
  readonly address: string;
  readonly upstream: string;
  readonly state: UpstreamState | 'removed';
  readonly available: boolean;
  readonly weight: number;
  readonly active: number;
  readonly total: number;
  readonly failures: number;
  readonly bytesToUpstream: number;
  readonly bytesFromUpstream: number;
  readonly lastCheckError?: string;
  readonly since: string;
}

export interface ProxyStats {
  readonly strategy: string;
  readonly draining: boolean;
  readonly connections: {
    readonly active: number;
    readonly total: number;
    readonly refused: number;
    /** Bytes sitting in the proxy's socket buffers right now, all connections together. */
    readonly buffered: number;
  };
  readonly upstreams: readonly UpstreamStats[];
}

export interface ProxyServer {
  /** Resolves host names, starts health checks, binds. Resolves with the bound ports. */
  listen(): Promise<{ port: number; metricsPort?: number }>;
  /** Stops accepting; open connections get up to drain-timeout to finish, then are closed. Idempotent. */
  close(): Promise<void>;
  /** Closes everything now. Idempotent. */
  destroy(): Promise<void>;
  stats(): ProxyStats;
  readonly metrics: ProxyMetrics;
  readonly pool: UpstreamPool;
  readonly health: HealthChecker;
}

/** Why a connection ended, as logged and as the duration histogram's label. */
function endReason(err: unknown): string {
  if (err === undefined) return 'closed';
  if (err instanceof IdleTimeoutError) return 'idle-timeout';
  if (err instanceof ShutdownError) return 'shutdown';
  if (err instanceof NoUpstreamError) return 'no-upstream';
  if (err instanceof PeerError)
    return err.code === 'ERR_CLIENT_SOCKET' ? 'client-error' : 'upstream-error';
  return 'error';
}

/** The load balancer, not yet listening. */
export function createProxy(config: ProxyConfig, options: ProxyOptions = {}): ProxyServer {
  const log = options.logger ?? silentLogger;
  const conns = new Set<Connection>();
  let total = 0;
  let refusedCount = 0;
  let draining = false;
  let server: Server | undefined;
  let metricsServer: MetricsServer | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  let emptied: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const pool = new UpstreamPool({
    specs: config.upstreams,
    resolver: options.resolver ?? systemResolver,
    dnsInterval: config.dnsInterval,
    health: {
      rise: config.healthRise,
      fall: config.healthFall,
      passive: config.healthInterval > 0,
    },
    logger: log,
  });
  const strategy: Strategy = createStrategy(config.strategy, options.random);
  const health = new HealthChecker(pool, {
    interval: config.healthInterval,
    timeout: Math.min(config.connectTimeout, Math.max(config.healthInterval, 1)),
    logger: log,
  });
  const metrics = createMetrics(
    { pool, activeConnections: () => conns.size, totalConnections: () => total },
    { defaultMetrics: options.defaultMetrics ?? true },
  );

  const ctx: ConnectionContext = {
    pool,
    strategy,
    connectTimeout: config.connectTimeout,
    retries: config.retries,
    logger: log,
    onConnectFailure(up, err) {
      metrics.connectFailures.inc({ upstream: up.key });
      log.warn({ upstream: up.key, err }, 'upstream connect failed');
    },
    onRetry() {
      metrics.retries.inc();
    },
    onEnded,
  };

  function refuse(socket: Socket, reason: string): void {
    refusedCount++;
    metrics.refused.inc({ reason });
    socket.on('error', () => {}); // it may already be reset
    socket.destroy();
    log.debug({ client: socket.remoteAddress, reason }, 'connection refused');
  }

  function onConnection(socket: Socket): void {
    if (draining) {
      refuse(socket, 'draining');
      return;
    }
    if (config.maxConns > 0 && conns.size >= config.maxConns) {
      refuse(socket, 'max-conns');
      return;
    }
    const conn = new Connection(socket, ctx);
    conns.add(conn);
    total++;
    void conn.job.run();
  }

  // One labelled child per reason, made once: observe() with a labels object hashes it each time.
  const durations = new Map<string, { observe(v: number): void }>();
  function durationOf(reason: string): { observe(v: number): void } {
    let child = durations.get(reason);
    if (child === undefined) {
      child = metrics.duration.labels({ reason });
      durations.set(reason, child);
    }
    return child;
  }

  function onEnded(conn: Connection): void {
    conns.delete(conn);
    const err = conn.job.interruptedBy?.error;
    const reason = endReason(err);
    const durationMs = performance.now() - conn.startedAt;
    durationOf(reason).observe(durationMs / 1000);
    if (reason === 'no-upstream') {
      refusedCount++;
      metrics.refused.inc({ reason });
    }
    // The line is built only when it is written (a per-connection object and strings otherwise).
    const warn = reason === 'no-upstream' || reason === 'error';
    if (log.isLevelEnabled(warn ? 'warn' : 'info')) {
      const line: Record<string, unknown> = {
        client: `${conn.clientAddress}:${conn.clientPort}`,
        upstream: conn.up?.key ?? null,
        bytesIn: conn.bytesIn,
        bytesOut: conn.bytesOut,
        durationMs: Math.round(durationMs * 10) / 10,
        reason,
        attempts: conn.attempts,
      };
      if (reason !== 'closed') line.err = err;
      if (warn) log.warn(line, 'connection closed');
      else log.info(line, 'connection closed');
    }
    if (conns.size === 0) emptied?.();
  }

  /** Idle timeout without a timer per connection or per chunk: one sweep compares byte counts. */
  function sweep(): void {
    const now = Date.now();
    for (const conn of conns) {
      const moved = conn.bytesIn + conn.bytesOut;
      if (moved !== conn.idleMark) {
        conn.idleMark = moved;
        conn.idleSince = now;
      } else if (now - conn.idleSince >= config.idleTimeout) {
        conn.job.cancel(new IdleTimeoutError(`no traffic for ${config.idleTimeout} ms`));
      }
    }
  }

  function allEnded(): Promise<void> {
    if (conns.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = emptied;
      emptied = () => {
        emptied = undefined;
        previous?.();
        resolve();
      };
    });
  }

  function stopBackground(): void {
    health.stop();
    pool.stop();
    if (sweeper) clearInterval(sweeper);
    sweeper = undefined;
  }

  async function shutdown(graceMs: number): Promise<void> {
    draining = true;
    const serverClosed = server
      ? new Promise<void>((resolve) => server?.close(() => resolve()))
      : Promise.resolve();
    health.stop();
    pool.stop();
    if (conns.size > 0) {
      log.info({ active: conns.size, drainTimeout: graceMs }, 'draining');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([allEnded(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
      if (conns.size > 0) {
        log.warn({ active: conns.size }, 'drain timeout: closing remaining connections');
        const reason = new ShutdownError(
          graceMs > 0 ? `still open after drain timeout (${graceMs} ms)` : 'proxy destroyed',
        );
        for (const conn of conns) conn.job.cancel(reason);
        await allEnded();
      }
    }
    stopBackground();
    await serverClosed;
    await metricsServer?.close();
    log.info({ total }, 'closed');
  }

  function stats(): ProxyStats {
    let buffered = 0;
    for (const c of conns) {
      buffered += c.client.writableLength + c.client.readableLength;
      if (c.upstream) buffered += c.upstream.writableLength + c.upstream.readableLength;
    }
    return {
      strategy: strategy.name,
      draining,
      connections: { active: conns.size, total, refused: refusedCount, buffered },
      upstreams: pool.list.map((u: Upstream) => ({
        address: u.key,
        upstream: u.spec.text,
        state: u.removed ? 'removed' : u.state,
        available: u.available,
        weight: u.weight,
        active: u.active,
        total: u.total,
        failures: u.connectFailures,
        bytesToUpstream: u.bytesToUpstream,
        bytesFromUpstream: u.bytesFromUpstream,
        ...(u.lastCheckError ? { lastCheckError: u.lastCheckError } : {}),
        since: new Date(u.lastChange).toISOString(),
      })),
    };
  }

  return {
    metrics,
    pool,
    health,
    stats,
    async listen() {
      if (server) throw new Error('listen() called twice');
      await pool.start();
      health.start();
      if (config.idleTimeout > 0) {
        sweeper = setInterval(
          sweep,
          Math.min(1000, Math.max(25, Math.floor(config.idleTimeout / 4))),
        );
        sweeper.unref();
      }
      const srv = createServer({ allowHalfOpen: true, noDelay: true }, onConnection);
      server = srv;
      // Accept errors (EMFILE…) must not kill the process: log, keep serving.
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ port: config.port, host: config.host, backlog: 4096 }, () => {
          srv.off('error', reject);
          resolve();
        });
      }).catch((err: unknown) => {
        stopBackground();
        throw err;
      });
      srv.on('error', (err) => log.error({ err }, 'server error'));
      const port = (srv.address() as AddressInfo).port;
      if (config.metricsPort !== undefined) {
        metricsServer = await startMetricsServer(
          {
            contentType: metrics.registry.contentType,
            metrics: () => metrics.registry.metrics(),
            healthy: async () => pool.list.some((u) => u.available),
            stats: async () => stats(),
          },
          { port: config.metricsPort, host: config.host, logger: log },
        );
      }
      return metricsServer ? { port, metricsPort: metricsServer.port } : { port };
    },
    close() {
      closing ??= shutdown(config.drainTimeout);
      return closing;
    },
    destroy() {
      if (closing) {
        // Already draining: cut the wait short.
        for (const conn of conns) conn.job.cancel(new ShutdownError('proxy destroyed'));
        return closing;
      }
      closing = shutdown(0);
      return closing;
    },
  };
}
