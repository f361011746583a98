import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { withCommonOptions } from './common-options.js';
import { durationOption } from './duration.js';
import { envOption } from './env-option.js';
import { optionRows, optionsMarkdown } from './option-table.js';

const cli = () =>
  withCommonOptions(
    new Command('tcpbalancer-client')
      .addOption(envOption('--max-conns <n>', 'upper bound'))
      .addOption(envOption('--fit <fit>', 'how it fits').choices(['cover', 'fill']))
      .addOption(
        durationOption('--timeout <duration>', 'per request', {
          plainUnit: 'ms',
          min: 1,
          max: 10_000,
          default: 3000,
        }),
      ),
    { envPrefix: 'TCPB_CLIENT_', version: '1' },
  );

describe('optionRows / optionsMarkdown', () => {
  it('lists each option as --help does: flags, env var, old name, default, choices', () => {
    const rows = optionRows(cli());
    expect(rows.map((r) => r.flags)).toEqual([
      '--max-conns <n>',
      '--fit <fit>',
      '--timeout <duration>',
      '--log-level <level>',
      '--log-pretty',
    ]);
    expect(rows[0]).toMatchObject({
      env: 'TCPB_CLIENT_MAX_CONNS',
      deprecatedEnv: undefined,
      retiredEnv: 'TCPB_MAX_CONNS',
    });
    expect(rows[2]).toMatchObject({ default: '3s', deprecatedEnv: 'TCPB_TIMEOUT' });
    const md = optionsMarkdown(cli());
    expect(md).toContain(
      '| `--fit <fit>` | `TCPB_CLIENT_FIT` (deprecated: `TCPB_FIT`) |  | how it fits (one of `cover`, `fill`) |',
    );
    expect(md).toContain('`TCPB_CLIENT_MAX_CONNS` (`TCPB_MAX_CONNS` no longer read)');
    // Every row's env var is in the help, so the table cannot say what the program does not.
    const help = cli().helpInformation();
    for (const r of rows) if (r.env) expect(help).toContain(r.env);
  });
});
