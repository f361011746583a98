import { connect, type Socket } from 'node:net';
import { writeAll } from './servers.js';

export function connectTo(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host, allowHalfOpen: true, noDelay: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

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

export function randomBytesFast(n: number, seed = 1): Buffer {
  // xorshift: fast, reproducible, incompressible enough for byte-exact checks
  const buf = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf.writeUInt32LE(x >>> 0, i);
  }
  for (; i < n; i++) buf[i] = i & 0xff;
  return buf;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` every 10 ms until it holds or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
