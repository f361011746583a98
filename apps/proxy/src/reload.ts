import type { Listener } from './listener.js';
import type { ServiceState } from './service.js';
import type { ServiceConfig } from './service-config.js';

export interface ReloadOutcome {
  /** Listeners bound by this reload, with their ports (an ephemeral port is known only now). */
  readonly bound: readonly {
    readonly name: string;
    readonly host: string;
    readonly port: number;
  }[];
  readonly listeners: {
    readonly added: string[];
    readonly removed: string[];
    readonly kept: string[];
  };
  readonly pools: { readonly added: string[]; readonly removed: string[]; readonly kept: string[] };
}

const sameSocket = (a: ServiceConfig['listeners'][number], b: ServiceConfig['listeners'][number]) =>
  a.host === b.host && a.port === b.port;

/**
 * Moves a running service to `next`, in an order that never leaves a connection without its
 * pool and never refuses a connect on a listener that stays:
 * 1. bind the new listeners (and those whose address changed) — if one fails, close the ones
 *    just bound and reject: the running configuration stays whole;
 * 2. add new pools and update kept ones (their upstreams that stay keep health state);
 * 3. point kept listeners at their new config (same socket);
 * 4. removed listeners stop accepting and drain in the background (up to drainTimeout), then
 *    removed pools stop their checks (connections still open on them carry on).
 */
export async function applyReload(
  state: ServiceState,
  next: ServiceConfig,
): Promise<ReloadOutcome> {
  const { listeners, pools, logger } = state;
  const started: Listener[] = [];
  const fresh = new Map<string, ServiceConfig['listeners'][number]>();
  for (const lc of next.listeners) {
    const old = listeners.get(lc.name);
    if (old === undefined || !sameSocket(old.config, lc)) fresh.set(lc.name, lc);
  }
  // New pools exist before a new listener can send them a connection.
  const addedPools = next.pools.filter((p) => !pools.has(p.name)).map((p) => state.newPool(p));
  try {
    await Promise.all(addedPools.map((p) => p.start()));
    for (const p of addedPools) pools.set(p.name, p);
    for (const lc of fresh.values()) {
      const l = state.newListener(lc);
      await l.listen();
      started.push(l);
    }
  } catch (err) {
    for (const l of started) await l.close(0);
    for (const p of addedPools) {
      p.stop();
      pools.delete(p.name);
    }
    throw err;
  }
  const keptPools: string[] = [];
  for (const pc of next.pools) {
    const p = pools.get(pc.name);
    if (p === undefined || addedPools.includes(p)) continue;
    p.update(pc);
    keptPools.push(pc.name);
  }
  const kept: string[] = [];
  const retiring: Listener[] = [];
  for (const lc of next.listeners) {
    const old = listeners.get(lc.name);
    if (old !== undefined && !fresh.has(lc.name)) {
      old.update(lc);
      kept.push(lc.name);
    }
  }
  const nextNames = new Set(next.listeners.map((l) => l.name));
  for (const [name, l] of listeners) {
    if (!nextNames.has(name) || fresh.has(name)) {
      retiring.push(l);
      listeners.delete(name);
    }
  }
  for (const l of started) listeners.set(l.name, l);
  const nextPools = new Set(next.pools.map((p) => p.name));
  const removedPools: string[] = [];
  for (const [name, p] of pools) {
    if (nextPools.has(name)) continue;
    removedPools.push(name);
    pools.delete(name);
    p.stop();
  }
  state.config = next;
  for (const l of retiring) {
    logger.info({ listener: l.name, active: l.active }, 'listener removed: draining');
    void l
      .close(next.drainTimeout)
      .then(() => logger.info({ listener: l.name }, 'listener closed'));
  }
  return {
    bound: started.map((l) => ({ name: l.name, host: l.config.host, port: l.port })),
    listeners: { added: started.map((l) => l.name), removed: retiring.map((l) => l.name), kept },
    pools: { added: addedPools.map((p) => p.name), removed: removedPools, kept: keptPools },
  };
}
