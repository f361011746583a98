import {
  type Endpoint,
  eligible,
  type PickEndpoint,
  type Random,
  type Strategy,
} from './strategy.js';

/** Picks an eligible endpoint at random with probability proportional to its weight. */
export function pickWeightedRandom<E extends Endpoint>(
  list: readonly E[],
  tried: ReadonlySet<E> | undefined,
  random: Random,
  skip?: E,
): E | undefined {
  let total = 0;
  for (const e of list) if (e !== skip && eligible(e, tried)) total += e.weight;
  if (total <= 0) return undefined;
  let r = random() * total;
  let last: E | undefined;
  for (const e of list) {
    if (e === skip || !eligible(e, tried)) continue;
    r -= e.weight;
    last = e;
    if (r < 0) return e;
  }
  return last; // floating-point leftovers
}

export function createRandom(random: Random = Math.random): Strategy {
  const pick: PickEndpoint = (c, _client, tried) => pickWeightedRandom(c.list, tried, random);
  return { name: 'random', pick };
}
