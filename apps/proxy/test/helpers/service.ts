import { Writable } from 'node:stream';
import { pino } from 'pino';
import { defaultConfig } from '../../src/config.js';
import { createService, type Service } from '../../src/service.js';
import {
  type ListenerConfig,
  type PoolConfig,
  poolFromFlags,
  type ServiceConfig,
} from '../../src/service-config.js';
import { parseUpstreamSpec } from '../../src/upstream-spec.js';

const base = defaultConfig({ upstreams: [], healthInterval: 0, drainTimeout: 2000 });

/** A pool with the test defaults (no active checks unless asked). */
export function pool(
  name: string,
  upstreams: string[],
  over: Partial<PoolConfig> = {},
): PoolConfig {
  return { ...poolFromFlags(name, upstreams.map(parseUpstreamSpec), base), ...over };
}

/** A listener on 127.0.0.1 (port 0 unless given). */
export function listener(
  name: string,
  route: string | ListenerConfig['route'],
  over: Partial<ListenerConfig> = {},
): ListenerConfig {
  return {
    name,
    host: '127.0.0.1',
    port: 0,
    route: typeof route === 'string' ? { pool: route } : route,
    maxConns: 0,
    idleTimeout: 0,
    ...over,
  };
}

export function serviceConfig(
  listeners: ListenerConfig[],
  pools: PoolConfig[],
  drainTimeout = 2000,
): ServiceConfig {
  return { listeners, pools, drainTimeout };
}

export interface RunningService {
  readonly service: Service;
  readonly logs: Record<string, unknown>[];
  /** The port of a listener by name (as it is now). */
  port(name: string): number;
  close(): Promise<void>;
}

/** A service in this process, logging into `logs`. */
export async function startService(config: ServiceConfig): Promise<RunningService> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const service = createService(config, {
    logger: pino({ level: 'debug' }, sink),
    defaultMetrics: false,
    labelled: true,
  });
  await service.listen();
  return {
    service,
    logs,
    port: (name) => service.state.listeners.get(name)?.port ?? -1,
    close: () => service.destroy(),
  };
}
