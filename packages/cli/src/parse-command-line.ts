import {
  type Command,
  CommanderError,
  InvalidArgumentError,
  type Option,
  type OptionValues,
} from 'commander';
import { HelpRequested, UsageError } from './errors.js';
import { parseBooleanEnv } from './parsers.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ParseCommandLineOptions {
  /** Builds the error for a bad flag or env value; `message` is one line naming the flag. */
  usageError?: (message: string, cause?: unknown) => Error;
  /** Builds the error for `-h`/`--help`; `text` is the program's help, env vars included. */
  helpRequested?: (text: string) => Error;
}

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

/**
 * Parses user arguments (without node and the script) with `cli`, and the options' env vars
 * from `env` — never from process.env, so that tests and in-process callers give the env and
 * main.ts stays the only reader of process. Precedence: flag, then env var, then default.
 *
 * Returns the raw option values (`cli.opts()`). Throws `helpRequested(text)` when `-h`/`--help`
 * is anywhere in argv, and `usageError(message)` (one line, naming the flag, or the env var and
 * its flag) for an unknown flag, a bad value, an excess argument or a bad env value. A boolean
 * env var must be one of 1/0, true/false, yes/no, on/off (or empty = false).
 *
 * Env values are applied after commander has parsed argv, so commander's post-parse checks
 * (`makeOptionMandatory`, `conflicts`, `implies`) do not see them: check those in the caller.
 * `cli` gets `exitOverride()` and silent output; its options keep their env vars afterwards.
 */
export function parseCommandLine<T extends OptionValues = OptionValues>(
  cli: Command,
  argv: readonly string[],
  env: Env,
  options: ParseCommandLineOptions = {},
): T {
  const usageError = options.usageError ?? ((message, cause) => new UsageError(message, { cause }));
  const helpRequested = options.helpRequested ?? ((text) => new HelpRequested(text));
  if (argv.includes('-h') || argv.includes('--help')) throw helpRequested(cli.helpInformation());
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
      if (isCommanderError(err)) throw usageError(oneLine(err.message), err);
      throw err;
    }
    for (const [o, name] of envOf) {
      const key = o.attributeName();
      const raw = env[name];
      if (raw === undefined || cli.getOptionValueSource(key) === 'cli') continue;
      let value: unknown;
      if (o.isBoolean()) {
        value = parseBooleanEnv(raw);
        if (value === undefined) {
          throw usageError(`${name}: ${JSON.stringify(raw)} is not a boolean (true/false)`);
        }
      } else {
        try {
          value = parseEnvValue(o, raw);
        } catch (err) {
          const why = oneLine(err instanceof Error ? err.message : String(err));
          // JSON quoting: the same "…" for a plain value, and a newline in it stays off the line.
          throw usageError(`${name} (${o.long}): ${JSON.stringify(raw)} is invalid: ${why}`, err);
        }
      }
      cli.setOptionValueWithSource(key, value, 'env');
    }
  } finally {
    for (const [o, name] of envOf) o.envVar = name;
  }
  return cli.opts<T>();
}
