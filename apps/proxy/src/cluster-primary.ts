import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { AdminAction, AdminOutcome } from './admin.js';
import { createAdminHandler } from './admin-api.js';
import { mergeStates } from './admin-state.js';
import { isMessage, type ToPrimary, type ToWorker } from './cluster-messages.js';
import type { ProxyConfig } from './config.js';
import { AdminError, type AdminErrorCode } from './errors.js';
import type { Logger } from './logger.js';
import { type MetricsServer, startMetricsServer } from './metrics-server.js';
import type { ServiceConfig } from './service-config.js';

export interface Primary {
  /** The port the workers share (with --port 0, the one ephemeral port they all got). */
  readonly port: number;
  /** Every listener, as the first worker reported them. */
  readonly listeners?: { name: string; host: string; port: number }[];
  readonly metricsPort?: number;
  /**
   * Sends a new config file's listeners and pools to every worker; resolves when all have
   * applied it, rejects with the first worker's error otherwise.
   */
  reload(next: ServiceConfig): Promise<{ workers: number }>;
  /** Asks every worker to drain and waits for them to exit. Idempotent. */
  close(): Promise<void>;
}

const RESPAWN_DELAY_MS = 1000;
/** Runtime API changes kept for replay to replacement workers. */
const ADMIN_LOG_MAX = 10_000;

type AdminReply = Extract<ToPrimary, { type: 'tcpb:admin-reply' | 'tcpb:admin-state-reply' }>;
const STATS_TIMEOUT_MS = 2000;
const RELOAD_TIMEOUT_MS = 15_000;

/**
 * The cluster primary: forks `config.workers` workers that each run a full balancer on the same
 * port. In Node's default round-robin scheduling the primary owns the listening socket and hands
 * accepted connections to the workers, so `--port 0` yields one ephemeral port shared by all of
 * them; the primary reports it once every worker is listening. A worker that dies is replaced.
 */
export async function runPrimary(
  config: ProxyConfig,
  logger: Logger,
  serviceConfig?: ServiceConfig,
): Promise<Primary> {
  let closing: Promise<void> | undefined;
  /** With a config file: the version every worker runs, sent to each one that starts. */
  let current = serviceConfig;
  let configSeq = 0;
  const configWaiters = new Map<number, Map<number, (ok: boolean, error?: string) => void>>();
  let listeners: { name: string; host: string; port: number }[] | undefined;
  let statsSeq = 0;
  const statsWaiters = new Map<
    number,
    (reply: Extract<ToPrimary, { type: 'tcpb:stats-reply' }>) => void
  >();
  const aggregator = new AggregatorRegistry();
  /** Runtime API changes applied so far, replayed to a worker that starts later. */
  const adminLog: AdminAction[] = [];
  const adminWaiters = new Map<number, (reply: AdminReply) => void>();
  const adminMessage = (action: AdminAction): ToWorker => ({
    type: 'tcpb:admin',
    id: ++statsSeq,
    action,
  });
  let sharedPort: number | undefined;
  let ready = 0;
  let onAllReady: ((port: number) => void) | undefined;
  let onStartFailure: ((err: Error) => void) | undefined;

  const fork = (): Worker => {
    const w = cluster.fork();
    w.on('message', (m: unknown) => {
      if (!isMessage<ToPrimary>(m)) return;
      if (m.type === 'tcpb:listening') {
        if (sharedPort !== undefined && m.port !== sharedPort) {
          logger.error(
            { worker: w.id, port: m.port, expected: sharedPort },
            'worker listening on another port',
          );
        }
        sharedPort ??= m.port;
        listeners ??= m.listeners;
        if (++ready === config.workers) onAllReady?.(sharedPort);
        // A worker started after runtime API changes (a replacement) gets them too.
        if (adminLog.length > 0) for (const action of adminLog) w.send(adminMessage(action));
      } else if (m.type === 'tcpb:stats-reply') {
        statsWaiters.get(m.id)?.(m);
      } else if (m.type === 'tcpb:config-request' && current !== undefined) {
        // Asked for (not pushed at fork): the worker's listener is in place by then.
        const msg: ToWorker = { type: 'tcpb:config', id: ++configSeq, config: current };
        w.send(msg);
      } else if (m.type === 'tcpb:config-applied') {
        configWaiters.get(m.id)?.get(w.id)?.(m.ok, m.error);
      } else if (m.type === 'tcpb:admin-reply' || m.type === 'tcpb:admin-state-reply') {
        adminWaiters.get(m.id)?.(m);
      }
    });

    w.on('error', (err) => logger.warn({ err, worker: w.id }, 'worker channel error'));
    return w;
  };

  cluster.on('exit', (w, code, signal) => {
    if (closing) return;
    if (sharedPort === undefined) {
      onStartFailure?.(
        new Error(`worker ${w.id} exited during start (code ${code}, signal ${signal})`),
      );
      return;
    }
    logger.error({ worker: w.id, code, signal }, 'worker died, starting another');
    setTimeout(() => {
      if (!closing) fork();
    }, RESPAWN_DELAY_MS).unref();
  });

  const port = await new Promise<number>((resolve, reject) => {
    onAllReady = resolve;
    onStartFailure = reject;
    for (let i = 0; i < config.workers; i++) fork();
  });
  onStartFailure = undefined;

  const workers = () =>
    Object.values(cluster.workers ?? {}).filter((w): w is Worker => w?.isConnected() === true);

  async function gather(): Promise<Extract<ToPrimary, { type: 'tcpb:stats-reply' }>[]> {
    const list = workers();
    return Promise.all(
      list.map(
        (w) =>
          new Promise<Extract<ToPrimary, { type: 'tcpb:stats-reply' }>>((resolve, reject) => {
            const id = ++statsSeq;
            const timer = setTimeout(() => {
              statsWaiters.delete(id);
              reject(new Error(`worker ${w.id} did not answer /stats`));
            }, STATS_TIMEOUT_MS);
            statsWaiters.set(id, (reply) => {
              clearTimeout(timer);
              statsWaiters.delete(id);
              resolve(reply);
            });
            const msg: ToWorker = { type: 'tcpb:stats', id };
            w.send(msg);
          }),
      ),
    );
  }

  /** Sends `make(id)` to every live worker and waits for each reply (2 s at most each). */
  function ask<R extends AdminReply>(make: (id: number) => ToWorker): Promise<R[]> {
    return Promise.all(
      workers().map(
        (w) =>
          new Promise<R>((resolve, reject) => {
            const msg = make(++statsSeq);
            const id = (msg as { id: number }).id;
            const timer = setTimeout(() => {
              adminWaiters.delete(id);
              reject(new AdminError('ERR_ADMIN_UNAVAILABLE', `worker ${w.id} did not answer`));
            }, STATS_TIMEOUT_MS);
            adminWaiters.set(id, (reply) => {
              clearTimeout(timer);
              adminWaiters.delete(id);
              resolve(reply as R);
            });
            w.send(msg);
          }),
      ),
    );
  }

  const admin = createAdminHandler({
    token: config.adminToken,
    logger,
    backend: {
      async state() {
        const replies = await ask<Extract<AdminReply, { type: 'tcpb:admin-state-reply' }>>(
          (id) => ({ type: 'tcpb:admin-state', id }),
        );
        return mergeStates(replies.map((r) => r.state));
      },
      async apply(action) {
        const replies = await ask<Extract<AdminReply, { type: 'tcpb:admin-reply' }>>((id) => ({
          type: 'tcpb:admin',
          id,
          action,
        }));
        const failed = replies.find((r) => r.error !== undefined)?.error;
        // Every worker holds the same configuration, so they accept or refuse alike.
        if (failed) throw new AdminError(failed.code as AdminErrorCode, failed.message);
        adminLog.push(action);
        // Bounded: past this many changes the oldest are forgotten (a replacement worker then
        // starts from the file for those); logged, as a sign of a script looping on the API.
        if (adminLog.length > ADMIN_LOG_MAX) {
          adminLog.shift();
          logger.warn(
            { kept: ADMIN_LOG_MAX },
            'runtime API change log full: oldest change dropped',
          );
        }
        return replies.map((r) => r.outcome as AdminOutcome);
      },
    },
  });

  let metricsServer: MetricsServer | undefined;
  if (config.metricsPort !== undefined) {
    metricsServer = await startMetricsServer(
      {
        contentType: aggregator.contentType,
        metrics: () => aggregator.clusterMetrics(),
        healthy: async () => (await gather()).some((r) => r.healthy),
        stats: async () => ({ workers: (await gather()).map((r) => r.stats) }),
        handle: admin,
      },
      { port: config.metricsPort, host: config.host, logger },
    );
  }

  async function reload(next: ServiceConfig): Promise<{ workers: number }> {
    current = next;
    const id = ++configSeq;
    const list = workers();
    const waiters = new Map<number, (ok: boolean, error?: string) => void>();
    configWaiters.set(id, waiters);
    try {
      const results = await Promise.all(
        list.map(
          (w) =>
            new Promise<string | undefined>((resolve) => {
              const timer = setTimeout(
                () => resolve(`worker ${w.id} did not answer`),
                RELOAD_TIMEOUT_MS,
              );
              waiters.set(w.id, (ok, error) => {
                clearTimeout(timer);
                resolve(ok ? undefined : `worker ${w.id}: ${error}`);
              });
              const msg: ToWorker = { type: 'tcpb:config', id, config: next };
              w.send(msg);
            }),
        ),
      );
      const failed = results.find((r) => r !== undefined);
      if (failed !== undefined) throw new Error(failed);
      return { workers: list.length };
    } finally {
      configWaiters.delete(id);
    }
  }

  return {
    port,
    ...(listeners ? { listeners } : {}),
    ...(metricsServer ? { metricsPort: metricsServer.port } : {}),
    reload,
    close() {
      closing ??= (async () => {
        const list = workers();
        const exited = Promise.all(
          list.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r())))),
        );
        const msg: ToWorker = { type: 'tcpb:shutdown' };
        for (const w of list) w.send(msg);
        // The workers drain for up to drain-timeout; past that and a margin, they are killed.
        let timer: NodeJS.Timeout | undefined;
        const killed = new Promise<void>((r) => {
          timer = setTimeout(() => {
            for (const w of workers()) w.process.kill('SIGKILL');
            r();
          }, config.drainTimeout + 5000);
        });
        await Promise.race([exited, killed]);
        clearTimeout(timer);
        await metricsServer?.close();
      })();
      return closing;
    },
  };
}
