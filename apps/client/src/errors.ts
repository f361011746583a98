import { CodedError, ConfigError, HelpRequested } from '@tcpbalancer/cli';

/**
 * Bad usage (`ERR_CONFIG`: a bad flag or value, a missing input directory, an unwritable output;
 * exit 2) and `--help`/`--version`: the shell's one types, re-exported.
 */
export { ConfigError, HelpRequested };

/**
 * Every code the client raises, one meaning each. Match on `err.code`, never on the message.
 * Listed in the README.
 */
export const CLIENT_ERROR_CODES = {
  connect: 'ERR_CONNECT',
  connectionLost: 'ERR_CONNECTION_LOST',
  noBackend: 'ERR_NO_BACKEND',
  requestTimeout: 'ERR_REQUEST_TIMEOUT',
  backend: 'ERR_BACKEND',
  badResponse: 'ERR_BAD_RESPONSE',
  readImage: 'ERR_READ_IMAGE',
  imageTooLarge: 'ERR_IMAGE_TOO_LARGE',
  output: 'ERR_OUTPUT',
  aborted: 'ERR_ABORTED',
} as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[keyof typeof CLIENT_ERROR_CODES];

/** The base of the client's errors. */
export class ClientError extends CodedError<ClientErrorCode> {}

/** The TCP connection could not be made (refused, unreachable, connect timeout). Retried. */
export class ConnectError extends ClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CONNECT', message, options);
  }
}

/** The connection broke while requests were on it (reset, closed by the peer, protocol garbage). Retried. */
export class ConnectionLostError extends ClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CONNECTION_LOST', message, options);
  }
}

/**
 * The run was given up: connection after connection was accepted and then closed by the peer
 * before any answer (a proxy with every backend down). Not retried: the cause is not the image.
 */
export class NoBackendError extends ClientError {
  constructor(message: string) {
    super('ERR_NO_BACKEND', message);
  }
}

/** A request got no answer within --timeout: its connection is dropped and the request retried. */
export class RequestTimeoutError extends ClientError {
  constructor(ms: number) {
    super('ERR_REQUEST_TIMEOUT', `no answer within ${ms} ms`);
  }
}

/** The backend answered with an error frame (`backendCode` is its code). Reported, not retried. */
export class BackendError extends ClientError {
  readonly backendCode: string;
  constructor(backendCode: string, message: string) {
    super('ERR_BACKEND', message || backendCode);
    this.backendCode = backendCode;
  }
}

/** An answer that breaks the contract (bad dimensions, unknown format, size mismatch). Not retried. */
export class BadResponseError extends ClientError {
  constructor(message: string) {
    super('ERR_BAD_RESPONSE', message);
  }
}

/** The local image could not be read when it was its turn to be sent. Not retried. */
export class ReadImageError extends ClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_READ_IMAGE', message, options);
  }
}

/** The result could not be written inside --output (or the write would have escaped it). Not retried. */
export class OutputError extends ClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_OUTPUT', message, options);
  }
}

/** The run was aborted (SIGINT/SIGTERM) before the request was answered. */
export class AbortedError extends ClientError {
  constructor() {
    super('ERR_ABORTED', 'the run was aborted before an answer');
  }
}

/** The stable `code` of any error, for reports: ours, Node's (`ECONNREFUSED`), else ERR_UNKNOWN. */
export function errorCode(err: unknown): string {
  if (err !== null && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    return err.code;
  }
  return 'ERR_UNKNOWN';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
