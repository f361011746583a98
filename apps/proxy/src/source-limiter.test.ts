import { describe, expect, it } from 'vitest';
import { SourceLimiter, type SourceSlot } from './source-limiter.js';

const limits = (o: Partial<ConstructorParameters<typeof SourceLimiter>[0]> = {}) => ({
  maxConns: 0,
  rate: 0,
  burst: 1,
  maxTracked: 1000,
  ...o,
});

describe('SourceLimiter', () => {
  it('maxConns: at most N open per address; a release frees a slot; other addresses are apart', () => {
    const l = new SourceLimiter(limits({ maxConns: 2 }));
    const a1 = l.admit('10.0.0.1') as SourceSlot;
    const a2 = l.admit('10.0.0.1') as SourceSlot;
    expect(l.admit('10.0.0.1')).toBe('per-source-conns');
    expect(typeof l.admit('10.0.0.2')).toBe('object');
    a1.release();
    a1.release(); // idempotent
    expect(typeof l.admit('10.0.0.1')).toBe('object');
    expect(l.admit('10.0.0.1')).toBe('per-source-conns');
    a2.release();
  });

  it('rate: a token bucket of `burst`, refilled at `rate` per second', () => {
    let now = 0;
    const l = new SourceLimiter(limits({ rate: 2, burst: 3 }), () => now);
    const take = () => l.admit('a');
    for (let i = 0; i < 3; i++) expect(typeof take()).toBe('object');
    expect(take()).toBe('per-source-rate');
    now += 499;
    expect(take()).toBe('per-source-rate');
    now += 1; // 0.5 s: one token
    expect(typeof take()).toBe('object');
    expect(take()).toBe('per-source-rate');
    now += 10_000; // refills only up to the burst
    for (let i = 0; i < 3; i++) expect(typeof take()).toBe('object');
    expect(take()).toBe('per-source-rate');
  });

  it('memory is bounded: idle addresses beyond maxTracked are forgotten, oldest first; busy ones never', () => {
    const l = new SourceLimiter(limits({ maxConns: 1, maxTracked: 16 }));
    const held: SourceSlot[] = [];
    for (let i = 0; i < 20; i++) held.push(l.admit(`10.1.0.${i}`) as SourceSlot);
    // 20 addresses with an open connection each: all kept (bounded by the open connections).
    expect(l.tracked).toBe(20);
    expect(l.admit('10.1.0.5')).toBe('per-source-conns');
    for (const h of held) h.release();
    expect(l.tracked).toBe(16);
    // A scan from 10,000 addresses leaves at most maxTracked behind.
    for (let i = 0; i < 10_000; i++) (l.admit(`10.2.${i >> 8}.${i & 255}`) as SourceSlot).release();
    expect(l.tracked).toBe(16);
  });
});
