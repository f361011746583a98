import type { Socket } from 'node:net';
import { Job, type Logger as JobLogger, type Task, type TaskRoutines } from '@tcpbalancer/job';
import type { Strategy } from './balancing/strategy.js';
import { type CancelSlot, connectUpstream } from './connect-upstream.js';
import { NoUpstreamError, PeerError } from './errors.js';
import type { Upstream } from './upstream.js';
import type { UpstreamPool } from './upstream-pool.js';

/** What every connection's job needs from the proxy around it. */
export interface ConnectionContext {
  readonly pool: UpstreamPool;
  readonly strategy: Strategy;
  readonly connectTimeout: number;
  readonly retries: number;
  /** For the job's own reports (a finalizer that throws); the proxy's logger. */
  readonly logger: JobLogger;
  /** A connect attempt to `up` failed (the connection may still succeed on another one). */
  onConnectFailure(up: Upstream, err: unknown): void;
  onRetry(): void;
  /** The job has ended and both sockets are closed (called from the last finalizer). */
  onEnded(conn: Connection): void;
}

/**
 * One client connection: its job and the job's value — both sockets, the chosen upstream, byte
 * counts. Counters are plain fields bumped per chunk; the idle sweep and the end-of-connection
 * log read them.
 *
 * The routines are classes rather than factory closures: an idle connection is mostly this
 * bookkeeping, and prototype methods cost nothing per connection (see the memory bench).
 */
export class Connection {
  upstream: Socket | undefined;
  /** The upstream connected to (undefined until connected). */
  up: Upstream | undefined;
  /** client → upstream */
  bytesIn = 0;
  /** upstream → client */
  bytesOut = 0;
  readonly startedAt = performance.now();
  /** Bytes moved at the last idle sweep, and when that number last changed. */
  idleMark = 0;
  idleSince = Date.now();
  attempts = 0;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly job: Job<Connection>;
  /** The upstream whose `active` count this connection holds (from the connect attempt on). */
  #holding: Upstream | undefined;

  constructor(
    readonly client: Socket,
    readonly ctx: ConnectionContext,
  ) {
    this.clientAddress = client.remoteAddress ?? '';
    this.clientPort = client.remotePort ?? 0;
    // The client's 'error' listener goes on in the tick the socket exists: an early reset must
    // end this job, never the process.
    client.on('error', this.#onClientError);
    const job = new Job<Connection>(this, { logger: ctx.logger });
    job.addOneshotTask(() => new ConnectTask(this));
    job.addTask(() => new RelayTask(this, 'in'));
    job.addTask(() => new RelayTask(this, 'out'));
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
  }

  readonly #onClientError = (err: Error) => this.job.cancel(new PeerError('client', err));
  readonly onUpstreamError = (err: Error) => this.job.cancel(new PeerError('upstream', err));
}

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
    const signal = task.signal;
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
        socket = await connectUpstream(up, ctx.connectTimeout, undefined, this.#pending);
      } catch (err) {
        conn.release();
        if (signal.aborted) throw err; // the client went away, or shutdown: not the upstream's fault
        up.connectFailed(err);
        ctx.onConnectFailure(up, err);
        lastError = err;
        tried ??= new Set();
        tried.add(up);
        continue;
      }
      socket.on('error', conn.onUpstreamError);
      if (signal.aborted) {
        // Connected in the same turn the job was cancelled: nobody will relay, close it here.
        socket.destroy();
        throw signal.reason;
      }
      conn.upstream = socket;
      conn.up = up;
      up.connectSucceeded();
      return;
    }
    throw new NoUpstreamError(
      conn.attempts === 0
        ? 'no upstream available'
        : `no upstream reachable after ${conn.attempts} attempts`,
      { cause: lastError },
    );
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
 * One direction of the relay: 'in' moves client → upstream, 'out' upstream → client.
 * Event-driven on purpose: `init` wires the source's 'data' to the destination's write(), pausing
 * the source when write() returns false and resuming it on 'drain' (so at most the destination's
 * writable buffer plus one read chunk sit in the proxy per direction), and forwards the FIN.
 * `run` awaits the end of the direction once, not once per chunk: a promise and a task hop per
 * chunk would cost a measurable share of the request rate (see README, Benchmark).
 */
class RelayTask implements TaskRoutines<Connection> {
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(
    private readonly conn: Connection,
    private readonly dir: 'in' | 'out',
  ) {}

  init(): void {
    const conn = this.conn;
    const up = conn.up as Upstream;
    const client = conn.client;
    const upstream = conn.upstream as Socket;
    const src = this.dir === 'in' ? client : upstream;
    const dst = this.dir === 'in' ? upstream : client;
    const onData =
      this.dir === 'in'
        ? (chunk: Buffer) => {
            conn.bytesIn += chunk.length;
            up.bytesToUpstream += chunk.length;
            if (!dst.write(chunk)) src.pause();
          }
        : (chunk: Buffer) => {
            conn.bytesOut += chunk.length;
            up.bytesFromUpstream += chunk.length;
            if (!dst.write(chunk)) src.pause();
          };
    src.on('data', onData);
    dst.on('drain', () => src.resume());
    // Half-close: the FIN is passed on and the other direction keeps flowing. The direction is
    // complete once the destination has flushed everything and sent its FIN. end()'s callback
    // also gets errors; the socket's 'error' listener already cancels the job for those.
    const complete = (err?: Error | null) => {
      if (err) return;
      this.#ended = true;
      this.#wake?.();
    };
    // net reads the FIN even while nobody consumes the socket, and with no data pending it emits
    // 'end' at once: a client that connects and half-closes before the upstream is connected has
    // already ended here.
    if (src.readableEnded) dst.end(complete);
    else src.once('end', () => dst.end(complete));
  }

  run(task: Task<Connection>): Promise<void> | undefined {
    if (this.#ended) {
      task.done();
      return undefined;
    }
    // One promise per direction for the connection's lifetime; `complete` marks the task done
    // before resolving it.
    return new Promise<void>((resolve) => {
      this.#wake = () => {
        if (this.#ended) task.done();
        resolve();
      };
    });
  }

  finalize(): void {
    // The job ended some other way: let the pending run return instead of hanging.
    this.#wake?.();
  }
}
