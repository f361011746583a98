import { thrown } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, parseConfig } from './config.js';
import { ConfigError, HelpRequested } from './errors.js';

const base = ['--proxy', '127.0.0.1:9000', '--input', 'in', '--output', 'out'];

const configError = (fn: () => unknown) => thrown(ConfigError, fn);

describe('parseConfig', () => {
  it('has defaults and is frozen', () => {
    const c = parseConfig(base, {});
    expect(c.proxy).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(c.conns).toBe(4);
    expect(c.window).toBe(4);
    expect(c.times).toBe(1);
    expect(c.retries).toBe(3);
    expect(c.timeoutMs).toBe(30_000);
    expect(c.dryRun).toBe(false);
    expect(c.logLevel).toBe('info');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads every flag from TCPB_CLIENT_* env, the command line winning', () => {
    const env = {
      TCPB_CLIENT_PROXY: '[::1]:7000',
      TCPB_CLIENT_INPUT: 'i',
      TCPB_CLIENT_OUTPUT: 'o',
      TCPB_CLIENT_WIDTH: '100',
      TCPB_CLIENT_HEIGHT: '50',
      TCPB_CLIENT_FIT: 'contain',
      TCPB_CLIENT_FORMAT: 'webp',
      TCPB_CLIENT_QUALITY: '70',
      TCPB_CLIENT_TIMES: '3',
      TCPB_CLIENT_WINDOW: '8',
      TCPB_CLIENT_RETRIES: '0',
      TCPB_CLIENT_TIMEOUT: '2s',
      TCPB_CLIENT_JSON: '1',
      TCPB_CLIENT_LOG_LEVEL: 'warn',
      TCPB_CLIENT_CONNS: '7',
    };
    const c = parseConfig(['--width', '300'], env);
    expect(c.proxy).toEqual({ host: '::1', port: 7000 });
    expect(c).toMatchObject({
      input: 'i',
      output: 'o',
      width: 300,
      height: 50,
      fit: 'contain',
      format: 'webp',
      quality: 70,
      times: 3,
      window: 8,
      retries: 0,
      timeoutMs: 2000,
      json: true,
      logLevel: 'warn',
      conns: 7,
    });
  });

  it("reads the v0.1 TCPB_* names with a warning, but not the servers' TCPB_MAX_CONNS (issue 11)", () => {
    const warnings: string[] = [];
    const c = parseConfig(
      ['--conns', '4'],
      {
        TCPB_PROXY: 'h:1',
        TCPB_INPUT: 'i',
        TCPB_DRY_RUN: '1',
        TCPB_MAX_CONNS: '100',
        TCPB_RETRIES: '9',
      },
      (w) => warnings.push(w),
    );
    expect(c).toMatchObject({ conns: 4, minConns: 4, maxConns: 4, retries: 3, dryRun: true });
    expect(warnings).toEqual([
      'TCPB_PROXY is deprecated: use TCPB_CLIENT_PROXY',
      'TCPB_INPUT is deprecated: use TCPB_CLIENT_INPUT',
      'TCPB_MAX_CONNS is no longer read here (another program gives it another meaning): use TCPB_CLIENT_MAX_CONNS',
      'TCPB_RETRIES is no longer read here (another program gives it another meaning): use TCPB_CLIENT_RETRIES',
      'TCPB_DRY_RUN is deprecated: use TCPB_CLIENT_DRY_RUN',
    ]);
  });

  it('ignores process.env, reads only the env given', () => {
    process.env.TCPB_WIDTH = '123';
    try {
      expect(parseConfig(base, {}).width).toBeUndefined();
    } finally {
      delete process.env.TCPB_WIDTH;
    }
  });

  it('treats boolean env words', () => {
    expect(parseConfig(base, { TCPB_DRY_RUN: 'false' }).dryRun).toBe(false);
    expect(parseConfig(base, { TCPB_DRY_RUN: '0' }).dryRun).toBe(false);
    expect(parseConfig(base, { TCPB_DRY_RUN: 'true' }).dryRun).toBe(true);
    expect(parseConfig(base, { TCPB_JSON: ' Yes ' }).json).toBe(true);
  });

  it('rejects a boolean env value that is not a boolean word, like the other apps', () => {
    for (const value of ['maybe', 'ture', '2']) {
      const err = configError(() => parseConfig(base, { TCPB_DRY_RUN: value }));
      expect(err.code).toBe('ERR_CONFIG');
      expect(err.message).toBe(`TCPB_DRY_RUN: "${value}" is not a boolean (true/false)`);
    }
  });

  it('names the env var and its flag when an env value is bad', () => {
    expect(configError(() => parseConfig(base, { TCPB_WIDTH: '0' })).message).toMatch(
      /^TCPB_WIDTH \(--width\): "0" is invalid/,
    );
    expect(configError(() => parseConfig(base, { TCPB_FIT: 'stretch' })).message).toMatch(
      /^TCPB_FIT \(--fit\): "stretch" is invalid/,
    );
  });

  it('lists every env var', () => {
    for (const v of [
      'TCPB_CLIENT_PROXY',
      'TCPB_CLIENT_INPUT',
      'TCPB_CLIENT_OUTPUT',
      'TCPB_CLIENT_MIN_CONNS',
      'TCPB_CLIENT_DRY_RUN',
      'TCPB_CLIENT_LOG_PRETTY',
      'TCPB_CLIENT_RATE',
    ]) {
      expect(ENV_VARS).toContain(v);
    }
  });

  it.each([
    [['--width', '0'], '--width'],
    [['--width', '1.5'], '--width'],
    [['--height', '70000'], '--height'],
    [['--quality', '101'], '--quality'],
    [['--fit', 'stretch'], '--fit'],
    [['--format', 'bmp'], '--format'],
    [['--conns', '0'], '--conns'],
    [['--timeout', 'soon'], '--timeout'],
    [['--duration', '-1s'], '--duration'],
    [['--rate', '0'], '--rate'],
    [['--log-level', 'loud'], '--log-level'],
    [['--bogus'], '--bogus'],
  ])('rejects %j naming the flag in one line', (extra, flag) => {
    const err = configError(() => parseConfig([...base, ...extra], {}));
    expect(err.code).toBe('ERR_CONFIG');
    expect(err.message).toContain(flag);
    expect(err.message).not.toContain('\n');
  });

  it('requires --proxy, --input, and --output outside dry-run/load mode', () => {
    expect(configError(() => parseConfig(['--input', 'i', '--output', 'o'], {})).message).toContain(
      '--proxy',
    );
    expect(
      configError(() => parseConfig(['--proxy', 'h:1', '--output', 'o'], {})).message,
    ).toContain('--input');
    expect(
      configError(() => parseConfig(['--proxy', 'h:1', '--input', 'i'], {})).message,
    ).toContain('--output');
    expect(parseConfig(['--proxy', 'h:1', '--input', 'i', '--dry-run'], {}).output).toBeUndefined();
    // --output with --dry-run or --duration: accepted, not used, kept aside for one warning.
    for (const mode of [['--dry-run'], ['--duration', '1s']]) {
      const c = parseConfig([...base, ...mode], {});
      expect(c.output).toBeUndefined();
      expect(c.ignoredOutput).toBe('out');
    }
    expect(parseConfig(base, {}).ignoredOutput).toBeUndefined();
    expect(parseConfig(['--proxy', 'h:1', '--input', 'i', '--duration', '5'], {}).durationMs).toBe(
      5000,
    );
    expect(configError(() => parseConfig([...base, '--proxy', 'nohost'], {})).message).toContain(
      '--proxy',
    );
    expect(configError(() => parseConfig([...base, '--proxy', 'h:70000'], {})).message).toContain(
      '--proxy',
    );
  });

  it('picks connections: fixed, or a range', () => {
    expect(parseConfig([...base, '--conns', '9'], {})).toMatchObject({
      conns: 9,
      minConns: 9,
      maxConns: 9,
    });
    expect(parseConfig([...base, '--min-conns', '2', '--max-conns', '5'], {})).toMatchObject({
      conns: undefined,
      minConns: 2,
      maxConns: 5,
    });
    expect(
      configError(() => parseConfig([...base, '--min-conns', '5', '--max-conns', '2'], {})).message,
    ).toContain('--min-conns');
    expect(
      configError(() => parseConfig([...base, '--conns', '3', '--max-conns', '4'], {})).message,
    ).toContain('--conns');
  });

  it('parses durations: suffixes, plain seconds for --duration, plain ms for --timeout', () => {
    const c = parseConfig([...base, '--duration', '1.5s', '--timeout', '250'], {});
    expect(c.durationMs).toBe(1500);
    expect(c.timeoutMs).toBe(250);
    expect(parseConfig([...base, '--duration', '500ms'], {}).durationMs).toBe(500);
    expect(parseConfig([...base, '--duration', '2m'], {}).durationMs).toBe(120_000);
    expect(parseConfig([...base, '--duration', '3'], {}).durationMs).toBe(3000);
  });

  it('--help is a HelpRequested with the flags and their env vars', () => {
    try {
      parseConfig(['--help'], {});
      throw new Error('no help');
    } catch (err) {
      expect(err).toBeInstanceOf(HelpRequested);
      expect((err as HelpRequested).text).toContain('TCPB_CLIENT_PROXY');
      expect((err as HelpRequested).text).toContain('--max-conns');
    }
  });
});
