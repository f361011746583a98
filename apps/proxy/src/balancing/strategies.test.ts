/** Deterministic PRNG (mulberry32) for the random strategies. */
import { prng as seeded } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';
import { createStrategy } from './create-strategy.js';
import { POINTS_PER_WEIGHT } from './source-hash.js';
import type { Candidates, Endpoint } from './strategy.js';

class E implements Endpoint {
  active = 0;
  available = true;
  constructor(
    readonly key: string,
    readonly weight = 1,
  ) {}
}

/** Endpoints keyed a, b, c… with these weights, as a tuple so each destructures to an `E`. */
function endpoints<const W extends readonly number[]>(...weights: W): { [K in keyof W]: E } {
  return weights.map((w, i) => new E(String.fromCharCode(97 + i), w)) as { [K in keyof W]: E };
}

function pool(...list: E[]): Candidates<E> & { list: E[]; bump(): void } {
  const c = { list, version: 1, bump: () => c.version++ };
  return c;
}

function counts(picks: (E | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of picks) if (p) out[p.key] = (out[p.key] ?? 0) + 1;
  return out;
}

describe('round-robin (smooth weighted)', () => {
  it('interleaves by weight like nginx: 5,1,1 → a a b a c a a', () => {
    const [a, b, c] = endpoints(5, 1, 1);
    const s = createStrategy('round-robin');
    const p = pool(a, b, c);
    const seq = Array.from({ length: 7 }, () => s.pick(p, '')?.key).join('');
    expect(seq).toBe('aabacaa');
  });

  it('gives exact shares over a full cycle and skips unavailable and tried endpoints', () => {
    const [a, b, c] = endpoints(3, 2, 1);
    const s = createStrategy('round-robin');
    const p = pool(a, b, c);
    expect(counts(Array.from({ length: 600 }, () => s.pick(p, '')))).toEqual({
      a: 300,
      b: 200,
      c: 100,
    });
    b.available = false;
    expect(counts(Array.from({ length: 400 }, () => s.pick(p, '')))).toEqual({ a: 300, c: 100 });
    expect(s.pick(p, '', new Set([a, c]))).toBeUndefined();
  });
});

describe('least-connections', () => {
  it('picks the endpoint with the fewest connections per weight, rotating among ties', () => {
    const [a, b, c] = endpoints(1, 1, 2);
    const s = createStrategy('least-connections');
    const p = pool(a, b, c);
    // Simulate connections that stay open: each pick adds one.
    for (let i = 0; i < 40; i++) (s.pick(p, '') as E).active++;
    expect([a.active, b.active, c.active]).toEqual([10, 10, 20]);
    a.active = 0;
    expect(s.pick(p, '')).toBe(a);
    expect(s.pick(p, '', new Set([a]))).not.toBe(a);
  });
});

describe('random (weighted)', () => {
  it('matches the weights within 5 % over 30 000 picks', () => {
    const [a, b, c] = endpoints(1, 2, 3);
    const s = createStrategy('random', seeded(7));
    const got = counts(Array.from({ length: 30_000 }, () => s.pick(pool(a, b, c), '')));
    expect(got.a).toBeGreaterThan(5000 * 0.95);
    expect(got.a).toBeLessThan(5000 * 1.05);
    expect(got.b).toBeGreaterThan(10_000 * 0.95);
    expect(got.c).toBeGreaterThan(15_000 * 0.95);
  });

  it('never picks an unavailable or zero-weight endpoint', () => {
    const [a, b, c] = endpoints(0, 1, 1);
    c.available = false;
    const s = createStrategy('random', seeded(1));
    expect(counts(Array.from({ length: 1000 }, () => s.pick(pool(a, b, c), '')))).toEqual({
      b: 1000,
    });
  });
});

describe('p2c', () => {
  it('keeps long-lived connections within a couple of each other', () => {
    const list = endpoints(1, 1, 1, 1);
    const s = createStrategy('p2c', seeded(3));
    const p = pool(...list);
    for (let i = 0; i < 400; i++) (s.pick(p, '') as E).active++;
    const actives = list.map((e) => e.active);
    expect(Math.max(...actives) - Math.min(...actives)).toBeLessThanOrEqual(3);
  });

  it('with one eligible endpoint, picks it', () => {
    const [a, b] = endpoints(1, 1);
    b.available = false;
    expect(createStrategy('p2c', seeded(1)).pick(pool(a, b), '')).toBe(a);
  });
});

describe('source-hash (consistent)', () => {
  const clients = Array.from(
    { length: 20_000 },
    (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  );

  it('spreads clients evenly by weight (±15 %)', () => {
    const list = ['a', 'b', 'c', 'd'].map((k) => new E(`10.0.0.${k.charCodeAt(0)}:9000`));
    const s = createStrategy('source-hash');
    const got = counts(clients.map((c) => s.pick(pool(...list), c)));
    for (const e of list) {
      expect(got[e.key]).toBeGreaterThan(5000 * 0.85);
      expect(got[e.key]).toBeLessThan(5000 * 1.15);
    }
    expect(POINTS_PER_WEIGHT).toBeGreaterThan(0);
  });

  it('is sticky, and removing an upstream moves only its own clients', () => {
    const list = ['a', 'b', 'c', 'd', 'e'].map((k) => new E(`${k}.internal:80`));
    const s = createStrategy('source-hash');
    const p = pool(...list);
    const before = clients.map((c) => s.pick(p, c)?.key);
    expect(clients.map((c) => s.pick(p, c)?.key)).toEqual(before);
    const gone = list[2] as E;
    p.list.splice(2, 1);
    p.bump();
    const after = clients.map((c) => s.pick(p, c)?.key);
    let moved = 0;
    before.forEach((k, i) => {
      if (k !== gone.key) expect(after[i]).toBe(k);
      else moved++;
    });
    expect(moved / clients.length).toBeGreaterThan(0.12);
    expect(moved / clients.length).toBeLessThan(0.28);
  });

  it('routes around a down upstream and returns when it is back, without a rebuild', () => {
    const list = endpoints(1, 1, 1);
    const s = createStrategy('source-hash');
    const p = pool(...list);
    const home = s.pick(p, '192.0.2.7') as E;
    home.available = false;
    const away = s.pick(p, '192.0.2.7');
    expect(away).not.toBe(home);
    expect(s.pick(p, '192.0.2.7', new Set([away as E]))).not.toBe(away);
    home.available = true;
    expect(s.pick(p, '192.0.2.7')).toBe(home);
  });
});
