import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseCommandLine } from './parse-command-line.js';
import { hostOption, metricsPortOption, portOption } from './server-options.js';

describe('server options', () => {
  const server = () =>
    new Command('t')
      .addOption(portOption(7100))
      .addOption(hostOption('0.0.0.0'))
      .addOption(metricsPortOption('serve /metrics'));

  it('defaults: the given port and host, no metrics port', () => {
    expect(parseCommandLine(server(), [], {})).toEqual({ port: 7100, host: '0.0.0.0' });
  });

  it('ports are integers in 0..65535, from the flag or the env var', () => {
    expect(parseCommandLine(server(), ['-p', '0', '--metrics-port', '65535'], {})).toEqual({
      port: 0,
      host: '0.0.0.0',
      metricsPort: 65535,
    });
    expect(parseCommandLine(server(), [], { TCPB_METRICS_PORT: '9100' })).toMatchObject({
      metricsPort: 9100,
    });
    for (const bad of ['65536', '-1', '1.5', 'x']) {
      expect(() => parseCommandLine(server(), ['--port', bad], {})).toThrow(ConfigError);
      expect(() => parseCommandLine(server(), ['--metrics-port', bad], {})).toThrow(ConfigError);
    }
  });

  it('help: the flags, what they do, and the routes the metrics port serves', () => {
    const help = server().helpInformation();
    expect(help).toMatch(/-p, --port <port> +port to listen on \(0 = ephemeral\)/);
    expect(help).toMatch(/--host <host> +address to listen on/);
    expect(help).toMatch(/--metrics-port <port> +serve \/metrics on this port \(0 = ephemeral\)/);
  });
});
