import { describe, expect, it } from 'vitest';
import { ErrorCode } from './error-codes.js';
import { BadHeaderError, BadRequestError } from './errors.js';
import { parseErrorHeader, parseResizeRequest, parseResizeResponse } from './messages.js';

describe('parseResizeRequest', () => {
  it('accepts a full request and drops unknown keys', () => {
    const full = {
      width: 100,
      height: 50,
      fit: 'cover',
      format: 'webp',
      quality: 80,
      dryRun: true,
      name: 'a.jpg',
    };
    expect(parseResizeRequest({ ...full, extra: 1 })).toEqual(full);
    expect(parseResizeRequest({})).toEqual({});
  });

  it.each([
    [{ width: 0 }, 'width'],
    [{ width: 1.5 }, 'width'],
    [{ width: '10' }, 'width'],
    [{ height: 65_536 }, 'height'],
    [{ fit: 'stretch' }, 'fit'],
    [{ format: 'gif' }, 'format'],
    [{ quality: 0 }, 'quality'],
    [{ quality: 101 }, 'quality'],
    [{ dryRun: 'yes' }, 'dryRun'],
    [{ name: 5 }, 'name'],
    [{ name: 'x'.repeat(2000) }, 'name'],
  ])('rejects %j naming %s', (header, field) => {
    try {
      parseResizeRequest(header as Record<string, unknown>);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).code).toBe('ERR_BAD_REQUEST');
      expect((err as BadRequestError).field).toBe(field);
    }
  });
});

describe('parseResizeResponse / parseErrorHeader', () => {
  it('accepts a response and rejects a malformed one', () => {
    const ok = {
      backend: 'b1',
      width: 10,
      height: 5,
      format: 'jpeg',
      bytes: 123,
      ms: 4.5,
      dryRun: false,
    };
    expect(parseResizeResponse(ok)).toEqual(ok);
    expect(() => parseResizeResponse({ ...ok, width: -1 })).toThrow(BadHeaderError);
    expect(() => parseResizeResponse({ ...ok, backend: undefined })).toThrow(BadHeaderError);
    expect(() => parseResizeResponse({ ...ok, ms: Number.NaN })).toThrow(BadHeaderError);
  });

  it('reads error headers', () => {
    expect(parseErrorHeader({ code: ErrorCode.PixelLimit, message: 'm' })).toEqual({
      code: 'ERR_PIXEL_LIMIT',
      message: 'm',
    });
    expect(() => parseErrorHeader({ message: 'm' })).toThrow(BadHeaderError);
  });
});
