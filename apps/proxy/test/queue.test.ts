import { sleep, waitFor } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';
import { testCleanup } from './helpers/cleanup.js';
import { collect, connectTo, exchange } from './helpers/clients.js';
import { connectionLogs, type RunningProxy } from './helpers/proxy.js';
import { deadPort, startEchoServer, type TestServer } from './helpers/servers.js';

const cleanup = testCleanup();
const { proxy } = cleanup;
/** Runs health checks until the proxy's first upstream is marked down. */
async function checkedDown(p: RunningProxy): Promise<void> {
  await waitFor(async () => {
    await p.proxy.health.checkAll();
    return p.proxy.stats().upstreams[0]?.state === 'down';
  }, 'down');
}
/** An echo server that can go away and come back on the same port. */
async function restartable(): Promise<{
  readonly port: number;
  readonly server: () => TestServer | undefined;
  stop(): Promise<void>;
  start(): Promise<number>;
}> {
  let server: TestServer | undefined = await startEchoServer();
  const port = server.port;
  cleanup.defer(async () => server?.close());
  return {
    port,
    server: () => server,
    async stop() {
      await server?.close();
      server = undefined;
    },
    /** Resolves with the time (performance.now()) it is listening again. */
    async start() {
      server = await startEchoServer({ port });
      return performance.now();
    },
  };
}

/**
 * A restartable upstream first in a new proxy's list (`others` after it), stopped and seen down
 * by the health checks (fall 1) before the test goes on.
 */
async function upstreamCheckedDown(
  overrides: Parameters<typeof proxy>[1],
  others: readonly TestServer[] = [],
): Promise<{ up: Awaited<ReturnType<typeof restartable>>; p: RunningProxy }> {
  const up = await restartable();
  const upstreams = [up, ...others].map((u) => `127.0.0.1:${u.port}`);
  const p = await proxy(upstreams, { healthFall: 1, ...overrides });
  await up.stop();
  await checkedDown(p);
  return { up, p };
}

/** Opens a connection, sends `text`, half-closes; resolves with what came back and when. */
async function served(port: number, text: string): Promise<{ data: string; at: number }> {
  const out = await exchange(port, Buffer.from(text));
  return { data: out.data.toString(), at: performance.now() };
}

describe('the wait queue: an outage of the only upstream', () => {
  for (const healthInterval of [2000, 0]) {
    it(`a 3 s outage: every connection opened during it is served once it is back, recovery under one check interval (health-interval ${healthInterval})`, async () => {
      const up = await restartable();
      const p = await proxy([`127.0.0.1:${up.port}`], {
        healthInterval,
        healthFall: 1,
        queueTimeout: 6000,
      });
      expect((await served(p.port, 'before')).data).toBe('before');
      await up.stop();
      // Clients keep arriving during the outage, one every 250 ms.
      const clients: Promise<{ data: string; at: number }>[] = [];
      const opened = performance.now();
      while (performance.now() - opened < 3000) {
        clients.push(served(p.port, `during ${clients.length}`));
        await sleep(250);
      }
      await waitFor(() => p.proxy.stats().connections.queued > 0, 'clients to be held');
      const backAt = await up.start();
      const results = await Promise.all(clients);
      for (const [i, r] of results.entries()) expect(r.data).toBe(`during ${i}`);
      const recoveryMs = Math.min(...results.map((r) => r.at)) - backAt;
      // Recovery is the queue probe period (100 ms) plus a connect, not rise × interval.
      expect(recoveryMs).toBeLessThan(2000);
      const s = p.proxy.stats();
      expect(s.connections).toMatchObject({ refused: 0, queued: 0 });
      expect(s.pools[0]?.queue.entered).toBeGreaterThanOrEqual(clients.length - 1);
      expect(s.upstreams[0]?.state).toBe('up');
      const closed = connectionLogs(p.logs);
      expect(closed.filter((l) => l.reason !== 'closed')).toEqual([]);
      expect(
        closed.some((l) => typeof l.queuedMs === 'number' && (l.queuedMs as number) > 2000),
      ).toBe(true);
    });
  }

  it('past --queue-timeout the client is closed, logged with the reason, listener and pool, and counted', async () => {
    const p = await proxy([`127.0.0.1:${await deadPort()}`], { queueTimeout: 300 });
    const t0 = Date.now();
    const out = await collect(await connectTo(p.port));
    const waited = Date.now() - t0;
    expect(out.data.length).toBe(0);
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(3000);
    await waitFor(() => connectionLogs(p.logs).length === 1, 'the log line');
    expect(connectionLogs(p.logs)[0]).toMatchObject({
      level: 40,
      reason: 'queue-timeout',
      listener: 'default',
      pool: 'default',
      upstream: null,
    });
    expect(p.proxy.stats().pools[0]?.queue.dropped).toEqual({
      'queue-timeout': 1,
      'queue-full': 0,
      draining: 0,
    });
    const metrics = await p.proxy.metrics.registry.metrics();
    expect(metrics).toContain(
      'tcpb_proxy_queue_dropped_total{listener="default",pool="default",reason="queue-timeout"} 1',
    );
    expect(metrics).toContain('tcpb_proxy_connections_refused_total{reason="queue-timeout"} 1');
  });

  it('the bound holds under a flood: --queue-max wait, the rest are closed at once as queue-full', async () => {
    const up = await restartable();
    await up.stop();
    const p = await proxy([`127.0.0.1:${up.port}`], {
      queueTimeout: 10_000,
      queueMax: 5,
      metricsPort: 0,
    });
    const sockets = await Promise.all(Array.from({ length: 60 }, () => connectTo(p.port)));
    const outcomes = sockets.map((s, i) => {
      s.write(`flood ${i}`);
      s.end();
      return collect(s);
    });
    await waitFor(
      () => p.proxy.stats().pools[0]?.queue.dropped['queue-full'] === 55,
      '55 refusals',
    );
    const stats = p.proxy.stats();
    expect(stats.connections.queued).toBe(5);
    expect(stats.connections.active).toBe(5); // held connections are open connections
    const text = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
    expect(text).toContain('tcpb_proxy_queue_length{pool="default"} 5');
    expect(text).toContain('tcpb_proxy_connections_refused_total{reason="queue-full"} 55');
    await up.start();
    const results = await Promise.all(outcomes);
    const ok = results.filter((r) => r.data.toString().startsWith('flood'));
    expect(ok).toHaveLength(5);
    expect(results.filter((r) => r.data.length === 0)).toHaveLength(55);
  });

  it('held connections count toward --max-conns', async () => {
    const p = await proxy([`127.0.0.1:${await deadPort()}`], { queueTimeout: 10_000, maxConns: 3 });
    const held = await Promise.all([1, 2, 3].map(() => connectTo(p.port)));
    await waitFor(() => p.proxy.stats().connections.queued === 3, 'three held');
    const out = await collect(await connectTo(p.port));
    expect(out.data.length).toBe(0);
    expect(p.proxy.stats().connections).toMatchObject({ active: 3, queued: 3 });
    expect(await p.proxy.metrics.registry.metrics()).toContain(
      'tcpb_proxy_connections_refused_total{reason="max-conns"} 1',
    );
    for (const s of held) s.destroy();
  });

  it('a drain closes the queue first: held clients are closed at once, open ones finish', async () => {
    const live = await cleanup.echo();
    const p = await proxy([`127.0.0.1:${live.port}`], {
      queueTimeout: 10_000,
      upstreamMaxConns: 1,
      drainTimeout: 5000,
    });
    const open = await connectTo(p.port);
    open.write('a');
    await new Promise((r) => open.once('data', r));
    const waiting = await connectTo(p.port);
    const waitingOut = collect(waiting);
    await waitFor(() => p.proxy.stats().connections.queued === 1, 'one held');
    const t0 = Date.now();
    const closing = p.proxy.close();
    const out = await waitingOut;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(out.data.length).toBe(0);
    expect(p.proxy.stats().pools[0]?.queue.dropped.draining).toBe(1);
    // The established connection is still relayed during the drain.
    const rest = collect(open);
    open.end('b');
    expect((await rest).data.toString()).toBe('b');
    await closing;
  });
});

describe('the wait queue: upstreams at their limit (--upstream-max-conns)', () => {
  it('a connection waits for a slot and gets the next one freed, in arrival order', async () => {
    const live = await cleanup.echo();
    const p = await proxy([`127.0.0.1:${live.port}`], {
      upstreamMaxConns: 1,
      queueTimeout: 5000,
    });
    const first = await connectTo(p.port);
    first.write('1');
    await new Promise((r) => first.once('data', r));
    const second = served(p.port, 'second');
    await waitFor(() => p.proxy.stats().connections.queued === 1, 'second held');
    const third = served(p.port, 'third');
    await waitFor(() => p.proxy.stats().connections.queued === 2, 'third held');
    await sleep(100);
    expect(live.accepted).toBe(1);
    const t0 = performance.now();
    first.end();
    const [a, b] = await Promise.all([second, third]);
    expect(a.data).toBe('second');
    expect(b.data).toBe('third');
    expect(a.at).toBeLessThan(b.at);
    expect(a.at - t0).toBeLessThan(1000);
    expect(live.accepted).toBe(3);
  });
});

describe('the fast path and recovery', () => {
  it('with another upstream up, nothing waits: no queueing, no added latency', async () => {
    const a = await restartable();
    const b = await cleanup.echo();
    const p = await proxy([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`], {
      healthInterval: 60_000,
      healthFall: 1,
    });
    await a.stop();
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      expect((await served(p.port, `x${i}`)).data).toBe(`x${i}`);
      expect(performance.now() - t0).toBeLessThan(1000);
    }
    expect(p.proxy.stats().pools[0]?.queue.entered).toBe(0);
  });

  it('a down upstream is checked every --health-downinter, not every --health-interval', async () => {
    const other = await cleanup.echo();
    const { up, p } = await upstreamCheckedDown(
      { healthInterval: 5000, healthDownInterval: 100, healthFastInterval: 50, healthRise: 2 },
      [other],
    );
    const backAt = await up.start();
    await waitFor(() => p.proxy.stats().upstreams[0]?.state === 'up', 'back up', 3000);
    // rise 2: one downinter (100 ms) to the first pass, one fastinter (50 ms) to the second.
    expect(performance.now() - backAt).toBeLessThan(2500);
    expect(p.proxy.stats().upstreams[0]?.checks.slice(-2)).toEqual([1, 1]);
  });

  it('a successful connection brings a down upstream back at once', async () => {
    // Checks are far apart: only the queue's probe can see the server come back.
    const { up, p } = await upstreamCheckedDown({
      healthInterval: 60_000,
      healthRise: 5,
      queueTimeout: 5000,
    });
    const client = served(p.port, 'waiting');
    await waitFor(() => p.proxy.stats().connections.queued === 1, 'held');
    await up.start();
    expect((await client).data).toBe('waiting');
    expect(p.proxy.stats().upstreams[0]?.state).toBe('up');
    const line = p.logs.find((l) => l.msg === 'upstream up');
    expect(line?.why).toMatch(/probe/);
  });

  it('a new address from DNS starts as checking, and its first check decides', async () => {
    const a = await cleanup.echo();
    let answer = [{ address: '127.0.0.1', family: 4 }];
    const p = await proxy(
      [`names.test:${a.port}`],
      { healthInterval: 60_000, dnsInterval: 60_000 },
      { resolver: async () => answer },
    );
    answer = [
      { address: '127.0.0.1', family: 4 },
      { address: '127.0.0.3', family: 4 }, // nothing listens there on that port
    ];
    await p.proxy.pool.refresh();
    expect(p.proxy.stats().upstreams.map((u) => u.state)).toEqual(['up', 'checking']);
    await p.proxy.health.checkAll();
    expect(p.proxy.stats().upstreams.map((u) => u.state)).toEqual(['up', 'down']);
  });
});

describe('DNS failures are reported, not repeated', () => {
  it('a name that does not resolve: one warning with the cause, then no more for a while', async () => {
    const a = await cleanup.echo();
    const resolver = async (host: string) => {
      if (host === 'nowhere.invalid')
        throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), {
          code: 'ENOTFOUND',
        });
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const p = await proxy(
      [`nowhere.invalid:${a.port}`, `127.0.0.1:${a.port}`],
      { dnsInterval: 20 },
      { resolver },
    );
    await sleep(300);
    const lines = p.logs.filter(
      (l) => String(l.msg).startsWith('upstream host name') || String(l.msg).startsWith('dns'),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      msg: 'upstream host name does not resolve',
      upstream: `nowhere.invalid:${a.port}`,
      cause: 'getaddrinfo ENOTFOUND nowhere.invalid',
    });
    expect(lines[0]?.err).toBeUndefined();
    expect((await served(p.port, 'still')).data).toBe('still');
  });
});
