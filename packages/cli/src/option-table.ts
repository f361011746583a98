import type { Command } from 'commander';
import { legacyEnvOf, retiredEnvOf } from './legacy-env.js';

/** One option of a program, as --help shows it: the source of generated docs tables. */
export interface OptionRow {
  /** `-p, --port <port>`. */
  readonly flags: string;
  readonly description: string;
  /** As --help shows it (`7000`, `30s`), or undefined. */
  readonly default: string | undefined;
  readonly choices: readonly string[] | undefined;
  /** The documented env var (`TCPB_PROXY_PORT`), or undefined. */
  readonly env: string | undefined;
  /** Its deprecated v0.1 name still read (`TCPB_PORT`). */
  readonly deprecatedEnv: string | undefined;
  /** Its v0.1 name no longer read by this program. */
  readonly retiredEnv: string | undefined;
}

/** Every option of a program (help and version excluded), in --help order. */
export function optionRows(cli: Command): readonly OptionRow[] {
  return Object.freeze(
    cli.options
      .filter((o) => o.long !== '--version' && o.long !== '--help')
      .map((o) =>
        Object.freeze({
          flags: o.flags,
          description: o.description,
          default:
            o.defaultValueDescription ??
            (o.defaultValue === undefined || o.defaultValue === false
              ? undefined
              : String(o.defaultValue)),
          choices: o.argChoices ? Object.freeze([...o.argChoices]) : undefined,
          env: o.envVar,
          deprecatedEnv: legacyEnvOf(o),
          retiredEnv: retiredEnvOf(o),
        }),
      ),
  );
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/**
 * A Markdown table of a program's options: flag, env var (and its deprecated name), default,
 * description with the choices. Generated from the same definition as --help, so the two
 * cannot drift.
 */
export function optionsMarkdown(cli: Command): string {
  const lines = [
    '| flag | env var | default | description |',
    '| --- | --- | --- | --- |',
    ...optionRows(cli).map((r) => {
      const env = r.env === undefined ? '' : `\`${r.env}\``;
      const old =
        r.deprecatedEnv !== undefined
          ? ` (deprecated: \`${r.deprecatedEnv}\`)`
          : r.retiredEnv !== undefined
            ? ` (\`${r.retiredEnv}\` no longer read)`
            : '';
      const choices = r.choices ? ` (one of ${r.choices.map((c) => `\`${c}\``).join(', ')})` : '';
      const def = r.default === undefined ? '' : `\`${r.default}\``;
      return `| \`${cell(r.flags)}\` | ${env}${old} | ${def} | ${cell(r.description)}${choices} |`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}
