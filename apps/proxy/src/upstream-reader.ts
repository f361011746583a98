import type { OnReadOpts } from 'node:net';

/**
 * Reads an upstream socket into memory the proxy reuses, through net.connect's `onread`, instead
 * of letting Node allocate a fresh 64 KiB backing store for every read (and a second one of the
 * read's size when it is shorter, plus a copy). On a one-stream bulk transfer those stores are
 * garbage a few microseconds later, but V8 frees them only at the next scavenge, which it starts
 * when 32 MiB of them have piled up: the proxy's RSS grew by ~25–38 MiB in every bulk run (see
 * README, Benchmark). Accepted client sockets cannot take `onread` in Node 20, so this is the
 * upstream → client direction only — the one that carries the bulk of most protocols.
 *
 * The rule that keeps it correct: a buffer handed to `client.write()` must not be read into again
 * while the write still holds it. A write that completed synchronously leaves
 * `client.writableLength` at 0 and holds nothing; otherwise libuv or the stream's queue still
 * points into the buffer until the write is done.
 *
 * - Every upstream starts on one process-wide buffer (an idle connection then costs no read
 *   buffer at all). Its bytes are copied out before they are written — for the small reads of
 *   request/response traffic that copy comes from Node's 8 KiB pool and is cheaper than Node's
 *   own path — because other sockets read into it next.
 * - A read of at least BULK_READ bytes means a stream is moving: that socket gets a buffer of its
 *   own, whose chunks are written without a copy; when a write leaves it held, the next read gets
 *   a fresh one (at most one per backpressure cycle: the source pauses until the client drains).
 * - A short read on an own buffer (the stream went quiet) gives it up and goes back to the
 *   shared one, so only connections in mid-transfer hold 64 KiB.
 */

/** The size Node itself reads with (libuv's suggested size). */
export const READ_SIZE = 64 * 1024;
/** A read this large means bulk traffic: worth a buffer of its own (and no copy). */
export const BULK_READ = 16 * 1024;

const shared = Buffer.allocUnsafeSlow(READ_SIZE);

/** Where the chunks go: returns false when the destination's buffer is full (the read pauses). */
export interface ChunkSink {
  deliver(chunk: Buffer): boolean;
  /** Bytes the destination still holds from earlier writes (`client.writableLength`). */
  readonly pendingBytes: number;
}

/**
 * One connection's upstream read state; `onread` goes into `net.connect`'s options. Reading
 * starts only when the socket is resumed (the relay pauses it until it is wired).
 */
export class UpstreamReader {
  #buffer: Buffer = shared;
  readonly onread: OnReadOpts;

  constructor(sink: ChunkSink) {
    // Node calls `buffer()` for the first read and again after every callback: the buffer it
    // returns is where the next read lands.
    this.onread = {
      buffer: () => this.#buffer,
      callback: (nread: number, buf: Uint8Array) => this.#onRead(sink, nread, buf as Buffer),
    };
  }

  /** Whether the next read lands in the process-wide buffer (for tests). */
  get sharing(): boolean {
    return this.#buffer === shared;
  }

  #onRead(sink: ChunkSink, nread: number, buf: Buffer): boolean {
    if (buf === shared) {
      // allocUnsafe takes small sizes from Node's pool; Buffer.copyBytesFrom cost 4-8x as much
      // per call (99 vs 395 ns at 16 bytes, 206 vs 1585 ns at 1 KiB: docs/benchmarks.md).
      const copy = Buffer.allocUnsafe(nread);
      buf.copy(copy, 0, 0, nread);
      const ok = sink.deliver(copy);
      if (nread >= BULK_READ) this.#buffer = Buffer.allocUnsafeSlow(READ_SIZE);
      return ok;
    }
    const ok = sink.deliver(buf.subarray(0, nread));
    if (sink.pendingBytes > 0) {
      // The write still holds `buf`: the next read must land elsewhere.
      this.#buffer = nread >= BULK_READ ? Buffer.allocUnsafeSlow(READ_SIZE) : shared;
    } else if (nread < BULK_READ) {
      this.#buffer = shared;
    }
    return ok;
  }
}
