import type { Endpoint } from './balancing/strategy.js';
import { formatHostPort, type UpstreamSpec } from './upstream-spec.js';

export type UpstreamState = 'up' | 'down';

/** Thresholds that move an upstream between up and down. */
export interface HealthPolicy {
  readonly rise: number;
  readonly fall: number;
  /** Passive failures may take an upstream down only when active checks can bring it back. */
  readonly passive: boolean;
}

export type StateChange = (upstream: Upstream, from: UpstreamState, why: string) => void;

/**
 * One address:port that connections go to: an IP literal upstream, or one of the addresses a
 * host name resolved to. Plain counters, updated on the hot path without allocation; the metrics
 * and /stats read them when asked.
 */
export class Upstream implements Endpoint {
  readonly key: string;
  state: UpstreamState = 'up';
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

  constructor(
    /** Replaced by a config reload that keeps this host:port (a new weight). */
    public spec: UpstreamSpec,
    readonly address: string,
    readonly family: 4 | 6,
    /** Replaced by a config reload (new rise/fall); the counts so far are kept. */
    public policy: HealthPolicy,
    private readonly onChange: StateChange,
  ) {
    this.key = formatHostPort(address, spec.port);
  }

  get port(): number {
    return this.spec.port;
  }

  get weight(): number {
    return this.spec.weight;
  }

  get available(): boolean {
    return this.state === 'up' && !this.removed && this.spec.weight > 0;
  }

  connectSucceeded(): void {
    this.total++;
    this.consecutiveFailures = 0;
  }

  connectFailed(err: unknown): void {
    this.connectFailures++;
    this.consecutiveFailures++;
    if (
      this.policy.passive &&
      this.state === 'up' &&
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
    if (ok) {
      this.checkFails = 0;
      this.checkOks++;
      this.lastCheckError = undefined;
      if (this.state === 'down' && this.checkOks >= this.policy.rise) {
        this.consecutiveFailures = 0;
        this.#set('up', `${this.checkOks} consecutive checks passed`);
      }
    } else {
      this.checkOks = 0;
      this.checkFails++;
      this.lastCheckError = describe(err);
      if (this.state === 'up' && this.checkFails >= this.policy.fall) {
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

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
