import { describe, expect, it } from 'vitest';
import { detectImageKind } from './image-magic.js';

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
