import net from 'node:net';
import type { Task, TaskRoutines } from '@tcpbalancer/job';
import type { ClientConnection } from './client-connection.js';

/**
 * The oneshot task: connect (bounded by --timeout). A refusal, a timeout or a close before
 * 'connect' cancels the job through the socket listeners with ERR_CONNECT; the finalizer
 * destroys the socket whatever ended the job.
 */
export class ConnectTask implements TaskRoutines<ClientConnection> {
  constructor(private readonly conn: ClientConnection) {}

  async run(task: Task<ClientConnection>): Promise<void> {
    const { conn } = this;
    const socket = net.connect({ host: conn.ctx.host, port: conn.ctx.port, noDelay: true });
    const timer = conn.attach(socket);
    try {
      await connected(socket, task.signal);
    } finally {
      clearTimeout(timer);
    }
    conn.connected = true;
    conn.ctx.stats.connections++;
    conn.ctx.stats.active++;
    task.done();
  }

  finalize(): void {
    const { conn } = this;
    conn.socket?.destroy();
    if (conn.connected) conn.ctx.stats.active--;
  }
}

/** Resolves on 'connect' (one listener), rejects when the job ends first. */
function connected(socket: net.Socket, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      socket.off('connect', onConnect);
      reject(signal.reason);
    };
    const onConnect = () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', onConnect);
  });
}
