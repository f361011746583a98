/**
 * A minimal protocol peer for the tests: writes frames (or raw bytes), decodes what comes back
 * with the real FrameDecoder, and matches answers to requests by id.
 */
import type net from 'node:net';
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  PREFIX_BYTES,
  type ResizeRequestHeader,
  requestFrame,
} from '@tcpbalancer/protocol';
import { connect } from './net.js';

export class FramePeer {
  readonly frames: Frame[] = [];
  /** The peer ended (FIN) or the socket closed. */
  closed = false;
  decodeError: unknown = undefined;
  private readonly decoder = new FrameDecoder({ maxPayloadBytes: 256 * 1024 * 1024 });
  private readonly waiters = new Set<() => void>();
  private nextId = 1;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      if (this.decodeError !== undefined) return;
      try {
        for (const f of this.decoder.push(chunk)) this.frames.push(f);
      } catch (err) {
        this.decodeError = err;
      }
      this.wake();
    });
    // The peer's FIN counts as closing: our sockets allow half-open, so 'close' would wait
    // for our own end().
    const onGone = () => {
      this.closed = true;
      this.wake();
    };
    socket.on('end', onGone);
    socket.on('close', onGone);
  }

  static async connect(port: number): Promise<FramePeer> {
    const s = await connect(port);
    s.setNoDelay(true);
    return new FramePeer(s);
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Waits until `pred` holds over the state (frames, closed) or the time is up. */
  waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (pred()) finish(true);
      };
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      const timer = setTimeout(() => finish(pred()), timeoutMs);
      this.waiters.add(check);
    });
  }

  write(frame: Frame): void {
    const [prefix, payload] = encodeFrame(frame);
    this.socket.cork();
    this.socket.write(prefix as Buffer);
    if (payload && payload.length > 0) this.socket.write(payload);
    this.socket.uncork();
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends a resize request and resolves with its answer (response or error frame). */
  async request(header: ResizeRequestHeader, image: Buffer, timeoutMs = 20_000): Promise<Frame> {
    const id = this.nextId++;
    this.write(requestFrame(id, header, image));
    const ok = await this.waitFor(
      () =>
        this.closed ||
        this.decodeError !== undefined ||
        this.frames.some((f) => f.requestId === id),
      timeoutMs,
    );
    const answer = this.frames.find((f) => f.requestId === id);
    if (answer) return answer;
    throw new Error(
      ok
        ? `connection ${this.closed ? 'closed' : 'undecodable'} before the answer to request ${id}`
        : `no answer to request ${id} within ${timeoutMs} ms`,
    );
  }

  /** The first error frame received, if any. */
  firstError(): Frame | undefined {
    return this.frames.find((f) => f.type === FrameType.Error);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A raw 20-byte prefix with arbitrary (possibly lying) lengths. Lengths may exceed 2^32. */
export function rawPrefix(opts: {
  type?: number;
  requestId?: number;
  headerLength?: number;
  payloadLength?: number | bigint;
  magic?: number;
  version?: number;
}): Buffer {
  const b = Buffer.alloc(PREFIX_BYTES);
  b.writeUInt16BE(opts.magic ?? 0x5442, 0);
  b[2] = opts.version ?? 1;
  b[3] = opts.type ?? FrameType.Request;
  b.writeUInt32BE(opts.requestId ?? 1, 4);
  b.writeUInt32BE(opts.headerLength ?? 0, 8);
  b.writeBigUInt64BE(BigInt(opts.payloadLength ?? 0), 12);
  return b;
}

/** One resize through a fresh connection: the well-behaved client used as a canary in attacks. */
export async function resizeOnce(
  port: number,
  image: Buffer,
  header: ResizeRequestHeader = { width: 32, height: 32, format: 'png' },
  timeoutMs = 20_000,
): Promise<Frame> {
  const peer = await FramePeer.connect(port);
  try {
    return await peer.request(header, image, timeoutMs);
  } finally {
    peer.destroy();
  }
}
