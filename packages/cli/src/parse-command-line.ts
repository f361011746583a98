import {
  type Command,
  CommanderError,
  InvalidArgumentError,
  type Option,
  type OptionValues,
} from 'commander';
import { helpExtrasOf } from './common-options.js';
import { durationWarningOf } from './duration.js';
import { ConfigError, HelpRequested } from './errors.js';
import { envSourceOf } from './legacy-env.js';
import { parseBooleanEnv } from './parsers.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Receives one line per warning (a deprecated env name, a suspicious unit-less time). */
export type Warn = (line: string) => void;

/** Commander's own errors, also when another copy of commander made them. */
function isCommanderError(err: unknown): err is CommanderError {
  return (
    err instanceof CommanderError ||
    (err instanceof Error && String((err as { code?: unknown }).code).startsWith('commander.'))
  );
}

/** Commander's messages start with "error: " and may go on over lines (suggestions): keep one. */
function oneLine(message: string): string {
  return (
    message
      .replace(/^error:\s*/i, '')
      .split('\n')[0]
      ?.trim() ?? message
  );
}

function parseEnvValue(option: Option, raw: string): unknown {
  if (option.argChoices && !option.argChoices.includes(raw)) {
    throw new InvalidArgumentError(`Allowed choices are ${option.argChoices.join(', ')}.`);
  }
  // No previous value: an env value replaces, it never adds to a default or a collected list.
  return option.parseArg ? option.parseArg(raw, undefined) : raw;
}

/** The program's help: commander's, then what withCommonOptions adds (env, times, exit codes). */
export function helpText(cli: Command): string {
  return cli.helpInformation() + (helpExtrasOf(cli)?.epilogue ?? '');
}

/**
 * Parses user arguments (without node and the script) with `cli`, and the options' env vars
 * from `env` (never process.env: main.ts stays the only reader of process). Precedence: flag,
 * then the option's env var, then its deprecated v0.1 name, then the default.
 *
 * Returns the raw option values (`cli.opts()`). Throws HelpRequested (`text` = the help, env vars
 * included) when `-h`/`--help` is anywhere in argv, HelpRequested with the version line for
 * `--version`, and ConfigError (one line, naming the flag, or the env var and its flag) for an
 * unknown flag, a bad value, an excess argument or a bad env value. A boolean env var must be one
 * of 1/0, true/false, yes/no, on/off (or empty = false). `warn` gets deprecation and unit
 * warnings, one line each.
 *
 * Env values are applied after commander has parsed argv, so commander's post-parse checks
 * (`makeOptionMandatory`, `conflicts`, `implies`) do not see them: check those in the caller.
 * `cli` gets `exitOverride()` and silent output; its options keep their env vars afterwards.
 */
export function parseCommandLine<T extends OptionValues = OptionValues>(
  cli: Command,
  argv: readonly string[],
  env: Env,
  warn: Warn = () => {},
): T {
  if (argv.includes('-h') || argv.includes('--help')) throw new HelpRequested(helpText(cli));
  const version = helpExtrasOf(cli)?.version;
  if (version !== undefined && argv.includes('--version')) {
    throw new HelpRequested(`${cli.name()} ${version}\n`);
  }
  cli.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  // Commander would read process.env itself: the options forget their env var while it parses.
  const envOf = new Map<Option, string>();
  for (const o of cli.options) {
    if (o.envVar === undefined) continue;
    envOf.set(o, o.envVar);
    o.envVar = undefined;
  }
  try {
    try {
      cli.parse([...argv], { from: 'user' });
    } catch (err) {
      if (isCommanderError(err)) throw new ConfigError(oneLine(err.message), { cause: err });
      throw err;
    }
    for (const [o, name] of envOf) o.envVar = name;
    for (const o of envOf.keys()) applyEnv(cli, o, env, warn);
  } finally {
    for (const [o, name] of envOf) o.envVar = name;
  }
  for (const o of cli.options) {
    const w = durationWarningOf(o);
    if (w !== undefined) warn(w);
  }
  return cli.opts<T>();
}

/** Sets `o` from its env var (or deprecated name) unless the command line set it. */
function applyEnv(cli: Command, o: Option, env: Env, warn: Warn): void {
  const key = o.attributeName();
  if (cli.getOptionValueSource(key) === 'cli') return;
  const source = envSourceOf(o, env, warn);
  if (source === undefined) return;
  const { name, raw } = source;
  let value: unknown;
  if (o.isBoolean()) {
    value = parseBooleanEnv(raw);
    if (value === undefined) {
      throw new ConfigError(`${name}: ${JSON.stringify(raw)} is not a boolean (true/false)`);
    }
  } else {
    try {
      value = parseEnvValue(o, raw);
    } catch (err) {
      const why = oneLine(err instanceof Error ? err.message : String(err));
      // JSON quoting: the same "…" for a plain value, and a newline in it stays off the line.
      throw new ConfigError(`${name} (${o.long}): ${JSON.stringify(raw)} is invalid: ${why}`, {
        cause: err,
      });
    }
  }
  cli.setOptionValueWithSource(key, value, 'env');
}
