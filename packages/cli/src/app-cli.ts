import { Command, type OptionValues } from 'commander';
import { withCommonOptions } from './common-options.js';
import { allEnvVarsOf, envVarOf } from './env-option.js';
import { packageVersion } from './package-version.js';
import { type Env, parseCommandLine, type Warn } from './parse-command-line.js';
import { hostOption, portOption } from './server-options.js';

/** What makes one program's command line: the rest (common options, env, version) is shared. */
export interface AppCliSpec {
  /** The command: `tcpbalancer-proxy`. */
  readonly name: string;
  /** The first line of --help. */
  readonly description: string;
  /** Every env var of the program is `<envPrefix><FLAG>` (see withCommonOptions). */
  readonly envPrefix: string;
  /** `import.meta.url` of a module in the app's src/ or dist/: --version prints its package's. */
  readonly moduleUrl: string;
  /**
   * A server's listen address defaults: `-p, --port` and `--host` (server-options.ts) come first
   * in its options. Unset: a program that does not listen (the client).
   */
  readonly listen?: { readonly port: number; readonly host: string };
  /** Adds the program's own options, in --help order; the common ones follow them. */
  readonly options: (cli: Command) => Command;
}

/** One program's command line, defined once: the program, its env vars, its parse. */
export interface AppCli {
  /**
   * A fresh commander program (parsing changes one): flags, env vars, defaults, parsers. What
   * --help prints and docs/configuration.md is generated from.
   */
  readonly create: () => Command;
  /** Every env var the program reads: the documented names, then the deprecated v0.1 names. */
  readonly envVars: readonly string[];
  /** `parseCommandLine` over a fresh program: the raw option values, or its one-line errors. */
  readonly parse: <T extends OptionValues = OptionValues>(
    argv: readonly string[],
    env: Env,
    warn?: Warn,
  ) => T;
  /** The env var of a long flag in this program: `--proxy` → `TCPB_CLIENT_PROXY`. */
  readonly envVar: (longFlag: string) => string;
}

/**
 * The shell's part of each app's config.ts, once: the three apps differ only in their options,
 * and in what they check and derive from the parsed values.
 */
export function appCli(spec: AppCliSpec): AppCli {
  const version = packageVersion(spec.moduleUrl);
  const create = (): Command => {
    const cli = new Command(spec.name)
      .description(spec.description)
      .helpOption('-h, --help', 'show this help');
    if (spec.listen !== undefined) {
      cli.addOption(portOption(spec.listen.port)).addOption(hostOption(spec.listen.host));
    }
    return withCommonOptions(spec.options(cli), { envPrefix: spec.envPrefix, version });
  };
  return {
    create,
    envVars: allEnvVarsOf(create()),
    parse: <T extends OptionValues>(argv: readonly string[], env: Env, warn?: Warn) =>
      parseCommandLine<T>(create(), argv, env, warn),
    envVar: (longFlag) => envVarOf(longFlag, spec.envPrefix),
  };
}
