import { connectUpstream } from './connect-upstream.js';
import type { Logger } from './logger.js';
import type { Upstream } from './upstream.js';
import type { UpstreamPool } from './upstream-pool.js';

export interface HealthCheckerOptions {
  /** Period while an upstream is up and steady (HAProxy's `inter`). 0: no active checks. */
  readonly interval: number;
  /** Period while an upstream is between states: failing but still up, passing but still down, or new (`fastinter`). */
  readonly fastInterval: number;
  /** Period while an upstream is down (`downinter`): a server that comes back is seen soon. */
  readonly downInterval: number;
  readonly timeout: number;
  readonly logger: Logger;
}

/**
 * Active health: a TCP connect to each endpoint (closed as soon as it succeeds), at most one
 * check in flight per endpoint, each endpoint on its own period — `interval` while up,
 * `fastInterval` while its state is changing, `downInterval` while down — so a server that comes
 * back is seen within downInterval rather than interval. One timer ticks at the shortest period
 * and checks the endpoints that are due (new DNS addresses included); disabled ones are skipped.
 * Results go to Upstream.checkResult, which applies the rise/fall thresholds.
 */
export class HealthChecker {
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<Upstream>();
  readonly #abort = new AbortController();

  constructor(
    private readonly pool: UpstreamPool,
    private readonly opts: HealthCheckerOptions,
  ) {}

  get enabled(): boolean {
    return this.opts.interval > 0;
  }

  start(): void {
    if (this.opts.interval <= 0 || this.#timer) return;
    const tick = Math.max(
      10,
      Math.min(this.opts.interval, this.opts.fastInterval, this.opts.downInterval),
    );
    this.#timer = setInterval(() => this.#due(), tick);
    this.#timer.unref();
    this.checkAll();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
  }

  /** The period that applies to `up` now. */
  periodOf(up: Upstream): number {
    if (up.state === 'down')
      return up.checkOks > 0 ? this.opts.fastInterval : this.opts.downInterval;
    return up.transitional ? this.opts.fastInterval : this.opts.interval;
  }

  /** One round of checks now; resolves when they have all settled. */
  checkAll(): Promise<void> {
    const rounds: Promise<void>[] = [];
    for (const up of this.pool.list) {
      if (up.removed || up.admin === 'maint' || this.#inFlight.has(up)) continue;
      rounds.push(this.#check(up));
    }
    return Promise.all(rounds).then(() => undefined);
  }

  #due(): void {
    const now = Date.now();
    for (const up of this.pool.list) {
      if (up.removed || up.admin === 'maint' || this.#inFlight.has(up)) continue;
      if (up.nextCheckAt <= now) void this.#check(up);
    }
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
      // Next period counted from the end of this check, in the state it left the upstream in.
      up.nextCheckAt = Date.now() + this.periodOf(up);
    }
  }
}
