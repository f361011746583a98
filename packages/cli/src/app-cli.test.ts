import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type AppCliSpec, appCli } from './app-cli.js';
import { envOption } from './env-option.js';
import { ConfigError, HelpRequested } from './errors.js';

describe('appCli', () => {
  // A program without listen, whose own option is a --port of its own.
  const spec: AppCliSpec = {
    name: 'tcpbalancer-backend',
    description: 'a test program',
    envPrefix: 'TCPB_BACKEND_',
    moduleUrl: import.meta.url,
    options: (c) => c.addOption(envOption('-p, --port <n>').default('1')),
  };
  const cli = appCli(spec);

  it('create() gives a fresh program each call: name, description, -h, own then common options', () => {
    const a = cli.create();
    expect(a).not.toBe(cli.create());
    expect(a.name()).toBe('tcpbalancer-backend');
    expect(a.description()).toBe('a test program');
    expect(a.options.map((o) => o.long)).toEqual([
      '--port',
      '--log-level',
      '--log-pretty',
      '--version',
    ]);
    expect(a.helpInformation()).toMatch(/-h, --help +show this help/);
  });

  it('envVars: the prefixed names in option order, then the deprecated v0.1 names', () => {
    expect(cli.envVars).toEqual([
      'TCPB_BACKEND_PORT',
      'TCPB_BACKEND_LOG_LEVEL',
      'TCPB_BACKEND_LOG_PRETTY',
      'TCPB_PORT',
      'TCPB_LOG_LEVEL',
      'TCPB_LOG_PRETTY',
    ]);
    expect(cli.envVar('--max-conns')).toBe('TCPB_BACKEND_MAX_CONNS');
  });

  it('parse: flag over env over default, deprecated names warned, on a fresh program each time', () => {
    expect(cli.parse([], {})).toMatchObject({ port: '1', logLevel: 'info' });
    expect(cli.parse(['-p', '3'], { TCPB_BACKEND_PORT: '2' })).toMatchObject({ port: '3' });
    const warnings: string[] = [];
    expect(cli.parse([], { TCPB_PORT: '4' }, (w) => warnings.push(w))).toMatchObject({
      port: '4',
    });
    expect(warnings).toEqual([expect.stringContaining('TCPB_PORT')]);
    expect(cli.parse([], {})).toMatchObject({ port: '1' });
  });

  it("--version prints the version of the package.json above moduleUrl's directory", () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    let thrown: unknown;
    try {
      cli.parse(['--version'], {});
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(HelpRequested);
    expect((thrown as HelpRequested).text).toBe(`tcpbalancer-backend ${pkg.version}\n`);
  });

  it('listen: a server gets -p/--port and --host first, with its defaults', () => {
    const server = appCli({
      ...spec,
      envPrefix: 'TCPB_PROXY_',
      listen: { port: 7000, host: '0.0.0.0' },
      options: (c) => c.addOption(envOption('--retries <n>')),
    });
    expect(server.create().options.map((o) => o.long)).toEqual([
      '--port',
      '--host',
      '--retries',
      '--log-level',
      '--log-pretty',
      '--version',
    ]);
    expect(server.parse([], {})).toMatchObject({ port: 7000, host: '0.0.0.0' });
    expect(server.parse(['-p', '0'], { TCPB_PROXY_HOST: '::1' })).toMatchObject({
      port: 0,
      host: '::1',
    });
    expect(() => server.parse(['--port', '65536'], {})).toThrow(ConfigError);
  });
});
