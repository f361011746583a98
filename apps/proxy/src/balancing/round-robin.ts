import { type Candidates, type Endpoint, eligible, type Strategy } from './strategy.js';

/**
 * Smooth weighted round-robin, as nginx does it: each pick adds every eligible endpoint's weight
 * to its running score, takes the highest score and subtracts the total from it. Weights 5,1,1
 * give a,a,b,a,c,a,a — interleaved, never five a's in a row.
 */
export function createRoundRobin(): Strategy {
  // Scores live beside the endpoints, not on them, so endpoints stay plain data.
  let scores = new WeakMap<Endpoint, number>();
  let version = -1;
  return {
    name: 'round-robin',
    pick<E extends Endpoint>(
      c: Candidates<E>,
      _client: string,
      tried?: ReadonlySet<E>,
    ): E | undefined {
      if (c.version !== version) {
        version = c.version;
        scores = new WeakMap();
      }
      let best: E | undefined;
      let bestScore = Number.NEGATIVE_INFINITY;
      let total = 0;
      for (const e of c.list) {
        if (!eligible(e, tried)) continue;
        const s = (scores.get(e) ?? 0) + e.weight;
        scores.set(e, s);
        total += e.weight;
        if (s > bestScore) {
          bestScore = s;
          best = e;
        }
      }
      if (best !== undefined) scores.set(best, bestScore - total);
      return best;
    },
  };
}
