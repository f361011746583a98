import type { Random } from './balancing/strategy.js';
import type { ProxyConfig } from './config.js';
import type { HealthChecker } from './health-checker.js';
import type { Logger } from './logger.js';
import type { ProxyMetrics } from './metrics.js';
import type { PoolRuntime } from './pool-runtime.js';
import type { Resolver } from './resolver.js';
import { createService, type Service, type ServiceStats } from './service.js';
import { DEFAULT_NAME, fromFlags } from './service-config.js';
import type { UpstreamPool } from './upstream-pool.js';

export type { UpstreamStats } from './pool-runtime.js';

export interface ProxyOptions {
  readonly logger?: Logger;
  /** Host-name resolver; the system one by default. Tests drive DNS changes through it. */
  readonly resolver?: Resolver;
  /** Randomness for `random` and `p2c`. */
  readonly random?: Random;
  /** Process-wide metrics (CPU, memory, event loop lag) in the registry; default true. */
  readonly defaultMetrics?: boolean;
}

export type ProxyStats = ServiceStats;

export interface ProxyServer {
  /** Resolves host names, starts health checks, binds. Resolves with the bound ports. */
  listen(): Promise<{ port: number; metricsPort?: number }>;
  /** Stops accepting; open connections get up to drain-timeout to finish, then are closed. Idempotent. */
  close(): Promise<void>;
  /** Closes everything now. Idempotent. */
  destroy(): Promise<void>;
  stats(): ProxyStats;
  readonly metrics: ProxyMetrics;
  /** The `default` pool's endpoints and checker. */
  readonly pool: UpstreamPool;
  readonly health: HealthChecker;
  /** Every listener and pool (the flags make one of each, named `default`). */
  readonly service: Service;
}

/**
 * The load balancer as the flags describe it, not yet listening: one listener in front of one
 * pool, both named `default` — the shorthand of a config file with one of each (createService).
 */
export function createProxy(config: ProxyConfig, options: ProxyOptions = {}): ProxyServer {
  const service = createService(fromFlags(config), {
    ...options,
    labelled: false,
    admin: { token: config.adminToken },
    ...(config.metricsPort !== undefined
      ? { metrics: { port: config.metricsPort, host: config.host } }
      : {}),
  });
  const pool = () => service.state.pools.get(DEFAULT_NAME) as PoolRuntime;
  return {
    service,
    metrics: service.metrics,
    get pool() {
      return pool().pool;
    },
    get health() {
      return pool().health;
    },
    stats: () => service.stats(),
    async listen() {
      const bound = await service.listen();
      const port = bound.listeners[0]?.port ?? 0;
      return bound.metricsPort !== undefined ? { port, metricsPort: bound.metricsPort } : { port };
    },
    close: () => service.close(),
    destroy: () => service.destroy(),
  };
}
