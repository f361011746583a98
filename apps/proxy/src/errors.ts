import { CodedError, ConfigError } from '@tcpbalancer/cli';

/** A bad flag or env value (`ERR_CONFIG`): the shell's one type, re-exported. */
export { ConfigError };

/**
 * Every code the proxy raises, one meaning each. Match on `err.code`, never on messages. Listed
 * in the README. (The idle timeout is ERR_PROXY_IDLE_TIMEOUT: ERR_IDLE_TIMEOUT is the backend's
 * wire code for another limit.)
 */
export const PROXY_ERROR_CODES = {
  proxy: 'ERR_PROXY',
  noUpstream: 'ERR_NO_UPSTREAM',
  queueTimeout: 'ERR_QUEUE_TIMEOUT',
  queueFull: 'ERR_QUEUE_FULL',
  upstreamConnect: 'ERR_UPSTREAM_CONNECT',
  idleTimeout: 'ERR_PROXY_IDLE_TIMEOUT',
  shutdown: 'ERR_SHUTDOWN',
  clientSocket: 'ERR_CLIENT_SOCKET',
  upstreamSocket: 'ERR_UPSTREAM_SOCKET',
} as const;
/** Every code: the table above and the runtime API's (ADMIN_ERROR_STATUS, with their HTTP status). */
export type ProxyErrorCode =
  | (typeof PROXY_ERROR_CODES)[keyof typeof PROXY_ERROR_CODES]
  | AdminErrorCode;

/** The base of the proxy's errors. */
export class ProxyError extends CodedError<ProxyErrorCode> {
  constructor(message: string, options?: { cause?: unknown }, code?: ProxyErrorCode) {
    super(code ?? PROXY_ERROR_CODES.proxy, message, options);
  }
}

/** No upstream could be reached for a connection (all down, or every attempt failed). */
export class NoUpstreamError extends ProxyError {
  constructor(message: string, options?: { cause?: unknown }, code?: ProxyErrorCode) {
    super(message, options, code ?? PROXY_ERROR_CODES.noUpstream);
  }
}

/**
 * The connection waited in its pool's queue for `--queue-timeout` ms and no upstream became
 * usable. A NoUpstreamError: code that matches the class still sees "no upstream".
 */
export class QueueTimeoutError extends NoUpstreamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, PROXY_ERROR_CODES.queueTimeout);
  }
}

/** No upstream could take the connection and its pool's queue already held `--queue-max`. */
export class QueueFullError extends NoUpstreamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, PROXY_ERROR_CODES.queueFull);
  }
}

/** Connecting to one upstream failed or timed out; `cause` holds the socket error. */
export class UpstreamConnectError extends ProxyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, PROXY_ERROR_CODES.upstreamConnect);
  }
}

/** No bytes moved in either direction for `--idle-timeout`. */
export class IdleTimeoutError extends ProxyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, PROXY_ERROR_CODES.idleTimeout);
  }
}

/** The connection was still open when the drain period (`--drain-timeout`) ended, or on destroy(). */
export class ShutdownError extends ProxyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, PROXY_ERROR_CODES.shutdown);
  }
}

/** A socket of the connection failed (reset, EPIPE…); `cause` holds the socket error. */
export class PeerError extends ProxyError {
  constructor(side: 'client' | 'upstream', cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const code =
      side === 'client' ? PROXY_ERROR_CODES.clientSocket : PROXY_ERROR_CODES.upstreamSocket;
    super(`${side} socket: ${detail}`, { cause }, code);
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
  declare readonly code: AdminErrorCode;
  readonly status: number;
  constructor(code: AdminErrorCode, message: string) {
    super(message, undefined, code);
    this.status = ADMIN_ERROR_STATUS[code];
  }
}
