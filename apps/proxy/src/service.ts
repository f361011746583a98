import { adminCounts, applyAdminAction } from './admin.js';
import { createAdminHandler } from './admin-api.js';
import { buildState } from './admin-state.js';
import type { Random } from './balancing/strategy.js';
import { ShutdownError } from './errors.js';
import { createGate } from './gate.js';
import { Listener, type ListenerStats } from './listener.js';
import { type Logger, silentLogger } from './logger.js';
import { createMetrics, type ProxyMetrics } from './metrics.js';
import { type MetricsServer, startMetricsServer } from './metrics-server.js';
import { registerOpsMetrics } from './ops-metrics.js';
import { PoolRuntime, type QueueStats, queueStats, type UpstreamStats } from './pool-runtime.js';
import { ProcessSampler } from './process-stats.js';
import { applyReload, type ReloadOutcome } from './reload.js';
import { type Resolver, systemResolver } from './resolver.js';
import type { ServiceConfig } from './service-config.js';

export interface ServiceOptions {
  readonly logger?: Logger;
  /** Host-name resolver; the system one by default. Tests drive DNS changes through it. */
  readonly resolver?: Resolver;
  /** Randomness for `random` and `p2c`. */
  readonly random?: Random;
  /** Process-wide metrics (CPU, memory, event loop lag) in the registry; default true. */
  readonly defaultMetrics?: boolean;
  /** Serve /metrics, /healthz, /stats here; none when absent. */
  readonly metrics?: { readonly port: number; readonly host: string };
  /**
   * Name the listener and pool in metrics labels and log lines. On for a config file; off for
   * the flags' shorthand, whose output stays exactly as it was.
   */
  readonly labelled?: boolean;
  /**
   * The runtime API and dashboard on the metrics listener (issue 18); `token` undefined makes
   * the API read-only. Absent: neither is served (the cluster primary serves them instead).
   */
  readonly admin?: { readonly token: string | undefined };
}

export interface PoolStats {
  readonly name: string;
  readonly strategy: string;
  readonly healthy: boolean;
  readonly upstreams: number;
  /** Its wait queue (issue 14); all zero when the queue is off. */
  readonly queue: QueueStats;
}

export interface ServiceStats {
  /** The strategy of the first pool (the flags' only one). */
  readonly strategy: string;
  readonly draining: boolean;
  /** All listeners together. */
  readonly connections: {
    readonly active: number;
    readonly total: number;
    readonly refused: number;
    /** Bytes sitting in the proxy's socket buffers right now, all connections together. */
    readonly buffered: number;
    /** Held in a pool's wait queue for an upstream (included in active). */
    readonly queued: number;
  };
  /** Every pool's upstreams, each with its `pool`. */
  readonly upstreams: readonly UpstreamStats[];
  readonly listeners: readonly ListenerStats[];
  readonly pools: readonly PoolStats[];
}

/** The state a reload works on: the live listeners and pools, by name. */
export interface ServiceState {
  config: ServiceConfig;
  readonly listeners: Map<string, Listener>;
  readonly pools: Map<string, PoolRuntime>;
  readonly newPool: (c: ServiceConfig['pools'][number]) => PoolRuntime;
  readonly newListener: (c: ServiceConfig['listeners'][number]) => Listener;
  readonly logger: Logger;
}

export interface Service {
  /** Resolves host names, starts checks, binds every listener (all or none). */
  listen(): Promise<{
    listeners: { name: string; host: string; port: number }[];
    metricsPort?: number;
  }>;
  /**
   * Applies a new configuration: new listeners bind, removed ones stop accepting and drain,
   * pools take their new upstreams and settings. Rejects, changing nothing, if a new listener
   * cannot bind. Serialised: a reload waits for the one before.
   */
  reload(config: ServiceConfig): Promise<ReloadOutcome>;
  close(): Promise<void>;
  destroy(): Promise<void>;
  stats(): ServiceStats;
  readonly metrics: ProxyMetrics;
  readonly state: ServiceState;
  healthy(): boolean;
}

/**
 * Every listener and pool of one process. Listeners share pools by name; one metrics registry
 * and one metrics server for all of them.
 */
export function createService(config: ServiceConfig, options: ServiceOptions = {}): Service {
  const log = options.logger ?? silentLogger;
  let closing: Promise<void> | undefined;
  let reloading: Promise<unknown> = Promise.resolve();
  let metricsServer: MetricsServer | undefined;
  const deps = {
    resolver: options.resolver ?? systemResolver,
    logger: log,
    ...(options.random ? { random: options.random } : {}),
  };
  const pools = new Map<string, PoolRuntime>();
  const listeners = new Map<string, Listener>();
  const metrics = createMetrics(
    { listeners: () => listeners.values(), pools: () => pools.values() },
    { defaultMetrics: options.defaultMetrics ?? true, labelled: options.labelled ?? true },
  );
  registerOpsMetrics(metrics.registry, {
    listeners: () => listeners.values(),
    pools: () => pools.values(),
    adminActions: () => adminCounts(service),
  });
  const listenerDeps = {
    pool: (name: string) => pools.get(name),
    logger: log,
    metrics,
    labelled: options.labelled ?? true,
  };
  const state: ServiceState = {
    config,
    listeners,
    pools,
    newPool: (c) => new PoolRuntime(c, deps),
    newListener: (c) =>
      new Listener(c, listenerDeps, (lc, previous) => createGate(lc, log, previous)),
    logger: log,
  };
  for (const p of config.pools) pools.set(p.name, state.newPool(p));
  for (const l of config.listeners) listeners.set(l.name, state.newListener(l));

  function stats(): ServiceStats {
    let active = 0;
    let total = 0;
    let refused = 0;
    let buffered = 0;
    for (const l of listeners.values()) {
      active += l.active;
      total += l.total;
      refused += l.refusedTotal();
      buffered += l.buffered();
    }
    const poolList = [...pools.values()];
    let queued = 0;
    for (const p of poolList) queued += p.queue?.length ?? 0;
    return {
      strategy: poolList[0]?.strategy.name ?? '',
      draining: closing !== undefined,
      connections: { active, total, refused, buffered, queued },
      upstreams: poolList.flatMap((p) => p.upstreamStats()),
      listeners: [...listeners.values()].map((l) => l.stats()),
      pools: poolList.map((p) => ({
        name: p.name,
        strategy: p.strategy.name,
        healthy: p.healthy,
        upstreams: p.pool.list.length,
        queue: queueStats(p),
      })),
    };
  }

  const healthy = () => [...pools.values()].some((p) => p.healthy);

  const sampler = new ProcessSampler();
  const adminHandler = (token: string | undefined) =>
    createAdminHandler({
      token,
      logger: log,
      backend: {
        state: async () => buildState(service, sampler.read()),
        apply: async (action) => [applyAdminAction(service, action)],
      },
    });

  async function shutdown(graceMs: number): Promise<void> {
    const active = [...listeners.values()].reduce((n, l) => n + l.active, 0);
    if (active > 0) log.info({ active, drainTimeoutMs: graceMs }, 'draining');
    // Connections waiting for an upstream have nothing to finish: they are closed first.
    const queueClosed = new ShutdownError('draining: closed while waiting for an upstream');
    for (const p of pools.values()) p.closeQueue(queueClosed);
    for (const p of pools.values()) p.health.stop();
    await Promise.all([...listeners.values()].map((l) => l.close(graceMs)));
    for (const p of pools.values()) p.stop();
    await metricsServer?.close();
    sampler.stop();
    const total = [...listeners.values()].reduce((n, l) => n + l.total, 0);
    log.info({ total }, 'closed');
  }

  const service: Service = {
    metrics,
    state,
    stats,
    healthy,
    async listen() {
      await Promise.all([...pools.values()].map((p) => p.start()));
      const bound: Listener[] = [];
      try {
        for (const l of listeners.values()) {
          await l.listen();
          bound.push(l);
        }
      } catch (err) {
        await Promise.all(bound.map((l) => l.close(0)));
        for (const p of pools.values()) p.stop();
        throw err;
      }
      if (options.metrics !== undefined) {
        metricsServer = await startMetricsServer(
          {
            contentType: metrics.registry.contentType,
            metrics: () => metrics.registry.metrics(),
            healthy: async () => healthy(),
            stats: async () => stats(),
            ...(options.admin !== undefined ? { handle: adminHandler(options.admin.token) } : {}),
          },
          { ...options.metrics, logger: log },
        );
      }
      return {
        listeners: bound.map((l) => ({ name: l.name, host: l.config.host, port: l.port })),
        ...(metricsServer ? { metricsPort: metricsServer.port } : {}),
      };
    },
    reload(next) {
      const run = reloading.then(() => applyReload(state, next));
      reloading = run.catch(() => {});
      return run;
    },
    close() {
      closing ??= shutdown(state.config.drainTimeout);
      return closing;
    },
    destroy() {
      if (closing) {
        for (const l of listeners.values()) l.destroyAll(0);
        return closing;
      }
      closing = shutdown(0);
      return closing;
    },
  };
  return service;
}
