import { sleep, waitFor } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';
import { testCleanup } from './helpers/cleanup.js';
import { collect, connectTo, exchange, randomBytesFast } from './helpers/clients.js';
import { connectionLogs } from './helpers/proxy.js';
import { startEchoServer, startServer, startSinkServer } from './helpers/servers.js';

const cleanup = testCleanup();
const { proxy, track: server } = cleanup;

describe('--max-conns', () => {
  it('closes connections beyond the limit at once, counts them, and accepts again below it', async () => {
    const echo = await server(startEchoServer());
    const p = await proxy([`127.0.0.1:${echo.port}`], { maxConns: 2, metricsPort: 0 });
    const a = await connectTo(p.port);
    const b = await connectTo(p.port);
    a.write('a');
    b.write('b');
    await Promise.all([
      new Promise((r) => a.once('data', r)),
      new Promise((r) => b.once('data', r)),
    ]);
    const t0 = Date.now();
    const out = await collect(await connectTo(p.port));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(out.data.length).toBe(0);
    expect(p.proxy.stats().connections).toMatchObject({ active: 2, refused: 1 });
    const metrics = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
    expect(metrics).toContain('tcpb_proxy_connections_refused_total{reason="max-conns"} 1');
    expect(metrics).toContain('tcpb_proxy_connections_active 2');
    a.end();
    await collect(a);
    await waitFor(() => p.proxy.stats().connections.active === 1, 'a slot to free up');
    expect((await exchange(p.port, Buffer.from('again'))).data.toString()).toBe('again');
    b.destroy();
  });
});

describe('--idle-timeout', () => {
  it('closes a connection with no traffic either way', async () => {
    const echo = await server(startEchoServer());
    const p = await proxy([`127.0.0.1:${echo.port}`], { idleTimeout: 300 });
    const s = await connectTo(p.port);
    const t0 = Date.now();
    const out = await collect(s);
    const took = Date.now() - t0;
    expect(out.how).toBe('end');
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(1500);
    await waitFor(() => connectionLogs(p.logs).length === 1, 'log');
    expect(connectionLogs(p.logs)[0]).toMatchObject({ reason: 'idle-timeout' });
  });

  it('is reset by traffic in either direction', async () => {
    // Client → upstream only (the sink never answers) …
    const sink = await server(startSinkServer());
    // … and upstream → client only (a ticker that never reads).
    const ticker = await server(
      startServer((socket) => {
        const t = setInterval(() => socket.write('t'), 80);
        socket.on('close', () => clearInterval(t));
      }),
    );
    const p1 = await proxy([`127.0.0.1:${sink.port}`], { idleTimeout: 300 });
    const p2 = await proxy([`127.0.0.1:${ticker.port}`], { idleTimeout: 300 });
    const up = await connectTo(p1.port);
    const down = await connectTo(p2.port);
    down.resume();
    const writer = setInterval(() => up.write('u'), 80);
    await sleep(1200);
    clearInterval(writer);
    expect(p1.proxy.stats().connections.active).toBe(1);
    expect(p2.proxy.stats().connections.active).toBe(1);
    up.destroy();
    down.destroy();
  });
});

describe('close(): drain', () => {
  it('stops accepting, lets transfers in flight finish, then resolves', async () => {
    const sink = await server(startSinkServer({ reply: (n) => `${n}` }));
    const p = await proxy([`127.0.0.1:${sink.port}`], { drainTimeout: 5000 });
    const s = await connectTo(p.port);
    const result = collect(s);
    s.write(randomBytesFast(100_000));
    await waitFor(() => (sink.received[0]?.bytes ?? 0) > 0, 'transfer started');
    const closed = p.proxy.close();
    await sleep(50);
    // No longer listening.
    await expect(connectTo(p.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    s.end(randomBytesFast(100_000, 2));
    expect((await result).data.toString()).toBe('200000');
    await closed;
    expect(connectionLogs(p.logs)[0]).toMatchObject({ reason: 'closed', bytesIn: 200_000 });
  });

  it('closes what is still open when --drain-timeout expires', async () => {
    const echo = await server(startEchoServer());
    const p = await proxy([`127.0.0.1:${echo.port}`], { drainTimeout: 300 });
    const s = await connectTo(p.port);
    s.write('x');
    await new Promise((r) => s.once('data', r));
    const out = collect(s);
    const t0 = Date.now();
    await p.proxy.close();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(Date.now() - t0).toBeLessThan(2000);
    await out;
    expect(connectionLogs(p.logs)[0]).toMatchObject({ reason: 'shutdown' });
  });
});

describe('metrics endpoints', () => {
  it('/metrics has every documented family, /stats has each upstream, unknown paths 404', async () => {
    const echo = await server(startEchoServer());
    const p = await proxy([`127.0.0.1:${echo.port}@3`], { metricsPort: 0 });
    await exchange(p.port, Buffer.from('12345'));
    await waitFor(() => p.proxy.stats().connections.active === 0, 'closed');
    const base = `http://127.0.0.1:${p.metricsPort}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const up = `upstream="127.0.0.1:${echo.port}"`;
    for (const line of [
      'tcpb_proxy_connections_active 0',
      'tcpb_proxy_connections_total 1',
      `tcpb_proxy_upstream_connections_total{${up}} 1`,
      `tcpb_proxy_upstream_connections_active{${up}} 0`,
      `tcpb_proxy_upstream_bytes_total{${up},direction="to_upstream"} 5`,
      `tcpb_proxy_upstream_bytes_total{${up},direction="from_upstream"} 5`,
      `tcpb_proxy_upstream_up{${up}} 1`,
      'tcpb_proxy_connection_duration_seconds_count{reason="closed"} 1',
      'tcpb_proxy_retries_total 0',
    ]) {
      expect(metrics).toContain(line);
    }
    expect(metrics).toContain('# TYPE tcpb_proxy_upstream_connect_failures_total counter');
    const stats = (await (await fetch(`${base}/stats`)).json()) as {
      upstreams: Record<string, unknown>[];
    };
    expect(stats.upstreams[0]).toMatchObject({
      address: `127.0.0.1:${echo.port}`,
      state: 'up',
      active: 0,
      total: 1,
      failures: 0,
      weight: 3,
    });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
