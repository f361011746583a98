import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { withCommonOptions } from './common-options.js';
import { envOption } from './env-option.js';
import { ConfigError } from './errors.js';
import { LEGACY_ENV, RETIRED_ENV } from './legacy-env.js';
import { parseCommandLine } from './parse-command-line.js';

function program(prefix: string) {
  return withCommonOptions(
    new Command('t')
      .addOption(envOption('--port <n>'))
      .addOption(envOption('--max-conns <n>'))
      .addOption(envOption('--retries <n>'))
      .addOption(envOption('--brand-new <v>')),
    { envPrefix: prefix, version: '0' },
  );
}

function parse(prefix: string, env: Record<string, string>, argv: string[] = []) {
  const warnings: string[] = [];
  const o = parseCommandLine(program(prefix), argv, env, (w) => warnings.push(w));
  return { o, warnings };
}

describe('v0.1 env names', () => {
  it('an old name still works where unambiguous, with one deprecation line', () => {
    const { o, warnings } = parse('TCPB_PROXY_', { TCPB_PORT: '7' });
    expect(o.port).toBe('7');
    expect(warnings).toEqual(['TCPB_PORT is deprecated: use TCPB_PROXY_PORT']);
  });

  it('the new name wins when both are set, and the old one is reported ignored', () => {
    const { o, warnings } = parse('TCPB_PROXY_', { TCPB_PORT: '7', TCPB_PROXY_PORT: '8' });
    expect(o.port).toBe('8');
    expect(warnings).toEqual(['TCPB_PORT is deprecated and ignored: TCPB_PROXY_PORT is set']);
  });

  it('an old name another program gave another meaning is not read (issue 11: TCPB_MAX_CONNS)', () => {
    const { o, warnings } = parse('TCPB_CLIENT_', { TCPB_MAX_CONNS: '100', TCPB_RETRIES: 'x' });
    expect(o.maxConns).toBeUndefined();
    expect(o.retries).toBeUndefined();
    expect(warnings).toEqual([
      'TCPB_MAX_CONNS is no longer read here (another program gives it another meaning): use TCPB_CLIENT_MAX_CONNS',
      'TCPB_RETRIES is no longer read here (another program gives it another meaning): use TCPB_CLIENT_RETRIES',
    ]);
    // …while the servers keep it.
    expect(parse('TCPB_BACKEND_', { TCPB_MAX_CONNS: '100' }).o.maxConns).toBe('100');
  });

  it('a flag new since v0.1 has no old name; a bad old value names the old variable', () => {
    expect(parse('TCPB_PROXY_', { TCPB_BRAND_NEW: 'x' }).o.brandNew).toBeUndefined();
    const cli = withCommonOptions(
      new Command('t').addOption(
        envOption('--port <n>').argParser(() => {
          throw new Error('nope');
        }),
      ),
      { envPrefix: 'TCPB_BACKEND_', version: '0' },
    );
    expect(() => parseCommandLine(cli, [], { TCPB_PORT: 'x' })).toThrow(ConfigError);
    expect(() => parseCommandLine(cli, [], { TCPB_PORT: 'x' })).toThrow(/^TCPB_PORT \(--port\)/);
  });

  it('the tables: every old name is one of TCPB_<FLAG>, and none is both kept and retired', () => {
    for (const [prefix, names] of Object.entries(LEGACY_ENV)) {
      for (const n of names) expect(RETIRED_ENV[prefix]).not.toContain(n);
    }
    // The client shares only the logging names with the servers, which mean the same everywhere.
    const shared = LEGACY_ENV.TCPB_PROXY_?.filter((n) => LEGACY_ENV.TCPB_CLIENT_?.includes(n));
    expect(shared).toEqual(['TCPB_LOG_LEVEL', 'TCPB_LOG_PRETTY']);
    expect(RETIRED_ENV.TCPB_CLIENT_).toEqual(['TCPB_MAX_CONNS', 'TCPB_RETRIES']);
  });
});
