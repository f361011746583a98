import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { isMessage, type ToPrimary, type ToWorker } from './cluster-messages.js';
import type { ProxyConfig } from './config.js';
import type { Logger } from './logger.js';
import { createProxy, type ProxyServer } from './proxy.js';

/**
 * A cluster worker: a full balancer (its own pool, health checks, strategy state) on the shared
 * port. Metrics are served by the primary, which aggregates the workers' registries.
 */
export async function runWorker(
  config: ProxyConfig,
  logger: Logger,
  onShutdownRequest: () => void,
): Promise<ProxyServer> {
  const worker = cluster.worker;
  if (!worker) throw new Error('runWorker() outside a cluster worker');
  const proxy = createProxy({ ...config, metricsPort: undefined }, { logger });
  AggregatorRegistry.setRegistries([proxy.metrics.registry]);
  new AggregatorRegistry(); // installs prom-client's worker-side IPC listener
  worker.on('message', (m: unknown) => {
    if (!isMessage<ToWorker>(m)) return;
    if (m.type === 'tcpb:shutdown') onShutdownRequest();
    else if (m.type === 'tcpb:stats') {
      const stats = proxy.stats();
      const reply: ToPrimary = {
        type: 'tcpb:stats-reply',
        id: m.id,
        stats,
        healthy: proxy.pool.list.some((u) => u.available),
      };
      worker.send(reply);
    }
  });
  const { port } = await proxy.listen();
  const ready: ToPrimary = { type: 'tcpb:listening', port };
  worker.send(ready);
  logger.info({ port }, 'worker listening');
  return proxy;
}
