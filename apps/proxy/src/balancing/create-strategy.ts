import { createLeastConnections } from './least-connections.js';
import { createP2c } from './p2c.js';
import { createRandom } from './random.js';
import { createRoundRobin } from './round-robin.js';
import { createSourceHash } from './source-hash.js';
import type { Random, Strategy, StrategyName } from './strategy.js';

export function createStrategy(name: StrategyName, random: Random = Math.random): Strategy {
  switch (name) {
    case 'round-robin':
      return createRoundRobin();
    case 'least-connections':
      return createLeastConnections();
    case 'random':
      return createRandom(random);
    case 'p2c':
      return createP2c(random);
    case 'source-hash':
      return createSourceHash();
  }
}
