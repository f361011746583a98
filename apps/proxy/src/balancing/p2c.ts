import { pickWeightedRandom } from './random.js';
import type { PickEndpoint, Random, Strategy } from './strategy.js';

/**
 * Power of two choices: two distinct endpoints drawn at random (by weight), the one with fewer
 * connections per unit of weight wins. Nearly as even as least-connections, without every
 * process of a cluster herding onto the same momentarily least-loaded upstream.
 */
export function createP2c(random: Random = Math.random): Strategy {
  const pick: PickEndpoint = (c, _client, tried) => {
    const a = pickWeightedRandom(c.list, tried, random);
    if (a === undefined) return undefined;
    const b = pickWeightedRandom(c.list, tried, random, a);
    if (b === undefined) return a;
    // a.active/a.weight <= b.active/b.weight, without dividing
    return a.active * b.weight <= b.active * a.weight ? a : b;
  };
  return { name: 'p2c', pick };
}
