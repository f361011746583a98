import { hash32 } from './hash.js';
import { type Candidates, type Endpoint, eligible, type Strategy } from './strategy.js';

/** Ring points per unit of weight; more points, smoother shares (±5 % at 160). */
export const POINTS_PER_WEIGHT = 160;
const MAX_POINTS = 16_000;

interface Ring<E> {
  readonly hashes: Uint32Array;
  readonly owners: E[];
}

function buildRing<E extends Endpoint>(list: readonly E[]): Ring<E> {
  const points: { h: number; e: E }[] = [];
  for (const e of list) {
    const n = Math.min(MAX_POINTS, e.weight * POINTS_PER_WEIGHT);
    // Points derive from the endpoint's key only: an upstream keeps its points whatever else
    // joins or leaves, so removing one moves only the clients that hashed to it.
    for (let i = 0; i < n; i++) points.push({ h: hash32(`${e.key}#${i}`), e });
  }
  points.sort((a, b) => a.h - b.h || (a.e.key < b.e.key ? -1 : 1));
  return { hashes: Uint32Array.from(points, (p) => p.h), owners: points.map((p) => p.e) };
}

/**
 * Consistent hashing on the client address (not its port): one client goes to the same upstream
 * while that upstream is available; when it is down or already tried, the next point clockwise
 * takes over, and it comes back when the upstream does.
 */
export function createSourceHash(): Strategy {
  let ring: Ring<Endpoint> = { hashes: new Uint32Array(0), owners: [] };
  let version = -1;
  return {
    name: 'source-hash',
    pick<E extends Endpoint>(
      c: Candidates<E>,
      client: string,
      tried?: ReadonlySet<E>,
    ): E | undefined {
      if (c.version !== version) {
        ring = buildRing(c.list);
        version = c.version;
      }
      const { hashes, owners } = ring as Ring<E>;
      const n = hashes.length;
      if (n === 0) return undefined;
      const h = hash32(client);
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((hashes[mid] as number) < h) lo = mid + 1;
        else hi = mid;
      }
      for (let i = 0; i < n; i++) {
        const e = owners[(lo + i) % n] as E;
        if (eligible(e, tried)) return e;
      }
      return undefined;
    },
  };
}
