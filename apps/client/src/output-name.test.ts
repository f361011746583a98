import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadResponseError } from './errors.js';
import { checkResult, outputFileName, planOutputs, sanitizeComponent } from './output-name.js';

describe('sanitizeComponent', () => {
  it('keeps ordinary names', () => {
    expect(sanitizeComponent('cat photo (1)')).toBe('cat photo (1)');
    expect(sanitizeComponent('Zürich-été_2024')).toBe('Zürich-été_2024');
  });
  it('never yields a dot name, a separator, NUL or an empty name', () => {
    expect(sanitizeComponent('..')).toBe('__');
    expect(sanitizeComponent('.')).toBe('_');
    expect(sanitizeComponent('')).toBe('_');
    expect(sanitizeComponent('.hidden')).toBe('_hidden');
    expect(sanitizeComponent('a/b\\c\0d\ne')).toBe('a_b_c_d_e');
    expect(sanitizeComponent('trailing. ')).toBe('trailing');
  });
  it('holds for any string (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        const out = sanitizeComponent(s);
        expect(out.length).toBeGreaterThan(0);
        expect(out).not.toMatch(/[/\\\0]/);
        expect(out.startsWith('.')).toBe(false);
        expect(out === '.' || out === '..').toBe(false);
        expect(Buffer.byteLength(out)).toBeLessThanOrEqual(150);
      }),
    );
  });
});

describe('planOutputs', () => {
  it('keeps subdirectories and strips the extension', () => {
    const plans = planOutputs([{ relPath: 'a/b/cat.photo.jpg' }, { relPath: 'dog.png' }]);
    expect(plans.get('a/b/cat.photo.jpg')).toEqual({ dirs: ['a', 'b'], base: 'cat.photo' });
    expect(plans.get('dog.png')).toEqual({ dirs: [], base: 'dog' });
  });
  it('same base name in different directories: no collision', () => {
    const plans = planOutputs([{ relPath: 'x/cat.jpg' }, { relPath: 'y/cat.jpg' }]);
    expect(plans.get('x/cat.jpg')?.dirs).toEqual(['x']);
    expect(plans.get('y/cat.jpg')?.dirs).toEqual(['y']);
  });
  it('same base in one directory: each keeps its extension, deterministically', () => {
    const input = [{ relPath: 'cat.png' }, { relPath: 'cat.jpg' }, { relPath: 'Cat.JPG' }];
    const plans = planOutputs(input);
    expect(plans.get('cat.png')?.base).toBe('cat.png');
    // cat.jpg and Cat.JPG only differ in case: the later in path order gets ~2.
    expect(plans.get('Cat.JPG')?.base).toBe('Cat.JPG');
    expect(plans.get('cat.jpg')?.base).toBe('cat.jpg~2');
    expect(planOutputs([...input].reverse())).toEqual(plans);
  });
  it('names stay unique whatever the inputs (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.array(
            fc.constantFrom('a', 'A', 'b', '.', '..', 'x.jpg', 'x.png', 'x', '?', '*', 'é'),
            {
              minLength: 1,
              maxLength: 3,
            },
          ),
          { maxLength: 30, selector: (p) => p.join('/') },
        ),
        (paths) => {
          const plans = planOutputs(paths.map((p) => ({ relPath: p.join('/') })));
          const keys = [...plans.values()].map((p) => [...p.dirs, p.base].join('/').toLowerCase());
          expect(new Set(keys).size).toBe(keys.length);
          for (const p of plans.values())
            for (const d of [...p.dirs, p.base]) expect(['.', '..', '']).not.toContain(d);
        },
      ),
    );
  });
});

describe('checkResult', () => {
  const ok = { backend: 'b', width: 100, height: 50, format: 'webp', bytes: 10, ms: 1 };
  it('accepts a sane answer and names the file', () => {
    const r = checkResult(ok, false);
    expect(outputFileName({ dirs: [], base: 'cat' }, r)).toBe('cat-100x50.webp');
    expect(
      outputFileName({ dirs: [], base: 'cat' }, checkResult({ ...ok, format: 'jpeg' }, false)),
    ).toBe('cat-100x50.jpg');
  });
  it.each([
    { width: '../../x' },
    { width: Number.NaN },
    { width: 1e300 },
    { width: -1 },
    { width: 0 },
    { height: 1.5 },
    { height: 65536 },
    { height: '10\0' },
    { format: '/etc/passwd' },
    { format: '../png' },
    { format: 'png\0' },
    { format: '__proto__' },
    { format: 'constructor' },
    { format: 42 },
  ])('rejects hostile %j', (patch) => {
    expect(() => checkResult({ ...ok, ...patch }, false)).toThrow(BadResponseError);
  });
  it('allows 0x0 in dry-run only', () => {
    expect(checkResult({ ...ok, width: 0, height: 0 }, true).width).toBe(0);
  });
});
