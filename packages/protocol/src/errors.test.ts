import { describe, expect, it } from 'vitest';
import * as errors from './errors.js';

// The codes are a contract (listed in the README): changing one is a breaking change.
describe('error codes', () => {
  it('are stable', () => {
    expect(new errors.FrameTooLargeError('payload', 2, 1).code).toBe('ERR_FRAME_TOO_LARGE');
    expect(new errors.BadMagicError(0).code).toBe('ERR_BAD_MAGIC');
    expect(new errors.BadVersionError(2).code).toBe('ERR_BAD_VERSION');
    expect(new errors.BadFrameTypeError(9).code).toBe('ERR_BAD_FRAME_TYPE');
    expect(new errors.BadHeaderError('x').code).toBe('ERR_BAD_HEADER');
    expect(new errors.BadRequestError('width', 'x').code).toBe('ERR_BAD_REQUEST');
    expect(new errors.TruncatedFrameError(3).code).toBe('ERR_TRUNCATED_FRAME');
    expect(new errors.DecoderClosedError().code).toBe('ERR_DECODER_CLOSED');
  });

  it('all extend ProtocolError and carry their class name', () => {
    const e = new errors.BadMagicError(0x4745);
    expect(e).toBeInstanceOf(errors.ProtocolError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('BadMagicError');
    expect(e.message).toContain('0x4745');
  });
});
