/**
 * Every error this package throws. Match on `err.code`, never on the message: codes are stable
 * (listed in the README).
 */
export class ProxyProtocolError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The first bytes are not a PROXY header of an accepted version. A receiver configured for the
 * protocol requires it (the spec forbids guessing), so this ends the connection.
 */
export class MissingHeaderError extends ProxyProtocolError {
  constructor(message: string) {
    super('ERR_PROXY_PROTOCOL_MISSING', message);
  }
}

/** The header started right but does not follow the spec (bad field, family, length, checksum…). */
export class InvalidHeaderError extends ProxyProtocolError {
  constructor(message: string) {
    super('ERR_PROXY_PROTOCOL_INVALID', message);
  }
}

/** The header is (or announces itself as) longer than the parser's `maxHeaderBytes`. */
export class HeaderTooLargeError extends ProxyProtocolError {
  constructor(
    readonly length: number,
    readonly limit: number,
  ) {
    super('ERR_PROXY_PROTOCOL_TOO_LARGE', `PROXY header of ${length} bytes exceeds ${limit}`);
  }
}

/** The stream ended before the header was complete. */
export class TruncatedHeaderError extends ProxyProtocolError {
  constructor(received: number) {
    super('ERR_PROXY_PROTOCOL_TRUNCATED', `stream ended after ${received} bytes of PROXY header`);
  }
}

/** encodeV1/encodeV2 were given something they cannot express (bad address, port, TLV). */
export class EncodeError extends ProxyProtocolError {
  constructor(message: string) {
    super('ERR_PROXY_PROTOCOL_ENCODE', message);
  }
}
