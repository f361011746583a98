import { sleep, waitFor } from '@tcpbalancer/test-kit';
import { describe, expect, it, type TestContext } from 'vitest';
import { testCleanup } from './helpers/cleanup.js';
import { collect, connectTo, exchange } from './helpers/clients.js';
import { connectionLogs } from './helpers/proxy.js';
import { blackholePort, deadPort, startServer } from './helpers/servers.js';

const cleanup = testCleanup();
const { proxy, echo } = cleanup;

/** A port whose connects hang, closed after the test; the test is skipped where none can be made. */
async function blackhole(ctx: TestContext) {
  const hole = await blackholePort();
  // Without python3 nothing here can hang a connect on loopback: say so, don't pass silently.
  if (!hole) return ctx.skip();
  cleanup.defer(() => hole.close());
  return hole;
}

describe('connect failures', () => {
  it('fails over to the next upstream; every client is served; the dead one is counted and taken out', async () => {
    const dead = await deadPort();
    const live = await echo();
    const p = await proxy([`127.0.0.1:${dead}`, `127.0.0.1:${live.port}`], {
      healthInterval: 60_000,
      healthFall: 3,
    });
    for (let i = 0; i < 10; i++) {
      const out = await exchange(p.port, Buffer.from(`ping ${i}`));
      expect(out.data.toString()).toBe(`ping ${i}`);
    }
    const [d, l] = p.proxy.stats().upstreams;
    expect(d).toMatchObject({ address: `127.0.0.1:${dead}`, state: 'down', failures: 3 });
    expect(l).toMatchObject({ state: 'up', total: 10 });
    const metrics = await p.proxy.metrics.registry.metrics();
    expect(metrics).toMatch(/tcpb_proxy_retries_total 3/);
    expect(metrics).toContain(
      `tcpb_proxy_upstream_connect_failures_total{upstream="127.0.0.1:${dead}"} 3`,
    );
  });

  it('a connect timeout counts as a failure and moves on', async (ctx) => {
    const hole = await blackhole(ctx);
    const live = await echo();
    const p = await proxy([`127.0.0.1:${hole.port}`, `127.0.0.1:${live.port}`], {
      connectTimeout: 300,
    });
    const t0 = Date.now();
    const out = await exchange(p.port, Buffer.from('x'));
    expect(out.data.toString()).toBe('x');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(p.proxy.stats().upstreams[0]).toMatchObject({ failures: 1 });
    const warn = p.logs.find((l) => l.msg === 'upstream connect failed') as {
      err?: { message?: string };
    };
    expect(warn?.err?.message).toMatch(/timed out after 300 ms/);
  });

  it('a client reset while the upstream connect is pending cancels the attempt at once', async (ctx) => {
    const hole = await blackhole(ctx);
    const p = await proxy([`127.0.0.1:${hole.port}`], { connectTimeout: 10_000 });
    const s = await connectTo(p.port);
    await waitFor(() => p.proxy.stats().upstreams[0]?.active === 1, 'the connect attempt');
    s.resetAndDestroy();
    const t0 = Date.now();
    await waitFor(() => p.proxy.stats().connections.active === 0, 'the job to end');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(p.proxy.stats().upstreams[0]).toMatchObject({ active: 0, failures: 0 });
    expect(connectionLogs(p.logs)[0]).toMatchObject({ reason: 'client-error', upstream: null });
  });

  it('client bytes sent while the upstream connect is pending are buffered only up to a bound', async (ctx) => {
    const hole = await blackhole(ctx);
    const p = await proxy([`127.0.0.1:${hole.port}`], { connectTimeout: 10_000 });
    const s = await connectTo(p.port);
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024);
    // Write until our own socket pushes back, then wait for the kernel buffers to fill.
    for (let i = 0; i < 400 && s.write(chunk); i++) written += chunk.length;
    await sleep(300);
    expect(p.proxy.stats().upstreams[0]?.active).toBe(1); // still connecting
    expect(p.proxy.stats().connections.buffered).toBeLessThanOrEqual(80 * 1024);
    expect(written).toBeGreaterThan(0);
    s.destroy();
  });

  it('all upstreams down, queue off: the client is closed at once, and it is logged and counted', async () => {
    const p = await proxy([`127.0.0.1:${await deadPort()}`, `127.0.0.1:${await deadPort()}`], {
      retries: 5,
      queueTimeout: 0,
    });
    const t0 = Date.now();
    const s = await connectTo(p.port);
    const out = await collect(s);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(out.data.length).toBe(0);
    await waitFor(() => connectionLogs(p.logs).length === 1, 'the log line');
    expect(connectionLogs(p.logs)[0]).toMatchObject({
      reason: 'no-upstream',
      upstream: null,
      attempts: 2,
    });
    expect(p.proxy.stats().connections).toMatchObject({ active: 0, refused: 1 });
    expect(await p.proxy.metrics.registry.metrics()).toContain(
      'tcpb_proxy_connections_refused_total{reason="no-upstream"} 1',
    );
  });
});

describe('resets', () => {
  it('an upstream reset mid-stream resets the client; the proxy carries on', async () => {
    let got = 0;
    const rude = await startServer((socket) => {
      socket.on('data', (c: Buffer) => {
        got += c.length;
        if (got > 100_000) socket.resetAndDestroy();
      });
    });
    cleanup.defer(() => rude.close());
    const good = await echo();
    const p = await proxy([`127.0.0.1:${rude.port}`, `127.0.0.1:${good.port}`], {
      strategy: 'round-robin',
    });
    const s = await connectTo(p.port);
    const outcome = collect(s);
    const chunk = Buffer.alloc(16 * 1024);
    const writer = (async () => {
      for (let i = 0; i < 100 && !s.destroyed; i++) {
        s.write(chunk);
        await sleep(1);
      }
    })();
    const out = await outcome;
    await writer;
    expect(out.how).toBe('error');
    expect(out.error).toBe('ECONNRESET');
    await waitFor(() => connectionLogs(p.logs).length === 1, 'the log line');
    expect(connectionLogs(p.logs)[0]).toMatchObject({ reason: 'upstream-error' });
    // The next connection (round-robin: the good upstream) is unaffected.
    expect((await exchange(p.port, Buffer.from('still here'))).data.toString()).toBe('still here');
  });

  it('a client reset closes the upstream connection', async () => {
    let upstreamClosed = false;
    let upstreamError: string | undefined;
    const srv = await startServer((socket) => {
      socket.on('error', (e: NodeJS.ErrnoException) => {
        upstreamError = e.code;
      });
      socket.on('close', () => {
        upstreamClosed = true;
      });
      socket.write('hello');
    });
    cleanup.defer(() => srv.close());
    const p = await proxy([`127.0.0.1:${srv.port}`]);
    const s = await connectTo(p.port);
    await new Promise((r) => s.once('data', r));
    s.resetAndDestroy();
    await waitFor(() => upstreamClosed, 'the upstream socket to close');
    expect(upstreamError).toBe('ECONNRESET');
    await waitFor(() => p.proxy.stats().connections.active === 0, 'job end');
    expect(connectionLogs(p.logs)[0]).toMatchObject({ reason: 'client-error' });
  });
});
