import {
  appCli,
  type CommonConfig,
  ConfigError,
  commonConfigOf,
  durationOption,
  type Env,
  integerParser,
  envOption as opt,
  type Warn,
} from '@tcpbalancer/cli';
import { InvalidArgumentError } from 'commander';

export const FITS = ['cover', 'contain', 'inside', 'outside', 'fill'] as const;
export type Fit = (typeof FITS)[number];
export const FORMATS = ['jpeg', 'png', 'webp', 'avif'] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** Largest width/height a request may ask for (the protocol's limit, the JPEG limit). */
export const MAX_DIMENSION = 65_535;
const MAX_CONNS = 4096;
const MAX_WINDOW = 1024;

export interface ClientConfig extends CommonConfig {
  readonly proxy: { readonly host: string; readonly port: number };
  readonly input: string;
  /** Absent in dry-run and load (--duration) mode, where nothing is saved. */
  readonly output: string | undefined;
  /** --output given in dry-run/load mode: not used (runClient warns once), never an error. */
  readonly ignoredOutput: string | undefined;
  readonly width: number | undefined;
  readonly height: number | undefined;
  readonly fit: Fit | undefined;
  readonly format: OutputFormat | undefined;
  readonly quality: number | undefined;
  /** Fixed connection count, or undefined when a random count in [minConns, maxConns] is picked per round. */
  readonly conns: number | undefined;
  readonly minConns: number;
  readonly maxConns: number;
  readonly times: number;
  /** Requests in flight per connection. */
  readonly window: number;
  readonly retries: number;
  /** Per request, ms. */
  readonly timeoutMs: number;
  readonly dryRun: boolean;
  /** Load mode: run this long (ms), cycling over the images. */
  readonly durationMs: number | undefined;
  /** Open loop: requests per second on a fixed timetable. */
  readonly rate: number | undefined;
  readonly json: boolean;
  /** Per-interval statistics: the interval length, ms. */
  readonly intervalMs: number;
  /** Write the whole run (settings, environment, series, histogram) here as JSON. */
  readonly out: string | undefined;
  /** Write a self-contained HTML report of the run here. */
  readonly report: string | undefined;
}

export const DEFAULT_CONNS = 4;
export const DEFAULT_WINDOW = 4;
export const DEFAULT_RETRIES = 3;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_INTERVAL_MS = 1000;

function parseHostPort(value: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:\s]+):(\d+)$/.exec(value);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError('--proxy must be HOST:PORT (port 1..65535)');
  }
  return { host: m[1], port };
}

function parseRate(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(value) || !(n > 0) || n > 1_000_000) {
    throw new InvalidArgumentError('--rate must be a number of requests/s in (0, 1000000]');
  }
  return n;
}

const WEEK = 7 * 24 * 3600_000;

/** Every env var of the client is TCPB_CLIENT_<FLAG> (v0.1's TCPB_<FLAG> still read, deprecated). */
export const ENV_PREFIX = 'TCPB_CLIENT_';

const CLI = appCli({
  name: 'tcpbalancer-client',
  description:
    'Resize a directory of images through the tcpbalancer proxy, or load-test it (--dry-run, --duration, --rate).',
  envPrefix: ENV_PREFIX,
  moduleUrl: import.meta.url,
  options: (cli) =>
    cli
      .addOption(opt('--proxy <host:port>', 'proxy (or backend) address').argParser(parseHostPort))
      .addOption(opt('-i, --input <dir>', 'directory of images (scanned recursively)'))
      .addOption(
        opt('-o, --output <dir>', 'directory for the results (not used in dry-run/load mode)'),
      )
      .addOption(opt('-w, --width <px>', 'target width').argParser(integerParser(1, MAX_DIMENSION)))
      .addOption(
        opt('-H, --height <px>', 'target height').argParser(integerParser(1, MAX_DIMENSION)),
      )
      .addOption(opt('--fit <fit>', 'how the image fits the box').choices(FITS))
      .addOption(
        opt('--format <format>', 'output format (default: same as input)').choices(FORMATS),
      )
      .addOption(opt('--quality <q>', 'encoder quality').argParser(integerParser(1, 100)))
      .addOption(
        opt('-c, --conns <n>', `connections per round (default ${DEFAULT_CONNS})`).argParser(
          integerParser(1, MAX_CONNS),
        ),
      )
      .addOption(
        opt('--min-conns <n>', 'random connection count per round: lower bound').argParser(
          integerParser(1, MAX_CONNS),
        ),
      )
      .addOption(
        opt('--max-conns <n>', 'random connection count per round: upper bound').argParser(
          integerParser(1, MAX_CONNS),
        ),
      )
      .addOption(
        opt('--times <n>', 'rounds over the whole set')
          .argParser(integerParser(1, 1_000_000))
          .default(1),
      )
      .addOption(
        opt('--window <n>', 'requests in flight per connection')
          .argParser(integerParser(1, MAX_WINDOW))
          .default(DEFAULT_WINDOW),
      )
      .addOption(
        opt('--retries <n>', 'retries of a request whose connection broke')
          .argParser(integerParser(0, 1000))
          .default(DEFAULT_RETRIES),
      )
      .addOption(
        durationOption('--timeout <duration>', 'per-request timeout', {
          plainUnit: 'ms',
          min: 1,
          max: WEEK,
          default: DEFAULT_TIMEOUT_MS,
        }),
      )
      .addOption(
        opt('--dry-run', 'no pixel work: the backend answers metadata only; nothing saved'),
      )
      .addOption(
        durationOption(
          '--duration <duration>',
          'load mode: run this long, cycling over the images',
          {
            plainUnit: 's',
            min: 1,
            max: WEEK,
          },
        ),
      )
      .addOption(
        opt(
          '--rate <r>',
          'open loop: requests/s on a fixed timetable (default: closed loop)',
        ).argParser(parseRate),
      )
      .addOption(
        opt('--json', 'print the summary as one JSON object, last on stdout (logs are on stderr)'),
      )
      .addOption(
        durationOption('--interval <duration>', 'per-interval statistics: interval length', {
          plainUnit: 's',
          min: 10,
          max: WEEK,
          default: DEFAULT_INTERVAL_MS,
        }),
      )
      .addOption(
        opt(
          '--out <file.json>',
          'write the whole run (settings, environment, per-interval series, histogram) as JSON',
        ),
      )
      .addOption(opt('--report <file.html>', 'write a self-contained HTML report of the run')),
});

/** The commander program: flags, env vars, defaults, parsers. Used by parseConfig and --help. */
export const createCli = CLI.create;
const envName = CLI.envVar;

interface RawOptions {
  proxy?: { host: string; port: number };
  input?: string;
  output?: string;
  width?: number;
  height?: number;
  fit?: Fit;
  format?: OutputFormat;
  quality?: number;
  conns?: number;
  minConns?: number;
  maxConns?: number;
  times: number;
  window: number;
  retries: number;
  timeout: number;
  dryRun?: boolean;
  duration?: number;
  rate?: number;
  json?: boolean;
  interval: number;
  out?: string;
  report?: string;
  logLevel: string;
  logPretty?: boolean;
}

/**
 * Parses user arguments (without node/script) and env into one frozen config. Throws
 * ConfigError naming the flag, or HelpRequested for --help/--version; `warn` gets deprecation and
 * unit warnings.
 */
export function parseConfig(argv: readonly string[], env: Env, warn?: Warn): ClientConfig {
  const o = CLI.parse<RawOptions>(argv, env, warn);
  if (!o.proxy) throw new ConfigError(`--proxy is required (or ${envName('--proxy')})`);
  if (!o.input) throw new ConfigError(`--input is required (or ${envName('--input')})`);
  const dryRun = o.dryRun === true;
  const loadMode = o.duration !== undefined;
  if (!o.output && !dryRun && !loadMode) {
    throw new ConfigError(
      `--output is required unless --dry-run or --duration (or ${envName('--output')})`,
    );
  }
  if (o.conns !== undefined && (o.minConns !== undefined || o.maxConns !== undefined)) {
    throw new ConfigError('--conns cannot be combined with --min-conns/--max-conns');
  }
  let minConns = o.minConns ?? o.conns ?? DEFAULT_CONNS;
  let maxConns = o.maxConns ?? o.conns ?? DEFAULT_CONNS;
  if (o.conns === undefined) {
    if (o.minConns !== undefined && o.maxConns === undefined)
      maxConns = Math.max(minConns, DEFAULT_CONNS);
    if (o.maxConns !== undefined && o.minConns === undefined) minConns = Math.min(maxConns, 1);
  }
  if (minConns > maxConns)
    throw new ConfigError(`--min-conns (${minConns}) is greater than --max-conns (${maxConns})`);
  const randomConns =
    o.conns === undefined && (o.minConns !== undefined || o.maxConns !== undefined);
  return Object.freeze({
    proxy: Object.freeze({ ...o.proxy }),
    input: o.input,
    output: dryRun || loadMode ? undefined : o.output,
    ignoredOutput: dryRun || loadMode ? o.output || undefined : undefined,
    width: o.width,
    height: o.height,
    fit: o.fit,
    format: o.format,
    quality: o.quality,
    conns: randomConns ? undefined : (o.conns ?? DEFAULT_CONNS),
    minConns,
    maxConns,
    times: o.times,
    window: o.window,
    retries: o.retries,
    timeoutMs: o.timeout,
    dryRun,
    durationMs: o.duration,
    rate: o.rate,
    json: o.json === true,
    intervalMs: o.interval,
    out: o.out || undefined,
    report: o.report || undefined,
    ...commonConfigOf(o),
  });
}

/**
 * Every environment variable the client reads: the documented TCPB_CLIENT_* names, then the
 * deprecated v0.1 names it still reads.
 */
export const ENV_VARS = CLI.envVars;
