import { availableParallelism, hostname } from 'node:os';
import {
  appCli,
  type CommonConfig,
  commonConfigOf,
  durationOption as duration,
  type Env,
  integerParser as integer,
  metricsPortOption,
  envOption as opt,
  type Warn,
} from '@tcpbalancer/cli';
import { DEFAULT_MAX_PAYLOAD_BYTES, MAX_NAME_LENGTH } from '@tcpbalancer/protocol';
import { InvalidArgumentError } from 'commander';

/** Every env var of the backend is TCPB_BACKEND_<FLAG> (v0.1's TCPB_<FLAG> still read, deprecated). */
export const ENV_PREFIX = 'TCPB_BACKEND_';

/** The backend's whole configuration, parsed once and frozen. Times are in milliseconds. */
export interface BackendConfig extends CommonConfig {
  readonly port: number;
  readonly host: string;
  /** Reported in every response (`backend`). */
  readonly name: string;
  /** Resizes at a time, process-wide. */
  readonly concurrency: number;
  /** Largest frame (prefix + header + payload) accepted. */
  readonly maxFrameBytes: number;
  /** Largest input image (width × height), and largest output. */
  readonly maxPixels: number;
  /** Requests in flight per connection; beyond it the backend stops reading that socket. */
  readonly maxInflight: number;
  /** Open connections; beyond it a new one gets ERR_BUSY and is closed. */
  readonly maxConns: number;
  /** Bytes held for peers, process-wide (input + unsent answers); beyond it no socket is read. */
  readonly maxBufferedBytes: number;
  /** No complete frame, no answer written and no work in progress for this long: close. 0 = never. */
  readonly idleTimeout: number;
  /** A frame must arrive completely within this long of its first byte. 0 = no deadline. */
  readonly frameTimeout: number;
  /** sharp's per-image deadline. */
  readonly resizeTimeout: number;
  /** On close()/SIGTERM, in-flight requests get this long before connections are destroyed. */
  readonly shutdownTimeout: number;
  /** undefined: no metrics server. 0: an ephemeral port. */
  readonly metricsPort: number | undefined;
  /** Every connection starts with a PROXY protocol header (v1 or v2); off: never looked for. */
  readonly proxyProtocol: boolean;
  /** With proxyProtocol: the header must arrive within this long of the connection. */
  readonly proxyProtocolTimeout: number;
}

/**
 * --name travels in every response header and labels every metric: bounded (the protocol's
 * 16 KiB header limit must never be reached by our own answers; 1024 is its limit for image
 * names) and printable (no control characters in logs, headers or labels).
 */
function backendName(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty.');
  if (value.length > MAX_NAME_LENGTH)
    throw new InvalidArgumentError(`must be at most ${MAX_NAME_LENGTH} characters.`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw new InvalidArgumentError('must not contain control characters.');
  return value;
}

const DAY = 86_400_000;
const GIB = 1024 ** 3;

export const DEFAULTS = Object.freeze({
  port: 7100,
  host: '0.0.0.0',
  // The protocol's default payload limit, as the whole-frame limit (one number for both).
  maxFrameBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  maxPixels: 40_000_000,
  maxInflight: 16,
  maxConns: 1024,
  maxBufferedBytes: 256 * 1024 * 1024,
  idleTimeout: 30_000,
  frameTimeout: 30_000,
  resizeTimeout: 30_000,
  shutdownTimeout: 10_000,
  // The PROXY protocol spec asks receivers to wait at least 3 s for the header.
  proxyProtocolTimeout: 3_000,
});

const CLI = appCli({
  name: 'tcpbalancer-backend',
  description: 'Image-resizing backend: answers resize requests framed with @tcpbalancer/protocol',
  envPrefix: ENV_PREFIX,
  moduleUrl: import.meta.url,
  listen: { port: DEFAULTS.port, host: DEFAULTS.host },
  options: (cli) =>
    cli
      .addOption(
        opt(
          '-n, --name <name>',
          'backend name reported in every response (default: the host name)',
        ).argParser(backendName),
      )
      .addOption(
        opt(
          '-c, --concurrency <n>',
          'resizes at a time, process-wide (default: the number of cores)',
        ).argParser(integer(1, 1024)),
      )
      .addOption(
        opt(
          '--max-frame-bytes <bytes>',
          'largest frame accepted, bytes (prefix + JSON header + image)',
        )
          .argParser(integer(1024, 4 * GIB))
          .default(DEFAULTS.maxFrameBytes),
      )
      .addOption(
        opt('--max-pixels <n>', 'largest input (and output) image, width × height')
          .argParser(integer(1, 2 ** 40))
          .default(DEFAULTS.maxPixels),
      )
      .addOption(
        opt(
          '--max-inflight <n>',
          'requests in flight per connection; beyond it the socket is not read',
        )
          .argParser(integer(1, 10_000))
          .default(DEFAULTS.maxInflight),
      )
      .addOption(
        opt('--max-conns <n>', 'open connections; beyond it a new one gets ERR_BUSY and is closed')
          .argParser(integer(1, 1_000_000))
          .default(DEFAULTS.maxConns),
      )
      .addOption(
        opt(
          '--max-buffered-bytes <bytes>',
          'bytes held for peers, process-wide (input + unsent answers); beyond it no socket is read',
        )
          .argParser(integer(64 * 1024, 2 ** 50))
          .default(DEFAULTS.maxBufferedBytes),
      )
      .addOption(
        duration(
          '--idle-timeout <duration>',
          'close a connection idle this long (no complete frame, no answer, no work), 0 = never',
          { plainUnit: 'ms', min: 0, max: 30 * DAY, default: DEFAULTS.idleTimeout },
        ),
      )
      .addOption(
        duration(
          '--frame-timeout <duration>',
          'a frame must arrive completely within this long of its first byte, 0 = no deadline',
          { plainUnit: 'ms', min: 0, max: 30 * DAY, default: DEFAULTS.frameTimeout },
        ),
      )
      .addOption(
        duration(
          '--resize-timeout <duration>',
          'give up on one image after this long; libvips counts whole seconds, so it is rounded up to the next second (at least 1s)',
          { plainUnit: 'ms', min: 1000, max: DAY, default: DEFAULTS.resizeTimeout },
        ),
      )
      .addOption(
        duration(
          '--shutdown-timeout <duration>',
          'on SIGTERM/SIGINT, time given to in-flight requests',
          { plainUnit: 'ms', min: 0, max: DAY, default: DEFAULTS.shutdownTimeout },
        ),
      )
      .addOption(
        opt(
          '--proxy-protocol',
          'every connection starts with a PROXY protocol v1/v2 header (from a trusted proxy): log its client address',
        ).default(false),
      )
      .addOption(
        duration(
          '--proxy-protocol-timeout <duration>',
          'with --proxy-protocol: close a connection whose header has not arrived after this long',
          { plainUnit: 'ms', min: 3_000, max: DAY, default: DEFAULTS.proxyProtocolTimeout },
        ),
      )
      .addOption(metricsPortOption('serve /metrics and /healthz')),
});

/** Builds the commander program; each option carries the env var it reads (shown by --help). */
export const createCli = CLI.create;

/**
 * Every environment variable the backend reads: the documented TCPB_BACKEND_* names, then the
 * deprecated v0.1 names it still reads.
 */
export const ENV_VARS = CLI.envVars;

/**
 * Parses the user's arguments (without node and the script) and the environment into one frozen
 * config. Precedence: flag, then env var, then default. Throws ConfigError (one line, naming the
 * flag) or HelpRequested (--help, --version); `warn` gets deprecation and unit warnings.
 */
export function parseConfig(argv: readonly string[], env: Env, warn?: Warn): BackendConfig {
  const o = CLI.parse(argv, env, warn);
  return Object.freeze({
    port: o.port as number,
    host: o.host as string,
    name: (o.name as string | undefined) ?? hostname(),
    concurrency: (o.concurrency as number | undefined) ?? availableParallelism(),
    maxFrameBytes: o.maxFrameBytes as number,
    maxPixels: o.maxPixels as number,
    maxInflight: o.maxInflight as number,
    maxConns: o.maxConns as number,
    maxBufferedBytes: o.maxBufferedBytes as number,
    idleTimeout: o.idleTimeout as number,
    frameTimeout: o.frameTimeout as number,
    resizeTimeout: o.resizeTimeout as number,
    shutdownTimeout: o.shutdownTimeout as number,
    metricsPort: o.metricsPort as number | undefined,
    proxyProtocol: o.proxyProtocol as boolean,
    proxyProtocolTimeout: o.proxyProtocolTimeout as number,
    ...commonConfigOf(o),
  });
}

/** Defaults for in-process use (tests, bench, other workspaces), with overrides. */
export function defaultConfig(overrides: Partial<BackendConfig> = {}): BackendConfig {
  return Object.freeze({ ...parseConfig([], {}), ...overrides });
}
