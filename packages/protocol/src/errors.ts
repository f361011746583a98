/**
 * Every error this package throws. Match on `err.code`, never on the message: codes are stable.
 */
import type { Frame } from './frame.js';

export class ProtocolError extends Error {
  readonly code: string;
  /**
   * Frames that the same `FrameDecoder.push()` call had completed before it met this error.
   * Answer them before closing the connection if you like; they are whole and valid.
   */
  decodedFrames: Frame[] = [];

  constructor(code: string, message: string, options?: { cause?: unknown }) {
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
    super('ERR_FRAME_TOO_LARGE', `frame ${field} length ${length} exceeds the limit of ${limit}`);
    this.field = field;
    this.length = length;
    this.limit = limit;
  }
}

/** The first two bytes of a frame are not "TB" (0x54 0x42). */
export class BadMagicError extends ProtocolError {
  constructor(got: number) {
    super(
      'ERR_BAD_MAGIC',
      `bad frame magic 0x${got.toString(16).padStart(4, '0')}, expected 0x5442`,
    );
  }
}

/** The version byte is not one this decoder speaks. */
export class BadVersionError extends ProtocolError {
  readonly version: number;
  constructor(version: number) {
    super('ERR_BAD_VERSION', `unsupported protocol version ${version}`);
    this.version = version;
  }
}

/** The type byte is not one of FrameType. */
export class BadFrameTypeError extends ProtocolError {
  readonly frameType: number;
  constructor(frameType: number) {
    super('ERR_BAD_FRAME_TYPE', `unknown frame type ${frameType}`);
    this.frameType = frameType;
  }
}

/** The JSON header is not valid UTF-8 JSON, or not an object, or (for responses) malformed. */
export class BadHeaderError extends ProtocolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BAD_HEADER', message, options);
  }
}

/** A resize request field has the wrong type or is out of range. */
export class BadRequestError extends ProtocolError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('ERR_BAD_REQUEST', `${field}: ${message}`);
    this.field = field;
  }
}

/** The stream ended in the middle of a frame (see `FrameDecoder.end()`). */
export class TruncatedFrameError extends ProtocolError {
  readonly bufferedBytes: number;
  constructor(bufferedBytes: number) {
    super('ERR_TRUNCATED_FRAME', `stream ended inside a frame (${bufferedBytes} bytes buffered)`);
    this.bufferedBytes = bufferedBytes;
  }
}

/** `push()` after the decoder failed or was ended. `cause` is the error that closed it, if any. */
export class DecoderClosedError extends ProtocolError {
  constructor(cause?: unknown) {
    super('ERR_DECODER_CLOSED', 'the frame decoder is closed', cause ? { cause } : undefined);
  }
}

/**
 * Codes that travel in error frames (`ErrorHeader.code`). Decoder errors use the same strings,
 * so a backend can answer `{ code: err.code }` directly.
 */
export const ErrorCode = {
  FrameTooLarge: 'ERR_FRAME_TOO_LARGE',
  BadMagic: 'ERR_BAD_MAGIC',
  BadVersion: 'ERR_BAD_VERSION',
  BadFrameType: 'ERR_BAD_FRAME_TYPE',
  BadHeader: 'ERR_BAD_HEADER',
  BadRequest: 'ERR_BAD_REQUEST',
  TruncatedFrame: 'ERR_TRUNCATED_FRAME',
  DecoderClosed: 'ERR_DECODER_CLOSED',
  ImageCorrupt: 'ERR_IMAGE_CORRUPT',
  ImageUnsupported: 'ERR_IMAGE_UNSUPPORTED',
  PixelLimit: 'ERR_PIXEL_LIMIT',
  Busy: 'ERR_BUSY',
  ShuttingDown: 'ERR_SHUTTING_DOWN',
  IdleTimeout: 'ERR_IDLE_TIMEOUT',
  Internal: 'ERR_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
