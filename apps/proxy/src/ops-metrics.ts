import { Counter, Gauge, type Registry } from 'prom-client';
import type { Upstream } from './upstream.js';
import type { WaitQueue } from './wait-queue.js';

/** A pool as these metrics read it at scrape time. */
export interface OpsPoolSource {
  readonly name: string;
  readonly pool: { readonly list: readonly Upstream[] };
  readonly queue: WaitQueue | undefined;
}

/** A listener as these metrics read it: its queue drops, pool → reason → count. */
export interface OpsListenerSource {
  readonly name: string;
  readonly queueDrops: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

export interface OpsMetricsSource {
  listeners(): Iterable<OpsListenerSource>;
  pools(): Iterable<OpsPoolSource>;
  /** Runtime API changes applied in this process, by op. */
  adminActions(): ReadonlyMap<string, number>;
}

const STATES = ['up', 'down', 'checking', 'draining', 'disabled'] as const;

/**
 * The wait queue and the operator-visible upstream state (issues 14 and 18), read from plain
 * counters at scrape time: nothing on the connection path touches prom-client. Always labelled
 * with the pool (and the listener, for drops), also for the flags' `default` ones: the issue
 * asks for them counted per listener and pool.
 */
export function registerOpsMetrics(registry: Registry, source: OpsMetricsSource): void {
  const registers = [registry];
  new Gauge({
    name: 'tcpb_proxy_queue_length',
    help: 'Client connections held waiting for an upstream (all down or at their limits), per pool',
    labelNames: ['pool'] as const,
    registers,
    collect() {
      this.reset();
      for (const p of source.pools()) this.set({ pool: p.name }, p.queue?.length ?? 0);
    },
  });
  new Counter({
    name: 'tcpb_proxy_queued_total',
    help: 'Client connections that had to wait for an upstream, per pool',
    labelNames: ['pool'] as const,
    registers,
    collect() {
      this.reset();
      for (const p of source.pools()) this.inc({ pool: p.name }, p.queue?.entered ?? 0);
    },
  });
  new Counter({
    name: 'tcpb_proxy_queue_dropped_total',
    help: 'Client connections closed for want of an upstream: after waiting --queue-timeout (queue-timeout), because the queue held --queue-max (queue-full), or by a drain (draining)',
    labelNames: ['listener', 'pool', 'reason'] as const,
    registers,
    collect() {
      this.reset();
      for (const l of source.listeners()) {
        for (const [pool, byReason] of l.queueDrops) {
          for (const [reason, n] of byReason) this.inc({ listener: l.name, pool, reason }, n);
        }
      }
    },
  });
  new Gauge({
    name: 'tcpb_proxy_upstream_state',
    help: 'Per upstream, 1 for its current state (up, down, checking, draining, disabled), 0 for the others',
    labelNames: ['pool', 'upstream', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const p of source.pools()) {
        for (const up of p.pool.list) {
          if (up.removed) continue;
          const now =
            up.admin === 'maint' ? 'disabled' : up.admin === 'drain' ? 'draining' : up.state;
          for (const state of STATES)
            this.set({ pool: p.name, upstream: up.key, state }, state === now ? 1 : 0);
        }
      }
    },
  });
  new Counter({
    name: 'tcpb_proxy_admin_actions_total',
    help: 'Runtime API changes applied (drain, disable, enable, weight, add, remove)',
    labelNames: ['op'] as const,
    registers,
    collect() {
      this.reset();
      for (const [op, n] of source.adminActions()) this.inc({ op }, n);
    },
  });
  new Gauge({
    name: 'tcpb_proxy_upstream_weight',
    help: 'Current weight of an upstream (the runtime API may change it)',
    labelNames: ['pool', 'upstream'] as const,
    registers,
    collect() {
      this.reset();
      for (const p of source.pools())
        for (const up of p.pool.list) this.set({ pool: p.name, upstream: up.key }, up.weight);
    },
  });
}
