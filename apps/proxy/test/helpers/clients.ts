import type { Socket } from 'node:net';
import { connect as connectTo } from '@tcpbalancer/test-kit';
import { writeAll } from './servers.js';

export { connect as connectTo, randomBytes as randomBytesFast } from '@tcpbalancer/test-kit';

export interface Outcome {
  data: Buffer;
  /** 'end': got a FIN; 'error': the socket failed (code in `error`). */
  how: 'end' | 'error';
  error?: string;
}

/** Collects everything the socket receives until its 'end' or error, then waits for 'close'. */
export function collect(socket: Socket): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let how: Outcome['how'] = 'end';
    let error: string | undefined;
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      how = 'error';
      error = err.code ?? err.message;
    });
    socket.on('end', () => {
      // allowHalfOpen: close our side too once the peer is done, unless we are still writing.
      if (!socket.writableEnded) socket.end();
    });
    socket.on('close', () =>
      resolve({ data: Buffer.concat(chunks), how, ...(error ? { error } : {}) }),
    );
  });
}

/** Connects, sends `payload`, half-closes, and returns what came back. */
export async function exchange(port: number, payload: Buffer): Promise<Outcome> {
  const socket = await connectTo(port);
  const result = collect(socket);
  await writeAll(socket, payload);
  socket.end();
  return result;
}
