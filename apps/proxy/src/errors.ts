/**
 * Every error the proxy raises, each with a stable `code` to match on (never match on messages).
 * Listed in the README.
 */
export class ProxyError extends Error {
  readonly code: string = 'ERR_PROXY';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad flag or environment value. The message is one line and names the flag. */
export class ConfigError extends ProxyError {
  override readonly code = 'ERR_CONFIG';
}

/** No upstream could be reached for a connection (all down, or every attempt failed). */
export class NoUpstreamError extends ProxyError {
  override readonly code: string = 'ERR_NO_UPSTREAM';
}

/**
 * The connection waited in its pool's queue for `--queue-timeout` ms and no upstream became
 * usable. A NoUpstreamError: code that matches the class still sees "no upstream".
 */
export class QueueTimeoutError extends NoUpstreamError {
  override readonly code: string = 'ERR_QUEUE_TIMEOUT';
}

/** No upstream could take the connection and its pool's queue already held `--queue-max`. */
export class QueueFullError extends NoUpstreamError {
  override readonly code: string = 'ERR_QUEUE_FULL';
}

/** Connecting to one upstream failed or timed out; `cause` holds the socket error. */
export class UpstreamConnectError extends ProxyError {
  override readonly code = 'ERR_UPSTREAM_CONNECT';
}

/** No bytes moved in either direction for `--idle-timeout` ms. */
export class IdleTimeoutError extends ProxyError {
  override readonly code = 'ERR_IDLE_TIMEOUT';
}

/** The connection was still open when the drain period (`--drain-timeout`) ended, or on destroy(). */
export class ShutdownError extends ProxyError {
  override readonly code = 'ERR_SHUTDOWN';
}

/** A socket of the connection failed (reset, EPIPE…); `cause` holds the socket error. */
export class PeerError extends ProxyError {
  override readonly code: 'ERR_CLIENT_SOCKET' | 'ERR_UPSTREAM_SOCKET';
  constructor(side: 'client' | 'upstream', cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${side} socket: ${detail}`, { cause });
    this.code = side === 'client' ? 'ERR_CLIENT_SOCKET' : 'ERR_UPSTREAM_SOCKET';
  }
}

/** HTTP statuses of the runtime API's error codes. */
export const ADMIN_ERROR_STATUS = {
  ERR_ADMIN_BAD_REQUEST: 400,
  ERR_ADMIN_UNAUTHORIZED: 401,
  ERR_ADMIN_DISABLED: 403,
  ERR_ADMIN_NOT_FOUND: 404,
  ERR_ADMIN_METHOD: 405,
  ERR_ADMIN_CONFLICT: 409,
  ERR_ADMIN_TOO_LARGE: 413,
  ERR_ADMIN_UNAVAILABLE: 503,
} as const;
export type AdminErrorCode = keyof typeof ADMIN_ERROR_STATUS;

/**
 * A runtime API request that cannot be done: answered with its HTTP status and
 * `{"error":{"code","message"}}`; the message names the problem (the field, the pool, the
 * upstream). Never carries the token.
 */
export class AdminError extends ProxyError {
  override readonly code: AdminErrorCode;
  readonly status: number;
  constructor(code: AdminErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = ADMIN_ERROR_STATUS[code];
  }
}
