/**
 * An in-process backend on a real socket that speaks the real protocol: it answers each
 * request with whatever a test chooses (hostile names, lying dimensions, nothing at all), pongs
 * pings, and records what it received. Without an `answer` it is a black hole: it reads and
 * never answers.
 */
import { once } from 'node:events';
import net from 'node:net';
import { encodeFrame, type Frame, FrameDecoder, FrameType, pongFrame } from '@tcpbalancer/protocol';

/** Large enough for any test image: the fake is a peer under test's control, not a limit. */
const FAKE_MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;
/** Requests kept for inspection, at most. */
const MAX_RECORDED = 10_000;

/** A frame, several frames, raw bytes (for malformed answers), or nothing (stay silent). */
export type FakeAnswer = Frame | readonly Frame[] | readonly Buffer[] | null | undefined;

export interface AnswerContext {
  /** 0-based index of this request over the whole fake. */
  readonly index: number;
  readonly socket: net.Socket;
}

export type Answerer = (request: Frame, ctx: AnswerContext) => FakeAnswer;

export interface FakeBackendOptions {
  readonly answer?: Answerer;
  readonly port?: number;
  readonly host?: string;
}

export interface FakeBackend {
  readonly port: number;
  /** Request frames received so far (the first 10,000). */
  readonly requests: readonly Frame[];
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /** Destroys open connections and closes the server. */
  close(): Promise<void>;
}

/** Writes `out` to the socket in one corked batch. */
export function writeAnswer(socket: net.Socket, out: FakeAnswer): void {
  if (out === null || out === undefined || socket.destroyed) return;
  const list: readonly (Frame | Buffer)[] = Array.isArray(out) ? out : [out as Frame];
  socket.cork();
  for (const item of list) {
    if (Buffer.isBuffer(item)) socket.write(item);
    else for (const part of encodeFrame(item)) socket.write(part);
  }
  socket.uncork();
}

export async function startFakeBackend(
  optsOrAnswer: FakeBackendOptions | Answerer = {},
): Promise<FakeBackend> {
  const opts = typeof optsOrAnswer === 'function' ? { answer: optsOrAnswer } : optsOrAnswer;
  const sockets = new Set<net.Socket>();
  const requests: Frame[] = [];
  let accepted = 0;
  let index = 0;
  const onFrame = (socket: net.Socket, f: Frame) => {
    if (f.type === FrameType.Ping) return writeAnswer(socket, pongFrame(f.requestId));
    if (f.type !== FrameType.Request) return;
    if (requests.length < MAX_RECORDED) requests.push(f);
    const i = index++;
    if (opts.answer) writeAnswer(socket, opts.answer(f, { index: i, socket }));
  };
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    accepted++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    const decoder = new FrameDecoder({ maxPayloadBytes: FAKE_MAX_PAYLOAD_BYTES });
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch {
        // garbage: a black hole still says nothing; an answering fake hangs up
        if (opts.answer) socket.destroy();
        return;
      }
      for (const f of frames) onFrame(socket, f);
    });
  });
  server.on('error', () => {});
  server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
