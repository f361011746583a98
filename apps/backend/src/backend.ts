import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import {
  DEFAULT_MAX_HEADER_BYTES,
  ErrorCode,
  encodeFrameToBuffer,
  errorFrame,
  PREFIX_BYTES,
} from '@tcpbalancer/protocol';
import type { Logger } from 'pino';
import { BufferBudget } from './buffer-budget.js';
import type { BackendConfig } from './config.js';
import { Connection, type ConnectionContext } from './connection.js';
import { type BackendMetrics, createMetrics } from './metrics.js';
import { type MetricsServer, startMetricsServer } from './metrics-server.js';
import { configureSharp } from './resize.js';
import { Semaphore } from './semaphore.js';

export interface Backend {
  /** Binds the port (and the metrics port); resolves with the real ports. */
  listen(): Promise<{ port: number; metricsPort: number | undefined }>;
  /**
   * Graceful: stops accepting, lets in-flight requests finish (new ones get ERR_SHUTTING_DOWN)
   * for up to --shutdown-timeout, then destroys what is left. Idempotent.
   */
  close(): Promise<void>;
  /** Abort: every connection is destroyed at once. Idempotent. */
  destroy(): Promise<void>;
  /** The bound address, once listening. */
  readonly address: AddressInfo | null;
  readonly connections: number;
  readonly metrics: BackendMetrics;
}

export function createBackend(config: BackendConfig, logger: Logger): Backend {
  configureSharp();
  const budget = new BufferBudget(config.maxBufferedBytes);
  const resizeSlots = new Semaphore(config.concurrency);
  const metrics = createMetrics(
    { backend: config.name },
    { bufferedBytes: () => budget.used, resizesRunning: () => resizeSlots.active },
  );
  const ctx: ConnectionContext = {
    name: config.name,
    maxInflight: config.maxInflight,
    idleTimeout: config.idleTimeout,
    frameTimeout: config.frameTimeout,
    // --max-frame-bytes bounds the whole frame; the JSON header keeps the protocol's 16 KiB.
    decoderLimits: {
      maxHeaderBytes: Math.min(DEFAULT_MAX_HEADER_BYTES, config.maxFrameBytes - PREFIX_BYTES),
      maxPayloadBytes: config.maxFrameBytes - PREFIX_BYTES,
      maxFrameBytes: config.maxFrameBytes,
    },
    resizeLimits: { maxPixels: config.maxPixels, timeoutMs: config.resizeTimeout },
    resizeSlots,
    budget,
    metrics,
  };
  const conns = new Set<Connection>();
  let nextId = 1;
  let draining = false;
  let closing: Promise<void> | undefined;
  let destroying: Promise<void> | undefined;
  let metricsServer: MetricsServer | undefined;
  let listening = false;

  const server: Server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    // First thing, same tick: an 'error' without a listener would kill the process.
    socket.on('error', (err: NodeJS.ErrnoException) =>
      logger.debug({ err: err.message, code: err.code }, 'socket error'),
    );
    if (draining) {
      socket.destroy();
      return;
    }
    if (conns.size >= config.maxConns) {
      // Refused with a reason the client can act on (retry elsewhere/later), not a bare reset.
      metrics.connectionErrors.inc({ code: ErrorCode.Busy });
      logger.debug({ open: conns.size }, 'refused: --max-conns reached');
      refuse(socket);
      return;
    }
    const id = nextId++;
    const log = logger.child({
      conn: id,
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
    });
    const conn = new Connection(id, socket, ctx, log);
    conns.add(conn);
    metrics.connections.inc();
    metrics.connectionsTotal.inc();
    log.debug('connection open');
    const started = performance.now();
    conn.run().then(async (state) => {
      await conn.closed;
      conns.delete(conn);
      metrics.connections.dec();
      const cause = conn.job.interruptedBy?.error as { code?: string } | undefined;
      log.debug(
        { state, cause: cause?.code, ms: Math.round(performance.now() - started) },
        'connection closed',
      );
    });
  });
  server.on('error', (err) => logger.error({ err }, 'server error'));

  const busyFrame = encodeFrameToBuffer(
    errorFrame(0, ErrorCode.Busy, `too many connections (--max-conns ${config.maxConns})`),
  );
  /** ERR_BUSY, end, discard what the peer sends for a moment (no reset eating the frame). */
  function refuse(socket: Socket): void {
    socket.on('data', () => {});
    socket.end(busyFrame);
    const timer = setTimeout(() => socket.destroy(), 1000);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  async function closeConnections(deadlineMs: number): Promise<void> {
    for (const c of conns) c.drain();
    const all = Promise.all([...conns].map((c) => c.closed));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    if (expired) {
      logger.warn({ open: conns.size }, 'shutdown deadline passed: destroying connections');
      for (const c of conns) c.destroy();
      await Promise.all([...conns].map((c) => c.closed));
    }
  }

  function stopServer(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
    });
  }

  return {
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      listening = true;
      const port = (server.address() as AddressInfo).port;
      logger.info(
        { port, host: config.host, backend: config.name, concurrency: config.concurrency },
        'listening',
      );
      if (config.metricsPort !== undefined) {
        metricsServer = await startMetricsServer({
          port: config.metricsPort,
          host: config.host,
          registry: metrics.registry,
          healthy: () => !draining,
        });
        logger.info({ port: metricsServer.port }, 'metrics listening');
      }
      return { port, metricsPort: metricsServer?.port };
    },

    close() {
      if (destroying) return destroying;
      closing ??= (async () => {
        draining = true;
        logger.info(
          { open: conns.size, deadlineMs: config.shutdownTimeout },
          'shutting down: draining',
        );
        const stopped = stopServer();
        await closeConnections(config.shutdownTimeout);
        await stopped;
        await metricsServer?.close();
        logger.info('closed');
      })();
      return closing;
    },

    destroy() {
      destroying ??= (async () => {
        draining = true;
        const stopped = stopServer();
        for (const c of conns) c.destroy();
        await Promise.all([...conns].map((c) => c.closed));
        await stopped;
        await metricsServer?.close();
      })();
      return destroying;
    },

    get address() {
      const a = server.address();
      return a && typeof a === 'object' ? a : null;
    },
    get connections() {
      return conns.size;
    },
    metrics,
  };
}
