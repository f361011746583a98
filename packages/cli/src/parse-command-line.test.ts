import { Command, InvalidArgumentError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { envOption, envVarsOf } from './env-option.js';
import { ConfigError, HelpRequested } from './errors.js';
import { LOG_LEVELS } from './log-levels.js';
import { parseCommandLine } from './parse-command-line.js';
import { integerParser } from './parsers.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').filter((s) => s !== '')];
}

function createCli(): Command {
  return new Command('demo')
    .helpOption('-h, --help', 'show this help')
    .addOption(envOption('-p, --port <port>', 'port').argParser(integerParser(0, 65535)).default(7))
    .addOption(envOption('--host <host>', 'host').default('0.0.0.0'))
    .addOption(envOption('-u, --upstream <host:port>', 'repeatable').argParser(collect))
    .addOption(envOption('--log-level <level>', 'level').choices(LOG_LEVELS).default('info'))
    .addOption(envOption('--log-pretty', 'pretty').default(false))
    .addOption(envOption('--dry-run', 'no default'))
    .allowExcessArguments(false);
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ERR_CONFIG');
    expect((err as Error).message).not.toContain('\n');
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseCommandLine', () => {
  it('gives defaults, then env, then flags precedence', () => {
    expect(parseCommandLine(createCli(), [], {})).toEqual({
      port: 7,
      host: '0.0.0.0',
      logLevel: 'info',
      logPretty: false,
    });
    const env = { TCPB_PORT: '9', TCPB_HOST: 'h', TCPB_LOG_LEVEL: 'warn', TCPB_DRY_RUN: 'yes' };
    expect(parseCommandLine(createCli(), [], env)).toMatchObject({
      port: 9,
      host: 'h',
      logLevel: 'warn',
      dryRun: true,
    });
    expect(parseCommandLine(createCli(), ['-p', '10', '--log-level', 'debug'], env)).toMatchObject({
      port: 10,
      host: 'h',
      logLevel: 'debug',
    });
  });

  it('reads only the env given, never process.env', () => {
    process.env.TCPB_PORT = '123';
    try {
      expect(parseCommandLine(createCli(), [], {}).port).toBe(7);
    } finally {
      delete process.env.TCPB_PORT;
    }
  });

  it('takes boolean env words strictly; a flag on the command line wins', () => {
    const pretty = (v: string, argv: string[] = []) =>
      parseCommandLine(createCli(), argv, { TCPB_LOG_PRETTY: v }).logPretty;
    expect(pretty('1')).toBe(true);
    expect(pretty('off')).toBe(false);
    expect(pretty('')).toBe(false);
    expect(pretty('false', ['--log-pretty'])).toBe(true);
    for (const bad of ['maybe', 'ture', '2']) {
      const err = configError(() => parseCommandLine(createCli(), [], { TCPB_DRY_RUN: bad }));
      expect(err.message).toBe(`TCPB_DRY_RUN: "${bad}" is not a boolean (true/false)`);
    }
  });

  it('names the env var and its flag for a bad env value, keeping the cause', () => {
    const err = configError(() => parseCommandLine(createCli(), [], { TCPB_PORT: 'x' }));
    expect(err.message).toBe('TCPB_PORT (--port): "x" is invalid: "x" is not an integer.');
    expect(err.cause).toBeInstanceOf(InvalidArgumentError);
    expect(
      configError(() => parseCommandLine(createCli(), [], { TCPB_LOG_LEVEL: 'loud' })).message,
    ).toMatch(/^TCPB_LOG_LEVEL \(--log-level\): "loud" is invalid: Allowed choices are trace, /);
    expect(
      configError(() => parseCommandLine(createCli(), [], { TCPB_PORT: '1\n2' })).message,
    ).toContain('"1\\n2"');
  });

  it('does not read a bad env value the command line overrides', () => {
    expect(parseCommandLine(createCli(), ['-p', '1'], { TCPB_PORT: 'x' }).port).toBe(1);
  });

  it('replaces a collected list from env instead of adding to it', () => {
    expect(parseCommandLine(createCli(), [], { TCPB_UPSTREAM: 'a:1,b:2' }).upstream).toEqual([
      'a:1',
      'b:2',
    ]);
    expect(
      parseCommandLine(createCli(), ['-u', 'c:3', '-u', 'd:4'], { TCPB_UPSTREAM: 'a:1' }).upstream,
    ).toEqual(['c:3', 'd:4']);
  });

  it.each([
    [['--port', 'x'], /^option '-p, --port <port>' argument 'x' is invalid\./],
    [['--port', '70000'], /--port/],
    [['--log-level', 'loud'], /--log-level/],
    [['--bogus'], /^unknown option '--bogus'$/],
    [['--hots', 'x'], /^unknown option '--hots'$/],
    [['--port'], /--port/],
    [['extra'], /too many arguments/],
  ])('%j → one-line ConfigError naming the flag, nothing printed', (argv, re) => {
    const stderr = vi.spyOn(process.stderr, 'write');
    const stdout = vi.spyOn(process.stdout, 'write');
    const err = configError(() => parseCommandLine(createCli(), argv, {}));
    expect(err.message).toMatch(re);
    expect(stderr).not.toHaveBeenCalled();
    expect(stdout).not.toHaveBeenCalled();
  });

  it('throws HelpRequested for -h/--help, with every env var, before any other check', () => {
    for (const argv of [['--help'], ['-h'], ['--bogus', '--help']]) {
      const cli = createCli();
      try {
        parseCommandLine(cli, argv, { TCPB_PORT: 'x' });
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(HelpRequested);
        expect((err as HelpRequested).code).toBe('ERR_HELP_REQUESTED');
        for (const v of envVarsOf(cli)) expect((err as HelpRequested).text).toContain(v);
      }
    }
  });

  it('gives the options their env vars back, after success and after failure', () => {
    const cli = createCli();
    const before = envVarsOf(cli);
    parseCommandLine(cli, [], {});
    expect(envVarsOf(cli)).toEqual(before);
    const failing = createCli();
    expect(() => parseCommandLine(failing, [], { TCPB_PORT: 'x' })).toThrow(ConfigError);
    expect(envVarsOf(failing)).toEqual(before);
    expect(failing.helpInformation()).toContain('TCPB_PORT');
  });
});
