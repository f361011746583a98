/**
 * Every error this package throws. Match on `err.code`, never on the message: codes are stable.
 */
import { ErrorCode, type ProtocolErrorCode } from './error-codes.js';
import type { Frame } from './frame.js';

export class ProtocolError extends Error {
  /** Stable: one of the decoder's codes in the `ErrorCode` registry. */
  readonly code: ProtocolErrorCode;
  /**
   * Frames that the same `FrameDecoder.push()` call had completed before it met this error.
   * Answer them before closing the connection if you like; they are whole and valid.
   */
  decodedFrames: Frame[] = [];

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A length field (header, payload or the whole frame) exceeds the configured limit. */
export class FrameTooLargeError extends ProtocolError {
  readonly field: 'header' | 'payload' | 'frame';
  readonly length: number;
  readonly limit: number;

  constructor(field: 'header' | 'payload' | 'frame', length: number, limit: number) {
    super(ErrorCode.FrameTooLarge, `frame ${field} length ${length} exceeds the limit of ${limit}`);
    this.field = field;
    this.length = length;
    this.limit = limit;
  }
}

/** The first two bytes of a frame are not "TB" (0x54 0x42). */
export class BadMagicError extends ProtocolError {
  constructor(got: number) {
    super(
      ErrorCode.BadMagic,
      `bad frame magic 0x${got.toString(16).padStart(4, '0')}, expected 0x5442`,
    );
  }
}

/** The version byte is not one this decoder speaks. */
export class BadVersionError extends ProtocolError {
  readonly version: number;
  constructor(version: number) {
    super(ErrorCode.BadVersion, `unsupported protocol version ${version}`);
    this.version = version;
  }
}

/** The type byte is not one of FrameType. */
export class BadFrameTypeError extends ProtocolError {
  readonly frameType: number;
  constructor(frameType: number) {
    super(ErrorCode.BadFrameType, `unknown frame type ${frameType}`);
    this.frameType = frameType;
  }
}

/** The JSON header is not valid UTF-8 JSON, or not an object, or (for responses) malformed. */
export class BadHeaderError extends ProtocolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.BadHeader, message, options);
  }
}

/** A resize request field has the wrong type or is out of range. */
export class BadRequestError extends ProtocolError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(ErrorCode.BadRequest, `${field}: ${message}`);
    this.field = field;
  }
}

/** The stream ended in the middle of a frame (see `FrameDecoder.end()`). */
export class TruncatedFrameError extends ProtocolError {
  readonly bufferedBytes: number;
  constructor(bufferedBytes: number) {
    super(
      ErrorCode.TruncatedFrame,
      `stream ended inside a frame (${bufferedBytes} bytes buffered)`,
    );
    this.bufferedBytes = bufferedBytes;
  }
}

/** `push()` after the decoder failed or was ended. `cause` is the error that closed it, if any. */
export class DecoderClosedError extends ProtocolError {
  constructor(cause?: unknown) {
    super(ErrorCode.DecoderClosed, 'the frame decoder is closed', cause ? { cause } : undefined);
  }
}
