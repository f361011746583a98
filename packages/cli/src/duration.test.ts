import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { durationOption, formatDuration, parseDurationMs } from './duration.js';
import { ConfigError } from './errors.js';
import { parseCommandLine } from './parse-command-line.js';

describe('parseDurationMs', () => {
  it.each([
    ['500ms', 'ms', 500],
    ['30s', 'ms', 30_000],
    ['2m', 'ms', 120_000],
    ['1h', 's', 3_600_000],
    ['1.5s', 'ms', 1500],
    [' 250 ', 'ms', 250],
    ['10', 's', 10_000],
    ['0', 'ms', 0],
  ] as const)('%j (plain: %s) → %d ms', (text, unit, ms) => {
    expect(parseDurationMs(text, unit)).toBe(ms);
  });

  it.each(['', 'x', '-1s', '1d', '1e3', '5 sec'])('%j is not a duration', (text) => {
    expect(parseDurationMs(text, 'ms')).toBeUndefined();
  });

  it('formats defaults the way users write them', () => {
    expect([0, 500, 1000, 30_000, 120_000, 90_000, 3_600_000].map(formatDuration)).toEqual([
      '0',
      '500ms',
      '1s',
      '30s',
      '2m',
      '1m30s',
      '1h',
    ]);
  });
});

describe('durationOption', () => {
  const cli = () =>
    new Command('t')
      .addOption(
        durationOption('--timeout <duration>', 'per-request timeout', {
          plainUnit: 'ms',
          min: 1,
          max: 86_400_000,
          default: 30_000,
        }),
      )
      .addOption(
        durationOption('--duration <duration>', 'run this long', {
          plainUnit: 's',
          min: 1,
          max: 86_400_000,
        }),
      );
  const parse = (argv: string[], env: Record<string, string> = {}) => {
    const warnings: string[] = [];
    return { o: parseCommandLine(cli(), argv, env, (w) => warnings.push(w)), warnings };
  };

  it('plain numbers keep their unit; units are accepted; the help names them and the default', () => {
    expect(parse([]).o.timeout).toBe(30_000);
    expect(parse(['--timeout', '2m', '--duration', '10']).o).toMatchObject({
      timeout: 120_000,
      duration: 10_000,
    });
    const help = cli().helpInformation();
    expect(help).toContain('plain number: ms');
    expect(help).toContain('plain number: s');
    expect(help).toContain('default: 30s');
  });

  it('a suspicious unit-less time (issue 11: --timeout 5) is warned about, once, naming the fix', () => {
    const { o, warnings } = parse(['--timeout', '5']);
    expect(o.timeout).toBe(5);
    expect(warnings).toEqual([
      '--timeout 5 means 5 ms (a plain number is milliseconds): write 5ms to keep it, 5s if you meant seconds',
    ]);
    expect(parse(['--timeout', '5ms']).warnings).toEqual([]);
    expect(parse(['--timeout', '500']).warnings).toEqual([]);
    expect(parse(['--timeout', '5', '--timeout', '5s']).warnings).toEqual([]);
  });

  it('a bad or out-of-range time is a one-line ConfigError naming the flag', () => {
    expect(() => parse(['--timeout', 'soon'])).toThrow(ConfigError);
    expect(() => parse(['--timeout', 'soon'])).toThrow(/--timeout/);
    expect(() => parse(['--timeout', '2d'])).toThrow(/--timeout/);
    expect(() => parse(['--timeout', '0'])).toThrow(/not within 1ms-1d|not within/);
  });
});
