import { isUtf8 } from 'node:buffer';
import {
  BadFrameTypeError,
  BadHeaderError,
  BadMagicError,
  BadVersionError,
  DecoderClosedError,
  FrameTooLargeError,
  ProtocolError,
  TruncatedFrameError,
} from './errors.js';
import {
  type DecoderLimits,
  type Frame,
  type FrameType,
  isFrameType,
  MAGIC,
  PREFIX_BYTES,
  resolveLimits,
  VERSION,
} from './frame.js';

const EMPTY = Buffer.alloc(0);
const TWO_32 = 0x1_0000_0000;
/** Pieces smaller than this are copied into a scratch buffer rather than kept as views. */
const SMALL_PIECE = 8 * 1024;
/** Size of that scratch buffer (never more than what the frame still needs). */
const SCRATCH_BYTES = 64 * 1024;

/**
 * Streaming frame decoder. Feed it whatever the socket gives (one byte at a time or many frames
 * in one chunk); it returns every frame completed so far.
 *
 * Memory: every length is checked against the limits as soon as the 20-byte prefix is complete,
 * before anything is allocated for the body. A body that arrives in pieces is held as the pieces
 * themselves (views, not copies) and concatenated once when complete; pieces under 8 KiB are
 * copied into a 64 KiB scratch buffer so that a peer trickling single bytes cannot make us hold
 * one Buffer object per byte. Held memory is thus at most what was received plus 64 KiB, and
 * never more than the declared (limit-checked) size: a peer that declares 64 MiB and sends 20
 * bytes costs nothing. A body that arrives whole in one chunk is not copied at all (the frame's
 * payload is a view of that chunk).
 *
 * After any error the decoder is closed: `push()` throws `DecoderClosedError`.
 */
export class FrameDecoder {
  readonly limits: Readonly<DecoderLimits>;
  private readonly prefix = Buffer.alloc(PREFIX_BYTES);
  private prefixFill = 0;
  // Set once a prefix has been accepted: we are inside the body of this frame.
  private inBody = false;
  private type: FrameType = 1;
  private requestId = 0;
  private headerLength = 0;
  private bodyLength = 0;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private scratch: Buffer = EMPTY;
  private scratchFill = 0;
  private bodyFill = 0;
  private closedBy: unknown = undefined;
  private closed = false;
  private frames = 0;

  constructor(limits?: Partial<DecoderLimits>) {
    this.limits = Object.freeze(resolveLimits(limits));
  }

  /** Bytes received of the frame in progress (its prefix and body so far). */
  get bufferedBytes(): number {
    return (this.inBody ? PREFIX_BYTES : this.prefixFill) + this.bodyFill;
  }

  /** Whether bytes of an unfinished frame are held (a frame is in progress). */
  get inFrame(): boolean {
    return this.prefixFill > 0 || this.inBody;
  }

  /** Frames decoded since construction. */
  get framesDecoded(): number {
    return this.frames;
  }

  /** Bytes this decoder has allocated for the frame in progress (the fixed prefix included). */
  get allocatedBytes(): number {
    return PREFIX_BYTES + this.partsBytes + this.scratch.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  push(chunk: Buffer): Frame[] {
    if (this.closed) throw new DecoderClosedError(this.closedBy);
    const out: Frame[] = [];
    try {
      this.consume(chunk, out);
    } catch (err) {
      this.closed = true;
      this.closedBy = err;
      this.release();
      if (err instanceof ProtocolError) {
        err.decodedFrames = out;
        throw err;
      }
      // Nothing else is expected here; wrap so callers only ever see typed errors.
      throw new BadHeaderError('internal decoder failure', { cause: err });
    }
    return out;
  }

  /**
   * The stream has ended: throws `TruncatedFrameError` if a frame was in progress. Closes the
   * decoder either way.
   */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    const held = this.bufferedBytes;
    this.release();
    if (this.prefixFill > 0 || this.inBody) {
      const err = new TruncatedFrameError(held);
      this.closedBy = err;
      throw err;
    }
  }

  private consume(chunk: Buffer, out: Frame[]): void {
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      if (!this.inBody) {
        if (this.prefixFill === 0 && n - pos >= PREFIX_BYTES) {
          // Fast path: the whole prefix is in this chunk.
          this.acceptPrefix(chunk, pos);
          pos += PREFIX_BYTES;
        } else {
          const take = Math.min(PREFIX_BYTES - this.prefixFill, n - pos);
          chunk.copy(this.prefix, this.prefixFill, pos, pos + take);
          const before = this.prefixFill;
          this.prefixFill += take;
          pos += take;
          // Reject garbage as soon as its first bytes arrive rather than waiting for 20 of them
          // (an HTTP request sent here by mistake is answered at once).
          this.checkEarly(before, this.prefixFill);
          if (this.prefixFill < PREFIX_BYTES) return;
          this.prefixFill = 0;
          this.acceptPrefix(this.prefix, 0);
        }
        if (this.bodyLength === 0) {
          out.push(this.complete(EMPTY));
          continue;
        }
      }
      // Inside the body.
      const need = this.bodyLength - this.bodyFill;
      const avail = n - pos;
      if (this.bodyFill === 0 && avail >= need) {
        // Zero-copy: the whole body is in this chunk.
        const body = chunk.subarray(pos, pos + need);
        pos += need;
        out.push(this.complete(body));
        continue;
      }
      const take = Math.min(need, avail);
      this.append(chunk, pos, take);
      pos += take;
      if (this.bodyFill === this.bodyLength) {
        this.flushScratch();
        const parts = this.parts;
        const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.bodyLength);
        this.release();
        out.push(this.complete(body));
      }
    }
  }

  private checkEarly(from: number, to: number): void {
    const p = this.prefix;
    if (from < 1 && to >= 1 && p[0] !== MAGIC >> 8)
      throw new BadMagicError((p[0]! << 8) | (to >= 2 ? p[1]! : 0));
    if (from < 2 && to >= 2 && p[1] !== (MAGIC & 0xff)) throw new BadMagicError(p.readUInt16BE(0));
    if (from < 3 && to >= 3 && p[2] !== VERSION) throw new BadVersionError(p[2]!);
    if (from < 4 && to >= 4 && !isFrameType(p[3]!)) throw new BadFrameTypeError(p[3]!);
  }

  private acceptPrefix(buf: Buffer, at: number): void {
    const magic = buf.readUInt16BE(at);
    if (magic !== MAGIC) throw new BadMagicError(magic);
    const version = buf[at + 2]!;
    if (version !== VERSION) throw new BadVersionError(version);
    const type = buf[at + 3]!;
    if (!isFrameType(type)) throw new BadFrameTypeError(type);
    const requestId = buf.readUInt32BE(at + 4);
    const headerLength = buf.readUInt32BE(at + 8);
    // u64 as two u32: exact below 2^53, and anything at or above that is far past any limit.
    const payloadLength = buf.readUInt32BE(at + 12) * TWO_32 + buf.readUInt32BE(at + 16);
    const { maxHeaderBytes, maxPayloadBytes, maxFrameBytes } = this.limits;
    if (headerLength > maxHeaderBytes)
      throw new FrameTooLargeError('header', headerLength, maxHeaderBytes);
    if (payloadLength > maxPayloadBytes)
      throw new FrameTooLargeError('payload', payloadLength, maxPayloadBytes);
    const frameLength = PREFIX_BYTES + headerLength + payloadLength;
    if (frameLength > maxFrameBytes)
      throw new FrameTooLargeError('frame', frameLength, maxFrameBytes);
    this.type = type;
    this.requestId = requestId;
    this.headerLength = headerLength;
    this.bodyLength = headerLength + payloadLength;
    this.bodyFill = 0;
    this.inBody = true;
  }

  private append(chunk: Buffer, pos: number, take: number): void {
    if (take >= SMALL_PIECE) {
      this.flushScratch();
      this.parts.push(chunk.subarray(pos, pos + take));
      this.partsBytes += take;
    } else {
      if (this.scratch.length - this.scratchFill < take) {
        this.flushScratch();
        this.scratch = Buffer.allocUnsafe(Math.min(SCRATCH_BYTES, this.bodyLength - this.bodyFill));
      }
      chunk.copy(this.scratch, this.scratchFill, pos, pos + take);
      this.scratchFill += take;
    }
    this.bodyFill += take;
  }

  private flushScratch(): void {
    if (this.scratchFill > 0) {
      this.parts.push(this.scratch.subarray(0, this.scratchFill));
      this.partsBytes += this.scratch.length;
    }
    this.scratch = EMPTY;
    this.scratchFill = 0;
  }

  private release(): void {
    this.parts = [];
    this.partsBytes = 0;
    this.scratch = EMPTY;
    this.scratchFill = 0;
    this.bodyFill = 0;
  }

  private complete(body: Buffer): Frame {
    this.inBody = false;
    this.frames++;
    const hl = this.headerLength;
    const header = hl === 0 ? {} : parseHeader(body.subarray(0, hl));
    const payload = body.length === hl ? EMPTY : body.subarray(hl);
    return { type: this.type, requestId: this.requestId, header, payload };
  }
}

function parseHeader(bytes: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    // isUtf8 + toString rather than a fatal TextDecoder: the same check, a fraction of the cost
    // per call for the small headers every frame has. A BOM is skipped, as TextDecoder does.
    if (!isUtf8(bytes)) throw new TypeError('invalid UTF-8');
    const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    value = JSON.parse(bytes.toString('utf8', start));
  } catch (err) {
    throw new BadHeaderError('frame header is not UTF-8 JSON', { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BadHeaderError('frame header is not a JSON object');
  }
  return value as Record<string, unknown>;
}
