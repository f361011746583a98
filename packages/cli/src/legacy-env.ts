import type { Option } from 'commander';

/**
 * The env var names of v0.1, when the three programs shared one `TCPB_<FLAG>` namespace. Each
 * program now has its own prefix (TCPB_PROXY_, TCPB_BACKEND_, TCPB_CLIENT_); an old name still
 * works, with a one-line deprecation warning, in every program that read it — except where a
 * server's variable broke the client, the tool people run in the shell where they export the
 * servers' settings (issue 11: `export TCPB_MAX_CONNS=100` for the proxy made
 * `tcpbalancer-client --conns 4` exit 2):
 * - TCPB_MAX_CONNS: the servers' open-connection cap, the client's random connection count.
 * - TCPB_RETRIES: the proxy's upstream connect retries, the client's request retries.
 * The client no longer reads these two (and says so once when they are set); the servers do.
 * TCPB_PORT, TCPB_HOST, TCPB_METRICS_PORT and TCPB_IDLE_TIMEOUT mean the same kind of thing in
 * the proxy and the backend (the server's own address, metrics port, idle limit), and the client
 * has none of them; TCPB_LOG_LEVEL/TCPB_LOG_PRETTY mean the same everywhere.
 */
export const LEGACY_ENV: Readonly<Record<string, readonly string[]>> = Object.freeze({
  TCPB_PROXY_: Object.freeze([
    'TCPB_PORT',
    'TCPB_HOST',
    'TCPB_UPSTREAM',
    'TCPB_STRATEGY',
    'TCPB_MAX_CONNS',
    'TCPB_CONNECT_TIMEOUT',
    'TCPB_RETRIES',
    'TCPB_IDLE_TIMEOUT',
    'TCPB_HEALTH_INTERVAL',
    'TCPB_HEALTH_RISE',
    'TCPB_HEALTH_FALL',
    'TCPB_DNS_INTERVAL',
    'TCPB_DRAIN_TIMEOUT',
    'TCPB_METRICS_PORT',
    'TCPB_WORKERS',
    // Read for a day before the prefixes (the config file, issue 15; the runtime API, issue 18,
    // whose `ctl` client reads the same TCPB_ADMIN_* names).
    'TCPB_CONFIG',
    'TCPB_WATCH_CONFIG',
    'TCPB_ADMIN_TOKEN',
    'TCPB_ADMIN_TOKEN_FILE',
    'TCPB_LOG_LEVEL',
    'TCPB_LOG_PRETTY',
  ]),
  TCPB_BACKEND_: Object.freeze([
    'TCPB_PORT',
    'TCPB_HOST',
    'TCPB_NAME',
    'TCPB_CONCURRENCY',
    'TCPB_MAX_FRAME_BYTES',
    'TCPB_MAX_PIXELS',
    'TCPB_MAX_INFLIGHT',
    'TCPB_MAX_CONNS',
    'TCPB_MAX_BUFFERED_BYTES',
    'TCPB_IDLE_TIMEOUT',
    'TCPB_FRAME_TIMEOUT',
    'TCPB_RESIZE_TIMEOUT',
    'TCPB_SHUTDOWN_TIMEOUT',
    'TCPB_METRICS_PORT',
    'TCPB_LOG_LEVEL',
    'TCPB_LOG_PRETTY',
  ]),
  TCPB_CLIENT_: Object.freeze([
    'TCPB_PROXY',
    'TCPB_INPUT',
    'TCPB_OUTPUT',
    'TCPB_WIDTH',
    'TCPB_HEIGHT',
    'TCPB_FIT',
    'TCPB_FORMAT',
    'TCPB_QUALITY',
    'TCPB_CONNS',
    'TCPB_MIN_CONNS',
    'TCPB_TIMES',
    'TCPB_WINDOW',
    'TCPB_TIMEOUT',
    'TCPB_DRY_RUN',
    'TCPB_DURATION',
    'TCPB_RATE',
    'TCPB_JSON',
    'TCPB_LOG_LEVEL',
    'TCPB_LOG_PRETTY',
  ]),
});

/** Old names a program no longer reads because a server gave them another meaning. */
export const RETIRED_ENV: Readonly<Record<string, readonly string[]>> = Object.freeze({
  TCPB_PROXY_: Object.freeze([]),
  TCPB_BACKEND_: Object.freeze([]),
  TCPB_CLIENT_: Object.freeze(['TCPB_MAX_CONNS', 'TCPB_RETRIES']),
});

/** An option's v0.1 env var, when the program still reads it (deprecated). */
const legacyOf = new WeakMap<Option, string>();
/** An option's v0.1 env var that the program no longer reads. */
const retiredOf = new WeakMap<Option, string>();

/** Links an option (its env var already `prefix` + FLAG) with its v0.1 name, per the tables. */
export function linkLegacyEnv(option: Option, prefix: string): void {
  if (option.envVar === undefined || !option.envVar.startsWith(prefix)) return;
  const old = `TCPB_${option.envVar.slice(prefix.length)}`;
  if (LEGACY_ENV[prefix]?.includes(old)) legacyOf.set(option, old);
  else if (RETIRED_ENV[prefix]?.includes(old)) retiredOf.set(option, old);
}

/** The deprecated v0.1 env var an option still reads, if any. */
export function legacyEnvOf(option: Option): string | undefined {
  return legacyOf.get(option);
}

/** The v0.1 env var an option no longer reads, if any. */
export function retiredEnvOf(option: Option): string | undefined {
  return retiredOf.get(option);
}

export interface EnvSource {
  /** The variable the value comes from. */
  readonly name: string;
  readonly raw: string;
}

/**
 * Where an option's env value comes from: its own variable first, then its deprecated v0.1 name.
 * `warn` gets one line per old name met: deprecated, shadowed by the new name, or no longer read.
 */
export function envSourceOf(
  option: Option,
  env: Readonly<Record<string, string | undefined>>,
  warn: (line: string) => void,
): EnvSource | undefined {
  const name = option.envVar;
  if (name === undefined) return undefined;
  const legacy = legacyOf.get(option);
  const retired = retiredOf.get(option);
  if (retired !== undefined && env[retired] !== undefined) {
    warn(
      `${retired} is no longer read here (another program gives it another meaning): use ${name}`,
    );
  }
  const own = env[name];
  if (legacy !== undefined && env[legacy] !== undefined) {
    if (own !== undefined) warn(`${legacy} is deprecated and ignored: ${name} is set`);
    else {
      warn(`${legacy} is deprecated: use ${name}`);
      return { name: legacy, raw: env[legacy] as string };
    }
  }
  return own === undefined ? undefined : { name, raw: own };
}
