import type { PerSourceConfig } from './service-config.js';

interface Source {
  readonly key: string;
  /** Connections of this address open now. */
  active: number;
  /** Token bucket: new connections it may open now, refilled at `rate` per second up to `burst`. */
  tokens: number;
  last: number;
}

export type Refusal = 'per-source-conns' | 'per-source-rate';

/** A held slot; `release()` when the connection ends (idempotent). */
export interface SourceSlot {
  release(): void;
}

/**
 * Per client address: at most `maxConns` open connections and a token bucket of new ones.
 *
 * Memory is bounded. Addresses with open connections are kept in `#busy` (at most one entry per
 * open connection, so bounded by the listener's own connection limit); addresses without are
 * kept in `#idle`, a least-recently-seen list: when busy + idle exceed `maxTracked`, the oldest
 * idle ones are forgotten. So the tracker holds at most max(maxTracked, open connections)
 * addresses, whatever a scan from many addresses does. Forgetting an idle address loses only
 * its bucket (it comes back full), never a count of open connections.
 */
export class SourceLimiter {
  readonly #busy = new Map<string, Source>();
  readonly #idle = new Map<string, Source>();
  #limits: PerSourceConfig;
  readonly #now: () => number;

  constructor(limits: PerSourceConfig, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** A reload: new limits apply to the next connection; what is tracked stays. */
  configure(limits: PerSourceConfig): void {
    this.#limits = limits;
    this.#evict();
  }

  get tracked(): number {
    return this.#busy.size + this.#idle.size;
  }

  /** Takes a slot for `address`, or says which limit refuses it. */
  admit(address: string): SourceSlot | Refusal {
    const { maxConns, rate, burst } = this.#limits;
    const now = this.#now();
    let s = this.#busy.get(address);
    if (s === undefined) {
      s = this.#idle.get(address);
      if (s !== undefined) this.#idle.delete(address);
      else s = { key: address, active: 0, tokens: burst, last: now };
    }
    if (rate > 0) {
      s.tokens = Math.min(burst, s.tokens + ((now - s.last) / 1000) * rate);
      s.last = now;
    }
    let refusal: Refusal | undefined;
    if (maxConns > 0 && s.active >= maxConns) refusal = 'per-source-conns';
    else if (rate > 0 && s.tokens < 1) refusal = 'per-source-rate';
    if (refusal !== undefined) {
      if (s.active === 0) this.#rest(s);
      return refusal;
    }
    if (rate > 0) s.tokens -= 1;
    s.active++;
    this.#busy.set(address, s);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        const src = s as Source;
        if (--src.active === 0) {
          this.#busy.delete(src.key);
          this.#rest(src);
        }
      },
    };
  }

  /** An address with no open connection: the most recently seen of the idle list. */
  #rest(s: Source): void {
    this.#idle.set(s.key, s);
    this.#evict();
  }

  #evict(): void {
    const max = this.#limits.maxTracked;
    while (this.#busy.size + this.#idle.size > max && this.#idle.size > 0) {
      const oldest = this.#idle.keys().next().value as string;
      this.#idle.delete(oldest);
    }
  }
}
