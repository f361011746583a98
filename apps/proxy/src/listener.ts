import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { type ClientIdentity, Connection, type ConnectionContext } from './connection.js';
import { connectionLine, endReason } from './connection-log.js';
import { ShutdownError } from './errors.js';
import { IdleSweep } from './idle-sweep.js';
import type { Logger } from './logger.js';
import type { ProxyMetrics } from './metrics.js';
import type { PoolRuntime } from './pool-runtime.js';
import { upstreamPreface } from './proxy-protocol-send.js';
import type { ListenerConfig } from './service-config.js';

export interface ListenerDeps {
  /** The pool of this name as configured now (a reload may replace the set). */
  pool(name: string): PoolRuntime | undefined;
  readonly logger: Logger;
  readonly metrics: ProxyMetrics;
  /** Configured by a file: log lines name the listener and pool (the flags' lines stay as they were). */
  readonly labelled: boolean;
}

/**
 * Admission beyond the plain accept (PROXY header, TLS hello, per-source limits), built from the
 * listener's config; absent when none of them is on, so the plain path costs nothing more.
 */
export interface Gate {
  admit(socket: Socket, listener: Listener): void;
  /** The listener's config changed (reload). */
  close(): void;
  /** Client addresses the per-source limits track now (absent without them). */
  sources?(): number;
}
export type GateFactory = (config: ListenerConfig, previous?: Gate) => Gate | undefined;

export interface ListenerStats {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly draining: boolean;
  readonly active: number;
  readonly total: number;
  readonly refused: Readonly<Record<string, number>>;
  /** With per-source limits: client addresses tracked now (bounded by maxTracked). */
  readonly sourcesTracked?: number;
  /** Connections that left a pool's wait queue without an upstream: `pool` → reason → count. */
  readonly queueDropped: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

interface PoolContext extends ConnectionContext {
  readonly poolName: string;
}

/**
 * One listening socket and the connections it accepted: admission (draining, max-conns, the
 * gate), one Connection job each, the end-of-connection log line and metrics, the idle sweep,
 * and drain. A reload that keeps the listener calls `update()`: the socket stays bound, new
 * connections follow the new config, open ones carry on as they were.
 */
export class Listener {
  config: ListenerConfig;
  readonly conns = new Set<Connection>();
  /** Sockets being admitted by the gate (reading a PROXY header or a TLS hello). */
  readonly pending = new Set<Socket>();
  total = 0;
  draining = false;
  port = 0;
  readonly #refused = new Map<string, number>();
  /** pool → reason → connections of this listener that left that pool's queue without an upstream. */
  readonly queueDrops = new Map<string, Map<string, number>>();
  readonly #deps: ListenerDeps;
  readonly #log: Logger;
  readonly #gateOf: GateFactory;
  #gate: Gate | undefined;
  #server: Server | undefined;
  readonly #sweeper: IdleSweep;
  #emptied: (() => void) | undefined;
  /** The connection context per pool, rebuilt when the pool is reconfigured. */
  readonly #contexts = new Map<PoolRuntime, { generation: number; ctx: PoolContext }>();
  readonly #durations = new Map<string, { observe(v: number): void }>();

  constructor(config: ListenerConfig, deps: ListenerDeps, gateOf: GateFactory) {
    this.config = config;
    this.#deps = deps;
    this.#log = deps.logger;
    this.#gateOf = gateOf;
    this.#gate = gateOf(config);
    this.#sweeper = new IdleSweep(this.conns);
  }

  get name(): string {
    return this.config.name;
  }

  /** Open connections, and those still being admitted. */
  get active(): number {
    return this.conns.size + this.pending.size;
  }

  async listen(): Promise<number> {
    if (this.#server) throw new Error(`listener ${this.name}: listen() called twice`);
    const srv = createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.#onConnection(s));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ port: this.config.port, host: this.config.host, backlog: 4096 }, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    // Accept errors (EMFILE…) must not kill the process: log, keep serving.
    srv.on('error', (err) => this.#log.error({ err, listener: this.name }, 'server error'));
    this.#server = srv;
    this.port = (srv.address() as AddressInfo).port;
    this.#sweeper.start(this.config.idleTimeout);
    return this.port;
  }

  /** A reload kept this listener (same address and port): new connections follow `config`. */
  update(config: ListenerConfig): void {
    const idleChanged = config.idleTimeout !== this.config.idleTimeout;
    this.config = config;
    const previous = this.#gate;
    previous?.close();
    this.#gate = this.#gateOf(config, previous);
    if (idleChanged && this.#server) this.#sweeper.start(config.idleTimeout);
  }

  refuse(socket: Socket, reason: string): void {
    this.#refused.set(reason, (this.#refused.get(reason) ?? 0) + 1);
    this.#deps.metrics.refused.inc({ reason, ...this.#deps.metrics.listenerLabel(this.name) });
    socket.on('error', () => {}); // it may already be reset
    socket.destroy();
    this.#log.debug(
      { client: socket.remoteAddress, listener: this.name, reason },
      'connection refused',
    );
  }

  #onConnection(socket: Socket): void {
    if (this.draining) {
      this.refuse(socket, 'draining');
      return;
    }
    const max = this.config.maxConns;
    if (max > 0 && this.conns.size + this.pending.size >= max) {
      this.refuse(socket, 'max-conns');
      return;
    }
    const gate = this.#gate;
    if (gate !== undefined) {
      gate.admit(socket, this);
      return;
    }
    const route = this.config.route;
    if ('pool' in route) this.start(socket, route.pool);
  }

  /**
   * Starts the connection's job towards `poolName` (the gate calls it once it has admitted the
   * socket; `identity` from a PROXY header). Returns false, having refused the socket, when the
   * pool does not exist (a reload removed it meanwhile).
   */
  start(
    socket: Socket,
    poolName: string,
    identity?: ClientIdentity,
    admission?: { release(): void },
  ): boolean {
    const ctx = this.#contextFor(poolName);
    if (ctx === undefined) {
      admission?.release();
      this.refuse(socket, 'no-pool');
      return false;
    }
    const conn = new Connection(socket, ctx, identity);
    conn.admission = admission;
    this.conns.add(conn);
    this.total++;
    conn.job.start(); // not run(): no promise per held connection; onEnded reports the end
    return true;
  }

  #contextFor(poolName: string): PoolContext | undefined {
    const pr = this.#deps.pool(poolName);
    if (pr === undefined) return undefined;
    const cached = this.#contexts.get(pr);
    if (cached !== undefined && cached.generation === pr.generation) return cached.ctx;
    const { metrics, logger } = this.#deps;
    const c = pr.config;
    const preface = c.proxyProtocol === undefined ? undefined : upstreamPreface(c.proxyProtocol);
    const ctx: PoolContext = {
      poolName: pr.name,
      pool: pr.pool,
      strategy: pr.strategy,
      connectTimeout: c.connectTimeout,
      retries: c.retries,
      queue: pr.queue,
      logger,
      onConnectFailure(up, err) {
        metrics.connectFailures.inc({ upstream: up.key, ...metrics.poolLabel(pr.name) });
        logger.warn({ upstream: up.key, pool: pr.name, err }, 'upstream connect failed');
      },
      onRetry() {
        metrics.retries.inc(metrics.poolLabel(pr.name));
      },
      onEnded: (conn) => this.#onEnded(conn),
      ...(preface ? { upstreamPreface: preface } : {}),
    };
    this.#contexts.set(pr, { generation: pr.generation, ctx });
    return ctx;
  }

  // One labelled child per reason, made once: observe() with a labels object hashes it each time.
  #durationOf(reason: string): { observe(v: number): void } {
    let child = this.#durations.get(reason);
    if (child === undefined) {
      child = this.#deps.metrics.duration.labels({
        reason,
        ...this.#deps.metrics.listenerLabel(this.name),
      });
      this.#durations.set(reason, child);
    }
    return child;
  }

  #onEnded(conn: Connection): void {
    this.conns.delete(conn);
    conn.admission?.release();
    const err = conn.job.interruptedBy?.error;
    const reason = endReason(err);
    const durationMs = performance.now() - conn.startedAt;
    this.#durationOf(reason).observe(durationMs / 1000);
    const noUpstream =
      reason === 'no-upstream' || reason === 'queue-timeout' || reason === 'queue-full';
    if (noUpstream) {
      this.#refused.set(reason, (this.#refused.get(reason) ?? 0) + 1);
      this.#deps.metrics.refused.inc({ reason, ...this.#deps.metrics.listenerLabel(this.name) });
    }
    const poolName = (conn.ctx as PoolContext).poolName;
    if (conn.queueDrop !== undefined) {
      let byReason = this.queueDrops.get(poolName);
      if (byReason === undefined) {
        byReason = new Map();
        this.queueDrops.set(poolName, byReason);
      }
      byReason.set(conn.queueDrop, (byReason.get(conn.queueDrop) ?? 0) + 1);
    }
    // The line is built only when it is written (a per-connection object and strings otherwise).
    const warn = noUpstream || reason === 'error';
    const log = this.#log;
    if (log.isLevelEnabled(warn ? 'warn' : 'info')) {
      // A client closed for want of an upstream names where it was, configured by flags or not.
      const where =
        this.#deps.labelled || noUpstream || conn.queueDrop !== undefined
          ? { listener: this.name, pool: poolName }
          : undefined;
      const line = connectionLine(conn, reason, durationMs, err, where);
      if (warn) log.warn(line, 'connection closed');
      else log.info(line, 'connection closed');
    }
    if (this.active === 0) this.#emptied?.();
  }

  /** The gate gave up on a socket it was admitting (it has refused or closed it). */
  admissionEnded(socket: Socket): void {
    if (this.pending.delete(socket) && this.active === 0) this.#emptied?.();
  }

  #allEnded(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#emptied;
      this.#emptied = () => {
        this.#emptied = undefined;
        previous?.();
        resolve();
      };
    });
  }

  /**
   * Stops accepting (the port is closed: new clients are refused by the kernel, not left
   * hanging), lets open connections finish for up to `graceMs`, then cancels the rest. Resolves
   * when every connection has ended. Idempotent in effect.
   */
  async close(graceMs: number): Promise<void> {
    this.draining = true;
    const server = this.#server;
    const closed = server
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve();
    if (this.active > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.#allEnded(),
        new Promise<void>((r) => (timer = setTimeout(r, graceMs))),
      ]);
      clearTimeout(timer);
      if (this.active > 0) this.destroyAll(graceMs);
      await this.#allEnded();
    }
    this.#sweeper.stop();
    this.#gate?.close();
    await closed;
  }

  /** Ends every connection now (drain timeout, or destroy()). */
  destroyAll(graceMs: number): void {
    if (this.active === 0) return;
    this.#log.warn(
      { active: this.active, listener: this.name },
      'drain timeout: closing remaining connections',
    );
    const reason = new ShutdownError(
      graceMs > 0 ? `still open after drain timeout (${graceMs} ms)` : 'proxy destroyed',
    );
    for (const s of this.pending) s.destroy();
    for (const conn of this.conns) conn.job.cancel(reason);
  }

  /** Bytes in the proxy's socket buffers for this listener's connections. */
  buffered(): number {
    let n = 0;
    for (const c of this.conns) {
      n += c.client.writableLength + c.client.readableLength;
      if (c.upstream) n += c.upstream.writableLength + c.upstream.readableLength;
    }
    return n;
  }

  refusedTotal(): number {
    let n = 0;
    for (const v of this.#refused.values()) n += v;
    return n;
  }

  stats(): ListenerStats {
    return {
      name: this.name,
      host: this.config.host,
      port: this.port,
      draining: this.draining,
      active: this.active,
      total: this.total,
      refused: Object.fromEntries(this.#refused),
      ...(this.#gate?.sources ? { sourcesTracked: this.#gate.sources() } : {}),
      queueDropped: Object.fromEntries(
        [...this.queueDrops].map(([pool, m]) => [pool, Object.fromEntries(m)]),
      ),
    };
  }
}
