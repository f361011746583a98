import { createHash } from 'node:crypto';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';

/** A test TCP server on loopback: counts connections, tracks sockets, closes everything on close(). */
export interface TestServer {
  readonly port: number;
  readonly host: string;
  /** Connections accepted so far. */
  accepted: number;
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

export async function startServer(
  onSocket: (socket: Socket) => void,
  options: { host?: string; port?: number } = {},
): Promise<TestServer> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  let server!: Server;
  const state: TestServer = {
    port: 0,
    host,
    accepted: 0,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    state.accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  (state as { port: number }).port = (server.address() as AddressInfo).port;
  return state;
}

/** Sends back everything it receives; passes the FIN on once everything is echoed. */
export function startEchoServer(options?: { host?: string; port?: number }): Promise<TestServer> {
  return startServer((s) => s.pipe(s), options);
}

export interface SinkServer extends TestServer {
  /** Per connection, in accept order: bytes received, sha256 when ended. */
  readonly received: { bytes: number; sha256?: string; socket: Socket }[];
}

/**
 * Reads and hashes everything; optionally starts paused (a slow reader). With `reply`, it answers
 * after the client's FIN (so the client's half-close is observable end to end).
 */
export async function startSinkServer(
  options: { paused?: boolean; reply?: (bytes: number) => string } = {},
): Promise<SinkServer> {
  const received: SinkServer['received'] = [];
  const server = await startServer((socket) => {
    const entry: SinkServer['received'][number] = { bytes: 0, socket };
    received.push(entry);
    const hash = createHash('sha256');
    socket.on('data', (chunk: Buffer) => {
      entry.bytes += chunk.length;
      hash.update(chunk);
    });
    if (options.paused) socket.pause();
    socket.on('end', () => {
      entry.sha256 = hash.digest('hex');
      if (options.reply) socket.end(options.reply(entry.bytes));
      else socket.end();
    });
  });
  return Object.assign(server, { received });
}

/** Speaks first: writes `payload` (with backpressure) as soon as a client connects, then ends. */
export function startSourceServer(
  payload: Buffer | ((socket: Socket) => void),
): Promise<TestServer> {
  return startServer((socket) => {
    if (typeof payload === 'function') return payload(socket);
    writeAll(socket, payload).then(() => socket.end());
  });
}

/** Writes `data` in 64 KiB slices, respecting write()'s boolean and 'drain'. */
export async function writeAll(socket: Socket, data: Buffer): Promise<void> {
  const slice = 64 * 1024;
  for (let off = 0; off < data.length; off += slice) {
    if (socket.destroyed) throw new Error('socket destroyed while writing');
    if (!socket.write(data.subarray(off, off + slice))) {
      await new Promise<void>((resolve, reject) => {
        const cleanup = () => {
          socket.off('drain', onDrain);
          socket.off('close', onClose);
        };
        const onDrain = () => {
          cleanup();
          resolve();
        };
        const onClose = () => {
          cleanup();
          reject(new Error('socket closed while writing'));
        };
        socket.once('drain', onDrain);
        socket.once('close', onClose);
      });
    }
  }
}

/** A port nothing listens on (bound, then released). */
export { freePort as deadPort } from '@tcpbalancer/test-kit';

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A port where connects hang (for connect timeouts): a listener that never accepts, its backlog
 * filled, so the kernel drops further SYNs. Node always accepts, so the listener is a python3
 * process; undefined when python3 is missing (the test is then skipped).
 */
export async function blackholePort(): Promise<
  { port: number; close(): Promise<void> } | undefined
> {
  const { spawn } = await import('node:child_process');
  const { connect } = await import('node:net');
  const py = spawn(
    'python3',
    [
      '-c',
      'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)',
    ],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const port = await new Promise<number | undefined>((resolve) => {
    py.once('error', () => resolve(undefined));
    py.stdout.once('data', (c: Buffer) => resolve(Number(c.toString().trim())));
  });
  if (port === undefined) return undefined;
  const fillers = Array.from({ length: 3 }, () => {
    const s = connect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    return s;
  });
  await new Promise((r) => setTimeout(r, 100));
  return {
    port,
    close: async () => {
      for (const s of fillers) s.destroy();
      py.kill('SIGKILL');
    },
  };
}
