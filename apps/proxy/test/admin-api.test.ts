import { waitFor } from '@tcpbalancer/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { runCtl } from '../src/ctl.js';
import { testCleanup } from './helpers/cleanup.js';
import { collect, connectTo, exchange } from './helpers/clients.js';
import type { RunningProxy, startProxy } from './helpers/proxy.js';
import { killAll, runProxy, spawnProxy } from './helpers/spawn.js';

const TOKEN = 'test-token-5f2a9c';
const cleanup = testCleanup();
const { echo } = cleanup;
afterAll(() => killAll());

async function proxy(
  upstreams: string[],
  overrides: Parameters<typeof startProxy>[1] = {},
): Promise<RunningProxy & { api: string }> {
  const p = await cleanup.proxy(upstreams, { metricsPort: 0, adminToken: TOKEN, ...overrides });
  return Object.assign(p, { api: `http://127.0.0.1:${p.metricsPort}` });
}

interface Reply {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
  headers: Headers;
}
async function call(
  url: string,
  method: string,
  body?: unknown,
  /** null: no Authorization header. */
  token: string | null = TOKEN,
  raw?: string,
): Promise<Reply> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
      'content-type': 'application/json',
      'x-actor': 'vitest',
    },
    ...(raw !== undefined
      ? { body: raw }
      : body !== undefined
        ? { body: JSON.stringify(body) }
        : {}),
  });
  return { status: res.status, body: (await res.json()) as Reply['body'], headers: res.headers };
}
const up = (p: RunningProxy, address: string) =>
  p.proxy.stats().upstreams.find((u) => u.address === address);

describe('runtime API: authentication', () => {
  it('reads are open; changes need the bearer token; without a configured token every change is refused', async () => {
    const a = await echo();
    const open = await proxy([`127.0.0.1:${a.port}`], { adminToken: undefined });
    const state = await call(`${open.api}/api/state`, 'GET', undefined, null);
    expect(state.status).toBe(200);
    expect(state.body.pools).toMatchObject([
      { name: 'default', upstreams: [{ address: `127.0.0.1:${a.port}`, state: 'up' }] },
    ]);
    const refused = await call(
      `${open.api}/api/pools/default/upstreams/127.0.0.1:${a.port}/drain`,
      'POST',
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe('ERR_ADMIN_DISABLED');
    expect(refused.body.error?.message).toMatch(/--admin-token/);
    expect(up(open, `127.0.0.1:${a.port}`)?.state).toBe('up');

    const p = await proxy([`127.0.0.1:${a.port}`]);
    const path = `${p.api}/api/pools/default/upstreams/127.0.0.1:${a.port}/drain`;
    const none = await call(path, 'POST', undefined, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(none.body.error?.code).toBe('ERR_ADMIN_UNAUTHORIZED');
    const wrong = await call(path, 'POST', undefined, `${TOKEN}x`);
    expect(wrong.status).toBe(401);
    const short = await call(path, 'POST', undefined, 'x');
    expect(short.status).toBe(401);
    expect(up(p, `127.0.0.1:${a.port}`)?.state).toBe('up');
    const ok = await call(path, 'POST');
    expect(ok.status).toBe(200);
    expect(up(p, `127.0.0.1:${a.port}`)?.state).toBe('draining');
    // Who did what is logged; the token never is, not even a wrong one.
    const line = p.logs.find((l) => l.msg === 'admin action') as Record<string, any>;
    expect(line.admin).toEqual({ op: 'drain', pool: 'default', upstream: `127.0.0.1:${a.port}` });
    expect(line.by.actor).toBe('vitest');
    expect(line.by.address).toBe('127.0.0.1');
    expect(p.logs.filter((l) => l.msg === 'admin request refused')).toHaveLength(3);
    expect(JSON.stringify(p.logs)).not.toContain(TOKEN);
  });
});

describe('runtime API: every call', () => {
  it('drain: no new connections, open ones finish, still checked; enable brings it back', async () => {
    const a = await echo();
    const b = await echo();
    const p = await proxy([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`], {
      healthInterval: 50,
    });
    const held = await connectTo(p.port);
    held.write('x');
    await new Promise((r) => held.once('data', r));
    // Client connections per upstream, as the proxy counts them (the servers also see checks).
    const total = (port: number) => up(p, `127.0.0.1:${port}`)?.total ?? 0;
    const onA = total(a.port) === 1;
    const drained = onA ? a : b;
    const other = onA ? b : a;
    const key = `127.0.0.1:${drained.port}`;
    const r = await call(`${p.api}/api/pools/default/upstreams/${key}/drain`, 'POST');
    expect(r.body).toMatchObject({
      ok: true,
      upstreams: [{ address: key, state: 'draining' }],
      processes: 1,
    });
    for (let i = 0; i < 10; i++)
      expect((await exchange(p.port, Buffer.from('d'))).data.toString()).toBe('d');
    expect(total(drained.port)).toBe(1);
    expect(total(other.port)).toBe(10);
    // The open connection carries on.
    const rest = collect(held);
    held.end('still');
    expect((await rest).data.toString()).toBe('still');
    // Still health-checked while draining.
    const checks = up(p, key)?.checks.length ?? 0;
    await waitFor(
      () => (up(p, key)?.checks.length ?? 0) > checks || checks >= 20,
      'a check while draining',
    );
    const metrics = await (await fetch(`${p.api}/metrics`)).text();
    expect(metrics).toContain(
      `tcpb_proxy_upstream_state{pool="default",upstream="${key}",state="draining"} 1`,
    );
    expect((await call(`${p.api}/api/pools/default/upstreams/${key}/enable`, 'POST')).status).toBe(
      200,
    );
    expect(up(p, key)?.state).toBe('up');
    for (let i = 0; i < 4; i++) await exchange(p.port, Buffer.from('e'));
    expect(total(drained.port)).toBeGreaterThan(1);
  });

  it('disable: no new connections and no checks; enable re-judges its health', async () => {
    const a = await echo();
    const b = await echo();
    const p = await proxy([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`], { healthInterval: 40 });
    const key = `127.0.0.1:${a.port}`;
    await waitFor(() => (up(p, key)?.checks.length ?? 0) >= 2, 'checks');
    expect((await call(`${p.api}/api/pools/default/upstreams/${key}/disable`, 'POST')).status).toBe(
      200,
    );
    expect(up(p, key)).toMatchObject({ state: 'disabled', admin: 'maint', available: false });
    const n = up(p, key)?.checks.length;
    const acceptedBefore = a.accepted;
    for (let i = 0; i < 6; i++) await exchange(p.port, Buffer.from('x'));
    await new Promise((r) => setTimeout(r, 200));
    expect(a.accepted).toBe(acceptedBefore); // neither clients nor checks
    expect(up(p, key)?.checks.length).toBe(n);
    expect((await call(`${p.api}/api/pools/default/upstreams/${key}/enable`, 'POST')).status).toBe(
      200,
    );
    await waitFor(() => up(p, key)?.state === 'up', 'up after a check');
  });

  it('weight: takes effect on the next connection, shows in /stats and /metrics', async () => {
    const a = await echo();
    const b = await echo();
    const p = await proxy([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
    const key = `127.0.0.1:${a.port}`;
    const r = await call(`${p.api}/api/pools/default/upstreams/${key}/weight`, 'PUT', {
      weight: 3,
    });
    expect(r.status).toBe(200);
    expect(up(p, key)?.weight).toBe(3);
    for (let i = 0; i < 8; i++) await exchange(p.port, Buffer.from('w'));
    expect([a.accepted, b.accepted]).toEqual([6, 2]); // smooth weighted round-robin, 3:1
    const metrics = await (await fetch(`${p.api}/metrics`)).text();
    expect(metrics).toContain(`tcpb_proxy_upstream_weight{pool="default",upstream="${key}"} 3`);
    expect(metrics).toContain('tcpb_proxy_admin_actions_total{op="weight"} 1');
  });

  it('add and remove an upstream of a pool', async () => {
    const a = await echo();
    const b = await echo();
    const p = await proxy([`127.0.0.1:${a.port}`], { healthInterval: 50 });
    const added = await call(`${p.api}/api/pools/default/upstreams`, 'POST', {
      upstream: `127.0.0.1:${b.port}@1`,
    });
    expect(added.status).toBe(201);
    expect(added.body.upstreams).toMatchObject([{ address: `127.0.0.1:${b.port}` }]);
    await waitFor(() => up(p, `127.0.0.1:${b.port}`)?.state === 'up', 'the new one checked up');
    for (let i = 0; i < 4; i++) await exchange(p.port, Buffer.from('a'));
    expect(b.accepted).toBeGreaterThanOrEqual(2);
    const dup = await call(`${p.api}/api/pools/default/upstreams`, 'POST', {
      upstream: `127.0.0.1:${b.port}`,
    });
    expect(dup.status).toBe(409);
    const removed = await call(
      `${p.api}/api/pools/default/upstreams/127.0.0.1:${a.port}`,
      'DELETE',
    );
    expect(removed.status).toBe(200);
    await waitFor(() => up(p, `127.0.0.1:${a.port}`) === undefined, 'dropped once idle');
    const acceptedA = a.accepted;
    for (let i = 0; i < 3; i++) await exchange(p.port, Buffer.from('r'));
    expect(a.accepted).toBe(acceptedA);
    const last = await call(`${p.api}/api/pools/default/upstreams/127.0.0.1:${b.port}`, 'DELETE');
    expect(last.status).toBe(409);
    expect(last.body.error?.message).toMatch(/no upstream left/);
  });
});

describe('runtime API: errors name the problem, and never crash the proxy', () => {
  it('4xx JSON for every bad request', async () => {
    const a = await echo();
    const p = await proxy([`127.0.0.1:${a.port}`]);
    const key = `127.0.0.1:${a.port}`;
    const cases: [string, string, unknown, string | undefined, number, string, RegExp][] = [
      [
        '/api/pools/nope/upstreams/x/drain',
        'POST',
        undefined,
        undefined,
        404,
        'ERR_ADMIN_NOT_FOUND',
        /no pool "nope"/,
      ],
      [
        '/api/pools/default/upstreams/10.9.9.9:1/drain',
        'POST',
        undefined,
        undefined,
        404,
        'ERR_ADMIN_NOT_FOUND',
        /no upstream "10.9.9.9:1"/,
      ],
      [
        `/api/pools/default/upstreams/${key}/weight`,
        'PUT',
        { weight: 5000 },
        undefined,
        400,
        'ERR_ADMIN_BAD_REQUEST',
        /^weight: must be an integer 0-1000/,
      ],
      [
        `/api/pools/default/upstreams/${key}/weight`,
        'PUT',
        { weight: 'x' },
        undefined,
        400,
        'ERR_ADMIN_BAD_REQUEST',
        /^weight:/,
      ],
      [
        `/api/pools/default/upstreams/${key}/weight`,
        'PUT',
        {},
        undefined,
        400,
        'ERR_ADMIN_BAD_REQUEST',
        /^weight: missing/,
      ],
      [
        `/api/pools/default/upstreams/${key}/weight`,
        'PUT',
        undefined,
        '{not json',
        400,
        'ERR_ADMIN_BAD_REQUEST',
        /not JSON/,
      ],
      [
        `/api/pools/default/upstreams/${key}/weight`,
        'PUT',
        undefined,
        '',
        400,
        'ERR_ADMIN_BAD_REQUEST',
        /got nothing/,
      ],
      [
        `/api/pools/default/upstreams/${key}/weight`,
        'PUT',
        undefined,
        `{"weight":1,"pad":"${'x'.repeat(5000)}"}`,
        413,
        'ERR_ADMIN_TOO_LARGE',
        /4096/,
      ],
      [
        '/api/pools/default/upstreams',
        'POST',
        { upstream: 'no-port' },
        undefined,
        400,
        'ERR_ADMIN_BAD_REQUEST',
        /^upstream: /,
      ],
      [
        `/api/pools/default/upstreams/${key}/drain`,
        'GET',
        undefined,
        undefined,
        405,
        'ERR_ADMIN_METHOD',
        /use POST/,
      ],
      ['/api/state', 'POST', undefined, undefined, 405, 'ERR_ADMIN_METHOD', /use GET/],
      [
        '/api/frobnicate',
        'POST',
        undefined,
        undefined,
        404,
        'ERR_ADMIN_NOT_FOUND',
        /no such API path/,
      ],
      [
        '/api/actions',
        'POST',
        { op: 'explode', pool: 'default', upstream: key },
        undefined,
        400,
        'ERR_ADMIN_BAD_REQUEST',
        /^op: must be one of/,
      ],
      [
        '/api/actions',
        'POST',
        { op: 'drain', pool: 'default' },
        undefined,
        400,
        'ERR_ADMIN_BAD_REQUEST',
        /^upstream: /,
      ],
      ['/api/actions', 'POST', [1, 2], undefined, 400, 'ERR_ADMIN_BAD_REQUEST', /op: /],
      [
        '/api/pools/%E0%A4%A/upstreams/x/drain',
        'POST',
        undefined,
        undefined,
        400,
        'ERR_ADMIN_BAD_REQUEST',
        /percent-encoding/,
      ],
    ];
    for (const [path, method, body, raw, status, code, message] of cases) {
      const r = await call(`${p.api}${path}`, method, body, TOKEN, raw);
      expect({ path, method, status: r.status, code: r.body.error?.code }).toEqual({
        path,
        method,
        status,
        code,
      });
      expect(r.body.error?.message).toMatch(message);
    }
    const allow = await call(`${p.api}/api/pools/default/upstreams/${key}/drain`, 'GET');
    expect(allow.headers.get('allow')).toBe('POST');
    // Still serving, nothing changed.
    expect((await exchange(p.port, Buffer.from('alive'))).data.toString()).toBe('alive');
    expect(up(p, key)).toMatchObject({ state: 'up', weight: 1 });
  });

  it('concurrent calls: all answered, the last state wins, the proxy keeps serving', async () => {
    const a = await echo();
    const b = await echo();
    const p = await proxy([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
    const key = `127.0.0.1:${a.port}`;
    const base = `${p.api}/api/pools/default/upstreams/${key}`;
    const calls = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 0
        ? call(`${base}/drain`, 'POST')
        : i % 3 === 1
          ? call(`${base}/enable`, 'POST')
          : call(`${base}/weight`, 'PUT', { weight: i }),
    );
    const traffic = Array.from({ length: 30 }, (_, i) => exchange(p.port, Buffer.from(`t${i}`)));
    const replies = await Promise.all(calls);
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    for (const [i, t] of (await Promise.all(traffic)).entries())
      expect(t.data.toString()).toBe(`t${i}`);
    expect((await call(`${base}/enable`, 'POST')).status).toBe(200);
    expect((await call(`${base}/weight`, 'PUT', { weight: 2 })).status).toBe(200);
    expect(up(p, key)).toMatchObject({ state: 'up', weight: 2 });
    expect(p.logs.filter((l) => l.msg === 'admin action')).toHaveLength(62);
  });
});

describe('ctl', () => {
  function io(env: Record<string, string> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    return {
      io: {
        env,
        out: (t: string) => void out.push(t),
        err: (t: string) => void err.push(t),
        fetch,
      },
      out,
      err,
    };
  }

  it('list prints a table (or JSON); drain/weight/enable change the proxy; errors exit 1, usage 2', async () => {
    const a = await echo();
    const p = await proxy([`127.0.0.1:${a.port}`]);
    const key = `127.0.0.1:${a.port}`;
    const env = { TCPB_PROXY_ADMIN_URL: p.api, TCPB_PROXY_ADMIN_TOKEN: TOKEN };
    let t = io(env);
    expect(await runCtl(['list'], t.io)).toBe(0);
    const text = t.out.join('');
    expect(text).toMatch(/^POOL\s+UPSTREAM\s+STATE\s+SINCE\s+WEIGHT/);
    expect(text).toMatch(new RegExp(`default\\s+${key.replace(/\./g, '\\.')}\\s+up\\s`));
    t = io(env);
    expect(await runCtl(['list', '--json'], t.io)).toBe(0);
    expect(JSON.parse(t.out.join('')).pools[0].upstreams[0].address).toBe(key);
    t = io(env);
    expect(await runCtl(['drain', 'default', key], t.io)).toBe(0);
    expect(t.out.join('')).toMatch(/drain .* done — .*draining/);
    expect(up(p, key)?.state).toBe('draining');
    t = io(env);
    expect(await runCtl(['weight', 'default', key, '7'], t.io)).toBe(0);
    expect(up(p, key)?.weight).toBe(7);
    t = io(env);
    expect(await runCtl(['enable', 'default', key, '--json'], t.io)).toBe(0);
    expect(JSON.parse(t.out.join('')).ok).toBe(true);
    t = io({ TCPB_ADMIN_URL: p.api, TCPB_ADMIN_TOKEN: 'wrong-token-123' });
    expect(await runCtl(['drain', 'default', key], t.io)).toBe(1);
    expect(t.err.join('')).toMatch(/401 ERR_ADMIN_UNAUTHORIZED/);
    t = io(env);
    expect(await runCtl(['drain', 'nope', key], t.io)).toBe(1);
    expect(t.err.join('')).toMatch(/404 ERR_ADMIN_NOT_FOUND: no pool "nope"/);
    t = io(env);
    expect(await runCtl(['weight', 'default', key, 'heavy'], t.io)).toBe(2);
    t = io(env);
    expect(await runCtl(['explode'], t.io)).toBe(2);
    t = io(env);
    expect(await runCtl([], t.io)).toBe(2);
    expect(t.err.join('')).toMatch(/^Usage: tcpbalancer-proxy ctl/);
    t = io({ TCPB_ADMIN_URL: 'http://127.0.0.1:1' });
    expect(await runCtl(['list'], t.io)).toBe(1);
    expect(t.err.join('')).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
    expect(up(p, key)).toMatchObject({ state: 'up', weight: 7 });
  });
});

describe('runtime API with --workers (the real bin)', () => {
  it('a change reaches every worker at once; the state adds up over workers; ctl works through the bin', async () => {
    const a = await echo();
    const b = await echo();
    const s = await spawnProxy(
      [
        '-p',
        '0',
        '--host',
        '127.0.0.1',
        '--metrics-port',
        '0',
        '-u',
        `127.0.0.1:${a.port}`,
        '-u',
        `127.0.0.1:${b.port}`,
        '--workers',
        '2',
        '--health-interval',
        '200',
      ],
      { TCPB_ADMIN_TOKEN: TOKEN },
      20_000,
    );
    cleanup.defer(async () => {
      await s.stop();
    });
    const api = `http://127.0.0.1:${s.metricsPort}`;
    const state = await call(`${api}/api/state`, 'GET');
    expect(state.body.workers).toBe(2);
    const key = `127.0.0.1:${a.port}`;
    const r = await call(`${api}/api/pools/default/upstreams/${key}/drain`, 'POST');
    expect(r.status).toBe(200);
    expect(r.body.processes).toBe(2);
    type Ups = { upstreams: { address: string; state: string; total: number }[] }[];
    const totals = async () => {
      const pools = (await call(`${api}/api/state`, 'GET')).body.pools as Ups;
      const of = (port: number) =>
        pools[0]?.upstreams.find((u) => u.address === `127.0.0.1:${port}`);
      return { a: of(a.port), b: of(b.port) };
    };
    const before = (await totals()).a?.total ?? 0;
    // Connections are spread over both workers: none may reach the drained upstream.
    for (let i = 0; i < 20; i++) await exchange(s.port, Buffer.from('c'));
    const after = await totals();
    expect(after.a).toMatchObject({ state: 'draining', total: before });
    expect(after.b?.total).toBeGreaterThanOrEqual(20);
    // The bin's ctl subcommand, as an operator would run it.
    const out = await runProxy(['ctl', 'enable', 'default', key], {
      TCPB_ADMIN_URL: api,
      TCPB_ADMIN_TOKEN: TOKEN,
    });
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/in 2 workers/);
    for (let i = 0; i < 6; i++) await exchange(s.port, Buffer.from('c'));
    expect((await totals()).a?.total).toBeGreaterThan(before);
  }, 40_000);
});
