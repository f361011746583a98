import { ErrorCode } from '@tcpbalancer/protocol';

/**
 * Every error code of the backend. Match on `err.code`. Codes that travel to the peer in error
 * frames are the protocol's `ErrorCode` strings plus the few below; see README.
 */
export class BackendError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A bad flag or env value; main.ts prints the message on one line and exits 2. */
export class ConfigError extends BackendError {
  constructor(message: string) {
    super('ERR_CONFIG', message);
  }
}

/** Thrown by parseConfig for `--help`; `text` is the help to print (exit 0). */
export class HelpRequested extends BackendError {
  constructor(readonly text: string) {
    super('ERR_HELP_REQUESTED', 'help requested');
  }
}

/**
 * Why one image could not be resized. `code` goes into the error frame; the connection stays up.
 * ERR_IMAGE_CORRUPT, ERR_IMAGE_UNSUPPORTED, ERR_PIXEL_LIMIT, ERR_BAD_REQUEST, ERR_IMAGE_TIMEOUT,
 * ERR_INTERNAL.
 */
export class ImageError extends BackendError {}

/** A frame took longer than --frame-timeout to arrive completely (slowloris defence). */
export class FrameTimeoutError extends BackendError {
  constructor(readonly timeoutMs: number) {
    super(ErrorCode.FrameTimeout, `a frame did not complete within ${timeoutMs} ms`);
  }
}

/** The peer closed or reset the connection; ends the connection's job quietly. */
export class PeerClosedError extends BackendError {
  constructor(cause?: unknown) {
    super('ERR_PEER_CLOSED', 'the peer closed the connection', cause ? { cause } : undefined);
  }
}

/** The backend was destroyed (or the shutdown deadline passed) with this connection open. */
export class BackendDestroyedError extends BackendError {
  constructor() {
    super('ERR_BACKEND_DESTROYED', 'the backend was destroyed');
  }
}

/**
 * --proxy-protocol: the connection did not start with a valid PROXY header in time. `code` is
 * the parser's (ERR_PROXY_PROTOCOL_MISSING, _INVALID, _TOO_LARGE, _TRUNCATED) or
 * ERR_PROXY_PROTOCOL_TIMEOUT. The connection is closed without an answer (the spec: never guess).
 */
export class ProxyHeaderError extends BackendError {}
