import type { Socket } from 'node:net';
import type { Task, TaskRoutines } from '@tcpbalancer/job';
import { type CancelSlot, connectUpstream } from './connect-upstream.js';
import type { Connection } from './connection.js';
import { NoUpstreamError, PeerError, QueueTimeoutError, ShutdownError } from './errors.js';
import type { Upstream } from './upstream.js';
import type { QueueTicket } from './wait-queue.js';

/**
 * The oneshot task: pick an upstream, connect; on failure mark it failing and try another, up to
 * `retries` more. No upstream reachable: the job fails with NoUpstreamError, and the finalizer
 * closes the client at once. The finalizer closes both sockets, whatever ended the job.
 */
export class ConnectTask implements TaskRoutines<Connection> {
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
