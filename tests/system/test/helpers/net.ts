/** Small socket utilities: free ports, connecting, waiting for a close. */
import { once } from 'node:events';
import net from 'node:net';

/** A port that was free a moment ago (listen on 0, read, close). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.on('error', () => {});
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Connects to 127.0.0.1:port; the 'error' listener is attached in the same tick. */
export function connect(port: number, timeoutMs = 5000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect to ${port} timed out`));
    }, timeoutMs);
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      s.on('error', () => {});
      resolve(s);
    });
  });
}

export interface CloseResult {
  /** Whether the peer closed (FIN or reset) within the time. */
  readonly closed: boolean;
  /** Bytes received before the close. */
  readonly received: Buffer;
  readonly ms: number;
}

/** Collects what the peer sends until the socket closes (or `timeoutMs`). */
export function collectUntilClose(sock: net.Socket, timeoutMs: number): Promise<CloseResult> {
  const t0 = performance.now();
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise((resolve) => {
    const done = (closed: boolean) => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('close', onClose);
      sock.off('end', onClose);
      resolve({ closed, received: Buffer.concat(chunks), ms: performance.now() - t0 });
    };
    const onData = (b: Buffer) => {
      // Bounded: keep at most 1 MiB of whatever the peer says.
      if (size < 1 << 20) {
        chunks.push(b);
        size += b.length;
      }
    };
    const onClose = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    if (sock.destroyed || sock.readableEnded) {
      done(true);
      return;
    }
    sock.on('data', onData);
    sock.on('close', onClose);
    // the peer's FIN is its close: our sockets allow half-open
    sock.on('end', onClose);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}
