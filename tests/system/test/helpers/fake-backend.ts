/**
 * In-process fake backends on real sockets: one that accepts and never answers (reads and
 * drops everything), one that answers every request with whatever header/payload a test
 * chooses (hostile names, lying dimensions).
 */
import { once } from 'node:events';
import net from 'node:net';
import { encodeFrame, type Frame, FrameDecoder, FrameType } from '@tcpbalancer/protocol';

export interface FakeBackend {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /** Request frames received so far. */
  readonly requests: () => number;
  close(): Promise<void>;
}

async function listen(
  onConn: (s: net.Socket) => void,
  port = 0,
): Promise<{ server: net.Server; port: number }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    onConn(s);
  });
  server.on('error', () => {});
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const close = server.close.bind(server);
  // close() also destroys open connections so that tests end promptly
  (server as net.Server & { closeAll?: () => Promise<void> }).closeAll = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      close(() => r());
    });
  return { server, port: (server.address() as net.AddressInfo).port };
}

function closer(server: net.Server): () => Promise<void> {
  return () => (server as net.Server & { closeAll: () => Promise<void> }).closeAll();
}

/** Accepts, reads, never answers. */
export async function startBlackhole(port = 0): Promise<FakeBackend> {
  let accepted = 0;
  let requests = 0;
  const { server, port: p } = await listen((s) => {
    accepted++;
    const dec = new FrameDecoder({ maxPayloadBytes: 256 * 1024 * 1024 });
    s.on('data', (chunk: Buffer) => {
      try {
        requests += dec.push(chunk).filter((f) => f.type === FrameType.Request).length;
      } catch {
        // garbage: still say nothing
      }
    });
  }, port);
  return { port: p, accepted: () => accepted, requests: () => requests, close: closer(server) };
}

export type Answer = (request: Frame, index: number) => Frame | Buffer[] | null;

/** Answers each request frame with what `answer` returns (a frame, raw buffers, or nothing). */
export async function startScripted(answer: Answer, port = 0): Promise<FakeBackend> {
  let accepted = 0;
  let requests = 0;
  const { server, port: p } = await listen((s) => {
    accepted++;
    s.setNoDelay(true);
    const dec = new FrameDecoder({ maxPayloadBytes: 256 * 1024 * 1024 });
    s.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = dec.push(chunk);
      } catch {
        s.destroy();
        return;
      }
      for (const f of frames) {
        if (f.type === FrameType.Ping) {
          const [a, b] = encodeFrame({
            type: FrameType.Pong,
            requestId: f.requestId,
            header: {},
            payload: Buffer.alloc(0),
          });
          s.write(Buffer.concat([a as Buffer, b as Buffer]));
          continue;
        }
        if (f.type !== FrameType.Request) continue;
        const out = answer(f, requests++);
        if (out === null) continue;
        const parts = Array.isArray(out) ? out : encodeFrame(out);
        s.cork();
        for (const b of parts) s.write(b);
        s.uncork();
      }
    });
  }, port);
  return { port: p, accepted: () => accepted, requests: () => requests, close: closer(server) };
}

/** A raw frame with a header object that encodeFrame would accept (any JSON object). */
export function hostileResponse(
  requestId: number,
  header: Record<string, unknown>,
  payload: Buffer,
): Frame {
  return { type: FrameType.Response, requestId, header, payload };
}
