// The wire error-code registry is a contract: every code a peer may send is in it, once, with
// its documentation; none is renamed. The apps' own senders are checked against it in their tests.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ERROR_CODE_INFO,
  ErrorCode,
  isErrorCode,
  type ProtocolErrorCode,
  RETRYABLE_ERROR_CODES,
} from './error-codes.js';
import * as errors from './errors.js';

/** Every code on the wire today, by name: removing or renaming one breaks peers. */
const WIRE_CODES = [
  'ERR_FRAME_TOO_LARGE',
  'ERR_BAD_MAGIC',
  'ERR_BAD_VERSION',
  'ERR_BAD_FRAME_TYPE',
  'ERR_BAD_HEADER',
  'ERR_BAD_REQUEST',
  'ERR_TRUNCATED_FRAME',
  'ERR_DECODER_CLOSED',
  'ERR_IMAGE_CORRUPT',
  'ERR_IMAGE_UNSUPPORTED',
  'ERR_PIXEL_LIMIT',
  'ERR_IMAGE_TIMEOUT',
  'ERR_INTERNAL',
  'ERR_BUSY',
  'ERR_SHUTTING_DOWN',
  'ERR_IDLE_TIMEOUT',
  'ERR_FRAME_TIMEOUT',
];

describe('ErrorCode registry', () => {
  it('holds every code on the wire, each once', () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect([...codes].sort()).toEqual([...WIRE_CODES].sort());
  });

  it('documents every code: scope, retryable, one-line meaning and action', () => {
    expect(Object.keys(ERROR_CODE_INFO).sort()).toEqual([...WIRE_CODES].sort());
    for (const [code, info] of Object.entries(ERROR_CODE_INFO)) {
      expect(['request', 'connection'], code).toContain(info.scope);
      expect(typeof info.retryable, code).toBe('boolean');
      for (const line of [info.meaning, info.action]) {
        expect(line.length, code).toBeGreaterThan(10);
        expect(line, code).not.toContain('\n');
      }
    }
  });

  it('retryable codes are the "not now" ones: busy and shutting down', () => {
    expect([...RETRYABLE_ERROR_CODES].sort()).toEqual(['ERR_BUSY', 'ERR_SHUTTING_DOWN']);
  });

  it('isErrorCode narrows strings of the registry and refuses the rest', () => {
    expect(isErrorCode('ERR_IMAGE_TIMEOUT')).toBe(true);
    expect(isErrorCode('ERR_NOPE')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
    const peer: string = 'ERR_BUSY';
    if (isErrorCode(peer)) expectTypeOf(peer).toEqualTypeOf<ErrorCode>();
  });

  it("the decoder's error classes carry codes of the registry", () => {
    const thrown: errors.ProtocolError[] = [
      new errors.FrameTooLargeError('payload', 2, 1),
      new errors.BadMagicError(0),
      new errors.BadVersionError(2),
      new errors.BadFrameTypeError(9),
      new errors.BadHeaderError('x'),
      new errors.BadRequestError('width', 'x'),
      new errors.TruncatedFrameError(3),
      new errors.DecoderClosedError(),
    ];
    for (const e of thrown) expect(isErrorCode(e.code), e.code).toBe(true);
    expectTypeOf<errors.ProtocolError['code']>().toEqualTypeOf<ProtocolErrorCode>();
    expectTypeOf<ProtocolErrorCode>().toExtend<ErrorCode>();
  });
});
