import type { Endpoint } from './balancing/strategy.js';
import { formatHostPort, type UpstreamSpec } from './upstream-spec.js';

/**
 * Health: `checking` is an upstream not yet judged (a new address from DNS): it takes traffic,
 * and its first check or connect decides.
 */
export type UpstreamState = 'up' | 'down' | 'checking';

/**
 * What the operator set (runtime API): `ready` takes new connections; `drain` takes none but
 * keeps its open ones and its health checks; `maint` (disabled) takes none and is not checked.
 */
export type AdminState = 'ready' | 'drain' | 'maint';

/** Thresholds that move an upstream between up and down. */
export interface HealthPolicy {
  readonly rise: number;
  readonly fall: number;
  /** Passive failures may take an upstream down only when active checks can bring it back. */
  readonly passive: boolean;
  /** Open connections per upstream beyond which it takes no new one (0 = no limit). */
  readonly maxConns?: number;
}

export type StateChange = (upstream: Upstream, from: UpstreamState, why: string) => void;

/**
 * One address:port that connections go to: an IP literal upstream, or one of the addresses a
 * host name resolved to. Plain counters, updated on the hot path without allocation; the metrics
 * and /stats read them when asked.
 */
export class Upstream implements Endpoint {
  readonly key: string;
  state: UpstreamState;
  admin: AdminState = 'ready';
  /**
   * The operator's weight (runtime API) and the spec weight it replaced: a reload that changes
   * the weight in the file drops the override (the file wins); one that keeps it keeps it.
   */
  #override: { weight: number; over: number } | undefined = undefined;
  /** Gone from DNS: no new connections; dropped from the pool when its last connection ends. */
  removed = false;
  /** Connections open or being opened. */
  active = 0;
  /** Connections established, ever. */
  total = 0;
  connectFailures = 0;
  /** Consecutive failed connects of real traffic (passive health). */
  consecutiveFailures = 0;
  bytesToUpstream = 0;
  bytesFromUpstream = 0;
  checkOks = 0;
  checkFails = 0;
  lastCheckError: string | undefined;
  lastChange = Date.now();
  /** Results of the last CHECK_HISTORY active checks, oldest first: 1 passed, 0 failed. */
  readonly checkHistory: number[] = [];
  /** When the health checker next looks at it (ms since epoch). */
  nextCheckAt = 0;

  constructor(
    /** Replaced by a config reload that keeps this host:port (a new weight). */
    public spec: UpstreamSpec,
    readonly address: string,
    readonly family: 4 | 6,
    /** Replaced by a config reload (new rise/fall); the counts so far are kept. */
    public policy: HealthPolicy,
    private readonly onChange: StateChange,
    initial: UpstreamState = 'up',
  ) {
    this.key = formatHostPort(address, spec.port);
    this.state = initial;
  }

  get weight(): number {
    const o = this.#override;
    return o !== undefined && o.over === this.spec.weight ? o.weight : this.spec.weight;
  }

  /** Set by the operator (runtime API) rather than the config: kept across a reload that leaves the spec's weight alone. */
  get weightOverridden(): boolean {
    return this.#override !== undefined && this.#override.over === this.spec.weight;
  }

  /** Open connections beyond which no new one is given (0 = no limit). */
  get maxConns(): number {
    return this.policy.maxConns ?? 0;
  }

  get port(): number {
    return this.spec.port;
  }

  /** Healthy, still in DNS, not drained or disabled, weight above 0. */
  get available(): boolean {
    return this.state !== 'down' && this.admin === 'ready' && !this.removed && this.weight > 0;
  }

  /** At its own connection limit: strategies skip it; the queue waits for a slot. */
  get full(): boolean {
    return this.maxConns > 0 && this.active >= this.maxConns;
  }

  /** May be tried by a connection waiting in the queue (a probe): not removed, drained or disabled. */
  get probeable(): boolean {
    return !this.removed && this.admin === 'ready' && this.weight > 0 && !this.full;
  }

  /** Between states: checked every fastinter rather than every interval. */
  get transitional(): boolean {
    return (
      this.state === 'checking' ||
      (this.state === 'up' && this.checkFails > 0) ||
      (this.state === 'down' && this.checkOks > 0)
    );
  }

  /**
   * A real connection got through. One is proof enough to bring a down upstream back at once
   * (HAProxy's rise counts checks; a served client is a stronger signal than a check).
   */
  connectSucceeded(): void {
    this.total++;
    this.consecutiveFailures = 0;
    if (this.state !== 'up') this.#recovered('a connection succeeded');
  }

  /** A queue probe (a connect made for waiting clients) got through. */
  probeSucceeded(): void {
    this.consecutiveFailures = 0;
    if (this.state !== 'up') this.#recovered('a probe for queued connections succeeded');
  }

  /** Operator's weight (runtime API); strategies rebuild on the pool's version bump. */
  setWeight(weight: number): void {
    this.#override = { weight, over: this.spec.weight };
  }

  setAdmin(admin: AdminState): void {
    this.admin = admin;
    this.lastChange = Date.now();
  }

  /** Health unknown again (back from maintenance): `checking`, and checked at once. */
  recheck(): void {
    this.checkOks = 0;
    this.checkFails = 0;
    this.nextCheckAt = 0;
    if (this.state !== 'checking') this.#set('checking', 'enabled after maintenance');
  }

  #recovered(why: string): void {
    this.checkFails = 0;
    this.lastCheckError = undefined;
    this.#set('up', why);
  }

  connectFailed(err: unknown): void {
    this.connectFailures++;
    this.consecutiveFailures++;
    if (
      this.policy.passive &&
      this.state !== 'down' &&
      this.consecutiveFailures >= this.policy.fall
    ) {
      this.checkOks = 0;
      this.#set(
        'down',
        `${this.consecutiveFailures} consecutive connect failures: ${describe(err)}`,
      );
    }
  }

  checkResult(ok: boolean, err?: unknown): void {
    this.checkHistory.push(ok ? 1 : 0);
    if (this.checkHistory.length > CHECK_HISTORY) this.checkHistory.shift();
    if (ok) {
      this.checkFails = 0;
      this.checkOks++;
      this.lastCheckError = undefined;
      if (this.state === 'checking') {
        this.#set('up', 'first check passed');
      } else if (this.state === 'down' && this.checkOks >= this.policy.rise) {
        this.consecutiveFailures = 0;
        this.#set('up', `${this.checkOks} consecutive checks passed`);
      }
    } else {
      this.checkOks = 0;
      this.checkFails++;
      this.lastCheckError = describe(err);
      if (this.state === 'checking') {
        // Never seen working: no benefit of the doubt beyond the first check.
        this.#set('down', `first check failed: ${this.lastCheckError}`);
      } else if (this.state === 'up' && this.checkFails >= this.policy.fall) {
        this.#set('down', `${this.checkFails} consecutive checks failed: ${this.lastCheckError}`);
      }
    }
  }

  #set(state: UpstreamState, why: string): void {
    const from = this.state;
    this.state = state;
    this.lastChange = Date.now();
    this.onChange(this, from, why);
  }
}

/** Check results kept per upstream for /stats and the dashboard. */
export const CHECK_HISTORY = 20;

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
