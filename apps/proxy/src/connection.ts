import type { OnReadOpts, Socket } from 'node:net';
import { Job, type Logger as JobLogger, type Task, type TaskRoutines } from '@tcpbalancer/job';
import type { Strategy } from './balancing/strategy.js';
import { type CancelSlot, connectUpstream } from './connect-upstream.js';
import { NoUpstreamError, PeerError, QueueTimeoutError, ShutdownError } from './errors.js';
import type { Upstream } from './upstream.js';
import type { UpstreamPool } from './upstream-pool.js';
import { type ChunkSink, UpstreamReader } from './upstream-reader.js';
import type { QueueDropReason, QueueTicket, WaitQueue } from './wait-queue.js';

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
 * Every socket of a proxied connection carries its Connection under this key, so that all the
 * socket listeners are shared module-level functions (`this` is the socket when an
 * EventEmitter calls a listener) instead of closures made per connection: on a connect–echo–close
 * churn the closures, and the garbage they make, were a visible share of the cost of a connection.
 */
const kConn = Symbol('tcpb.connection');
type Tagged = Socket & { [kConn]: Connection };
const connOf = (socket: Socket): Connection => (socket as Tagged)[kConn];

function onClientError(this: Socket, err: Error): void {
  connOf(this).job.cancel(new PeerError('client', err));
}
function onUpstreamError(this: Socket, err: Error): void {
  connOf(this).job.cancel(new PeerError('upstream', err));
}
/** client → upstream; the source is paused as soon as the destination's buffer is full. */
function onClientData(this: Socket, chunk: Buffer): void {
  const conn = connOf(this);
  conn.bytesIn += chunk.length;
  (conn.up as Upstream).bytesToUpstream += chunk.length;
  if (!(conn.upstream as Socket).write(chunk)) this.pause();
}
/** A destination drained: resume the source that writes into it (upstream → client: see deliver). */
function onClientDrain(this: Socket): void {
  connOf(this).upstream?.resume();
}
function onUpstreamDrain(this: Socket): void {
  connOf(this).client.resume();
}
/** A FIN from one side is passed on once everything before it is flushed. */
function onClientEnd(this: Socket): void {
  connOf(this).upstream?.end();
}
function onUpstreamEnd(this: Socket): void {
  connOf(this).client.end();
}
/**
 * 'finish': the socket has flushed everything and sent its FIN, so the direction that writes
 * into it is complete. Not emitted when the write side fails (the 'error' listener cancels the
 * job then), nor on destroy().
 */
function onFinish(this: Socket): void {
  connOf(this).directionEnded();
}

/**
 * One client connection: its job and the job's value — both sockets, the chosen upstream, byte
 * counts. Counters are plain fields bumped per chunk; the idle sweep and the end-of-connection
 * log read them.
 *
 * The routines are classes rather than factory closures, and the socket listeners are shared
 * functions (see kConn): an idle connection is mostly this bookkeeping, and prototype methods
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
    (client as Tagged)[kConn] = this;
    // The client's 'error' listener goes on in the tick the socket exists: an early reset must
    // end this job, never the process.
    client.on('error', onClientError);
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
    (socket as Tagged)[kConn] = this;
    socket.on('error', onUpstreamError);
    this.upstream = socket;
    this.up = up;
  }

  /** Wires both directions of the relay (the relay task's init). */
  wire(): void {
    const client = this.client;
    const upstream = this.upstream as Socket;
    client.on('data', onClientData);
    client.on('drain', onClientDrain);
    upstream.on('drain', onUpstreamDrain);
    client.on('finish', onFinish);
    upstream.on('finish', onFinish);
    // net reads the FIN even while nobody consumes the socket, and with no data pending it emits
    // 'end' at once: a client that connects and half-closes before the upstream is connected has
    // already ended here.
    if (client.readableEnded) upstream.end();
    else client.on('end', onClientEnd);
    if (upstream.readableEnded) client.end();
    else upstream.on('end', onUpstreamEnd);
    // A client whose first bytes were read before this connection existed (PROXY header, TLS
    // hello) was paused then, and a 'data' listener does not resume an explicitly paused stream.
    if (client.readableFlowing === false) client.resume();
    // The upstream was connected paused (its reads go to deliver(), not to 'data' listeners).
    upstream.resume();
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

/**
 * The oneshot task: pick an upstream, connect; on failure mark it failing and try another, up to
 * `retries` more. No upstream reachable: the job fails with NoUpstreamError, and the finalizer
 * closes the client at once. The finalizer closes both sockets, whatever ended the job.
 */
class ConnectTask implements TaskRoutines<Connection> {
  /** The pending connect attempt's cancel, for the finalizer (the job was cancelled meanwhile). */
  readonly #pending: CancelSlot = { cancel: undefined };

  constructor(private readonly conn: Connection) {}

  async init(task: Task<Connection>): Promise<void> {
    const { conn } = this;
    const { ctx } = conn;
    // "Has the job ended?" is read from the job, not from task.signal: reading the signal makes
    // the job's AbortSignal exist (see README, Benchmark: a job that never hands its signal out
    // could skip creating and aborting one).
    const job = task.job;
    // The fast path is one round and never sees the queue. When a round finds no upstream that
    // can take the connection, it waits in the pool's queue and runs another round on each wake.
    let ticket: QueueTicket | undefined;
    try {
      for (;;) {
        const lastError = await this.#round(task);
        if (lastError === true) return;
        const queue = ctx.queue;
        const noUpstream = new NoUpstreamError(
          conn.attempts === 0
            ? 'no upstream available'
            : `no upstream reachable after ${conn.attempts} attempts`,
          { cause: lastError },
        );
        if (queue === undefined) throw noUpstream;
        if (ticket === undefined) {
          try {
            ticket = queue.enter();
          } catch (err) {
            // Full (counted by the queue), or closed by a drain.
            conn.queueDrop = err instanceof ShutdownError ? 'draining' : 'queue-full';
            throw err;
          }
        }
        try {
          await ticket.wait(this.#pending);
        } catch (err) {
          if (err instanceof QueueTimeoutError) {
            queue.drop('queue-timeout');
            conn.queueDrop = 'queue-timeout';
            throw new QueueTimeoutError(err.message, { cause: lastError });
          }
          if (err instanceof ShutdownError && job.interruptedBy === undefined) {
            queue.drop('draining');
            conn.queueDrop = 'draining';
          }
          throw err;
        }
        if (job.interruptedBy !== undefined) throw job.interruptedBy.error;
      }
    } finally {
      if (ticket !== undefined) {
        conn.queuedMs = performance.now() - ticket.enteredAt;
        ticket.leave();
      }
    }
  }

  /**
   * Up to 1 + retries connect attempts on upstreams the strategy picks. `true` when connected;
   * otherwise the last connect error (undefined when nothing could be picked).
   */
  async #round(task: Task<Connection>): Promise<true | unknown> {
    const { conn } = this;
    const { ctx } = conn;
    const job = task.job;
    let tried: Set<Upstream> | undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt <= ctx.retries; attempt++) {
      const up = ctx.strategy.pick(ctx.pool, conn.clientAddress, tried);
      if (up === undefined) break;
      if (attempt > 0) ctx.onRetry();
      conn.attempts++;
      conn.hold(up); // counted while connecting: least-connections sees in-flight opens
      let socket: Socket;
      try {
        socket = await connectUpstream(
          up,
          ctx.connectTimeout,
          undefined,
          this.#pending,
          conn.onread,
        );
      } catch (err) {
        conn.release();
        if (job.interruptedBy !== undefined) throw err; // the client went away, or shutdown: not the upstream's fault
        up.connectFailed(err);
        ctx.onConnectFailure(up, err);
        lastError = err;
        tried ??= new Set();
        tried.add(up);
        continue;
      }
      conn.attach(socket, up);
      const interrupted = job.interruptedBy;
      if (interrupted !== undefined) {
        // Connected in the same turn the job was cancelled: nobody will relay, close it here.
        socket.destroy();
        throw interrupted.error;
      }
      up.connectSucceeded();
      // Written before the relay is wired, so it precedes every client byte.
      if (ctx.upstreamPreface !== undefined) socket.write(ctx.upstreamPreface(conn));
      return true;
    }
    return lastError;
  }

  finalize(task: Task<Connection>): void {
    const { conn } = this;
    const reason = task.job.interruptedBy?.error;
    this.#pending.cancel?.(reason);
    // A reset on one side is passed on as a reset, so the other peer knows the stream was cut
    // rather than complete.
    const resetClient = reason instanceof PeerError && reason.code === 'ERR_UPSTREAM_SOCKET';
    const resetUpstream = reason instanceof PeerError && reason.code === 'ERR_CLIENT_SOCKET';
    close(conn.client, resetClient);
    if (conn.upstream) close(conn.upstream, resetUpstream);
    conn.release();
    // The oneshot was added first, so its finalizer runs last: the connection is over.
    conn.ctx.onEnded(conn);
  }
}

function close(socket: Socket, reset: boolean): void {
  if (socket.destroyed) return;
  if (reset && !socket.connecting) {
    try {
      socket.resetAndDestroy();
      return;
    } catch {
      // not a TCP handle any more: a plain destroy below
    }
  }
  socket.destroy();
}

/**
 * The relay, both directions in one task: 'in' moves client → upstream, 'out' upstream → client.
 * Event-driven on purpose: `init` wires each source's 'data' to the other socket's write(),
 * pausing the source when write() returns false and resuming it on 'drain' (so at most the
 * destination's writable buffer plus one read chunk sit in the proxy per direction), and
 * forwards each FIN (half-close: the other direction keeps flowing). `run` awaits the end of
 * both directions once, not once per chunk: a promise and a task hop per chunk would cost a
 * measurable share of the request rate (see README, Benchmark). One task for both directions
 * rather than one each: a task, its promise and its closures fewer per connection.
 */
class RelayTask implements TaskRoutines<Connection> {
  constructor(private readonly conn: Connection) {}

  init(): void {
    this.conn.wire();
  }

  run(task: Task<Connection>): Promise<void> | undefined {
    if (this.conn.relayEnded) {
      task.done();
      return undefined;
    }
    // One promise for the connection's lifetime; the next run (after it resolves) sees
    // relayEnded and marks the task done, or the job has ended meanwhile and there is no next run.
    return this.conn.relayWait();
  }

  finalize(): void {
    this.conn.wakeRelay();
  }
}
