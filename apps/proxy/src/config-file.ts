import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { type Cidr, parseCidr } from './cidr.js';
import type { ProxyConfig } from './config.js';
import { schemaErrors } from './config-schema.js';
import { ConfigError } from './errors.js';
import {
  type ListenerConfig,
  type PoolConfig,
  poolFromFlags,
  type ServiceConfig,
} from './service-config.js';
import { checkServerNamePattern } from './sni-router.js';
import { parseUpstreamSpec, type UpstreamSpec } from './upstream-spec.js';

/** A config file that cannot be used; `errors` has every problem, the message the first. */
export class ConfigFileError extends ConfigError {
  constructor(
    readonly file: string,
    readonly errors: readonly string[],
  ) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(`${file}: ${errors[0]}${more}`);
  }
}

/** Parses the text as JSON (for .json files) or YAML (anything else: YAML is a superset). */
export function parseConfigText(file: string, text: string): unknown {
  if (extname(file).toLowerCase() === '.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new ConfigFileError(file, [`invalid JSON: ${(err as Error).message}`]);
    }
  }
  try {
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true }) as unknown;
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
      throw new ConfigFileError(file, [`invalid YAML: ${where}${err.message.split('\n')[0]}`]);
    }
    throw err;
  }
}

/** Reads, parses, validates (schema, then cross-references) and normalises a config file. */
export function loadConfigFile(file: string, flags: ProxyConfig): ServiceConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigFileError(file, [
      `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    ]);
  }
  return configFromDocument(file, parseConfigText(file, text), flags);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function ms(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number') return value;
  const m = /^(\d+)(ms|s|m|h)$/.exec(String(value)) as RegExpExecArray;
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

// The document's shape once the schema has passed.
interface RawUpstream {
  address?: string;
  host?: string;
  port: number;
  weight?: number;
}
interface RawPool {
  name: string;
  upstreams: (string | RawUpstream)[];
  strategy?: PoolConfig['strategy'];
  connectTimeout?: number | string;
  retries?: number;
  health?: {
    interval?: number | string;
    rise?: number;
    fall?: number;
    fastInterval?: number | string;
    downInterval?: number | string;
  };
  maxConnsPerUpstream?: number;
  queue?: { timeout?: number | string; max?: number };
  dnsInterval?: number | string;
  proxyProtocol?: 'v1' | 'v2';
}
interface RawListener {
  name: string;
  address?: string;
  host?: string;
  port: number;
  pool?: string;
  sni?: {
    routes: Record<string, string>;
    default?: string;
    maxHelloBytes?: number;
    helloTimeout?: number | string;
  };
  maxConns?: number;
  idleTimeout?: number | string;
  proxyProtocol?: {
    accept?: 'v1' | 'v2' | 'any';
    trusted: string[];
    headerTimeout?: number | string;
    maxHeaderBytes?: number;
  };
  perSource?: { maxConns?: number; rate?: number; burst?: number; maxTracked?: number };
}
interface RawConfig {
  drainTimeout?: number | string;
  listeners: RawListener[];
  pools: RawPool[];
}

/**
 * Validates a parsed document and builds the ServiceConfig. Settings a pool or listener leaves
 * out take the flags' values (`flags`: the command line and env, or their defaults). Throws
 * ConfigFileError listing every problem, each naming its path (`listeners[1].port: …`).
 */
export function configFromDocument(file: string, doc: unknown, flags: ProxyConfig): ServiceConfig {
  const errors = schemaErrors(doc);
  if (errors.length > 0) throw new ConfigFileError(file, errors);
  const raw = doc as RawConfig;
  const problems: string[] = [];
  const pools = raw.pools.map((p, i) => buildPool(p, `pools[${i}]`, flags, problems));
  const poolNames = new Map<string, number>();
  raw.pools.forEach((p, i) => {
    const first = poolNames.get(p.name);
    if (first !== undefined)
      problems.push(`pools[${i}].name: "${p.name}" is also pools[${first}]'s name`);
    else poolNames.set(p.name, i);
  });
  const listenerNames = new Map<string, number>();
  const sockets = new Map<string, number>();
  const listeners = raw.listeners.map((l, i) => {
    const at = `listeners[${i}]`;
    const first = listenerNames.get(l.name);
    if (first !== undefined)
      problems.push(`${at}.name: "${l.name}" is also listeners[${first}]'s name`);
    else listenerNames.set(l.name, i);
    if (l.address !== undefined && l.host !== undefined && l.address !== l.host) {
      problems.push(`${at}: "address" and "host" name the same setting; give one`);
    }
    const host = l.address ?? l.host ?? flags.host;
    const key = `${host}|${l.port}`;
    const same = sockets.get(key);
    if (l.port !== 0 && same !== undefined) {
      problems.push(`${at}.port: ${host}:${l.port} is also listeners[${same}]'s`);
    } else sockets.set(key, i);
    return buildListener(l, at, host, flags, poolNames, problems);
  });
  if (problems.length > 0) throw new ConfigFileError(file, problems);
  return Object.freeze({
    drainTimeout: ms(raw.drainTimeout, flags.drainTimeout),
    listeners: Object.freeze(listeners),
    pools: Object.freeze(pools),
  });
}

function buildPool(p: RawPool, at: string, flags: ProxyConfig, problems: string[]): PoolConfig {
  const upstreams: UpstreamSpec[] = [];
  p.upstreams.forEach((u, j) => {
    const address = typeof u === 'string' ? '' : (u.address ?? u.host);
    if (typeof u !== 'string' && address === undefined) {
      problems.push(`${at}.upstreams[${j}].address: is required`);
      return;
    }
    const text =
      typeof u === 'string'
        ? u
        : `${address?.includes(':') ? `[${address}]` : address}:${u.port}@${u.weight ?? 1}`;
    try {
      upstreams.push(parseUpstreamSpec(text));
    } catch (err) {
      problems.push(`${at}.upstreams[${j}]: ${(err as Error).message}`);
    }
  });
  if (upstreams.length > 0 && upstreams.every((u) => u.weight === 0)) {
    problems.push(`${at}.upstreams: at least one upstream needs a weight above 0`);
  }
  const base = poolFromFlags(p.name, Object.freeze(upstreams), flags);
  const connectTimeout = Math.max(1, ms(p.connectTimeout, base.connectTimeout));
  const healthInterval = ms(p.health?.interval, base.healthInterval);
  // Defaults that follow another setting follow the pool's own value of it when the file sets it.
  const own = (set: unknown, derived: number, fromFlags: number) =>
    set !== undefined ? derived : fromFlags;
  return Object.freeze({
    ...base,
    strategy: p.strategy ?? base.strategy,
    connectTimeout,
    retries: p.retries ?? base.retries,
    healthFastInterval: ms(
      p.health?.fastInterval,
      own(p.health?.interval, Math.min(250, healthInterval), base.healthFastInterval),
    ),
    healthDownInterval: ms(
      p.health?.downInterval,
      own(p.health?.interval, Math.min(500, healthInterval), base.healthDownInterval),
    ),
    upstreamMaxConns: p.maxConnsPerUpstream ?? base.upstreamMaxConns,
    queueTimeout: ms(p.queue?.timeout, own(p.connectTimeout, connectTimeout, base.queueTimeout)),
    queueMax: p.queue?.max ?? base.queueMax,
    healthInterval,
    healthRise: p.health?.rise ?? base.healthRise,
    healthFall: p.health?.fall ?? base.healthFall,
    dnsInterval: ms(p.dnsInterval, base.dnsInterval),
    ...(p.proxyProtocol
      ? { proxyProtocol: p.proxyProtocol === 'v1' ? (1 as const) : (2 as const) }
      : {}),
  });
}

function buildListener(
  l: RawListener,
  at: string,
  host: string,
  flags: ProxyConfig,
  pools: ReadonlyMap<string, number>,
  problems: string[],
): ListenerConfig {
  const needPool = (name: string, path: string) => {
    if (!pools.has(name)) problems.push(`${path}: no pool named "${name}"`);
  };
  let route: ListenerConfig['route'] = { pool: l.pool ?? '' };
  if ((l.pool === undefined) === (l.sni === undefined)) {
    problems.push(`${at}: needs exactly one of "pool" or "sni"`);
  } else if (l.pool !== undefined) {
    needPool(l.pool, `${at}.pool`);
  } else if (l.sni !== undefined) {
    const routes: Record<string, string> = {};
    for (const [name, pool] of Object.entries(l.sni.routes)) {
      const path = `${at}.sni.routes[${JSON.stringify(name)}]`;
      const problem = checkServerNamePattern(name);
      if (problem !== undefined) problems.push(`${path}: ${problem}`);
      needPool(pool, path);
      routes[name.toLowerCase()] = pool;
    }
    if (l.sni.default !== undefined) needPool(l.sni.default, `${at}.sni.default`);
    route = Object.freeze({
      sni: Object.freeze({
        routes: Object.freeze(routes),
        ...(l.sni.default !== undefined ? { default: l.sni.default } : {}),
        maxHelloBytes: l.sni.maxHelloBytes ?? 16_384,
        helloTimeout: ms(l.sni.helloTimeout, 5000),
      }),
    });
  }
  let proxyProtocol: ListenerConfig['proxyProtocol'];
  if (l.proxyProtocol !== undefined) {
    const pp = l.proxyProtocol;
    const trusted: Cidr[] = [];
    pp.trusted.forEach((t, j) => {
      try {
        trusted.push(parseCidr(t));
      } catch (err) {
        problems.push(`${at}.proxyProtocol.trusted[${j}]: ${(err as Error).message}`);
      }
    });
    const headerTimeout = ms(pp.headerTimeout, 3000);
    // The spec: at least 3 s, to cover a TCP retransmit of the header's segment.
    if (headerTimeout < 3000) problems.push(`${at}.proxyProtocol.headerTimeout: must be ≥ 3s`);
    proxyProtocol = Object.freeze({
      accept: pp.accept ?? 'any',
      trusted: Object.freeze(trusted),
      headerTimeout,
      maxHeaderBytes: pp.maxHeaderBytes ?? 1024,
    });
  }
  let perSource: ListenerConfig['perSource'];
  if (l.perSource !== undefined) {
    const s = l.perSource;
    const rate = s.rate ?? 0;
    perSource = Object.freeze({
      maxConns: s.maxConns ?? 0,
      rate,
      burst: s.burst ?? Math.max(1, Math.ceil(rate)),
      maxTracked: s.maxTracked ?? 65_536,
    });
  }
  return Object.freeze({
    name: l.name,
    host,
    port: l.port,
    route,
    maxConns: l.maxConns ?? flags.maxConns,
    idleTimeout: ms(l.idleTimeout, flags.idleTimeout),
    ...(proxyProtocol ? { proxyProtocol } : {}),
    ...(perSource ? { perSource } : {}),
  });
}
