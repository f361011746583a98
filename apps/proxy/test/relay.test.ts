import { readFileSync } from 'node:fs';
import { sleep, waitFor } from '@tcpbalancer/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCleanup } from './helpers/cleanup.js';
import { collect, connectTo, exchange, randomBytesFast } from './helpers/clients.js';
import { connectionLogs, type RunningProxy, startProxy } from './helpers/proxy.js';
import {
  sha256,
  startEchoServer,
  startSinkServer,
  startSourceServer,
  type TestServer,
  writeAll,
} from './helpers/servers.js';

/** Sockets in CLOSE_WAIT (state 08) whose local or remote port is one of `ports`. */
function closeWaitCount(ports: number[]): number {
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '08') continue;
      const local = Number.parseInt(f[1]?.split(':')[1] ?? '', 16);
      const remote = Number.parseInt(f[2]?.split(':')[1] ?? '', 16);
      if (ports.includes(local) || ports.includes(remote)) n++;
    }
  }
  return n;
}

describe('relay: byte-exact both ways', () => {
  let echo: TestServer;
  let p: RunningProxy;
  beforeAll(async () => {
    echo = await startEchoServer();
    p = await startProxy([`127.0.0.1:${echo.port}`]);
  });
  afterAll(async () => {
    await p.close();
    await echo.close();
  });

  it.each([0, 1, 1000, 65_536, 1_000_003])('echoes %i bytes exactly', async (n) => {
    const payload = randomBytesFast(n, n + 7);
    const out = await exchange(p.port, payload);
    expect(out.how).toBe('end');
    expect(out.data.length).toBe(n);
    expect(out.data.equals(payload)).toBe(true);
  });

  it('echoes 64 MiB exactly', async () => {
    const payload = randomBytesFast(64 * 1024 * 1024, 42);
    const out = await exchange(p.port, payload);
    expect(out.data.length).toBe(payload.length);
    expect(sha256(out.data)).toBe(sha256(payload));
  });

  it('keeps 20 concurrent connections apart', async () => {
    const payloads = Array.from({ length: 20 }, (_, i) => randomBytesFast(200_000 + i, i + 1));
    const outs = await Promise.all(payloads.map((pl) => exchange(p.port, pl)));
    outs.forEach((o, i) => {
      expect(o.data.equals(payloads[i] as Buffer)).toBe(true);
    });
  });

  it('logs one line per connection with client, upstream, bytes, duration and reason', async () => {
    const before = connectionLogs(p.logs).length;
    await exchange(p.port, Buffer.from('hello'));
    await waitFor(() => connectionLogs(p.logs).length > before, 'the connection log line');
    const line = connectionLogs(p.logs).at(-1) as Record<string, unknown>;
    expect(line).toMatchObject({
      upstream: `127.0.0.1:${echo.port}`,
      bytesIn: 5,
      bytesOut: 5,
      reason: 'closed',
    });
    expect(line.client).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(typeof line.durationMs).toBe('number');
  });
});

describe('relay: server speaks first, half-close', () => {
  const servers: TestServer[] = [];
  const proxies: RunningProxy[] = [];
  afterAll(async () => {
    for (const p of proxies) await p.close();
    for (const s of servers) await s.close();
  });

  it('delivers a greeting the upstream sends before the client says anything', async () => {
    const banner = randomBytesFast(300_000, 9);
    const src = await startSourceServer(banner);
    servers.push(src);
    const p = await startProxy([`127.0.0.1:${src.port}`]);
    proxies.push(p);
    const s = await connectTo(p.port);
    const out = await collect(s);
    expect(out.data.equals(banner)).toBe(true);
  });

  it('client half-closes: its FIN reaches the upstream, the answer still comes back', async () => {
    const sink = await startSinkServer({ reply: (n) => `got ${n} bytes` });
    servers.push(sink);
    const p = await startProxy([`127.0.0.1:${sink.port}`]);
    proxies.push(p);
    const out = await exchange(p.port, randomBytesFast(123_457));
    expect(out.how).toBe('end');
    expect(out.data.toString()).toBe('got 123457 bytes');
  });

  it('upstream half-closes: the client gets its FIN and can keep sending', async () => {
    let serverGot = 0;
    let serverSawEnd = false;
    const greeting = Buffer.from('hello, then FIN from me');
    const src = await startSourceServer((socket) => {
      socket.on('data', (c: Buffer) => {
        serverGot += c.length;
      });
      socket.on('end', () => {
        serverSawEnd = true;
      });
      socket.end(greeting); // our FIN first; we keep reading
    });
    servers.push(src);
    const p = await startProxy([`127.0.0.1:${src.port}`]);
    proxies.push(p);
    const s = await connectTo(p.port);
    const gotEnd = new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.once('end', () => resolve(Buffer.concat(chunks)));
    });
    expect((await gotEnd).equals(greeting)).toBe(true);
    // The upstream's FIN arrived; our direction is still open.
    await writeAll(s, randomBytesFast(500_000));
    s.end();
    await waitFor(() => serverSawEnd, 'upstream sees the client FIN');
    expect(serverGot).toBe(500_000);
    await waitFor(() => p.proxy.stats().connections.active === 0, 'connection job ended');
  });

  it('leaves no socket in CLOSE_WAIT after many half-closed exchanges', async () => {
    const sink = await startSinkServer({ reply: () => 'ok' });
    const echo = await startEchoServer();
    servers.push(sink, echo);
    const p = await startProxy([`127.0.0.1:${sink.port}`, `127.0.0.1:${echo.port}`]);
    proxies.push(p);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => exchange(p.port, randomBytesFast(10_000, i + 1))),
    );
    await waitFor(() => p.proxy.stats().connections.active === 0, 'all jobs ended');
    await sleep(100);
    expect(closeWaitCount([p.port, sink.port, echo.port])).toBe(0);
  });
});

/**
 * Polls `bytesMoved` every 150 ms until it stops growing (a sender stalled on full buffers);
 * resolves with where it stopped.
 */
async function untilStalled(bytesMoved: () => number, what: string): Promise<number> {
  let last = -1;
  await waitFor(
    async () => {
      await sleep(150);
      const now = bytesMoved();
      const stalled = now === last && now > 0;
      last = now;
      return stalled;
    },
    what,
    15_000,
  );
  return last;
}

describe('relay: backpressure bounds what the proxy buffers', () => {
  const cleanup = testCleanup();

  it('a paused upstream reader and a 100 MiB client sender: bounded, then complete', async () => {
    const sink = await cleanup.track(startSinkServer({ paused: true }));
    const p = await cleanup.proxy([`127.0.0.1:${sink.port}`]);
    const proxy = p.proxy;
    const payload = randomBytesFast(100 * 1024 * 1024, 5);
    const s = await connectTo(p.port);
    const sent = writeAll(s, payload).then(() => s.end());
    // Let the sender fill every buffer on the way until it stalls.
    const last = await untilStalled(
      () => proxy.stats().upstreams[0]?.bytesToUpstream ?? 0,
      'the sender to stall',
    );
    const { buffered } = proxy.stats().connections;
    // Documented bound: 2 × (64 KiB + 16 KiB) per direction; kernel buffers hold the rest.
    expect(buffered).toBeLessThanOrEqual(320 * 1024);
    expect(last).toBeLessThan(payload.length / 2);
    const conn = sink.received[0];
    conn?.socket.resume();
    await sent;
    await waitFor(() => conn?.sha256 !== undefined, 'the sink to get everything', 20_000);
    expect(conn?.bytes).toBe(payload.length);
    expect(conn?.sha256).toBe(sha256(payload));
    s.destroy();
  });

  it('a paused client reader and a 100 MiB upstream sender: bounded, then complete', async () => {
    const payload = randomBytesFast(100 * 1024 * 1024, 6);
    const src = await cleanup.track(startSourceServer(payload));
    const p = await cleanup.proxy([`127.0.0.1:${src.port}`]);
    const s = await connectTo(p.port);
    s.pause();
    const last = await untilStalled(
      () => p.proxy.stats().upstreams[0]?.bytesFromUpstream ?? 0,
      'the upstream sender to stall',
    );
    expect(p.proxy.stats().connections.buffered).toBeLessThanOrEqual(320 * 1024);
    expect(last).toBeLessThan(payload.length / 2);
    const out = collect(s);
    s.resume();
    const { data } = await out;
    expect(data.length).toBe(payload.length);
    expect(sha256(data)).toBe(sha256(payload));
  });
});
