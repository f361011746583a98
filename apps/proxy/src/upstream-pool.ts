import { isIP } from 'node:net';
import type { Candidates } from './balancing/strategy.js';
import type { Logger } from './logger.js';
import type { Resolver } from './resolver.js';
import { type HealthPolicy, type StateChange, Upstream } from './upstream.js';
import type { UpstreamSpec } from './upstream-spec.js';

/** While a host name has never resolved, it is retried this often even with --dns-interval 0. */
const UNRESOLVED_RETRY_MS = 5000;
/**
 * A name that keeps failing is reported once with its cause, then at most once per this period
 * with a count: a line (let alone a stack) every 5 s per dead name buries everything else.
 */
const DNS_WARN_EVERY_MS = 60_000;

export interface UpstreamPoolOptions {
  readonly specs: readonly UpstreamSpec[];
  readonly resolver: Resolver;
  /** 0: resolve once (retrying names that never resolved). */
  readonly dnsInterval: number;
  readonly health: HealthPolicy;
  readonly logger: Logger;
  readonly onStateChange?: StateChange;
  /** Membership or a weight changed (not called from the constructor). */
  readonly onListChange?: () => void;
}

interface SpecEntry {
  spec: UpstreamSpec;
  readonly literal: boolean;
  /** Its spec was removed by a reload: kept only until its endpoints' last connection ends. */
  retired?: boolean;
  resolved: boolean;
  /** Lookups failed in a row, and when that was last logged. */
  failures: number;
  warnedAt: number;
  /** address → endpoint */
  readonly endpoints: Map<string, Upstream>;
}

/**
 * Every upstream endpoint, as `--upstream` specs resolve. Addresses that appear join; addresses
 * that vanish are marked `removed` (no new connections) and dropped once their last connection
 * ends, so in-flight transfers are never cut by a DNS change.
 */
export class UpstreamPool implements Candidates<Upstream> {
  /** Current endpoints, in spec order. Replaced (never mutated) when membership changes. */
  list: readonly Upstream[] = [];
  /** Bumped on every membership change; strategies rebuild their state on it. */
  version = 0;
  #entries: SpecEntry[];
  #opts: UpstreamPoolOptions;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #stopped = false;
  /** After the first resolution, new addresses start as `checking` rather than `up`. */
  #started = false;

  constructor(opts: UpstreamPoolOptions) {
    this.#opts = opts;
    this.#entries = opts.specs.map((spec) => this.#entry(spec));
    this.#rebuild();
  }

  #entry(spec: UpstreamSpec): SpecEntry {
    const e: SpecEntry = {
      spec,
      literal: isIP(spec.host) !== 0,
      resolved: false,
      failures: 0,
      warnedAt: 0,
      endpoints: new Map(),
    };
    if (e.literal) {
      e.resolved = true;
      e.endpoints.set(spec.host, this.#make(spec, spec.host, isIP(spec.host)));
    }
    return e;
  }

  /**
   * A config reload: the pool takes `opts.specs`. The endpoints of a host:port that stays keep
   * their object — health state, counters, open connections — and take the new weight and
   * health policy; new ones join (names are resolved by the next refresh, which this starts);
   * the endpoints of specs that went are marked `removed`, like a DNS removal: no new
   * connections, dropped once their last connection ends.
   */
  update(opts: Pick<UpstreamPoolOptions, 'specs' | 'dnsInterval' | 'health'>): void {
    this.#opts = { ...this.#opts, ...opts };
    const keyOf = (s: UpstreamSpec) => `${s.host}|${s.port}`;
    const old = new Map(this.#entries.map((e) => [keyOf(e.spec), e]));
    const entries: SpecEntry[] = [];
    for (const spec of opts.specs) {
      const kept = old.get(keyOf(spec));
      if (kept === undefined) {
        entries.push(this.#entry(spec));
        continue;
      }
      old.delete(keyOf(spec));
      kept.spec = spec;
      if (kept.retired) {
        // Back in the config while its old connections were still open: it serves again (a
        // host name's addresses are re-checked by the refresh below).
        kept.retired = false;
        for (const up of kept.endpoints.values()) up.removed = false;
      }
      for (const up of kept.endpoints.values()) {
        up.spec = spec;
        up.policy = opts.health;
      }
      entries.push(kept);
    }
    for (const gone of old.values()) {
      for (const up of gone.endpoints.values()) up.removed = true;
      // Kept in the list (not re-resolved) until its last connection ends.
      gone.retired = true;
      if (gone.endpoints.size > 0) entries.push(gone);
    }
    this.#entries = entries;
    this.#rebuild();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    // After a refresh already in flight (it works on the old entries), one for the new ones.
    if (!this.#stopped) {
      void (this.#refreshing ?? Promise.resolve())
        .then(() => this.refresh())
        .then(() => this.#schedule());
    }
  }

  /** Resolves the host names once, then keeps re-resolving them in the background. */
  async start(): Promise<void> {
    await this.refresh();
    this.#started = true;
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Re-resolves every host name now (also what the timer does). Never rejects. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#resolveAll().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** A connection to `up` ended: drop it if DNS removed it and it has no connection left. */
  released(up: Upstream): void {
    if (up.removed && up.active === 0 && this.list.includes(up)) this.#rebuild();
  }

  #schedule(): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = this.#entries.some((e) => !e.resolved);
    const period =
      this.#opts.dnsInterval > 0 ? this.#opts.dnsInterval : pending ? UNRESOLVED_RETRY_MS : 0;
    if (period === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refresh().then(() => this.#schedule());
    }, period);
    this.#timer.unref();
  }

  async #resolveAll(): Promise<void> {
    const todo = this.#entries.filter(
      (e) => !e.literal && !e.retired && (this.#opts.dnsInterval > 0 || !e.resolved),
    );
    const results = await Promise.all(
      todo.map((e) =>
        this.#opts.resolver(e.spec.host).then(
          (addrs) => ({ e, addrs, err: undefined }),
          (err: unknown) => ({ e, addrs: undefined, err }),
        ),
      ),
    );
    if (this.#stopped) return;
    let changed = false;
    for (const { e, addrs, err } of results) {
      const log = this.#opts.logger;
      if (addrs === undefined || addrs.length === 0) {
        // A failed lookup keeps the last known addresses: a DNS hiccup must not empty the pool.
        e.failures++;
        const now = Date.now();
        if (e.failures === 1 || now - e.warnedAt >= DNS_WARN_EVERY_MS) {
          e.warnedAt = now;
          // The cause as code + message, not the error object: its stack says nothing here.
          const cause = dnsCause(err);
          if (e.failures === 1) {
            log.warn(
              { upstream: e.spec.text, cause, addresses: e.endpoints.size },
              e.resolved
                ? 'dns resolution failed, keeping previous addresses'
                : 'upstream host name does not resolve',
            );
          } else {
            log.warn(
              { upstream: e.spec.text, cause, failures: e.failures, addresses: e.endpoints.size },
              'dns resolution still failing',
            );
          }
        }
        continue;
      }
      if (e.failures > 0) {
        log.info({ upstream: e.spec.text, failures: e.failures }, 'dns resolution recovered');
        e.failures = 0;
        e.warnedAt = 0;
      }
      e.resolved = true;
      const seen = new Set<string>();
      for (const a of addrs) {
        const family = a.family === 6 || isIP(a.address) === 6 ? 6 : 4;
        seen.add(a.address);
        const existing = e.endpoints.get(a.address);
        if (existing === undefined) {
          e.endpoints.set(a.address, this.#make(e.spec, a.address, family));
          log.info({ upstream: e.spec.text, address: a.address }, 'upstream address added');
          changed = true;
        } else if (existing.removed) {
          existing.removed = false;
          log.info({ upstream: e.spec.text, address: a.address }, 'upstream address back');
          changed = true;
        }
      }
      for (const [address, up] of e.endpoints) {
        if (seen.has(address) || up.removed) continue;
        up.removed = true;
        log.info({ upstream: e.spec.text, address, active: up.active }, 'upstream address removed');
        changed = true;
      }
    }
    if (changed) this.#rebuild();
  }

  #make(spec: UpstreamSpec, address: string, family: number): Upstream {
    const change: StateChange = (up, from, why) => {
      this.#opts.logger.warn({ upstream: up.key, from, to: up.state, why }, `upstream ${up.state}`);
      this.#opts.onStateChange?.(up, from, why);
    };
    return new Upstream(
      spec,
      address,
      family === 6 ? 6 : 4,
      this.#opts.health,
      change,
      this.#started ? 'checking' : 'up',
    );
  }

  #rebuild(): void {
    const list: Upstream[] = [];
    for (const e of this.#entries) {
      for (const [address, up] of e.endpoints) {
        if (up.removed && up.active === 0) {
          e.endpoints.delete(address);
          continue;
        }
        list.push(up);
      }
    }
    this.#entries = this.#entries.filter((e) => !e.retired || e.endpoints.size > 0);
    this.list = list;
    this.version++;
    if (this.version > 1) this.#opts.onListChange?.();
  }

  /** A weight or an operator's setting changed: strategies rebuild their state, waiters retry. */
  changed(): void {
    this.version++;
    this.#opts.onListChange?.();
  }
}

function dnsCause(err: unknown): string {
  if (err === undefined) return 'no addresses';
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  return typeof e.code === 'string' && !message.includes(e.code)
    ? `${e.code}: ${message}`
    : message;
}
