/** The frame model and the fixed constants of the wire format (see README for the byte table). */

export const MAGIC = 0x5442; // "TB"
export const VERSION = 1;
/** Bytes of the fixed big-endian prefix: magic(2) version(1) type(1) id(4) headerLen(4) payloadLen(8). */
export const PREFIX_BYTES = 20;
export const MAX_REQUEST_ID = 0xffff_ffff;

export const FrameType = { Request: 1, Response: 2, Error: 3, Ping: 4, Pong: 5 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export function isFrameType(value: number): value is FrameType {
  return Number.isInteger(value) && value >= FrameType.Request && value <= FrameType.Pong;
}

export interface Frame {
  type: FrameType;
  /** u32; an answer carries its request's id; 0 for errors about the connection. */
  requestId: number;
  /** A JSON object; `{}` is sent as a zero-length header. */
  header: Record<string, unknown>;
  payload: Buffer;
}

export interface DecoderLimits {
  /** Largest JSON header accepted, bytes. Default 16 KiB. */
  maxHeaderBytes: number;
  /** Largest payload accepted, bytes. Default 64 MiB. */
  maxPayloadBytes: number;
  /** Largest whole frame (prefix + header + payload) accepted, bytes. Default: the sum of the above. */
  maxFrameBytes: number;
}

export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** The default largest whole frame: the prefix plus both default limits. */
export const DEFAULT_MAX_FRAME_BYTES =
  PREFIX_BYTES + DEFAULT_MAX_HEADER_BYTES + DEFAULT_MAX_PAYLOAD_BYTES;

export const DEFAULT_LIMITS: Readonly<DecoderLimits> = Object.freeze({
  maxHeaderBytes: DEFAULT_MAX_HEADER_BYTES,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
});

export function resolveLimits(limits?: Partial<DecoderLimits>): DecoderLimits {
  const out: DecoderLimits = {
    maxHeaderBytes: limits?.maxHeaderBytes ?? DEFAULT_LIMITS.maxHeaderBytes,
    maxPayloadBytes: limits?.maxPayloadBytes ?? DEFAULT_LIMITS.maxPayloadBytes,
    maxFrameBytes: limits?.maxFrameBytes ?? Number.POSITIVE_INFINITY,
  };
  if (limits?.maxFrameBytes === undefined) {
    out.maxFrameBytes = PREFIX_BYTES + out.maxHeaderBytes + out.maxPayloadBytes;
  }
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`DecoderLimits.${k} must be a non-negative safe integer, got ${v}`);
  }
  return out;
}
