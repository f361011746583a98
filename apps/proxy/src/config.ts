import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import {
  appCli,
  type CommonConfig,
  ConfigError,
  commonConfigOf,
  durationOption as duration,
  type Env,
  HelpRequested,
  integerParser as integer,
  metricsPortOption,
  envOption as opt,
  type Warn,
} from '@tcpbalancer/cli';
import { InvalidArgumentError, Option } from 'commander';
import { STRATEGIES, type StrategyName } from './balancing/strategy.js';
import { parseUpstreamSpec, type UpstreamSpec } from './upstream-spec.js';

/** The proxy's whole configuration, parsed once and frozen. Times are in milliseconds. */
export interface ProxyConfig extends CommonConfig {
  readonly port: number;
  readonly host: string;
  readonly upstreams: readonly UpstreamSpec[];
  readonly strategy: StrategyName;
  /** Open client connections per process; beyond it new ones are closed at once. 0 = no limit. */
  readonly maxConns: number;
  readonly connectTimeout: number;
  /** Further upstreams tried after a failed connect (so at most 1 + retries attempts). */
  readonly retries: number;
  /** 0 disables. */
  readonly idleTimeout: number;
  /** 0 disables active checks. */
  readonly healthInterval: number;
  readonly healthRise: number;
  readonly healthFall: number;
  /** Check period while an upstream's state is changing (HAProxy's fastinter). */
  readonly healthFastInterval: number;
  /** Check period while an upstream is down (HAProxy's downinter). */
  readonly healthDownInterval: number;
  /** Open connections per upstream beyond which it takes no new one; 0 = no limit. */
  readonly upstreamMaxConns: number;
  /** How long a connection may wait for an upstream when none can take it; 0 = no queue. */
  readonly queueTimeout: number;
  /** Connections that may wait at once per pool; beyond it they are closed at once. */
  readonly queueMax: number;
  /** Bearer token of the runtime API's mutating calls; undefined: they are refused. Never logged. */
  readonly adminToken: string | undefined;
  /** 0 resolves host names once, at start. */
  readonly dnsInterval: number;
  readonly drainTimeout: number;
  /** undefined: no metrics server. 0: an ephemeral port. */
  readonly metricsPort: number | undefined;
  /** 1: no cluster. */
  readonly workers: number;
  /**
   * `--config FILE`: listeners and pools from the file; the flags above then give the defaults
   * of what the file leaves out (see config-file.ts).
   */
  readonly configFile?: string;
  /** `--check-config FILE`: validate the file, print the result, exit. */
  readonly checkConfig?: string;
  /** Re-read the config file when it changes (as SIGHUP does). */
  readonly watchConfig: boolean;
}

/** `--help`/`--version`: the shell's one type, re-exported for in-process callers. */
export { HelpRequested };

/** Every env var of the proxy is TCPB_PROXY_<FLAG> (v0.1's TCPB_<FLAG> still read, deprecated). */
export const ENV_PREFIX = 'TCPB_PROXY_';

function collectUpstreams(value: string, previous: UpstreamSpec[] | undefined): UpstreamSpec[] {
  const out = previous ? [...previous] : [];
  for (const part of value.split(',')) {
    if (part.trim() === '') continue;
    try {
      out.push(parseUpstreamSpec(part));
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  }
  return out;
}

const DAY = 86_400_000;

const CLI = appCli({
  name: 'tcpbalancer-proxy',
  description: 'L4 TCP load balancer: forwards every connection to one of the upstreams, unchanged',
  envPrefix: ENV_PREFIX,
  moduleUrl: import.meta.url,
  listen: { port: 7000, host: '0.0.0.0' },
  options: (cli) =>
    cli
      .addOption(
        opt(
          '-u, --upstream <host:port[@weight]>',
          'upstream, repeatable (env: comma-separated); IPv6 as [::1]:PORT',
        ).argParser(collectUpstreams),
      )
      .addOption(
        opt('--strategy <name>', 'balancing strategy').choices(STRATEGIES).default('round-robin'),
      )
      .addOption(
        opt('--max-conns <n>', 'open client connections per process, 0 = unlimited')
          .argParser(integer(0, 1_000_000))
          .default(8000),
      )
      .addOption(
        duration('--connect-timeout <duration>', 'upstream connect timeout', {
          plainUnit: 'ms',
          min: 1,
          max: DAY,
          default: 3000,
        }),
      )
      .addOption(
        opt('--retries <n>', 'other upstreams tried after a failed connect')
          .argParser(integer(0, 100))
          .default(2),
      )
      .addOption(
        duration(
          '--idle-timeout <duration>',
          'close a connection with no traffic either way for this long, 0 = never',
          { plainUnit: 'ms', min: 0, max: 30 * DAY, default: 300_000 },
        ),
      )
      .addOption(
        duration('--health-interval <duration>', 'active TCP check period, 0 = no active checks', {
          plainUnit: 'ms',
          min: 0,
          max: DAY,
          default: 2000,
        }),
      )
      .addOption(
        opt('--health-rise <n>', 'consecutive successful checks to bring an upstream up')
          .argParser(integer(1, 100))
          .default(2),
      )
      .addOption(
        opt('--health-fall <n>', 'consecutive failed checks or connects to take an upstream down')
          .argParser(integer(1, 100))
          .default(3),
      )
      .addOption(
        duration(
          '--health-fastinter <duration>',
          'check period while an upstream is changing state (default: min(250ms, health-interval))',
          { plainUnit: 'ms', min: 1, max: DAY },
        ),
      )
      .addOption(
        duration(
          '--health-downinter <duration>',
          'check period while an upstream is down (default: min(500ms, health-interval))',
          { plainUnit: 'ms', min: 1, max: DAY },
        ),
      )
      .addOption(
        opt('--upstream-max-conns <n>', 'open connections per upstream, 0 = unlimited')
          .argParser(integer(0, 1_000_000))
          .default(0),
      )
      .addOption(
        duration(
          '--queue-timeout <duration>',
          'hold a connection this long when no upstream can take it, 0 = close at once (default: connect-timeout)',
          { plainUnit: 'ms', min: 0, max: DAY },
        ),
      )
      .addOption(
        opt('--queue-max <n>', 'connections held waiting for an upstream, per pool')
          .argParser(integer(0, 1_000_000))
          .default(1024),
      )
      .addOption(
        opt(
          '--admin-token <token>',
          'bearer token for the runtime API (mutating calls are refused without one)',
        ),
      )
      .addOption(opt('--admin-token-file <path>', 'read the runtime API token from this file'))
      .addOption(
        duration(
          '--dns-interval <duration>',
          're-resolve upstream host names this often, 0 = only at start',
          { plainUnit: 'ms', min: 0, max: DAY, default: 10_000 },
        ),
      )
      .addOption(
        duration(
          '--drain-timeout <duration>',
          'on SIGTERM/SIGINT, wait this long for open connections',
          { plainUnit: 'ms', min: 0, max: DAY, default: 8000 },
        ),
      )
      .addOption(metricsPortOption('serve /metrics, /healthz, /stats'))
      .addOption(
        opt('--workers <n>', 'worker processes sharing the port (node:cluster), 0 = one per CPU')
          .argParser(integer(0, 256))
          .default(1),
      )
      .addOption(
        opt(
          '--config <file>',
          'listeners and pools from a YAML or JSON file; flags give the defaults',
        ),
      )
      .addOption(
        new Option('--check-config <file>', 'validate a config file, print the result and exit'),
      )
      .addOption(
        opt('--watch-config', 're-read the config file when it changes (SIGHUP always does)'),
      ),
});

/** Builds the commander program; each option carries the env var it reads (shown by --help). */
export const createCli = CLI.create;

/**
 * Every environment variable the proxy reads: the documented TCPB_PROXY_* names, then the
 * deprecated v0.1 names it still reads.
 */
export const ENV_VARS = CLI.envVars;

/**
 * Parses the user's arguments (without node and the script) and the environment into one frozen
 * config. Precedence: flag, then env var, then default. Throws ConfigError (one line, naming the
 * flag) or HelpRequested (--help, --version); `warn` gets deprecation and unit warnings.
 */
export function parseConfig(argv: readonly string[], env: Env, warn?: Warn): ProxyConfig {
  const o = CLI.parse(argv, env, warn);
  const upstreams = (o.upstream as UpstreamSpec[] | undefined) ?? [];
  const configFile = o.config as string | undefined;
  const checkConfig = o.checkConfig as string | undefined;
  const fileMode = configFile !== undefined || checkConfig !== undefined;
  if (fileMode && (o.upstream as UpstreamSpec[] | undefined) !== undefined) {
    throw new ConfigError(
      'option --upstream cannot be combined with --config: put the upstreams in the file',
    );
  }
  if (!fileMode && upstreams.length === 0) {
    throw new ConfigError(
      `option --upstream is required (or ${ENV_PREFIX}UPSTREAM), e.g. -u 127.0.0.1:9000`,
    );
  }
  if (!fileMode && upstreams.every((u) => u.weight === 0)) {
    throw new ConfigError('option --upstream: at least one upstream needs a weight above 0');
  }
  const workers = o.workers as number;
  const healthInterval = o.healthInterval as number;
  const connectTimeout = o.connectTimeout as number;
  return Object.freeze({
    port: o.port as number,
    host: o.host as string,
    upstreams: Object.freeze(upstreams),
    strategy: o.strategy as StrategyName,
    maxConns: o.maxConns as number,
    connectTimeout,
    retries: o.retries as number,
    idleTimeout: o.idleTimeout as number,
    healthInterval,
    healthRise: o.healthRise as number,
    healthFall: o.healthFall as number,
    // Down and changing upstreams are checked more often than steady ones, never less often.
    healthFastInterval:
      (o.healthFastinter as number | undefined) ?? Math.max(1, Math.min(250, healthInterval)),
    healthDownInterval:
      (o.healthDowninter as number | undefined) ?? Math.max(1, Math.min(500, healthInterval)),
    upstreamMaxConns: o.upstreamMaxConns as number,
    // HAProxy's default when `timeout queue` is unset: the connect timeout.
    queueTimeout: (o.queueTimeout as number | undefined) ?? connectTimeout,
    queueMax: o.queueMax as number,
    adminToken: adminTokenOf(
      o.adminToken as string | undefined,
      o.adminTokenFile as string | undefined,
    ),
    dnsInterval: o.dnsInterval as number,
    drainTimeout: o.drainTimeout as number,
    metricsPort: o.metricsPort as number | undefined,
    workers: workers === 0 ? availableParallelism() : workers,
    ...commonConfigOf(o),
    ...(configFile !== undefined ? { configFile } : {}),
    ...(checkConfig !== undefined ? { checkConfig } : {}),
    watchConfig: (o.watchConfig as boolean | undefined) ?? false,
  });
}

/** The token from the flag, or the first line of the file; a blank one is an error, not "no auth". */
function adminTokenOf(flag: string | undefined, file: string | undefined): string | undefined {
  if (flag !== undefined && file !== undefined) {
    throw new ConfigError('options --admin-token and --admin-token-file: give one, not both');
  }
  let token = flag;
  if (file !== undefined) {
    try {
      token = (readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '').trim();
    } catch (err) {
      throw new ConfigError(
        `option --admin-token-file: cannot read ${file} (${(err as Error).message})`,
        {
          cause: err,
        },
      );
    }
  }
  if (token === undefined) return undefined;
  if (token.trim().length < 8) {
    throw new ConfigError('option --admin-token: the token must be at least 8 characters');
  }
  return token.trim();
}

/** Defaults for in-process use (tests, other workspaces): parseConfig with only the upstreams. */
export function defaultConfig(
  overrides: Partial<ProxyConfig> & Pick<ProxyConfig, 'upstreams'>,
): ProxyConfig {
  const base = parseConfig(['-u', '127.0.0.1:1'], {});
  // Defaults derived from other settings follow the overrides, as they do on the command line.
  const interval = overrides.healthInterval ?? base.healthInterval;
  const derived = {
    queueTimeout: overrides.connectTimeout ?? base.connectTimeout,
    healthFastInterval: Math.max(1, Math.min(250, interval)),
    healthDownInterval: Math.max(1, Math.min(500, interval)),
  };
  return Object.freeze({ ...base, ...derived, ...overrides });
}
