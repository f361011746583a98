import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { applyAdminAction } from './admin.js';
import { buildState } from './admin-state.js';
import { isMessage, type ToPrimary, type ToWorker } from './cluster-messages.js';
import type { ProxyConfig } from './config.js';
import { AdminError } from './errors.js';
import type { Logger } from './logger.js';
import { createProxy } from './proxy.js';
import { createService, type Service } from './service.js';
import type { ServiceConfig } from './service-config.js';

/** With --config, the primary sends the file's listeners and pools before anything starts. */
function firstConfig(worker: Worker): Promise<{ id: number; config: ServiceConfig }> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      if (!isMessage<ToWorker>(m) || m.type !== 'tcpb:config') return;
      worker.off('message', onMessage);
      resolve(m);
    };
    worker.on('message', onMessage);
    const ask: ToPrimary = { type: 'tcpb:config-request' };
    worker.send(ask);
  });
}

import { ProcessSampler } from './process-stats.js';

/**
 * A cluster worker: a full balancer (its own pools, health checks, strategy state) on the shared
 * ports. Metrics are served by the primary, which aggregates the workers' registries. With a
 * config file the primary reads it and sends it here, at start and on every reload (so every
 * worker runs the same version, and a worker started later gets the current one).
 */
export async function runWorker(
  config: ProxyConfig,
  logger: Logger,
  onShutdownRequest: () => void,
): Promise<Service> {
  const worker = cluster.worker;
  if (!worker) throw new Error('runWorker() outside a cluster worker');
  const fileMode = config.configFile !== undefined;
  const initial = fileMode ? await firstConfig(worker) : undefined;
  const service = initial
    ? createService(initial.config, { logger, labelled: true })
    : createProxy({ ...config, metricsPort: undefined }, { logger }).service;
  AggregatorRegistry.setRegistries([service.metrics.registry]);
  const sampler = new ProcessSampler();
  new AggregatorRegistry(); // installs prom-client's worker-side IPC listener
  const send = (m: ToPrimary) => worker.send(m);
  worker.on('message', (m: unknown) => {
    if (!isMessage<ToWorker>(m)) return;
    if (m.type === 'tcpb:shutdown') onShutdownRequest();
    else if (m.type === 'tcpb:stats') {
      send({
        type: 'tcpb:stats-reply',
        id: m.id,
        stats: service.stats(),
        healthy: service.healthy(),
      });
    } else if (m.type === 'tcpb:config' && m.id !== initial?.id) {
      service.reload(m.config).then(
        (outcome) => {
          logger.info({ ...outcome }, 'config reloaded');
          send({ type: 'tcpb:config-applied', id: m.id, ok: true });
        },
        (err: unknown) => {
          logger.error({ err }, 'config reload refused');
          send({
            type: 'tcpb:config-applied',
            id: m.id,
            ok: false,
            error: String((err as Error)?.message ?? err),
          });
        },
      );
    } else if (m.type === 'tcpb:admin' || m.type === 'tcpb:admin-state') {
      send(answerAdmin(service, sampler, m));
    }
  });
  const bound = await service.listen();
  const port = bound.listeners[0]?.port ?? 0;
  send({ type: 'tcpb:listening', port, listeners: bound.listeners });
  logger.info({ port, listeners: bound.listeners }, 'worker listening');
  return service;
}

/** A runtime API request from the primary, answered in this worker (never throws). */
function answerAdmin(
  service: Service,
  sampler: ProcessSampler,
  m: Extract<ToWorker, { type: 'tcpb:admin' | 'tcpb:admin-state' }>,
): ToPrimary {
  if (m.type === 'tcpb:admin-state') {
    return {
      type: 'tcpb:admin-state-reply',
      id: m.id,
      state: buildState(service, sampler.read()),
    };
  }
  try {
    return {
      type: 'tcpb:admin-reply',
      id: m.id,
      outcome: applyAdminAction(service, m.action),
    };
  } catch (err) {
    const e =
      err instanceof AdminError
        ? err
        : new AdminError('ERR_ADMIN_UNAVAILABLE', String((err as Error).message));
    return { type: 'tcpb:admin-reply', id: m.id, error: { code: e.code, message: e.message } };
  }
}
