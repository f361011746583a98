/**
 * The registry of every code that travels in an error frame (`ErrorHeader.code`), whoever sends
 * it: the decoder's errors (a server answers `{ code: err.code }`) and the backend's own. One
 * table, so that senders and receivers import a name instead of retyping a string, and so that
 * docs/errors.md can be checked against it. Codes are a wire contract: never rename one.
 */
export const ErrorCode = {
  // ── The frame itself (the decoder's errors; the connection is closed after them) ──
  FrameTooLarge: 'ERR_FRAME_TOO_LARGE',
  BadMagic: 'ERR_BAD_MAGIC',
  BadVersion: 'ERR_BAD_VERSION',
  BadFrameType: 'ERR_BAD_FRAME_TYPE',
  BadHeader: 'ERR_BAD_HEADER',
  BadRequest: 'ERR_BAD_REQUEST',
  TruncatedFrame: 'ERR_TRUNCATED_FRAME',
  DecoderClosed: 'ERR_DECODER_CLOSED',
  // ── One image (the answer to its request; the connection stays up) ──
  ImageCorrupt: 'ERR_IMAGE_CORRUPT',
  ImageUnsupported: 'ERR_IMAGE_UNSUPPORTED',
  PixelLimit: 'ERR_PIXEL_LIMIT',
  ImageTimeout: 'ERR_IMAGE_TIMEOUT',
  Internal: 'ERR_INTERNAL',
  // ── The server's state or the connection's clocks ──
  Busy: 'ERR_BUSY',
  ShuttingDown: 'ERR_SHUTTING_DOWN',
  IdleTimeout: 'ERR_IDLE_TIMEOUT',
  FrameTimeout: 'ERR_FRAME_TIMEOUT',
} as const;
/** Every wire error code, as a union of string literals. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The codes the decoder throws (`ProtocolError.code`): a subset of `ErrorCode`. */
export type ProtocolErrorCode =
  | typeof ErrorCode.FrameTooLarge
  | typeof ErrorCode.BadMagic
  | typeof ErrorCode.BadVersion
  | typeof ErrorCode.BadFrameType
  | typeof ErrorCode.BadHeader
  | typeof ErrorCode.BadRequest
  | typeof ErrorCode.TruncatedFrame
  | typeof ErrorCode.DecoderClosed;

/** What a receiver needs to know about a code. */
export interface ErrorCodeInfo {
  /**
   * `request`: the error frame answers one request (its id); the connection goes on.
   * `connection`: it concerns the whole connection (request id 0); the sender closes it next.
   */
  readonly scope: 'request' | 'connection';
  /** The same request may succeed elsewhere or later (another connection, another backend). */
  readonly retryable: boolean;
  /** One line: what happened. */
  readonly meaning: string;
  /** One line: what the receiver (or its operator) should do. */
  readonly action: string;
}

/**
 * Scope, retryability, meaning and what to do, per code. Typed as a record over `ErrorCode`, so
 * a code added to the registry without an entry here (or an entry without a code) fails to
 * compile. Some decoder codes can also concern a single request (`ERR_BAD_REQUEST` answers the
 * request whose header was invalid); `scope` gives the usual case.
 */
export const ERROR_CODE_INFO: { readonly [C in ErrorCode]: ErrorCodeInfo } = {
  ERR_FRAME_TOO_LARGE: {
    scope: 'connection',
    retryable: false,
    meaning: "a frame's header, payload or total length is over the receiver's limit",
    action: "send smaller images, or raise the backend's --max-frame-bytes",
  },
  ERR_BAD_MAGIC: {
    scope: 'connection',
    retryable: false,
    meaning: 'the bytes do not start with the frame magic "TB": not this protocol',
    action: 'check that the peer speaks the tcpbalancer protocol and the port is right',
  },
  ERR_BAD_VERSION: {
    scope: 'connection',
    retryable: false,
    meaning: 'the frame is of a protocol version the receiver does not speak',
    action: 'run client and backend of the same release',
  },
  ERR_BAD_FRAME_TYPE: {
    scope: 'connection',
    retryable: false,
    meaning:
      'a frame type the receiver does not know (the connection is closed) or does not take from this side (that frame is refused)',
    action: 'a peer bug: fix the sender',
  },
  ERR_BAD_HEADER: {
    scope: 'connection',
    retryable: false,
    meaning: 'the JSON header is not UTF-8 JSON, not an object, or malformed for its type',
    action: 'a peer bug: fix the sender; the connection is closed',
  },
  ERR_BAD_REQUEST: {
    scope: 'request',
    retryable: false,
    meaning: 'a request field has the wrong type or is out of range, or the payload is empty',
    action: "fix the request's options (width, height, fit, format, quality); not retried",
  },
  ERR_TRUNCATED_FRAME: {
    scope: 'connection',
    retryable: false,
    meaning: 'the stream ended in the middle of a frame',
    action: 'the peer closed early: check its logs; resend on a new connection',
  },
  ERR_DECODER_CLOSED: {
    scope: 'connection',
    retryable: false,
    meaning: 'bytes arrived after the decoder had failed or ended',
    action: 'a receiver bug: the connection should have been closed at the first error',
  },
  ERR_IMAGE_CORRUPT: {
    scope: 'request',
    retryable: false,
    meaning: 'the payload is not a decodable image (truncated or damaged data)',
    action: 'check the input file; not retried',
  },
  ERR_IMAGE_UNSUPPORTED: {
    scope: 'request',
    retryable: false,
    meaning: 'the image format is not one the backend reads (e.g. BMP)',
    action: 'convert the input to JPEG, PNG, WebP, GIF, TIFF or HEIF; not retried',
  },
  ERR_PIXEL_LIMIT: {
    scope: 'request',
    retryable: false,
    meaning: "the image has more pixels than the backend's limit",
    action: "downscale the input, or raise the backend's --max-pixels",
  },
  ERR_IMAGE_TIMEOUT: {
    scope: 'request',
    retryable: false,
    meaning: 'resizing the image took longer than the backend allows',
    action: "raise the backend's --resize-timeout, or send smaller or non-progressive images",
  },
  ERR_INTERNAL: {
    scope: 'request',
    retryable: false,
    meaning: 'the backend failed for a reason of its own',
    action: "a backend bug: report it with the backend's log line for the request",
  },
  ERR_BUSY: {
    scope: 'connection',
    retryable: true,
    meaning: 'the backend is at its connection or work limit and refused this connection',
    action: 'retry on another connection or later; add backends or raise --max-conns',
  },
  ERR_SHUTTING_DOWN: {
    scope: 'request',
    retryable: true,
    meaning: 'the backend is draining for shutdown and takes no new requests',
    action: 'retry the request on another backend',
  },
  ERR_IDLE_TIMEOUT: {
    scope: 'connection',
    retryable: false,
    meaning: "the connection made no progress for the backend's idle timeout, and was closed",
    action: "reconnect; keep connections busy or raise the backend's --idle-timeout",
  },
  ERR_FRAME_TIMEOUT: {
    scope: 'connection',
    retryable: false,
    meaning: "a frame did not arrive completely within the backend's --frame-timeout",
    action: "check the client's network and speed; raise --frame-timeout for slow links",
  },
};

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** True for a string of the registry: narrows a peer's `ErrorHeader.code`. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODES.has(value);
}

/** The codes whose request may be sent again elsewhere (`ERROR_CODE_INFO[code].retryable`). */
export const RETRYABLE_ERROR_CODES: ReadonlySet<ErrorCode> = new Set(
  (Object.keys(ERROR_CODE_INFO) as ErrorCode[]).filter((c) => ERROR_CODE_INFO[c].retryable),
);
