import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { thrown } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, HelpRequested, parseConfig } from './config.js';
import { ConfigError } from './errors.js';

describe('parseConfig', () => {
  it('has defaults and freezes the result', () => {
    const c = parseConfig(['-u', '10.0.0.1:80'], {});
    expect(c).toMatchObject({
      port: 7000,
      host: '0.0.0.0',
      strategy: 'round-robin',
      retries: 2,
      workers: 1,
      logLevel: 'info',
      logPretty: false,
      metricsPort: undefined,
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(c.upstreams.map((u) => u.text)).toEqual(['10.0.0.1:80']);
  });

  it('reads every flag from TCPB_PROXY_* env vars; flags win over env', () => {
    const env = {
      TCPB_PROXY_PORT: '0',
      TCPB_PROXY_UPSTREAM: 'a:1@2, [::1]:2',
      TCPB_PROXY_STRATEGY: 'p2c',
      TCPB_PROXY_IDLE_TIMEOUT: '1s',
      TCPB_PROXY_LOG_PRETTY: 'true',
      TCPB_PROXY_METRICS_PORT: '9100',
    };
    const c = parseConfig([], env);
    expect(c).toMatchObject({
      port: 0,
      strategy: 'p2c',
      idleTimeout: 1000,
      logPretty: true,
      metricsPort: 9100,
    });
    expect(c.upstreams.map((u) => [u.host, u.port, u.weight])).toEqual([
      ['a', 1, 2],
      ['::1', 2, 1],
    ]);
    const d = parseConfig(['-p', '5', '--strategy', 'random', '-u', 'b:3'], env);
    expect(d).toMatchObject({ port: 5, strategy: 'random' });
    expect(d.upstreams.map((u) => u.text)).toEqual(['b:3']);
  });

  it('still reads the v0.1 TCPB_* names, with a deprecation line each; the new name wins', () => {
    const warnings: string[] = [];
    const c = parseConfig(
      [],
      { TCPB_UPSTREAM: 'a:1', TCPB_PORT: '0', TCPB_PROXY_PORT: '5', TCPB_RETRIES: '9' },
      (w) => warnings.push(w),
    );
    expect(c).toMatchObject({ port: 5, retries: 9 });
    expect(c.upstreams.map((u) => u.text)).toEqual(['a:1']);
    expect(warnings).toEqual([
      'TCPB_PORT is deprecated and ignored: TCPB_PROXY_PORT is set',
      'TCPB_UPSTREAM is deprecated: use TCPB_PROXY_UPSTREAM',
      'TCPB_RETRIES is deprecated: use TCPB_PROXY_RETRIES',
    ]);
  });

  it('time flags take 500ms, 30s, 2m; a plain number is ms as before', () => {
    const c = parseConfig(
      [
        '-u',
        'a:1',
        '--connect-timeout',
        '500ms',
        '--idle-timeout',
        '2m',
        '--drain-timeout',
        '1500',
      ],
      {},
    );
    expect(c).toMatchObject({ connectTimeout: 500, idleTimeout: 120_000, drainTimeout: 1500 });
    expect(() => parseConfig(['-u', 'a:1', '--health-interval', '2 days'], {})).toThrow(
      /--health-interval/,
    );
  });

  it('repeats --upstream and accepts comma lists', () => {
    const c = parseConfig(['-u', 'a:1', '--upstream', 'b:2,c:3@4'], {});
    expect(c.upstreams.map((u) => u.text)).toEqual(['a:1', 'b:2', 'c:3@4']);
  });

  it.each([
    [['-u', 'a:1', '--strategy', 'nope'], /--strategy/],
    [['-u', 'a:1', '--port', 'x'], /--port/],
    [['-u', 'a:1', '--retries', '-1'], /--retries/],
    [['-u', 'nohost'], /--upstream/],
    [['--bogus'], /--bogus/],
    [[], /--upstream/],
    [['-u', 'a:1@0'], /--upstream/],
  ])('%j → ConfigError naming the flag', (argv, re) => {
    const err = thrown(ConfigError, () => parseConfig(argv, {}));
    expect(err.code).toBe('ERR_CONFIG');
    expect(err.message).toMatch(re);
    expect(err.message).not.toContain('\n');
  });

  it('names the env var when an env value is bad', () => {
    expect(() => parseConfig(['-u', 'a:1'], { TCPB_MAX_CONNS: 'lots' })).toThrow(/TCPB_MAX_CONNS/);
    expect(() => parseConfig(['-u', 'a:1'], { TCPB_LOG_LEVEL: 'loud' })).toThrow(/TCPB_LOG_LEVEL/);
    expect(() => parseConfig(['-u', 'a:1'], { TCPB_LOG_PRETTY: 'maybe' })).toThrow(
      'TCPB_LOG_PRETTY: "maybe" is not a boolean (true/false)',
    );
  });

  it('--help carries every env var', () => {
    try {
      parseConfig(['--help'], {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HelpRequested);
      for (const v of ENV_VARS) expect((err as HelpRequested).text).toContain(v);
    }
    expect(ENV_VARS).toContain('TCPB_PROXY_IDLE_TIMEOUT');
    expect(ENV_VARS).toContain('TCPB_PROXY_CONFIG');
    expect(ENV_VARS.filter((v) => v.startsWith('TCPB_PROXY_'))).toHaveLength(26);
  });

  it('queue and check-period defaults follow the connect timeout and the check interval', () => {
    const c = parseConfig(
      ['-u', 'a:1', '--connect-timeout', '1500', '--health-interval', '300'],
      {},
    );
    expect(c).toMatchObject({
      queueTimeout: 1500,
      queueMax: 1024,
      healthFastInterval: 250,
      healthDownInterval: 300,
      upstreamMaxConns: 0,
      adminToken: undefined,
    });
    const d = parseConfig(['-u', 'a:1'], {
      TCPB_PROXY_QUEUE_TIMEOUT: '0',
      TCPB_PROXY_QUEUE_MAX: '5',
      TCPB_PROXY_HEALTH_DOWNINTER: '100',
      TCPB_PROXY_HEALTH_FASTINTER: '50',
    });
    expect(d).toMatchObject({
      queueTimeout: 0,
      queueMax: 5,
      healthDownInterval: 100,
      healthFastInterval: 50,
    });
  });

  it('the admin token: from the flag, the env or a file; too short or both is an error', () => {
    expect(parseConfig(['-u', 'a:1', '--admin-token', 'secret-123'], {}).adminToken).toBe(
      'secret-123',
    );
    expect(parseConfig(['-u', 'a:1'], { TCPB_PROXY_ADMIN_TOKEN: 'secret-456' }).adminToken).toBe(
      'secret-456',
    );
    const dir = mkdtempSync(join(tmpdir(), 'tcpb-token-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'from-a-file-789\n');
    expect(parseConfig(['-u', 'a:1', '--admin-token-file', file], {}).adminToken).toBe(
      'from-a-file-789',
    );
    expect(() => parseConfig(['-u', 'a:1', '--admin-token', 'short'], {})).toThrow(/--admin-token/);
    expect(() =>
      parseConfig(['-u', 'a:1', '--admin-token-file', join(dir, 'missing')], {}),
    ).toThrow(/--admin-token-file/);
    rmSync(dir, { recursive: true });
  });
});
