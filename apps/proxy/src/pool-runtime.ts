import { createStrategy } from './balancing/create-strategy.js';
import type { Random, Strategy } from './balancing/strategy.js';
import { connectUpstream } from './connect-upstream.js';
import { ShutdownError } from './errors.js';
import { HealthChecker } from './health-checker.js';
import type { Logger } from './logger.js';
import type { Resolver } from './resolver.js';
import type { PoolConfig } from './service-config.js';
import type { AdminState, Upstream, UpstreamState } from './upstream.js';
import { UpstreamPool } from './upstream-pool.js';
import { WaitQueue } from './wait-queue.js';

/**
 * While connections wait in a pool's queue, the upstreams that could take them are probed this
 * often (fastinter if shorter): the time from a server being back to its first client is at most
 * this plus one connect. One connect per upstream per period, and only while someone waits.
 */
const QUEUE_PROBE_MS = 100;

/** What /stats shows as an upstream's state: the operator's setting first, then health. */
export type UpstreamStatus = UpstreamState | 'removed' | 'draining' | 'disabled';

export function statusOf(u: Upstream): UpstreamStatus {
  if (u.removed) return 'removed';
  if (u.admin === 'maint') return 'disabled';
  if (u.admin === 'drain') return 'draining';
  return u.state;
}

export interface PoolDeps {
  readonly resolver: Resolver;
  readonly random?: Random;
  readonly logger: Logger;
}

export interface UpstreamStats {
  readonly address: string;
  readonly upstream: string;
  readonly pool: string;
  /** up, down, checking (new, not yet judged), draining, disabled, removed (gone from DNS/config). */
  readonly state: UpstreamStatus;
  /** Health alone, whatever the operator set. */
  readonly health: UpstreamState;
  readonly admin: AdminState;
  readonly available: boolean;
  readonly weight: number;
  /** 0: no limit. */
  readonly maxConns: number;
  /** Last active checks, oldest first: 1 passed, 0 failed. */
  readonly checks: readonly number[];
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
  maxConns: c.upstreamMaxConns,
});

function newChecker(pool: UpstreamPool, c: PoolConfig, logger: Logger): HealthChecker {
  return new HealthChecker(pool, {
    interval: c.healthInterval,
    fastInterval: c.healthFastInterval,
    downInterval: c.healthDownInterval,
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
  /** Connections waiting for an upstream; undefined when the queue is off (queueTimeout 0). */
  queue: WaitQueue | undefined;
  /** Bumped by update(): listeners rebuild the connection context they cached for this pool. */
  generation = 0;
  readonly #deps: PoolDeps;
  readonly #log: Logger;
  #started = false;
  #stopped = false;

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
      // An upstream that came up, or a change of membership or weight: whoever waits retries.
      onStateChange: (up) => {
        if (up.available) this.wakeQueue();
      },
      onListChange: () => this.wakeQueue(),
    });
    this.strategy = createStrategy(config.strategy, deps.random);
    this.health = newChecker(this.pool, config, this.#log);
    this.queue = this.#newQueue(config);
  }

  #newQueue(c: PoolConfig): WaitQueue | undefined {
    if (c.queueTimeout <= 0 || c.queueMax <= 0) return undefined;
    return new WaitQueue({
      timeout: c.queueTimeout,
      max: c.queueMax,
      probe: () => this.#probe(),
      probeInterval: Math.max(10, Math.min(QUEUE_PROBE_MS, c.healthFastInterval)),
    });
  }

  /**
   * For the connections that wait: a connect to each upstream that could take one (not drained,
   * disabled, removed or full — down ones included, and up ones that failed them). The first
   * that gets through is up again at once (Upstream.probeSucceeded).
   */
  async #probe(): Promise<boolean> {
    const timeout = Math.min(this.config.connectTimeout, 1000);
    const targets = this.pool.list.filter((u) => u.probeable);
    const results = await Promise.all(
      targets.map((up) =>
        connectUpstream(up, timeout).then(
          (socket) => {
            socket.on('error', () => {});
            socket.destroy();
            if (!this.#stopped) up.probeSucceeded();
            return true;
          },
          (err: unknown) => {
            this.#log.debug({ upstream: up.key, err }, 'queue probe failed');
            return false;
          },
        ),
      ),
    );
    return results.includes(true);
  }

  /**
   * The runtime API's add/remove: the pool takes `specs` as a reload would (upstreams that stay
   * keep their state). A reload of the file sets the membership back to the file's.
   */
  setUpstreams(specs: readonly PoolConfig['upstreams'][number][]): void {
    this.config = Object.freeze({ ...this.config, upstreams: Object.freeze([...specs]) });
    this.pool.update({
      specs: this.config.upstreams,
      dnsInterval: this.config.dnsInterval,
      health: healthPolicy(this.config),
    });
    this.generation++;
  }

  /** Drain: connections still waiting are closed now (they have no upstream to finish on). */
  closeQueue(err: unknown): void {
    this.queue?.close(err);
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
      config.healthFastInterval !== before.healthFastInterval ||
      config.healthDownInterval !== before.healthDownInterval ||
      config.connectTimeout !== before.connectTimeout
    ) {
      this.health.stop();
      this.health = newChecker(this.pool, config, this.#log);
      if (this.#started) this.health.start();
    }
    if (config.queueTimeout !== before.queueTimeout || config.queueMax !== before.queueMax) {
      // Connections already waiting keep their place and deadline in the old queue (it stays
      // referenced by their tickets); new ones wait in the new one. Wakes reach both until the
      // old one empties.
      const old = this.queue;
      this.queue = this.#newQueue(config);
      if (old !== undefined && old.length > 0) this.#retiring.add(old);
    }
    this.generation++;
  }

  /** Queues replaced by a reload that still hold connections. */
  readonly #retiring = new Set<WaitQueue>();

  /** Every waiter of this pool retries (an operator's change). */
  wakeQueue(): void {
    this.queue?.wakeAll();
    for (const q of this.#retiring) {
      if (q.length === 0) this.#retiring.delete(q);
      else q.wakeAll();
    }
  }

  stop(): void {
    this.#stopped = true;
    // A pool removed by a reload, or shutdown: whoever still waits has no upstream coming.
    const stopped = new ShutdownError('pool stopped while waiting for an upstream');
    this.queue?.close(stopped);
    for (const q of this.#retiring) q.close(stopped);
    this.#retiring.clear();
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
      state: statusOf(u),
      health: u.state,
      admin: u.admin,
      available: u.available,
      weight: u.weight,
      maxConns: u.maxConns,
      checks: [...u.checkHistory],
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

export interface QueueStats {
  readonly length: number;
  readonly max: number;
  readonly timeoutMs: number;
  /** Connections that ever waited. */
  readonly entered: number;
  /** Left without an upstream, by reason. */
  readonly dropped: {
    readonly 'queue-timeout': number;
    readonly 'queue-full': number;
    readonly draining: number;
  };
}

export function queueStats(pr: PoolRuntime): QueueStats {
  const q = pr.queue;
  return {
    length: q?.length ?? 0,
    max: q ? pr.config.queueMax : 0,
    timeoutMs: q ? pr.config.queueTimeout : 0,
    entered: q?.entered ?? 0,
    dropped: { ...(q?.dropped ?? { 'queue-timeout': 0, 'queue-full': 0, draining: 0 }) },
  };
}
