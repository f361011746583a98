import { hash32 } from './hash.js';
import { type Endpoint, eligible, type PickEndpoint, type Strategy } from './strategy.js';

/** Ring points per unit of weight; more points, smoother shares (±5 % at 160). */
export const POINTS_PER_WEIGHT = 160;
const MAX_POINTS = 16_000;

/**
 * Sorted ring points and, for each, the index of its owner in the list the ring was built from
 * (valid until the pool's version changes, when the ring is rebuilt). Indices rather than the
 * endpoints themselves: `list[owner]` has the caller's endpoint type without a cast.
 */
interface Ring {
  readonly hashes: Uint32Array;
  readonly owners: Uint32Array;
}

function buildRing(list: readonly Endpoint[]): Ring {
  const points: { h: number; e: Endpoint; at: number }[] = [];
  for (let at = 0; at < list.length; at++) {
    const e = list[at]!;
    const n = Math.min(MAX_POINTS, e.weight * POINTS_PER_WEIGHT);
    // Points derive from the endpoint's key only: an upstream keeps its points whatever else
    // joins or leaves, so removing one moves only the clients that hashed to it.
    for (let i = 0; i < n; i++) points.push({ h: hash32(`${e.key}#${i}`), e, at });
  }
  points.sort((a, b) => a.h - b.h || (a.e.key < b.e.key ? -1 : 1));
  return {
    hashes: Uint32Array.from(points, (p) => p.h),
    owners: Uint32Array.from(points, (p) => p.at),
  };
}

/**
 * Consistent hashing on the client address (not its port): one client goes to the same upstream
 * while that upstream is available; when it is down or already tried, the next point clockwise
 * takes over, and it comes back when the upstream does.
 */
export function createSourceHash(): Strategy {
  let ring: Ring = { hashes: new Uint32Array(0), owners: new Uint32Array(0) };
  let version = -1;
  const pick: PickEndpoint = (c, client, tried) => {
    if (c.version !== version) {
      ring = buildRing(c.list);
      version = c.version;
    }
    const { hashes, owners } = ring;
    const n = hashes.length;
    if (n === 0) return undefined;
    const h = hash32(client);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    const list = c.list;
    for (let i = 0; i < n; i++) {
      const e = list[owners[(lo + i) % n]!]!;
      if (eligible(e, tried)) return e;
    }
    return undefined;
  };
  return { name: 'source-hash', pick };
}
