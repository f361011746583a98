import type { Metadata } from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageError } from './errors.js';
import { classify, plannedSize } from './resize.js';

const meta = (width: number, height: number, orientation = 1) =>
  ({ width, height, orientation }) as Metadata;

describe('plannedSize', () => {
  it('follows sharp for every fit', () => {
    const m = meta(400, 300);
    expect(plannedSize(m, { width: 100, height: 100, fit: 'cover' })).toEqual({
      width: 100,
      height: 100,
    });
    expect(plannedSize(m, { width: 100, height: 100, fit: 'contain' })).toEqual({
      width: 100,
      height: 100,
    });
    expect(plannedSize(m, { width: 100, height: 100, fit: 'fill' })).toEqual({
      width: 100,
      height: 100,
    });
    expect(plannedSize(m, { width: 100, height: 100, fit: 'inside' })).toEqual({
      width: 100,
      height: 75,
    });
    expect(plannedSize(m, { width: 100, height: 100, fit: 'outside' })).toEqual({
      width: 133,
      height: 100,
    });
    expect(plannedSize(m, { width: 200 })).toEqual({ width: 200, height: 150 });
    expect(plannedSize(m, { height: 150 })).toEqual({ width: 200, height: 150 });
    expect(plannedSize(m, {})).toEqual({ width: 400, height: 300 });
  });

  it('swaps the axes for EXIF orientations 5–8', () => {
    expect(plannedSize(meta(400, 300, 6), {})).toEqual({ width: 300, height: 400 });
    expect(plannedSize(meta(400, 300, 6), { width: 150 })).toEqual({ width: 150, height: 200 });
  });
});

describe('classify', () => {
  it('maps sharp messages to stable codes', () => {
    expect(classify(new Error('Input image exceeds pixel limit')).code).toBe('ERR_PIXEL_LIMIT');
    expect(classify(new Error('Input buffer contains unsupported image format')).code).toBe(
      'ERR_IMAGE_UNSUPPORTED',
    );
    expect(classify(new Error('VipsJpeg: premature end of JPEG image')).code).toBe(
      'ERR_IMAGE_CORRUPT',
    );
    expect(classify(new Error('timeout: 10% complete')).code).toBe('ERR_IMAGE_TIMEOUT');
    expect(classify(new Error('Processed image is too large for the JPEG format')).code).toBe(
      'ERR_BAD_REQUEST',
    );
    const own = new ImageError('ERR_PIXEL_LIMIT', 'x');
    expect(classify(own)).toBe(own);
  });
});
