/**
 * A protocol peer for tests: writes frames (or raw bytes), decodes what comes back with the
 * real FrameDecoder, matches answers to requests by id, and observes the close. Every wait is
 * bounded and wakes on data or close, not on a poll.
 */
import type net from 'node:net';
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  MAGIC,
  PREFIX_BYTES,
  type ResizeRequestHeader,
  requestFrame,
  VERSION,
} from '@tcpbalancer/protocol';
import { connect } from './net.js';

/** Large enough for any test image; the real limits are what the servers enforce. */
const PEER_MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

export interface FramePeerOptions {
  /** When the peer ends, end our side too, as a real client does (default true). */
  readonly endOnEnd?: boolean;
}

export class FramePeer {
  readonly frames: Frame[] = [];
  /** The peer ended (FIN) or the socket closed. */
  closed = false;
  /** What the decoder threw, if the peer sent bytes that are not frames. */
  decodeError: unknown = undefined;
  /** The socket's error, if any (ECONNRESET and the like). */
  socketError: Error | undefined = undefined;
  private readonly decoder = new FrameDecoder({ maxPayloadBytes: PEER_MAX_PAYLOAD_BYTES });
  private readonly waiters = new Set<() => void>();
  private nextId = 1;

  constructor(
    readonly socket: net.Socket,
    opts: FramePeerOptions = {},
  ) {
    socket.on('error', (err) => {
      this.socketError = err;
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.decodeError !== undefined) return;
      try {
        for (const f of this.decoder.push(chunk)) this.frames.push(f);
      } catch (err) {
        this.decodeError = err;
      }
      this.wake();
    });
    // The peer's FIN counts as closing: the socket allows half-open, so 'close' would wait for
    // our own end().
    socket.on('end', () => {
      if (opts.endOnEnd !== false && !socket.writableEnded) socket.end();
      this.gone();
    });
    socket.on('close', () => this.gone());
  }

  static async connect(port: number, host = '127.0.0.1', opts?: FramePeerOptions) {
    return new FramePeer(await connect(port, host), opts);
  }

  /** The socket is fully closed (both directions). */
  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.closed;
  }

  private gone(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Waits until `pred` holds or the time is up; resolves with whether it held. */
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

  /** Resolves once `pred` holds over the frames; rejects on close or after `timeoutMs`. */
  async until(pred: (frames: Frame[]) => boolean, timeoutMs = 15_000): Promise<Frame[]> {
    await this.waitFor(() => pred(this.frames) || this.closed, timeoutMs);
    if (pred(this.frames)) return this.frames;
    const n = this.frames.length;
    throw new Error(
      this.closed
        ? `closed before the condition held (${n} frames)`
        : `timed out after ${timeoutMs} ms with ${n} frames`,
    );
  }

  write(frame: Frame): boolean {
    const [prefix, payload] = encodeFrame(frame);
    this.socket.cork();
    let ok = this.socket.write(prefix as Buffer);
    if (payload && payload.length > 0) ok = this.socket.write(payload);
    this.socket.uncork();
    return ok;
  }

  writeRaw(bytes: Buffer | string): boolean {
    return this.socket.write(bytes);
  }

  /** Sends a resize request without waiting; returns its id. */
  send(header: ResizeRequestHeader, image: Buffer, id = this.nextId++): number {
    this.write(requestFrame(id, header, image));
    return id;
  }

  /** The answer (response or error frame) to request `id`; rejects on close or timeout. */
  async answer(id: number, timeoutMs = 15_000): Promise<Frame> {
    await this.until((fs) => fs.some((f) => f.requestId === id), timeoutMs);
    return this.frames.find((f) => f.requestId === id) as Frame;
  }

  /** Sends a resize request and resolves with its answer. */
  request(header: ResizeRequestHeader, image: Buffer, timeoutMs = 20_000): Promise<Frame> {
    return this.answer(this.send(header, image), timeoutMs);
  }

  /** Resolves with how long the close took; rejects after `timeoutMs`. */
  async waitClosed(timeoutMs = 10_000): Promise<number> {
    const t0 = performance.now();
    if (!(await this.waitFor(() => this.closed, timeoutMs))) {
      throw new Error(`not closed within ${timeoutMs} ms`);
    }
    return performance.now() - t0;
  }

  /** The first error frame received, if any. */
  firstError(): Frame | undefined {
    return this.frames.find((f) => f.type === FrameType.Error);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A raw 20-byte prefix with arbitrary (possibly lying) fields. Lengths may exceed 2^32. */
export function rawPrefix(opts: {
  type?: number;
  requestId?: number;
  headerLength?: number;
  payloadLength?: number | bigint;
  magic?: number;
  version?: number;
}): Buffer {
  const b = Buffer.alloc(PREFIX_BYTES);
  b.writeUInt16BE(opts.magic ?? MAGIC, 0);
  b[2] = opts.version ?? VERSION;
  b[3] = opts.type ?? FrameType.Request;
  b.writeUInt32BE(opts.requestId ?? 1, 4);
  b.writeUInt32BE(opts.headerLength ?? 0, 8);
  b.writeBigUInt64BE(BigInt(opts.payloadLength ?? 0), 12);
  return b;
}

/** A whole frame whose header is any text (not necessarily JSON): for hostile peers. */
export function rawFrame(type: number, requestId: number, header: string, payload: Buffer): Buffer {
  const h = Buffer.from(header);
  const prefix = rawPrefix({
    type,
    requestId,
    headerLength: h.length,
    payloadLength: payload.length,
  });
  return Buffer.concat([prefix, h, payload]);
}

/** One resize through a fresh connection: the well-behaved client used as a canary. */
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
