import { describe, expect, it } from 'vitest';
import { Stats } from './stats.js';

describe('Stats', () => {
  it('latency percentiles in ms from an HDR histogram, exact max', () => {
    const s = new Stats();
    for (let i = 1; i <= 100; i++) s.recordLatency(i);
    s.recordLatency(1234.5678);
    const l = s.latency();
    expect(l.p50).toBeCloseTo(51, 0);
    expect(l.p90).toBeCloseTo(91, 0);
    expect(l.p99).toBeCloseTo(100, 0);
    expect(l.max).toBe(1234.568);
  });
  it('empty: zeros, not NaN', () => {
    expect(new Stats().latency()).toEqual({ p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });
  it('keeps untrusted backend names harmless and bounded', () => {
    const s = new Stats();
    s.recordBackend('__proto__');
    s.recordBackend('a\u0000b\u202e');
    s.recordBackend('x'.repeat(500));
    for (let i = 0; i < 1000; i++) s.recordBackend(`b${i}`);
    const obj = Object.fromEntries(s.backends);
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(obj, '__proto__')?.value).toBe(1);
    expect(obj['a?b?']).toBe(1);
    expect(s.backends.size).toBeLessThanOrEqual(257);
    expect(s.backends.get('(other)')).toBeGreaterThan(0);
    expect([...s.backends.keys()].every((k) => k.length <= 64)).toBe(true);
  });
});
