import { spawnSync } from 'node:child_process';
import { availableParallelism, hostname } from 'node:os';
import { thrown } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_VARS, parseConfig } from '../src/index.js';
import { BIN } from './helpers.js';

describe('parseConfig', () => {
  it('has sane defaults', () => {
    const c = parseConfig([], {});
    expect(c).toMatchObject({
      port: 7100,
      host: '0.0.0.0',
      name: hostname(),
      concurrency: availableParallelism(),
      maxFrameBytes: 64 * 1024 * 1024,
      maxPixels: 40_000_000,
      maxInflight: 16,
      idleTimeout: 30_000,
      shutdownTimeout: 10_000,
      metricsPort: undefined,
      logLevel: 'info',
      logPretty: false,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads TCPB_BACKEND_* env vars; flags win', () => {
    const env = {
      TCPB_BACKEND_PORT: '9000',
      TCPB_BACKEND_NAME: 'from-env',
      TCPB_BACKEND_MAX_PIXELS: '1000',
      TCPB_BACKEND_LOG_PRETTY: 'true',
      TCPB_BACKEND_METRICS_PORT: '0',
    };
    const c = parseConfig(['--name', 'from-flag'], env);
    expect(c).toMatchObject({
      port: 9000,
      name: 'from-flag',
      maxPixels: 1000,
      logPretty: true,
      metricsPort: 0,
    });
  });

  it('still reads the v0.1 TCPB_* names (the servers share their meaning), with a warning', () => {
    const warnings: string[] = [];
    const c = parseConfig([], { TCPB_PORT: '9000', TCPB_MAX_CONNS: '9' }, (w) => warnings.push(w));
    expect(c).toMatchObject({ port: 9000, maxConns: 9 });
    expect(warnings).toEqual([
      'TCPB_PORT is deprecated: use TCPB_BACKEND_PORT',
      'TCPB_MAX_CONNS is deprecated: use TCPB_BACKEND_MAX_CONNS',
    ]);
  });

  it('time flags take 500ms, 30s, 2m; a plain number is ms as before', () => {
    expect(
      parseConfig(
        ['--idle-timeout', '2m', '--frame-timeout', '1500', '--shutdown-timeout', '3s'],
        {},
      ),
    ).toMatchObject({ idleTimeout: 120_000, frameTimeout: 1500, shutdownTimeout: 3000 });
    expect(parseConfig(['--resize-timeout', '45s'], {}).resizeTimeout).toBe(45_000);
    expect(() => parseConfig(['--resize-timeout', '500ms'], {})).toThrow(/--resize-timeout/);
  });

  it('--max-conns and --max-buffered-bytes: defaults, flags, env vars, bad values', () => {
    expect(parseConfig([], {})).toMatchObject({
      maxConns: 1024,
      maxBufferedBytes: 256 * 1024 * 1024,
    });
    expect(
      parseConfig(['--max-conns', '7'], {
        TCPB_BACKEND_MAX_CONNS: '9',
        TCPB_BACKEND_MAX_BUFFERED_BYTES: '1_048_576',
      }),
    ).toMatchObject({ maxConns: 7, maxBufferedBytes: 1024 * 1024 });
    expect(() => parseConfig(['--max-conns', '0'], {})).toThrow(/--max-conns/);
    expect(() => parseConfig(['--max-buffered-bytes', '10'], {})).toThrow(/--max-buffered-bytes/);
    expect(() => parseConfig([], { TCPB_BACKEND_MAX_BUFFERED_BYTES: 'lots' })).toThrow(
      /TCPB_BACKEND_MAX_BUFFERED_BYTES/,
    );
    expect(ENV_VARS).toContain('TCPB_BACKEND_MAX_CONNS');
    expect(ENV_VARS).toContain('TCPB_BACKEND_MAX_BUFFERED_BYTES');
  });

  it('lists every env var it reads', () => {
    for (const v of [
      'TCPB_BACKEND_PORT',
      'TCPB_BACKEND_HOST',
      'TCPB_BACKEND_NAME',
      'TCPB_BACKEND_CONCURRENCY',
      'TCPB_BACKEND_MAX_FRAME_BYTES',
      'TCPB_BACKEND_MAX_PIXELS',
      'TCPB_BACKEND_MAX_INFLIGHT',
      'TCPB_BACKEND_IDLE_TIMEOUT',
      'TCPB_BACKEND_SHUTDOWN_TIMEOUT',
      'TCPB_BACKEND_METRICS_PORT',
      'TCPB_BACKEND_LOG_LEVEL',
      'TCPB_BACKEND_LOG_PRETTY',
    ]) {
      expect(ENV_VARS).toContain(v);
    }
  });

  it.each([
    [['--port', '70000'], /--port/],
    [['--concurrency', '0'], /--concurrency/],
    [['--max-inflight', 'many'], /--max-inflight/],
    [['--log-level', 'loud'], /--log-level/],
    [['--frobnicate'], /frobnicate/],
  ])('refuses %j with a ConfigError naming the flag', (argv, re) => {
    const err = thrown(ConfigError, () => parseConfig(argv, {}));
    expect(err.code).toBe('ERR_CONFIG');
    expect(err.message).toMatch(re);
    expect(err.message).not.toContain('\n');
  });

  it('refuses a bad env value naming the variable', () => {
    expect(() => parseConfig([], { TCPB_MAX_PIXELS: 'lots' })).toThrow(/TCPB_MAX_PIXELS/);
    expect(() => parseConfig([], { TCPB_LOG_PRETTY: 'maybe' })).toThrow(
      'TCPB_LOG_PRETTY: "maybe" is not a boolean (true/false)',
    );
  });
});

describe('the bin', () => {
  it('exits 2 with one line on a bad flag', () => {
    const r = spawnSync(process.execPath, [BIN, '--max-inflight', '-3'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--max-inflight/);
  });

  it('exits 2 on a bad env value', () => {
    const r = spawnSync(process.execPath, [BIN], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { ...process.env, TCPB_PORT: 'x' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/TCPB_PORT/);
  });

  it('prints help with the env vars and exits 0', () => {
    const r = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--max-pixels');
    expect(r.stdout).toContain('TCPB_BACKEND_IDLE_TIMEOUT');
  });
});
