/**
 * UpstreamReader's buffer rule, read by read (the relay test in test/upstream-reads.test.ts checks
 * the same through real sockets): Node reads into whatever `onread.buffer()` returns, then calls
 * `onread.callback(nread, buffer)`.
 */
import { describe, expect, it } from 'vitest';
import { BULK_READ, type ChunkSink, READ_SIZE, UpstreamReader } from './upstream-reader.js';

/** A sink whose writes complete at once (pendingBytes 0) unless told to hold them. */
class Sink implements ChunkSink {
  readonly chunks: Buffer[] = [];
  pendingBytes = 0;
  full = false;
  deliver(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return !this.full;
  }
}

/** What Node does for one read of `bytes`: fill the buffer it is given, call back. */
function read(reader: UpstreamReader, bytes: Buffer): { into: Buffer; result: unknown } {
  const into = reader.onread.buffer as () => Buffer;
  const buf = into();
  bytes.copy(buf);
  const result = reader.onread.callback(bytes.length, buf);
  return { into: buf, result };
}

const filled = (n: number, byte: number) => Buffer.alloc(n, byte);

describe('UpstreamReader', () => {
  it('starts on the shared buffer, and two readers share it', () => {
    const a = new UpstreamReader(new Sink());
    const b = new UpstreamReader(new Sink());
    expect(a.sharing && b.sharing).toBe(true);
    expect((a.onread.buffer as () => Buffer)()).toBe((b.onread.buffer as () => Buffer)());
    expect((a.onread.buffer as () => Buffer)().length).toBe(READ_SIZE);
  });

  it('copies a read out of the shared buffer: the next read of any socket cannot change it', () => {
    const sink = new Sink();
    const a = new UpstreamReader(sink);
    const b = new UpstreamReader(new Sink());
    read(a, filled(100, 1));
    read(b, filled(100, 2)); // lands in the same shared memory
    expect(sink.chunks[0]?.equals(filled(100, 1))).toBe(true);
  });

  it('a bulk-sized read moves the socket to its own buffer, whose chunks are not copied', () => {
    const sink = new Sink();
    const r = new UpstreamReader(sink);
    read(r, filled(BULK_READ, 1));
    expect(r.sharing).toBe(false);
    const { into } = read(r, filled(READ_SIZE, 2));
    expect(sink.chunks[1]?.buffer).toBe(into.buffer); // a view, no copy
    expect(r.sharing).toBe(false);
    // completed synchronously: the same own buffer is reused
    expect((r.onread.buffer as () => Buffer)()).toBe(into);
  });

  it('an own buffer still held by a pending write is never read into again', () => {
    const sink = new Sink();
    const r = new UpstreamReader(sink);
    read(r, filled(BULK_READ, 1));
    sink.pendingBytes = READ_SIZE; // the client write went asynchronous
    const first = read(r, filled(READ_SIZE, 2)).into;
    const next = (r.onread.buffer as () => Buffer)();
    expect(next).not.toBe(first);
    expect(next.buffer).not.toBe(first.buffer);
    read(r, filled(READ_SIZE, 3));
    expect(sink.chunks[1]?.equals(filled(READ_SIZE, 2))).toBe(true);
  });

  it('a short read on an own buffer goes back to the shared one', () => {
    const r = new UpstreamReader(new Sink());
    read(r, filled(BULK_READ, 1));
    read(r, filled(10, 2));
    expect(r.sharing).toBe(true);
  });

  it("returns the sink's answer: false pauses the socket", () => {
    const sink = new Sink();
    const r = new UpstreamReader(sink);
    expect(read(r, filled(10, 1)).result).toBe(true);
    sink.full = true;
    expect(read(r, filled(10, 1)).result).toBe(false);
  });
});
