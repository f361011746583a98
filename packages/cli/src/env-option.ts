import { type Command, Option } from 'commander';

/** The env var of a long flag: `TCPB_` + UPPER_SNAKE (`--idle-timeout` → TCPB_IDLE_TIMEOUT). */
export function envVarOf(longFlag: string): string {
  return `TCPB_${longFlag.replace(/^--/, '').toUpperCase().replaceAll('-', '_')}`;
}

/** A commander Option that carries the env var of its long flag (shown by --help). */
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
