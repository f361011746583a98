/** What a strategy needs to know about an upstream endpoint (implemented by `Upstream`). */
export interface Endpoint {
  /** Stable identity, `address:port`; the consistent-hash ring is built from it. */
  readonly key: string;
  readonly weight: number;
  /** Connections open or being opened: least-connections and p2c count both. */
  readonly active: number;
  /** Up, still in DNS, weight above 0: may get new connections. */
  readonly available: boolean;
  /** At its own connection limit (`--upstream-max-conns`): skipped until a connection ends. */
  readonly full?: boolean;
}

/** The upstream list as the pool keeps it; `version` changes whenever membership or a weight does. */
export interface Candidates<E extends Endpoint = Endpoint> {
  readonly list: readonly E[];
  readonly version: number;
}

/**
 * A balancing strategy. `pick` chooses among `candidates.list` the endpoints that are
 * `available` and not in `tried` (the upstreams this connection already failed on), or returns
 * undefined when there is none. It must not allocate per call on the hot path.
 */
export interface Strategy {
  readonly name: StrategyName;
  pick<E extends Endpoint>(
    candidates: Candidates<E>,
    clientAddress: string,
    tried?: ReadonlySet<E>,
  ): E | undefined;
}

export const STRATEGIES = [
  'round-robin',
  'least-connections',
  'random',
  'p2c',
  'source-hash',
] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** Source of randomness in [0, 1); injectable so distribution tests can be deterministic. */
export type Random = () => number;

export function eligible<E extends Endpoint>(e: E, tried: ReadonlySet<E> | undefined): boolean {
  return e.available && e.full !== true && (tried === undefined || !tried.has(e));
}
