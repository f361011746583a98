import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { withCommonOptions } from './common-options.js';
import { envOption, envVarsOf } from './env-option.js';
import { HelpRequested } from './errors.js';
import { parseCommandLine } from './parse-command-line.js';

describe('withCommonOptions', () => {
  const cli = () =>
    withCommonOptions(new Command('tcpbalancer-t').addOption(envOption('--port <n>')), {
      envPrefix: 'TCPB_PROXY_',
      version: '1.2.3',
    });

  it('adds --log-level (default info) and --log-pretty (default false), under the program prefix', () => {
    expect(envVarsOf(cli())).toEqual([
      'TCPB_PROXY_PORT',
      'TCPB_PROXY_LOG_LEVEL',
      'TCPB_PROXY_LOG_PRETTY',
    ]);
    expect(parseCommandLine(cli(), [], {})).toMatchObject({ logLevel: 'info', logPretty: false });
    expect(
      parseCommandLine(cli(), ['--log-pretty'], { TCPB_PROXY_LOG_LEVEL: 'debug' }),
    ).toMatchObject({ logLevel: 'debug', logPretty: true });
  });

  it('--version is a HelpRequested with the name and version, and is in the help', () => {
    try {
      parseCommandLine(cli(), ['--port', '1', '--version'], {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HelpRequested);
      expect((err as HelpRequested).text).toBe('tcpbalancer-t 1.2.3\n');
    }
    try {
      parseCommandLine(cli(), ['--help'], {});
      expect.unreachable();
    } catch (err) {
      const text = (err as HelpRequested).text;
      expect(text).toContain('--version');
      expect(text).toContain('TCPB_PROXY_<FLAG>');
      expect(text).toMatch(/Exit status: 0 .* 2 /);
    }
  });

  it('refuses an unknown level and stray arguments, without printing', () => {
    expect(() => parseCommandLine(cli(), ['--log-level', 'loud'], {})).toThrow(/loud/);
    expect(() => parseCommandLine(cli(), ['extra'], {})).toThrow();
  });
});
