import { Writable } from 'node:stream';
import { pino } from 'pino';
import {
  createProxy,
  defaultConfig,
  type ProxyConfig,
  type ProxyOptions,
  type ProxyServer,
} from '../../src/index.js';
import { parseUpstreamSpec } from '../../src/upstream-spec.js';

export interface RunningProxy {
  readonly proxy: ProxyServer;
  readonly port: number;
  readonly metricsPort?: number;
  /** Every log line, parsed. */
  readonly logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A proxy in this process on 127.0.0.1:0, logging into `logs`; the defaults tuned for tests. */
export async function startProxy(
  upstreams: readonly string[],
  overrides: Partial<Omit<ProxyConfig, 'upstreams'>> = {},
  options: Omit<ProxyOptions, 'logger'> = {},
): Promise<RunningProxy> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const config = defaultConfig({
    upstreams: upstreams.map(parseUpstreamSpec),
    host: '127.0.0.1',
    port: 0,
    healthInterval: 0,
    drainTimeout: 2000,
    ...overrides,
  });
  const proxy = createProxy(config, { logger, defaultMetrics: false, ...options });
  const bound = await proxy.listen();
  return {
    proxy,
    port: bound.port,
    ...(bound.metricsPort !== undefined ? { metricsPort: bound.metricsPort } : {}),
    logs,
    close: () => proxy.destroy(),
  };
}

export function connectionLogs(logs: Record<string, unknown>[]): Record<string, unknown>[] {
  return logs.filter((l) => l.msg === 'connection closed');
}
