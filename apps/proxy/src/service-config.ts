import type { StrategyName } from './balancing/strategy.js';
import type { Cidr } from './cidr.js';
import type { ProxyConfig } from './config.js';
import type { UpstreamSpec } from './upstream-spec.js';

/**
 * What one process serves, however it was configured: a list of listeners and the pools they
 * send connections to. `--config FILE` yields one from the file; the flags yield one listener
 * and one pool, both named `default` (see fromFlags). Frozen; a reload builds a new one.
 */
export interface ServiceConfig {
  readonly listeners: readonly ListenerConfig[];
  readonly pools: readonly PoolConfig[];
  /** How long removed listeners' (and, on shutdown, all) connections may take to finish. */
  readonly drainTimeout: number;
}

export interface ListenerConfig {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Where connections go: one pool, or a route by TLS server name. */
  readonly route: { readonly pool: string } | { readonly sni: SniRoutes };
  /** Open client connections of this listener; 0 = no limit. */
  readonly maxConns: number;
  /** 0 = never. */
  readonly idleTimeout: number;
  /** Read a PROXY protocol header from every connection (from trusted sources only). */
  readonly proxyProtocol?: ProxyAcceptConfig;
  /** Per client address limits; absent = none. */
  readonly perSource?: PerSourceConfig;
}

export interface SniRoutes {
  /** Server name (lowercase; `*.example.com` wildcards) → pool name. */
  readonly routes: Readonly<Record<string, string>>;
  /** Pool for a hello without a server name or with one that no route matches; none = close. */
  readonly default?: string;
  /** Largest ClientHello read before giving up. */
  readonly maxHelloBytes: number;
  /** How long to wait for the whole ClientHello. */
  readonly helloTimeout: number;
}

export interface ProxyAcceptConfig {
  readonly accept: 'v1' | 'v2' | 'any';
  /** Peers allowed to send a header; a connection from anyone else is closed and counted. */
  readonly trusted: readonly Cidr[];
  /** ≥ 3000 ms (the spec: cover a TCP retransmit). */
  readonly headerTimeout: number;
  readonly maxHeaderBytes: number;
}

export interface PerSourceConfig {
  /** Open connections per client address; 0 = no limit. */
  readonly maxConns: number;
  /** New connections per second per client address (token bucket refill); 0 = no limit. */
  readonly rate: number;
  /** Bucket size: connections a client may open at once after being idle. */
  readonly burst: number;
  /** Most client addresses remembered; the least recently seen idle ones are forgotten first. */
  readonly maxTracked: number;
}

export interface PoolConfig {
  readonly name: string;
  readonly upstreams: readonly UpstreamSpec[];
  readonly strategy: StrategyName;
  readonly connectTimeout: number;
  readonly retries: number;
  readonly healthInterval: number;
  readonly healthRise: number;
  readonly healthFall: number;
  readonly dnsInterval: number;
  /** Check period while an upstream is changing state / while it is down (issue 14). */
  readonly healthFastInterval: number;
  readonly healthDownInterval: number;
  /** Open connections per upstream; 0 = no limit. */
  readonly upstreamMaxConns: number;
  /** How long a connection may wait for an upstream (0 = no queue), and how many may wait. */
  readonly queueTimeout: number;
  readonly queueMax: number;
  /** Send a PROXY protocol header of this version as the first bytes to the upstream. */
  readonly proxyProtocol?: 1 | 2;
}

export const DEFAULT_NAME = 'default';

/** The flags' one listener in front of one pool, both named `default`. */
export function fromFlags(c: ProxyConfig): ServiceConfig {
  return Object.freeze({
    drainTimeout: c.drainTimeout,
    listeners: Object.freeze([
      Object.freeze({
        name: DEFAULT_NAME,
        host: c.host,
        port: c.port,
        route: Object.freeze({ pool: DEFAULT_NAME }),
        maxConns: c.maxConns,
        idleTimeout: c.idleTimeout,
      }),
    ]),
    pools: Object.freeze([poolFromFlags(DEFAULT_NAME, c.upstreams, c)]),
  });
}

/** A pool with the flags' settings: the defaults of every pool of a config file too. */
export function poolFromFlags(
  name: string,
  upstreams: readonly UpstreamSpec[],
  c: ProxyConfig,
): PoolConfig {
  return Object.freeze({
    name,
    upstreams,
    strategy: c.strategy,
    connectTimeout: c.connectTimeout,
    retries: c.retries,
    healthInterval: c.healthInterval,
    healthRise: c.healthRise,
    healthFall: c.healthFall,
    dnsInterval: c.dnsInterval,
    healthFastInterval: c.healthFastInterval,
    healthDownInterval: c.healthDownInterval,
    upstreamMaxConns: c.upstreamMaxConns,
    queueTimeout: c.queueTimeout,
    queueMax: c.queueMax,
  });
}
