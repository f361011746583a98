import type net from 'node:net';
import { ChannelClosedError, type Task, type TaskRoutines } from '@tcpbalancer/job';
import type { ClientConnection } from './client-connection.js';

/**
 * Request frames (and pongs) from the outbox onto the socket: everything queued goes out in one
 * corked batch (one writev for several requests), then, if the socket's buffer is full, the
 * task waits for 'drain' (backpressure). The outbox closed and empty: done.
 */
export class WriterTask implements TaskRoutines<ClientConnection> {
  constructor(private readonly conn: ClientConnection) {}

  async run(task: Task<ClientConnection>): Promise<void> {
    const { conn } = this;
    let parts: Buffer[];
    try {
      parts = await conn.outbox.receive(task.signal);
    } catch (err) {
      if (!(err instanceof ChannelClosedError)) throw err;
      task.done();
      return;
    }
    const socket = conn.socket as net.Socket;
    socket.cork();
    let ok = true;
    for (;;) {
      for (const p of parts) {
        ok = socket.write(p) && ok;
        conn.ctx.stats.bytesSent += p.length;
      }
      if (conn.outbox.size === 0) break;
      parts = await conn.outbox.receive(task.signal);
    }
    socket.uncork();
    if (!ok && !socket.destroyed) await drained(socket, task.signal);
  }
}

/** 'drain', or the socket closed, or the job ended: whichever first. */
function drained(socket: net.Socket, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
