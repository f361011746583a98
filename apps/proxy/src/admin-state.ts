import type { ListenerStats } from './listener.js';
import { type QueueStats, queueStats, type UpstreamStats } from './pool-runtime.js';
import type { ProcessStats } from './process-stats.js';
import type { Service, ServiceStats } from './service.js';

/** What `GET /api/state` returns, and what the dashboard and `ctl list` read. */
export interface AdminState {
  /** ISO time of the reading. */
  readonly time: string;
  readonly draining: boolean;
  /** Worker processes the numbers add up over (1 without --workers). */
  readonly workers: number;
  /** The service's connection counts (bytes buffered are not part of the admin view). */
  readonly connections: Omit<ServiceStats['connections'], 'buffered'>;
  readonly listeners: readonly ListenerStats[];
  readonly pools: readonly PoolState[];
  /** One per process serving connections (each worker; or the one process). */
  readonly processes: readonly ProcessStats[];
}

export interface PoolState {
  readonly name: string;
  readonly strategy: string;
  readonly healthy: boolean;
  readonly queue: QueueStats;
  readonly upstreams: readonly UpstreamStats[];
}

/** One process's view. */
export function buildState(service: Service, process: ProcessStats): AdminState {
  const s = service.stats();
  return {
    time: new Date().toISOString(),
    draining: s.draining,
    workers: 1,
    connections: {
      active: s.connections.active,
      total: s.connections.total,
      refused: s.connections.refused,
      queued: s.connections.queued,
    },
    listeners: s.listeners,
    pools: [...service.state.pools.values()].map((p) => ({
      name: p.name,
      strategy: p.strategy.name,
      healthy: p.healthy,
      queue: queueStats(p),
      upstreams: p.upstreamStats(),
    })),
    processes: [process],
  };
}

const ADDITIVE_UPSTREAM = [
  'active',
  'total',
  'failures',
  'bytesToUpstream',
  'bytesFromUpstream',
] as const;

/**
 * The cluster's view from its workers' views: counters summed, state and weight as the first
 * worker that has the upstream sees them (runtime API changes reach every worker; health checks
 * run in each worker and may disagree for a check interval).
 */
export function mergeStates(states: readonly AdminState[]): AdminState {
  const [first, ...rest] = states;
  if (first === undefined) {
    return {
      time: new Date().toISOString(),
      draining: false,
      workers: 0,
      connections: { active: 0, total: 0, refused: 0, queued: 0 },
      listeners: [],
      pools: [],
      processes: [],
    };
  }
  const sum = (f: (s: AdminState) => number) => states.reduce((n, s) => n + f(s), 0);
  const pools = first.pools.map((p) => {
    const upstreams = p.upstreams.map((u) => {
      const merged: Record<string, unknown> = { ...u };
      for (const k of ADDITIVE_UPSTREAM) {
        let n = u[k];
        for (const s of rest) {
          const other = s.pools
            .find((q) => q.name === p.name)
            ?.upstreams.find((o) => o.address === u.address);
          if (other) n += other[k];
        }
        merged[k] = n;
      }
      return merged as unknown as UpstreamStats;
    });
    const queue = { ...p.queue, dropped: { ...p.queue.dropped } };
    for (const s of rest) {
      const q = s.pools.find((o) => o.name === p.name)?.queue;
      if (!q) continue;
      queue.length += q.length;
      queue.entered += q.entered;
      for (const r of Object.keys(queue.dropped) as (keyof typeof queue.dropped)[])
        queue.dropped[r] += q.dropped[r];
    }
    return { ...p, upstreams, queue };
  });
  const listeners = first.listeners.map((l) => {
    let active = l.active;
    let total = l.total;
    for (const s of rest) {
      const o = s.listeners.find((x) => x.name === l.name);
      if (o) {
        active += o.active;
        total += o.total;
      }
    }
    return { ...l, active, total };
  });
  return {
    time: new Date().toISOString(),
    draining: states.some((s) => s.draining),
    workers: states.length,
    connections: {
      active: sum((s) => s.connections.active),
      total: sum((s) => s.connections.total),
      refused: sum((s) => s.connections.refused),
      queued: sum((s) => s.connections.queued),
    },
    listeners,
    pools,
    processes: states.flatMap((s) => s.processes),
  };
}
