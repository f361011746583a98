import { eligible, type PickEndpoint, type Strategy } from './strategy.js';

/**
 * The endpoint with the fewest open connections per unit of weight (connections still being
 * opened count: a burst of new clients does not all land on the same idle upstream). Ties are
 * broken by a rotating start, so equal upstreams share the load in turn.
 */
export function createLeastConnections(): Strategy {
  let rotate = 0;
  const pick: PickEndpoint = (c, _client, tried) => {
    const list = c.list;
    const n = list.length;
    if (n === 0) return undefined;
    rotate = (rotate + 1) % n;
    // The winner is kept as its index: `list[best]` has the caller's endpoint type.
    let best = -1;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const at = (rotate + i) % n;
      const e = list[at]!;
      if (!eligible(e, tried)) continue;
      // +1: at equal counts the heavier upstream wins (1/3 < 1/1), as its share demands.
      const load = (e.active + 1) / e.weight;
      if (load < bestLoad) {
        bestLoad = load;
        best = at;
      }
    }
    return best < 0 ? undefined : list[best];
  };
  return { name: 'least-connections', pick };
}
