import { CodedError, ConfigError, HelpRequested } from '@tcpbalancer/cli';
import { ErrorCode } from '@tcpbalancer/protocol';

/** A bad flag or env value (`ERR_CONFIG`), `--help`/`--version`: the shell's one types. */
export { ConfigError, HelpRequested };

/**
 * One image's failure (ImageError): the code answers that request in an error frame and the
 * connection stays up. The protocol's wire codes, imported from its one table.
 */
const IMAGE_ERROR_CODES = {
  imageCorrupt: ErrorCode.ImageCorrupt,
  imageUnsupported: ErrorCode.ImageUnsupported,
  pixelLimit: ErrorCode.PixelLimit,
  badRequest: ErrorCode.BadRequest,
  imageTimeout: ErrorCode.ImageTimeout,
  internal: ErrorCode.Internal,
} as const;
export type ImageErrorCode = (typeof IMAGE_ERROR_CODES)[keyof typeof IMAGE_ERROR_CODES];

/**
 * Every code the backend raises, one meaning each. Match on `err.code`. The image codes and
 * ERR_FRAME_TIMEOUT also travel to the peer in error frames (wire codes keep their names); see
 * README.
 */
export const BACKEND_ERROR_CODES = {
  ...IMAGE_ERROR_CODES,
  frameTimeout: ErrorCode.FrameTimeout,
  peerClosed: 'ERR_PEER_CLOSED',
  backendDestroyed: 'ERR_BACKEND_DESTROYED',
  proxyProtocolTimeout: 'ERR_PROXY_PROTOCOL_TIMEOUT',
  // The @tcpbalancer/proxy-protocol parser's codes, passed on with the same meaning.
  proxyProtocolMissing: 'ERR_PROXY_PROTOCOL_MISSING',
  proxyProtocolInvalid: 'ERR_PROXY_PROTOCOL_INVALID',
  proxyProtocolTooLarge: 'ERR_PROXY_PROTOCOL_TOO_LARGE',
  proxyProtocolTruncated: 'ERR_PROXY_PROTOCOL_TRUNCATED',
} as const;
export type BackendErrorCode = (typeof BACKEND_ERROR_CODES)[keyof typeof BACKEND_ERROR_CODES];

/** The base of the backend's errors. */
export class BackendError<C extends BackendErrorCode = BackendErrorCode> extends CodedError<C> {}

/**
 * Why one image could not be resized. `code` goes into the error frame; the connection stays up.
 * ERR_IMAGE_CORRUPT, ERR_IMAGE_UNSUPPORTED, ERR_PIXEL_LIMIT, ERR_BAD_REQUEST, ERR_IMAGE_TIMEOUT,
 * ERR_INTERNAL (IMAGE_ERROR_CODES).
 */
export class ImageError extends BackendError<ImageErrorCode> {}

/** A frame took longer than --frame-timeout to arrive completely (slowloris defence). */
export class FrameTimeoutError extends BackendError {
  constructor(readonly timeoutMs: number) {
    super(ErrorCode.FrameTimeout, `a frame did not complete within ${timeoutMs} ms`);
  }
}

/** The peer closed or reset the connection; ends the connection's job quietly. */
export class PeerClosedError extends BackendError {
  constructor(cause?: unknown) {
    super(
      BACKEND_ERROR_CODES.peerClosed,
      'the peer closed the connection',
      cause ? { cause } : undefined,
    );
  }
}

/** The backend was destroyed (or the shutdown deadline passed) with this connection open. */
export class BackendDestroyedError extends BackendError {
  constructor() {
    super(BACKEND_ERROR_CODES.backendDestroyed, 'the backend was destroyed');
  }
}

/**
 * --proxy-protocol: the connection did not start with a valid PROXY header in time. `code` is
 * the parser's (ERR_PROXY_PROTOCOL_MISSING, _INVALID, _TOO_LARGE, _TRUNCATED) or
 * ERR_PROXY_PROTOCOL_TIMEOUT. The connection is closed without an answer (the spec: never guess).
 */
export class ProxyHeaderError extends BackendError {
  /** `code`: ERR_PROXY_PROTOCOL_TIMEOUT, or the parser's ERR_PROXY_PROTOCOL_* code. */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code as BackendErrorCode, message, options);
  }
}
