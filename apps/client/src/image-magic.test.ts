import { describe, expect, it } from 'vitest';
import { detectImageKind, detectUnsupportedKind } from './image-magic.js';

const b = (...parts: (string | number[])[]) =>
  Buffer.concat(
    parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))),
  );

describe('detectImageKind', () => {
  it.each([
    [b([0xff, 0xd8, 0xff, 0xe0]), 'jpeg'],
    [b([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a]), 'png'],
    [b('RIFF', [1, 2, 3, 4], 'WEBPVP8 '), 'webp'],
    [b('GIF89a'), 'gif'],
    [b('GIF87a'), 'gif'],
    [b('II', [42, 0]), 'tiff'],
    [b('MM', [0, 42]), 'tiff'],
    [b([0, 0, 0, 0x1c], 'ftypavif'), 'avif'],
    [b([0, 0, 0, 0x18], 'ftypheic'), 'heif'],
    [b([0, 0, 0, 0x18], 'ftypmif1'), 'heif'],
  ])('%#: %s', (head, kind) => {
    expect(detectImageKind(head)).toBe(kind);
  });
  it.each([
    [b('hello world, not an image')],
    [b([0xff, 0xd8])],
    [b('RIFF', [1, 2, 3, 4], 'WAVE')],
    [b([0, 0, 0, 0x18], 'ftypisom')],
    [b('')],
  ])('not an image: %#', (head) => {
    expect(detectImageKind(head)).toBeUndefined();
  });
});

describe('detectUnsupportedKind', () => {
  const bmp = Buffer.alloc(32);
  bmp.write('BM', 0, 'latin1');
  bmp.writeUInt32LE(40, 14);
  it('recognises formats the backend does not take', () => {
    expect(detectUnsupportedKind(bmp)).toBe('bmp');
    expect(detectUnsupportedKind(Buffer.from('8BPS\0\x01', 'latin1'))).toBe('psd');
    expect(detectUnsupportedKind(Buffer.from('%PDF-1.7\n', 'latin1'))).toBe('pdf');
    expect(detectUnsupportedKind(Buffer.from([0, 0, 1, 0, 1, 0]))).toBe('ico');
    expect(detectUnsupportedKind(Buffer.from([0xff, 0x0a, 0, 0]))).toBe('jxl');
  });
  it('does not call text starting with BM an image', () => {
    expect(detectUnsupportedKind(Buffer.from('BM is a text file with some words', 'latin1'))).toBe(
      undefined,
    );
    expect(detectImageKind(bmp)).toBe(undefined);
  });
});
