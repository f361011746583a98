import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { inputSignature } from './input-signature.js';
import { checkFormatLimit } from './output-limits.js';

const img = () => sharp({ create: { width: 8, height: 8, channels: 3, background: '#345' } });

describe('inputSignature', () => {
  it('recognises every accepted format as sharp writes it', async () => {
    expect(inputSignature(await img().jpeg().toBuffer())).toBe('jpeg');
    expect(inputSignature(await img().png().toBuffer())).toBe('png');
    expect(inputSignature(await img().webp().toBuffer())).toBe('webp');
    expect(inputSignature(await img().gif().toBuffer())).toBe('gif');
    expect(inputSignature(await img().tiff().toBuffer())).toBe('tiff');
    expect(inputSignature(await img().avif().toBuffer())).toBe('heif');
  });

  it('refuses what is not one of them, and anything too short to tell', () => {
    for (const text of [
      '',
      'BM',
      'BM\0\0\0\0',
      '<svg/>',
      '%PDF-1.7',
      'P6\n1 1\n255\n',
      'RIFF\0\0\0\0WAVE',
    ]) {
      expect(inputSignature(Buffer.from(text, 'latin1')), text).toBeUndefined();
    }
  });
});

describe('checkFormatLimit', () => {
  it('allows the limit, refuses one more, on either side, naming the format and limit', () => {
    expect(() => checkFormatLimit('jpeg', { width: 65_500, height: 65_500 })).not.toThrow();
    expect(() => checkFormatLimit('jpeg', { width: 1, height: 65_501 })).toThrow(/JPEG.*65500/);
    expect(() => checkFormatLimit('webp', { width: 16_384, height: 1 })).toThrow(/WEBP.*16383/);
    expect(() => checkFormatLimit('avif', { width: 16_385, height: 1 })).toThrow(/AVIF.*16384/);
    expect(() => checkFormatLimit('png', { width: 65_535, height: 65_535 })).not.toThrow();
  });
});
