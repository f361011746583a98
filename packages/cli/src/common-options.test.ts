import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { withCommonOptions } from './common-options.js';
import { envVarsOf } from './env-option.js';
import { parseCommandLine } from './parse-command-line.js';

describe('withCommonOptions', () => {
  const cli = () => withCommonOptions(new Command('t'));

  it('adds --log-level (default info) and --log-pretty (default false) with their env vars', () => {
    expect(envVarsOf(cli())).toEqual(['TCPB_LOG_LEVEL', 'TCPB_LOG_PRETTY']);
    expect(parseCommandLine(cli(), [], {})).toMatchObject({ logLevel: 'info', logPretty: false });
    expect(parseCommandLine(cli(), ['--log-pretty'], { TCPB_LOG_LEVEL: 'debug' })).toMatchObject({
      logLevel: 'debug',
      logPretty: true,
    });
  });

  it('refuses an unknown level and stray arguments, without printing', () => {
    expect(() => parseCommandLine(cli(), ['--log-level', 'loud'], {})).toThrow(/loud/);
    expect(() => parseCommandLine(cli(), ['extra'], {})).toThrow();
  });
});
