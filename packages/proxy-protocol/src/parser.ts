import {
  HeaderTooLargeError,
  InvalidHeaderError,
  MissingHeaderError,
  TruncatedHeaderError,
} from './errors.js';
import { type ProxyHeader, V1_MAX_LENGTH, V1_PREFIX, V2_SIGNATURE } from './header.js';
import { parseV1Line } from './parse-v1.js';
import { parseV2 } from './parse-v2.js';

export type AcceptedVersions = 'v1' | 'v2' | 'any';

export interface ParserOptions {
  /** Which versions the receiver accepts; anything else is MissingHeaderError. Default 'any'. */
  readonly accept?: AcceptedVersions;
  /**
   * Longest header accepted, in bytes (16–65551). Default 1024: a v2 header with IPv6
   * addresses (52 bytes) and a few hundred bytes of TLVs; v1 lines never exceed 107.
   */
  readonly maxHeaderBytes?: number;
}

export interface ParseResult {
  readonly header: ProxyHeader;
  /** Bytes that followed the header in what was pushed: the start of the payload. */
  readonly rest: Buffer;
}

export const DEFAULT_MAX_HEADER_BYTES = 1024;
const V2_MAX = 16 + 0xffff;

/**
 * Reads one PROXY header off the front of a byte stream, whatever the chunking. It never
 * guesses: the first byte that cannot begin an accepted header throws MissingHeaderError; a v1
 * line must end in CRLF within 107 bytes; a v2 header's announced length is checked against the
 * limit before anything else is buffered. So at most `maxHeaderBytes` plus one pushed chunk is
 * ever held.
 */
export class ProxyHeaderParser {
  readonly #v1: boolean;
  readonly #v2: boolean;
  readonly #max: number;
  #pending: Buffer = Buffer.alloc(0);
  #done = false;

  constructor(options: ParserOptions = {}) {
    const accept = options.accept ?? 'any';
    this.#v1 = accept !== 'v2';
    this.#v2 = accept !== 'v1';
    const max = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    if (!Number.isInteger(max) || max < 16 || max > V2_MAX) {
      throw new RangeError(`maxHeaderBytes must be an integer 16-${V2_MAX}, got ${max}`);
    }
    this.#max = max;
  }

  /** Bytes held so far (the header being read). */
  get buffered(): number {
    return this.#pending.length;
  }

  /**
   * Adds bytes. Returns the header and the bytes after it once the header is complete,
   * undefined while more bytes are needed; throws a ProxyProtocolError when the stream cannot
   * be a valid header. Call no more after it has returned a result or thrown.
   */
  push(chunk: Uint8Array): ParseResult | undefined {
    if (this.#done) throw new Error('ProxyHeaderParser.push() after the header was read');
    const buf =
      this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    try {
      const result = this.#parse(buf);
      if (result !== undefined) this.#done = true;
      else this.#pending = buf;
      return result;
    } catch (err) {
      this.#done = true;
      this.#pending = Buffer.alloc(0);
      throw err;
    }
  }

  /** The stream ended: throws TruncatedHeaderError unless the header was complete. */
  end(): void {
    if (!this.#done) {
      this.#done = true;
      throw new TruncatedHeaderError(this.#pending.length);
    }
  }

  #parse(buf: Buffer): ParseResult | undefined {
    const v2 = this.#v2 && startsLike(buf, V2_SIGNATURE);
    const v1 = !v2 && this.#v1 && startsLike(buf, V1_PREFIX);
    if (!v1 && !v2) {
      const wanted = this.#v1 && this.#v2 ? 'v1 or v2' : this.#v1 ? 'v1' : 'v2';
      throw new MissingHeaderError(`expected a PROXY protocol ${wanted} header`);
    }
    return v2 ? this.#parseV2(buf) : this.#parseV1(buf);
  }

  #parseV2(buf: Buffer): ParseResult | undefined {
    if (buf.length < 16) return undefined;
    const total = 16 + buf.readUInt16BE(14);
    if (total > this.#max) throw new HeaderTooLargeError(total, this.#max);
    if (buf.length < total) return undefined;
    return { header: parseV2(buf.subarray(0, total)), rest: buf.subarray(total) };
  }

  #parseV1(buf: Buffer): ParseResult | undefined {
    const limit = Math.min(V1_MAX_LENGTH, this.#max);
    const scan = Math.min(buf.length, limit);
    for (let i = V1_PREFIX.length; i < scan; i++) {
      const c = buf[i];
      if (c === 0x0a) throw new InvalidHeaderError('v1 header line ends in LF without CR');
      if (c !== 0x0d) continue;
      if (i + 1 >= buf.length) return undefined; // the LF may be in the next chunk
      if (buf[i + 1] !== 0x0a)
        throw new InvalidHeaderError('v1 header has a CR not followed by LF');
      return { header: parseV1Line(buf.subarray(0, i)), rest: buf.subarray(i + 2) };
    }
    if (buf.length >= limit) {
      throw new InvalidHeaderError(`v1 header has no CRLF within ${limit} bytes`);
    }
    return undefined;
  }
}

/** True when `buf` and `sig` agree on their common length (a prefix match so far). */
function startsLike(buf: Buffer, sig: Uint8Array): boolean {
  const n = Math.min(buf.length, sig.length);
  for (let i = 0; i < n; i++) if (buf[i] !== sig[i]) return false;
  return true;
}

/** Decodes a whole header at the front of `bytes` in one go; throws if incomplete. */
export function parseProxyHeader(bytes: Uint8Array, options?: ParserOptions): ParseResult {
  const parser = new ProxyHeaderParser(options);
  const result = parser.push(bytes);
  if (result === undefined) throw new TruncatedHeaderError(bytes.length);
  return result;
}
