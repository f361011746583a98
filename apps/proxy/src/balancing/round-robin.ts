import { type Endpoint, eligible, type PickEndpoint, type Strategy } from './strategy.js';

/**
 * Smooth weighted round-robin, as nginx does it: each pick adds every eligible endpoint's weight
 * to its running score, takes the highest score and subtracts the total from it. Weights 5,1,1
 * give a,a,b,a,c,a,a — interleaved, never five a's in a row.
 */
export function createRoundRobin(): Strategy {
  // Scores live beside the endpoints, not on them, so endpoints stay plain data.
  let scores = new WeakMap<Endpoint, number>();
  let version = -1;
  const pick: PickEndpoint = (c, _client, tried) => {
    if (c.version !== version) {
      version = c.version;
      scores = new WeakMap();
    }
    const list = c.list;
    // The winner is kept as its index: `list[best]` has the caller's endpoint type.
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    let total = 0;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (!eligible(e, tried)) continue;
      const s = (scores.get(e) ?? 0) + e.weight;
      scores.set(e, s);
      total += e.weight;
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    if (best < 0) return undefined;
    const winner = list[best]!;
    scores.set(winner, bestScore - total);
    return winner;
  };
  return { name: 'round-robin', pick };
}
