import { createStrategy } from './balancing/create-strategy.js';
import type { Random, Strategy } from './balancing/strategy.js';
import { HealthChecker } from './health-checker.js';
import type { Logger } from './logger.js';
import type { Resolver } from './resolver.js';
import type { PoolConfig } from './service-config.js';
import type { Upstream, UpstreamState } from './upstream.js';
import { UpstreamPool } from './upstream-pool.js';

export interface PoolDeps {
  readonly resolver: Resolver;
  readonly random?: Random;
  readonly logger: Logger;
}

export interface UpstreamStats {
  readonly address: string;
  readonly upstream: string;
  readonly pool: string;
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

const healthPolicy = (c: PoolConfig) => ({
  rise: c.healthRise,
  fall: c.healthFall,
  passive: c.healthInterval > 0,
});

function newChecker(pool: UpstreamPool, c: PoolConfig, logger: Logger): HealthChecker {
  return new HealthChecker(pool, {
    interval: c.healthInterval,
    timeout: Math.min(c.connectTimeout, Math.max(c.healthInterval, 1)),
    logger,
  });
}

/**
 * One named pool at run time: its endpoints (UpstreamPool: DNS, health state), its balancing
 * strategy and its active health checker. Listeners send connections here; several listeners
 * may share one pool (one set of checks, one strategy state). A reload calls `update()`:
 * upstreams that stay keep their health state and counters.
 */
export class PoolRuntime {
  config: PoolConfig;
  readonly pool: UpstreamPool;
  strategy: Strategy;
  health: HealthChecker;
  /** Bumped by update(): listeners rebuild the connection context they cached for this pool. */
  generation = 0;
  readonly #deps: PoolDeps;
  readonly #log: Logger;
  #started = false;

  constructor(config: PoolConfig, deps: PoolDeps) {
    this.config = config;
    this.#deps = deps;
    this.#log = deps.logger.child({ pool: config.name });
    this.pool = new UpstreamPool({
      specs: config.upstreams,
      resolver: deps.resolver,
      dnsInterval: config.dnsInterval,
      health: healthPolicy(config),
      logger: this.#log,
    });
    this.strategy = createStrategy(config.strategy, deps.random);
    this.health = newChecker(this.pool, config, this.#log);
  }

  get name(): string {
    return this.config.name;
  }

  /** Resolves host names, then starts DNS refresh and active checks. */
  async start(): Promise<void> {
    await this.pool.start();
    this.health.start();
    this.#started = true;
  }

  /** Takes a reloaded config of the same name. Connections already open are not touched. */
  update(config: PoolConfig): void {
    const before = this.config;
    this.config = config;
    this.pool.update({
      specs: config.upstreams,
      dnsInterval: config.dnsInterval,
      health: healthPolicy(config),
    });
    if (config.strategy !== before.strategy) {
      this.strategy = createStrategy(config.strategy, this.#deps.random);
    }
    if (
      config.healthInterval !== before.healthInterval ||
      config.connectTimeout !== before.connectTimeout
    ) {
      this.health.stop();
      this.health = newChecker(this.pool, config, this.#log);
      if (this.#started) this.health.start();
    }
    this.generation++;
  }

  stop(): void {
    this.health.stop();
    this.pool.stop();
  }

  get healthy(): boolean {
    return this.pool.list.some((u) => u.available);
  }

  upstreamStats(): UpstreamStats[] {
    return this.pool.list.map((u: Upstream) => ({
      address: u.key,
      upstream: u.spec.text,
      pool: this.name,
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
    }));
  }
}
