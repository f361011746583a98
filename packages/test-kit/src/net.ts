/** Small socket utilities: free ports, connecting with the 'error' listener in the same tick, closes. */
import { once } from 'node:events';
import net from 'node:net';

/** A port that was free a moment ago (listen on 0, read, close). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = net.createServer();
  srv.on('error', () => {});
  srv.listen(0, host);
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A port something listens on, for "port in use" tests; `close()` frees it. */
export async function occupiedPort(
  host = '127.0.0.1',
): Promise<{ readonly port: number; close(): Promise<void> }> {
  const srv = net.createServer((s) => s.destroy());
  srv.on('error', () => {});
  srv.listen(0, host);
  await once(srv, 'listening');
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

/**
 * Connects to host:port (half-open allowed, no Nagle). The 'error' listener is on in the tick
 * the socket exists; after the connect a no-op one stays, so a later reset cannot crash a test.
 */
export function connect(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    s.once('error', onError);
    s.once('connect', () => {
      clearTimeout(timer);
      s.off('error', onError);
      s.on('error', () => {});
      resolve(s);
    });
  });
}

export interface CloseResult {
  /** Whether the peer closed (FIN or reset) within the time. */
  readonly closed: boolean;
  /** Bytes received before the close (at most 1 MiB kept). */
  readonly received: Buffer;
  readonly ms: number;
}

/** Collects what the peer sends until it closes (its FIN counts) or `timeoutMs` passes. */
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
    sock.on('end', onClose);
  });
}

/** Resolves once something accepts on host:port; rejects after `timeoutMs` or once `gone()`. */
export async function waitForPort(
  port: number,
  opts: { host?: string; timeoutMs?: number; gone?: () => boolean } = {},
): Promise<void> {
  const host = opts.host ?? '127.0.0.1';
  const end = Date.now() + (opts.timeoutMs ?? 15_000);
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (opts.gone?.()) throw new Error(`the process behind ${host}:${port} exited`);
    if (Date.now() > end) throw new Error(`nothing listening on ${host}:${port} in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
