import type { Command } from 'commander';
import { envOption } from './env-option.js';
import { legacyEnvOf, linkLegacyEnv, RETIRED_ENV } from './legacy-env.js';
import { LOG_LEVELS, type LogLevel } from './log-levels.js';

export interface CommonOptions {
  /** The program's env prefix: `TCPB_PROXY_`, `TCPB_BACKEND_`, `TCPB_CLIENT_`. */
  readonly envPrefix: string;
  /** Printed by `--version`. */
  readonly version: string;
}

/** The config fields of the common options, in every program's config. */
export interface CommonConfig {
  readonly logLevel: LogLevel;
  readonly logPretty: boolean;
}

/** The common options' fields from a program's parsed option values (parseCommandLine's). */
export function commonConfigOf(o: {
  readonly logLevel?: unknown;
  readonly logPretty?: unknown;
}): CommonConfig {
  return { logLevel: o.logLevel as LogLevel, logPretty: o.logPretty === true };
}

/** Text parseCommandLine adds after a program's help, and its version. */
const extras = new WeakMap<Command, { epilogue: string; version: string }>();

export function helpExtrasOf(cli: Command): { epilogue: string; version: string } | undefined {
  return extras.get(cli);
}

/**
 * The options and settings every app shares: `--log-level`, `--log-pretty`, `--version`, no
 * stray arguments, errors thrown (to `parseCommandLine`'s one-line funnel) instead of printed and
 * exited; and every env var of the program under its own prefix (`--port` → TCPB_PROXY_PORT),
 * its v0.1 name (`TCPB_PORT`) still read, deprecated (see legacy-env.ts). Call it last,
 * after the program's own options.
 */
export function withCommonOptions(cli: Command, common: CommonOptions): Command {
  cli
    .addOption(
      envOption('--log-level <level>', 'pino log level').choices(LOG_LEVELS).default('info'),
    )
    .addOption(
      envOption(
        '--log-pretty',
        'human-readable logs (pino-pretty; colours only on a terminal) instead of JSON lines',
      ).default(false),
    )
    .option('--version', 'print the version and exit')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
  for (const o of cli.options) {
    if (o.envVar?.startsWith('TCPB_') && !o.envVar.startsWith(common.envPrefix)) {
      o.envVar = `${common.envPrefix}${o.envVar.slice('TCPB_'.length)}`;
    }
    linkLegacyEnv(o, common.envPrefix);
  }
  const deprecated = cli.options.map(legacyEnvOf).filter((n): n is string => n !== undefined);
  const epilogue = [
    '',
    `Environment: every option above can be set with the variable shown (${common.envPrefix}<FLAG>);`,
    'a flag on the command line wins. Booleans: 1/0, true/false, yes/no, on/off.',
    'The v0.1 names without the program prefix (TCPB_<FLAG>) still work, with a one-line',
    'deprecation warning on stderr; the new name wins when both are set.',
    ...wrap(`Deprecated names still read: ${deprecated.join(', ')}.`),
    ...retiredLine(common.envPrefix),
    'Times: 500ms, 30s, 2m, 1h; a plain number keeps the unit the option names.',
    'Exit status: 0 done, 1 failed, 2 bad usage or configuration (one line on stderr).',
    '',
  ].join('\n');
  extras.set(cli, { epilogue, version: common.version });
  return cli;
}

function retiredLine(prefix: string): string[] {
  const retired = RETIRED_ENV[prefix] ?? [];
  if (retired.length === 0) return [];
  return wrap(
    `No longer read here: ${retired.join(', ')} (another program gives them another meaning).`,
  );
}

/** Breaks a long line at spaces, at 96 columns like the rest of the help. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > 96) {
      lines.push(line);
      line = `  ${word}`;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
