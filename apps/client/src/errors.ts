/**
 * Every error the client raises, each with a stable `code` to match on (`err.code`), never on
 * the message. Codes are listed in the README.
 */
export class ClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad usage: a bad flag or value, a missing input directory, an unwritable output. Exit 2. */
export class ConfigError extends ClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CONFIG', message, options);
  }
}

/** `--help` was asked for; `text` is the help to print (main prints it and exits 0). */
export class HelpRequested extends ClientError {
  readonly text: string;
  constructor(text: string) {
    super('ERR_HELP_REQUESTED', 'help requested');
    this.text = text;
  }
}

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
