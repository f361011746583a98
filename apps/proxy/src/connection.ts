import type { OnReadOpts, Socket } from 'node:net';
import { Job, type Logger as JobLogger } from '@tcpbalancer/job';
import type { Strategy } from './balancing/strategy.js';
import { ConnectTask } from './connect-task.js';
import { RelayTask, watchClient, watchUpstream } from './relay.js';
import type { Upstream } from './upstream.js';
import type { UpstreamPool } from './upstream-pool.js';
import { type ChunkSink, UpstreamReader } from './upstream-reader.js';
import type { QueueDropReason, WaitQueue } from './wait-queue.js';

/** What every connection's job needs from the proxy around it. */
export interface ConnectionContext {
  readonly pool: UpstreamPool;
  readonly strategy: Strategy;
  readonly connectTimeout: number;
  readonly retries: number;
  /** The pool's wait queue; undefined when queueing is off (`--queue-timeout 0`). */
  readonly queue: WaitQueue | undefined;
  /** For the job's own reports (a finalizer that throws); the proxy's logger. */
  readonly logger: JobLogger;
  /** A connect attempt to `up` failed (the connection may still succeed on another one). */
  onConnectFailure(up: Upstream, err: unknown): void;
  onRetry(): void;
  /** The job has ended and both sockets are closed (called from the last finalizer). */
  onEnded(conn: Connection): void;
  /**
   * The first bytes for a freshly connected upstream (a PROXY protocol header), written before
   * any client byte; absent when the pool sends none.
   */
  readonly upstreamPreface?: (conn: Connection) => Buffer;
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** The client as a PROXY protocol header told it, instead of the socket's peer. */
export interface ClientIdentity {
  readonly source: Endpoint;
  /** Where the client connected to (the header's destination); the socket's local end if absent. */
  readonly destination?: Endpoint;
}

/**
 * One client connection: its job and the job's value — both sockets, the chosen upstream, byte
 * counts. Counters are plain fields bumped per chunk; the idle sweep and the end-of-connection
 * log read them.
 *
 * The routines are classes rather than factory closures, and the socket listeners are shared
 * functions (see relay.ts): an idle connection is mostly this bookkeeping, and prototype methods
 * cost nothing per connection (see the memory bench).
 */
export class Connection implements ChunkSink {
  upstream: Socket | undefined = undefined;
  /** The upstream connected to (undefined until connected). */
  up: Upstream | undefined = undefined;
  /** client → upstream */
  bytesIn = 0;
  /** upstream → client */
  bytesOut = 0;
  readonly startedAt = performance.now();
  /** Bytes moved at the last idle sweep, and when that number last changed. */
  idleMark = 0;
  idleSince = Date.now();
  attempts = 0;
  /** Time spent waiting in the pool's queue (ms); 0 when it never waited. */
  queuedMs = 0;
  /** Why it left the queue without an upstream, if it did. */
  queueDrop: QueueDropReason | undefined = undefined;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly job: Job<Connection>;
  /** Whatever admitted the connection and must hear of its end (a per-source limit slot). */
  admission: { release(): void } | undefined = undefined;
  /** The upstream whose `active` count this connection holds (from the connect attempt on). */
  #holding: Upstream | undefined = undefined;
  /** How the upstream is read (into reused buffers), made at the first connect attempt. */
  #reader: UpstreamReader | undefined = undefined;
  /** Relay directions not yet complete, and the relay task's pending run. */
  #openDirections = 2;
  #wake: (() => void) | undefined = undefined;

  constructor(
    readonly client: Socket,
    readonly ctx: ConnectionContext,
    /** From a PROXY protocol header: the real client behind the peer that connected. */
    readonly identity?: ClientIdentity,
  ) {
    this.clientAddress = identity?.source.address ?? client.remoteAddress ?? '';
    this.clientPort = identity?.source.port ?? client.remotePort ?? 0;
    // The client's 'error' listener goes on in the tick the socket exists: an early reset must
    // end this job, never the process.
    watchClient(this);
    const job = new Job<Connection>(this, { logger: ctx.logger });
    job.addOneshotTask(newConnectTask);
    job.addTask(newRelayTask);
    this.job = job;
  }

  hold(up: Upstream): void {
    this.#holding = up;
    up.active++;
  }

  /** Gives the upstream's slot back; safe to call twice (connect failure, then finalizer). */
  release(): void {
    const up = this.#holding;
    if (up === undefined) return;
    this.#holding = undefined;
    up.active--;
    this.ctx.pool.released(up);
    // A slot of an upstream that was at its limit: the longest-waiting queued connection takes it.
    if (up.maxConns > 0 && up.active === up.maxConns - 1) this.ctx.queue?.wakeOne();
  }

  /** The `onread` options of every connect attempt of this connection. */
  get onread(): OnReadOpts {
    this.#reader ??= new UpstreamReader(this);
    return this.#reader.onread;
  }

  /**
   * upstream → client, called by the UpstreamReader for every read: false (the client's buffer is
   * full) pauses the upstream until the client's 'drain'.
   */
  deliver(chunk: Buffer): boolean {
    this.bytesOut += chunk.length;
    (this.up as Upstream).bytesFromUpstream += chunk.length;
    return this.client.write(chunk);
  }

  get pendingBytes(): number {
    return this.client.writableLength;
  }

  /** The connect task's success: the upstream socket, its 'error' listener on in this tick. */
  attach(socket: Socket, up: Upstream): void {
    watchUpstream(this, socket);
    this.upstream = socket;
    this.up = up;
  }

  /** @internal one direction has flushed and passed its FIN on. */
  directionEnded(): void {
    if (--this.#openDirections === 0) this.#wake?.();
  }

  get relayEnded(): boolean {
    return this.#openDirections === 0;
  }

  /** The relay task's run: resolves when both directions are complete, or on `wakeRelay()`. */
  relayWait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }

  /** The job ended some other way: let the pending relay run return instead of hanging. */
  wakeRelay(): void {
    this.#wake?.();
  }
}

const newConnectTask = (job: Job<Connection>) => new ConnectTask(job.value);
const newRelayTask = (job: Job<Connection>) => new RelayTask(job.value);
