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
 * A strategy's choice: among `candidates.list`, an endpoint that is `available` and not in
 * `tried` (the upstreams this connection already failed on), or undefined when there is none.
 * Generic so the pool gets back its own endpoint type. Strategies write it as an arrow typed by
 * this alias (`const pick: PickEndpoint = (c, client, tried) => …`), which takes the signature
 * from here. Not named `Pick`: that would shadow TypeScript's utility type where it is imported.
 */
export type PickEndpoint = <E extends Endpoint>(
  candidates: Candidates<E>,
  clientAddress: string,
  tried?: ReadonlySet<E>,
) => E | undefined;

/** A balancing strategy. `pick` must not allocate per call: it runs for every connection. */
export interface Strategy {
  readonly name: StrategyName;
  readonly pick: PickEndpoint;
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
