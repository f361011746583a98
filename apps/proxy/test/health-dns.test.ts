import { waitFor } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';
import type { ResolvedAddress } from '../src/index.js';
import { testCleanup } from './helpers/cleanup.js';
import { collect, connectTo, exchange } from './helpers/clients.js';
import { startEchoServer, startServer, type TestServer } from './helpers/servers.js';

const cleanup = testCleanup();
const { proxy } = cleanup;

async function healthz(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  await res.text();
  return res.status;
}

describe('active health checks', () => {
  it('take a dead upstream out after --health-fall checks and bring it back after --health-rise', async () => {
    let a: TestServer | undefined = await startEchoServer();
    const port = a.port;
    cleanup.defer(async () => a?.close());
    const p = await proxy([`127.0.0.1:${port}`], {
      healthInterval: 50,
      healthFall: 2,
      healthRise: 3,
      metricsPort: 0,
      queueTimeout: 0, // this test is about checks: no queue, no probes
    });
    const mp = p.metricsPort as number;
    expect(await healthz(mp)).toBe(200);
    await a.close();
    a = undefined;
    await waitFor(
      () => p.proxy.stats().upstreams[0]?.state === 'down',
      'the upstream to go down',
      3000,
    );
    expect(await healthz(mp)).toBe(503);
    expect(await (await fetch(`http://127.0.0.1:${mp}/metrics`)).text()).toContain(
      `tcpb_proxy_upstream_up{upstream="127.0.0.1:${port}"} 0`,
    );
    // Down: clients are closed at once, nothing is attempted.
    const out = await collect(await connectTo(p.port));
    expect(out.data.length).toBe(0);
    expect(p.proxy.stats().upstreams[0]?.failures).toBe(0);
    // Back on the same port: up again after 3 good checks.
    a = await startEchoServer({ port });
    const t0 = Date.now();
    await waitFor(
      () => p.proxy.stats().upstreams[0]?.state === 'up',
      'the upstream to come back',
      3000,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(80); // rise 3 × 50 ms, first check may be immediate
    expect(await healthz(mp)).toBe(200);
    expect((await exchange(p.port, Buffer.from('back'))).data.toString()).toBe('back');
    const changes = p.logs
      .filter((l) => l.msg === 'upstream down' || l.msg === 'upstream up')
      .map((l) => l.msg);
    expect(changes).toEqual(['upstream down', 'upstream up']);
  });

  it('passive: consecutive connect failures take an upstream out until checks pass again', async () => {
    const good = await cleanup.echo();
    let flaky: TestServer | undefined = await startEchoServer();
    const flakyPort = flaky.port;
    await flaky.close();
    flaky = undefined;
    cleanup.defer(async () => flaky?.close());
    // A long interval: after the first round at start, only real traffic can take it down.
    const p = await proxy([`127.0.0.1:${flakyPort}`, `127.0.0.1:${good.port}`], {
      healthInterval: 60_000,
      healthFall: 2,
      healthRise: 1,
    });
    for (let i = 0; i < 6; i++)
      expect((await exchange(p.port, Buffer.from('x'))).data.toString()).toBe('x');
    expect(p.proxy.stats().upstreams[0]).toMatchObject({ state: 'down', failures: 2 });
    const why = p.logs.find((l) => l.msg === 'upstream down')?.why;
    expect(why).toMatch(/2 consecutive connect failures/);
    // Stays out (no more attempts) until a check passes.
    for (let i = 0; i < 4; i++) await exchange(p.port, Buffer.from('x'));
    expect(p.proxy.stats().upstreams[0]?.failures).toBe(2);
    flaky = await startEchoServer({ port: flakyPort });
    await p.proxy.health.checkAll();
    expect(p.proxy.stats().upstreams[0]?.state).toBe('up');
    await exchange(p.port, Buffer.from('x'));
    await exchange(p.port, Buffer.from('x'));
    expect(flaky.accepted).toBeGreaterThanOrEqual(2); // one check, at least one client
  });
});

describe('DNS', () => {
  it('resolves names to every address (both families), follows changes, drains vanished addresses', async () => {
    // The same port on 127.0.0.1 and ::1: two endpoints of one name.
    const v4 = await startEchoServer({ host: '127.0.0.1' });
    cleanup.defer(() => v4.close());
    const v6 = await startEchoServer({ host: '::1', port: v4.port }).catch(() => undefined);
    if (!v6) return; // no IPv6 loopback here
    expect.hasAssertions();
    cleanup.defer(() => v6.close());
    let answer: ResolvedAddress[] = [{ address: '127.0.0.1', family: 4 }];
    const asked: string[] = [];
    let failing = false;
    const resolver = async (host: string) => {
      asked.push(host);
      if (failing) throw Object.assign(new Error('SERVFAIL'), { code: 'ESERVFAIL' });
      return answer;
    };
    const p = await proxy([`backends.test:${v4.port}`], { dnsInterval: 60_000 }, { resolver });
    expect(asked).toEqual(['backends.test']);
    expect(p.proxy.stats().upstreams.map((u) => u.address)).toEqual([`127.0.0.1:${v4.port}`]);

    // A new address joins.
    answer = [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ];
    await p.proxy.pool.refresh();
    expect(p.proxy.stats().upstreams.map((u) => u.address)).toEqual([
      `127.0.0.1:${v4.port}`,
      `[::1]:${v4.port}`,
    ]);
    for (let i = 0; i < 4; i++) await exchange(p.port, Buffer.from('hi'));
    expect([v4.accepted, v6.accepted]).toEqual([2, 2]);

    // Hold a connection on 127.0.0.1 (round-robin: next pick is it), then the address vanishes.
    const held = await connectTo(p.port);
    held.write('a');
    await new Promise((r) => held.once('data', r));
    expect(v4.accepted).toBe(3);
    answer = [{ address: '::1', family: 6 }];
    await p.proxy.pool.refresh();
    expect(p.proxy.stats().upstreams.find((u) => u.address.startsWith('127'))?.state).toBe(
      'removed',
    );
    for (let i = 0; i < 3; i++) await exchange(p.port, Buffer.from('hi'));
    expect([v4.accepted, v6.accepted]).toEqual([3, 5]);
    // The held connection still works; when it ends, the vanished endpoint is dropped.
    held.write('still');
    const rest = collect(held);
    held.end();
    expect((await rest).data.toString()).toBe('still');
    await waitFor(
      () => p.proxy.stats().upstreams.length === 1,
      'the vanished endpoint to be dropped',
    );

    // A failed or empty lookup keeps the last good answer.
    failing = true;
    await p.proxy.pool.refresh();
    failing = false;
    answer = [];
    await p.proxy.pool.refresh();
    expect(p.proxy.stats().upstreams.map((u) => u.address)).toEqual([`[::1]:${v4.port}`]);
    // Reported once with its cause (not a stack), not once per failed lookup.
    const warned = p.logs.filter(
      (l) => l.msg === 'dns resolution failed, keeping previous addresses',
    );
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ cause: 'ESERVFAIL: SERVFAIL' });
    expect(warned[0]?.err).toBeUndefined();
  });

  it('takes IPv6 literals as [addr]:port', async () => {
    const v6 = await startEchoServer({ host: '::1' }).catch(() => undefined);
    if (!v6) return;
    cleanup.defer(() => v6.close());
    const p = await proxy([`[::1]:${v6.port}`]);
    expect((await exchange(p.port, Buffer.from('six'))).data.toString()).toBe('six');
    expect(p.proxy.stats().upstreams[0]?.address).toBe(`[::1]:${v6.port}`);
  });

  it('re-resolves on its own every --dns-interval', async () => {
    const srv = await startServer((s) => s.end('ok'));
    cleanup.defer(() => srv.close());
    let calls = 0;
    const resolver = async () => {
      calls++;
      return [{ address: '127.0.0.1', family: 4 }];
    };
    await proxy([`svc.test:${srv.port}`], { dnsInterval: 50 }, { resolver });
    await waitFor(() => calls >= 4, 'periodic re-resolution', 3000);
  });
});
