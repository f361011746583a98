import { AdminError } from './errors.js';
import { type PoolRuntime, statusOf } from './pool-runtime.js';
import type { Service } from './service.js';
import type { Upstream } from './upstream.js';
import { formatHostPort, MAX_WEIGHT, parseUpstreamSpec } from './upstream-spec.js';

/** One change an operator asks for through the runtime API (or `ctl`). Plain JSON: it crosses IPC. */
export type AdminAction =
  | {
      readonly op: 'drain' | 'disable' | 'enable';
      readonly pool: string;
      readonly upstream: string;
    }
  | {
      readonly op: 'weight';
      readonly pool: string;
      readonly upstream: string;
      readonly weight: number;
    }
  | { readonly op: 'add'; readonly pool: string; readonly upstream: string }
  | { readonly op: 'remove'; readonly pool: string; readonly upstream: string };

export const ADMIN_OPS = ['drain', 'disable', 'enable', 'weight', 'add', 'remove'] as const;

/** What an action did: the upstreams it touched, as they are now. */
export interface AdminOutcome {
  readonly op: AdminAction['op'];
  readonly pool: string;
  readonly upstreams: readonly { address: string; state: string; weight: number }[];
}

function poolOf(service: Service, name: string): PoolRuntime {
  const pr = service.state.pools.get(name);
  if (pr === undefined) {
    const known = [...service.state.pools.keys()].join(', ');
    throw new AdminError('ERR_ADMIN_NOT_FOUND', `no pool "${name}" (pools: ${known})`);
  }
  return pr;
}

/** The configured `HOST:PORT` of a spec, as `ctl` and the API name it. */
const specKey = (s: { host: string; port: number }) => formatHostPort(s.host, s.port);

/**
 * The endpoints `name` designates: one `address:port`, or every address of a configured
 * `host:port` (a DNS name stands for all its addresses).
 */
function endpointsOf(pr: PoolRuntime, name: string): Upstream[] {
  const list = pr.pool.list.filter((u) => !u.removed);
  const exact = list.filter((u) => u.key === name);
  if (exact.length > 0) return exact;
  const bySpec = list.filter((u) => specKey(u.spec) === name || u.spec.text === name);
  if (bySpec.length > 0) return bySpec;
  throw new AdminError(
    'ERR_ADMIN_NOT_FOUND',
    `no upstream "${name}" in pool "${pr.name}" (upstreams: ${list.map((u) => u.key).join(', ') || 'none'})`,
  );
}

const outcome = (op: AdminAction['op'], pr: PoolRuntime, ups: readonly Upstream[]) => ({
  op,
  pool: pr.name,
  upstreams: ups.map((u) => ({ address: u.key, state: statusOf(u), weight: u.weight })),
});

/**
 * Checks an action's shape (it may come from an HTTP body or IPC). Throws ERR_ADMIN_BAD_REQUEST
 * naming the field.
 */
export function validateAction(a: unknown): AdminAction {
  if (typeof a !== 'object' || a === null) {
    throw new AdminError('ERR_ADMIN_BAD_REQUEST', 'the action must be a JSON object');
  }
  const o = a as Record<string, unknown>;
  if (typeof o.op !== 'string' || !(ADMIN_OPS as readonly string[]).includes(o.op)) {
    throw new AdminError('ERR_ADMIN_BAD_REQUEST', `op: must be one of ${ADMIN_OPS.join(', ')}`);
  }
  for (const field of ['pool', 'upstream'] as const) {
    const v = o[field];
    if (typeof v !== 'string' || v.length === 0 || v.length > 300) {
      throw new AdminError('ERR_ADMIN_BAD_REQUEST', `${field}: must be a non-empty string`);
    }
  }
  if (o.op === 'weight') {
    const w = o.weight;
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > MAX_WEIGHT) {
      throw new AdminError(
        'ERR_ADMIN_BAD_REQUEST',
        `weight: must be an integer 0-${MAX_WEIGHT}, got ${JSON.stringify(w) ?? 'nothing'}`,
      );
    }
    return { op: 'weight', pool: o.pool as string, upstream: o.upstream as string, weight: w };
  }
  return { op: o.op as 'drain', pool: o.pool as string, upstream: o.upstream as string };
}

/**
 * Applies one operator action to a running service, at once: the next connection sees it.
 * - drain: no new connections; open ones finish; still health-checked.
 * - disable: maintenance — no new connections, no checks.
 * - enable: back to taking connections (after `disable`, health is re-judged: `checking`).
 * - weight: the balancing weight (0 keeps it configured but gives it nothing new).
 * - add / remove: a configured upstream of the pool (`HOST:PORT[@WEIGHT]`); removing drains its
 *   connections as a DNS removal does. A pool keeps at least one upstream.
 * Throws AdminError (404 unknown pool or upstream, 409 conflict, 400 bad value).
 */
export function applyAdminAction(service: Service, action: AdminAction): AdminOutcome {
  const done = apply(service, action);
  const counts = adminCounts(service);
  counts.set(action.op, (counts.get(action.op) ?? 0) + 1);
  return done;
}

const counted = new WeakMap<object, Map<string, number>>();

/** Runtime API changes applied to `service`, by op (for `tcpb_proxy_admin_actions_total`). */
export function adminCounts(service: object): Map<string, number> {
  let m = counted.get(service);
  if (m === undefined) {
    m = new Map();
    counted.set(service, m);
  }
  return m;
}

function apply(service: Service, action: AdminAction): AdminOutcome {
  const pr = poolOf(service, action.pool);
  switch (action.op) {
    case 'drain':
    case 'disable':
    case 'enable': {
      const ups = endpointsOf(pr, action.upstream);
      for (const up of ups) {
        const wasMaint = up.admin === 'maint';
        up.setAdmin(action.op === 'drain' ? 'drain' : action.op === 'disable' ? 'maint' : 'ready');
        // Back from maintenance its health is unknown: judged again by the next check, soon.
        if (action.op === 'enable' && wasMaint) up.recheck();
      }
      pr.pool.changed();
      return outcome(action.op, pr, ups);
    }
    case 'weight': {
      const ups = endpointsOf(pr, action.upstream);
      for (const up of ups) up.setWeight(action.weight);
      pr.pool.changed();
      return outcome('weight', pr, ups);
    }
    case 'add': {
      let spec: ReturnType<typeof parseUpstreamSpec>;
      try {
        spec = parseUpstreamSpec(action.upstream);
      } catch (err) {
        throw new AdminError('ERR_ADMIN_BAD_REQUEST', `upstream: ${(err as Error).message}`);
      }
      if (pr.config.upstreams.some((s) => specKey(s) === specKey(spec))) {
        throw new AdminError(
          'ERR_ADMIN_CONFLICT',
          `upstream "${specKey(spec)}" is already in pool "${pr.name}"`,
        );
      }
      pr.setUpstreams([...pr.config.upstreams, spec]);
      const added = pr.pool.list.filter((u) => specKey(u.spec) === specKey(spec));
      return outcome('add', pr, added);
    }
    case 'remove': {
      const keep = pr.config.upstreams.filter(
        (s) => specKey(s) !== action.upstream && s.text !== action.upstream,
      );
      if (keep.length === pr.config.upstreams.length) {
        // An endpoint address of a DNS name is not a configured upstream: say which ones are.
        throw new AdminError(
          'ERR_ADMIN_NOT_FOUND',
          `no configured upstream "${action.upstream}" in pool "${pr.name}" (configured: ${pr.config.upstreams.map(specKey).join(', ')})`,
        );
      }
      if (keep.length === 0) {
        throw new AdminError(
          'ERR_ADMIN_CONFLICT',
          `pool "${pr.name}" would have no upstream left: add another first, or drain this one`,
        );
      }
      const gone = pr.pool.list.filter(
        (u) => specKey(u.spec) === action.upstream || u.spec.text === action.upstream,
      );
      pr.setUpstreams(keep);
      return outcome('remove', pr, gone);
    }
  }
}
