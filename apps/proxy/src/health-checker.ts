import { connectUpstream } from './connect-upstream.js';
import type { Logger } from './logger.js';
import type { Upstream } from './upstream.js';
import type { UpstreamPool } from './upstream-pool.js';

export interface HealthCheckerOptions {
  readonly interval: number;
  readonly timeout: number;
  readonly logger: Logger;
}

/**
 * Active health: every `interval` ms a TCP connect to each endpoint (closed as soon as it
 * succeeds), at most one check in flight per endpoint. Results go to Upstream.checkResult, which
 * applies the rise/fall thresholds.
 */
export class HealthChecker {
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<Upstream>();
  readonly #abort = new AbortController();

  constructor(
    private readonly pool: UpstreamPool,
    private readonly opts: HealthCheckerOptions,
  ) {}

  start(): void {
    if (this.opts.interval <= 0 || this.#timer) return;
    this.#timer = setInterval(() => this.checkAll(), this.opts.interval);
    this.#timer.unref();
    this.checkAll();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
  }

  /** One round of checks now; resolves when they have all settled. */
  checkAll(): Promise<void> {
    const rounds: Promise<void>[] = [];
    for (const up of this.pool.list) {
      if (up.removed || this.#inFlight.has(up)) continue;
      rounds.push(this.#check(up));
    }
    return Promise.all(rounds).then(() => undefined);
  }

  async #check(up: Upstream): Promise<void> {
    this.#inFlight.add(up);
    try {
      const socket = await connectUpstream(up, this.opts.timeout, this.#abort.signal);
      socket.on('error', () => {}); // a reset racing our close is no news
      socket.destroy();
      if (!this.#abort.signal.aborted) up.checkResult(true);
    } catch (err) {
      if (!this.#abort.signal.aborted) {
        this.opts.logger.debug({ upstream: up.key, err }, 'health check failed');
        up.checkResult(false, err);
      }
    } finally {
      this.#inFlight.delete(up);
    }
  }
}
