import type { Job, TaskRoutines } from '@tcpbalancer/job';
import { TaskIdleTimeoutError } from '@tcpbalancer/job';
import { ErrorCode, encodeFrameToBuffer, errorFrame } from '@tcpbalancer/protocol';
import { BackendError, FrameTimeoutError, ProxyHeaderError } from '../errors.js';
import { linger } from '../linger.js';
import { type Connection, onSocketClose, onSocketEnd } from './connection.js';
import { type ProxyHeaderResult, readProxyHeader } from './proxy-header.js';

/**
 * A timeout's error frame is written only if the socket's buffer holds less than this: a peer
 * that does not read has 64 KiB (the default high-water mark is 16 KiB) waiting already, and
 * will not read this one either.
 */
const TIMEOUT_FRAME_MAX_QUEUED = 65_536;

export const newSocketTask = (job: Job<Connection>): TaskRoutines<Connection> =>
  new SocketTask(job.value);

/**
 * The oneshot: sets the socket up; its finalizer (run last, the oneshot being added first) is
 * the single cleanup point of the connection, whatever ended the job.
 */
class SocketTask implements TaskRoutines<Connection> {
  constructor(private readonly conn: Connection) {}

  init(): Promise<void> | undefined {
    const { conn } = this;
    const { socket } = conn;
    // Small answers (pongs, errors) must not wait ~40 ms for Nagle and delayed ACK (field notes).
    socket.setNoDelay(true);
    socket.on('close', onSocketClose);
    socket.on('end', onSocketEnd);
    if (socket.destroyed) {
      conn.socketClosed();
      return undefined;
    }
    const timeout = conn.ctx.proxyProtocolTimeout;
    if (timeout === undefined) {
      // Synchronous without --proxy-protocol: no promise per connection for nothing.
      this.#start(undefined);
      return undefined;
    }
    return this.#proxyHeader(timeout).then((first) => this.#start(first));
  }

  #start(first: Buffer | undefined): void {
    const { conn } = this;
    conn.input.start(first);
    conn.work.keepAlive(conn.ctx.idleTimeout, () => conn.progress());
  }

  /**
   * --proxy-protocol: the header first (bounded, timed); the logs then name the real client.
   * A bad or missing header ends the job (the finalizer destroys the socket): never guessed.
   */
  async #proxyHeader(timeoutMs: number): Promise<Buffer> {
    const { conn } = this;
    let result: ProxyHeaderResult;
    try {
      result = await readProxyHeader(conn.socket, timeoutMs);
    } catch (err) {
      if (err instanceof ProxyHeaderError) {
        conn.ctx.metrics.connectionErrors.inc({ code: err.code });
        conn.log.info({ code: err.code, message: err.message }, 'proxy header refused');
      }
      throw err;
    }
    const { header, rest } = result;
    const source = header.source;
    if (source === undefined) {
      // v2 LOCAL (the proxy's own health check) or v1 UNKNOWN: the socket's peer is the client.
      conn.log.debug({ version: header.version, command: header.command }, 'proxy header');
    } else {
      const client = `${source.address}:${source.port}`;
      conn.log = conn.log.child({ client });
      conn.log.info({ version: header.version }, 'proxy header');
    }
    return rest;
  }

  finalize(): void {
    const { conn } = this;
    const { socket, ctx, log } = conn;
    conn.work.stop();
    socket.off('end', onSocketEnd);
    // Whatever is still held for this peer is dropped with the job: give it back.
    conn.input.close();
    conn.writer.close();
    conn.slots.close();
    conn.requests.close();
    conn.responses.close();
    const err = conn.job.interruptedBy?.error;
    if (err === undefined || socket.destroyed) return;
    if (err instanceof TaskIdleTimeoutError || err instanceof FrameTimeoutError) {
      // Tell the peer why, best effort, then close without waiting for it.
      const code = err instanceof FrameTimeoutError ? err.code : ErrorCode.IdleTimeout;
      ctx.metrics.connectionErrors.inc({ code });
      log.info({ code }, 'closing: timeout');
      const last =
        socket.writable && socket.writableLength < TIMEOUT_FRAME_MAX_QUEUED
          ? encodeFrameToBuffer(errorFrame(0, code, err.message))
          : undefined;
      void linger(socket, last);
      return;
    }
    if (!(err instanceof BackendError)) log.warn({ err }, 'connection failed');
    socket.destroy();
  }
}
