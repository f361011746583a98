import { type Frame, isFrameType, MAGIC, MAX_REQUEST_ID, PREFIX_BYTES, VERSION } from './frame.js';

const EMPTY = Buffer.alloc(0);
const TWO_32 = 0x1_0000_0000;

function hasKeys(o: Record<string, unknown>): boolean {
  for (const _ in o) return true;
  return false;
}

/**
 * Encodes a frame as `[prefix, payload]`: the prefix holds the fixed 20 bytes and the JSON
 * header; the payload is the caller's buffer, not copied. Write both under `socket.cork()`.
 * Throws RangeError/TypeError on a frame no decoder would accept (a programming error).
 */
export function encodeFrame(frame: Frame): Buffer[] {
  const { type, requestId, header } = frame;
  const payload = frame.payload ?? EMPTY;
  if (!isFrameType(type)) throw new RangeError(`bad frame type ${String(type)}`);
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > MAX_REQUEST_ID) {
    throw new RangeError(`requestId must be a u32, got ${String(requestId)}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new TypeError('frame header must be a plain object');
  }
  const json = hasKeys(header) ? JSON.stringify(header) : '';
  const headerBytes = json.length === 0 ? 0 : Buffer.byteLength(json, 'utf8');
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES + headerBytes);
  prefix.writeUInt16BE(MAGIC, 0);
  prefix[2] = VERSION;
  prefix[3] = type;
  prefix.writeUInt32BE(requestId, 4);
  prefix.writeUInt32BE(headerBytes, 8);
  const len = payload.length;
  prefix.writeUInt32BE(Math.floor(len / TWO_32), 12);
  prefix.writeUInt32BE(len >>> 0, 16);
  if (headerBytes > 0) prefix.write(json, PREFIX_BYTES, 'utf8');
  return [prefix, payload];
}

/** The same bytes as `encodeFrame`, in one buffer (copies the payload). */
export function encodeFrameToBuffer(frame: Frame): Buffer {
  const [prefix, payload] = encodeFrame(frame) as [Buffer, Buffer];
  return payload.length === 0
    ? prefix
    : Buffer.concat([prefix, payload], prefix.length + payload.length);
}
