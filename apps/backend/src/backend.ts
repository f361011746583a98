import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import {
  DEFAULT_MAX_HEADER_BYTES,
  type DecoderLimits,
  ErrorCode,
  encodeFrameToBuffer,
  errorFrame,
  PREFIX_BYTES,
} from '@tcpbalancer/protocol';
import type { Logger } from 'pino';
import { BufferBudget } from './buffer-budget.js';
import type { BackendConfig } from './config.js';
import { Connection, type ConnectionContext } from './connection/connection.js';
import { linger } from './linger.js';
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

/**
 * --max-frame-bytes bounds the whole frame; the JSON header keeps the protocol's 16 KiB. A frame
 * is held whole until complete and no socket is read over --max-buffered-bytes, so a frame
 * larger than the budget could never complete: it is refused at once (ERR_FRAME_TOO_LARGE, from
 * its prefix) instead of waiting out the frame timeout.
 */
function frameLimits(config: BackendConfig): Partial<DecoderLimits> {
  const maxFrameBytes = Math.min(config.maxFrameBytes, config.maxBufferedBytes);
  return {
    maxHeaderBytes: Math.min(DEFAULT_MAX_HEADER_BYTES, maxFrameBytes - PREFIX_BYTES),
    maxPayloadBytes: maxFrameBytes - PREFIX_BYTES,
    maxFrameBytes,
  };
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
    decoderLimits: frameLimits(config),
    resizeLimits: { maxPixels: config.maxPixels, timeoutMs: config.resizeTimeout },
    resizeSlots,
    budget,
    metrics,
    proxyProtocolTimeout: config.proxyProtocol ? config.proxyProtocolTimeout : undefined,
  };
  const conns = new Set<Connection>();
  let nextId = 1;
  let draining = false;
  let closing: Promise<void> | undefined;
  let destroying: Promise<void> | undefined;
  let metricsServer: MetricsServer | undefined;
  let listening = false;

  /** One listener for every socket (not a closure each); the 'close' that follows ends its job. */
  function onSocketError(err: NodeJS.ErrnoException): void {
    logger.debug({ err }, 'socket error');
  }

  const server: Server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    // First thing, same tick: an 'error' without a listener would kill the process.
    socket.on('error', onSocketError);
    if (draining) {
      socket.destroy();
      return;
    }
    if (conns.size >= config.maxConns) {
      // Refused with a reason the client can act on (retry elsewhere/later), not a bare reset.
      metrics.connectionErrors.inc({ code: ErrorCode.Busy });
      logger.debug({ active: conns.size }, 'refused: --max-conns reached');
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

  const busyFrame = encodeFrameToBuffer(
    errorFrame(0, ErrorCode.Busy, `too many connections (--max-conns ${config.maxConns})`),
  );
  /** ERR_BUSY, end, discard what the peer sends for a moment (no reset eating the frame). */
  function refuse(socket: Socket): void {
    void linger(socket, busyFrame);
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
      logger.warn({ active: conns.size }, 'shutdown deadline passed: destroying connections');
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
      // Only once bound: a listen() failure (a port in use) is the caller's one-line startup
      // error, not a logged stack. Later errors (EMFILE on accept…) are logged, never fatal.
      server.on('error', (err) => logger.error({ err }, 'server error'));
      const port = (server.address() as AddressInfo).port;
      // The `listening` line is logged by the app shell (runMain), as in every app.
      if (config.metricsPort !== undefined) {
        metricsServer = await startMetricsServer({
          port: config.metricsPort,
          host: config.host,
          registry: metrics.registry,
          healthy: () => !draining,
          logger,
        });
      }
      return { port, metricsPort: metricsServer?.port };
    },

    close() {
      if (destroying) return destroying;
      closing ??= (async () => {
        draining = true;
        logger.info(
          { active: conns.size, deadlineMs: config.shutdownTimeout },
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
