import { type Command, Option } from 'commander';
import { legacyEnvOf } from './legacy-env.js';

/** The env var of a long flag: `prefix` + UPPER_SNAKE (`--idle-timeout` → TCPB_IDLE_TIMEOUT). */
export function envVarOf(longFlag: string, prefix = 'TCPB_'): string {
  return `${prefix}${longFlag.replace(/^--/, '').toUpperCase().replaceAll('-', '_')}`;
}

/**
 * A commander Option that carries the env var of its long flag (shown by --help): `TCPB_<FLAG>`
 * until `withCommonOptions` gives it the program's prefix (`TCPB_PROXY_<FLAG>`).
 */
export function envOption(flags: string, description?: string): Option {
  const long = /--([A-Za-z0-9][A-Za-z0-9-]*)/.exec(flags)?.[1];
  if (long === undefined) throw new TypeError(`envOption: "${flags}" has no long flag`);
  return new Option(flags, description).env(envVarOf(long));
}

/** Every env var the program's options read, in declaration order. */
export function envVarsOf(cli: Command): readonly string[] {
  return Object.freeze(
    cli.options.map((o) => o.envVar).filter((v): v is string => typeof v === 'string'),
  );
}

/**
 * Every env var the program reads: the documented names in declaration order, then the
 * deprecated v0.1 names still read (`TCPB_PORT`…).
 */
export function allEnvVarsOf(cli: Command): readonly string[] {
  const legacy = cli.options.map(legacyEnvOf).filter((v): v is string => v !== undefined);
  return Object.freeze([...envVarsOf(cli), ...legacy]);
}
