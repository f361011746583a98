import type { Metadata } from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageError } from './errors.js';
import { classify, plannedSize } from './resize.js';

const meta = (width: number, height: number, orientation = 1) =>
  ({ width, height, orientation }) as Metadata;

describe('plannedSize', () => {
  it.each([
    [
      { width: 100, height: 100, fit: 'cover' },
      { width: 100, height: 100 },
    ],
    [
      { width: 100, height: 100, fit: 'contain' },
      { width: 100, height: 100 },
    ],
    [
      { width: 100, height: 100, fit: 'fill' },
      { width: 100, height: 100 },
    ],
    [
      { width: 100, height: 100, fit: 'inside' },
      { width: 100, height: 75 },
    ],
    [
      { width: 100, height: 100, fit: 'outside' },
      { width: 133, height: 100 },
    ],
    [{ width: 200 }, { width: 200, height: 150 }],
    [{ height: 150 }, { width: 200, height: 150 }],
    [{}, { width: 400, height: 300 }],
  ] as const)('follows sharp for 400×300 asked %o', (req, planned) => {
    expect(plannedSize(meta(400, 300), req)).toEqual(planned);
  });

  it('swaps the axes for EXIF orientations 5–8', () => {
    expect(plannedSize(meta(400, 300, 6), {})).toEqual({ width: 300, height: 400 });
    expect(plannedSize(meta(400, 300, 6), { width: 150 })).toEqual({ width: 150, height: 200 });
  });
});

describe('classify', () => {
  it.each([
    ['Input image exceeds pixel limit', 'ERR_PIXEL_LIMIT'],
    ['Input buffer contains unsupported image format', 'ERR_IMAGE_UNSUPPORTED'],
    ['VipsJpeg: premature end of JPEG image', 'ERR_IMAGE_CORRUPT'],
    ['timeout: 10% complete', 'ERR_IMAGE_TIMEOUT'],
    ['Processed image is too large for the JPEG format', 'ERR_BAD_REQUEST'],
  ])('maps the sharp message %j to %s', (message, code) => {
    expect(classify(new Error(message)).code).toBe(code);
  });

  it('passes its own errors through', () => {
    const own = new ImageError('ERR_PIXEL_LIMIT', 'x');
    expect(classify(own)).toBe(own);
  });
});
