import { sleep, waitFor } from '@tcpbalancer/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { collect, connectTo, exchange, randomBytesFast } from './helpers/clients.js';
import {
  type SinkServer,
  startEchoServer,
  startSinkServer,
  type TestServer,
} from './helpers/servers.js';
import { inFrontOf, killAll, runProxy, spawnProxy } from './helpers/spawn.js';

afterEach(() => killAll());

describe('the bin: flags', () => {
  it('a bad flag exits 2 with one line naming it', async () => {
    const r = await runProxy(['-u', '127.0.0.1:1', '--strategy', 'fastest']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--strategy/);
  });

  it('a bad env value exits 2 naming the variable', async () => {
    const r = await runProxy([], { TCPB_UPSTREAM: '127.0.0.1:1', TCPB_PORT: 'eighty' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TCPB_PORT/);
  });

  it('--help lists flags with env vars and exits 0', async () => {
    const r = await runProxy(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--upstream');
    expect(r.stdout).toContain('TCPB_PROXY_DRAIN_TIMEOUT');
  });
});

describe('the bin: SIGTERM drains', () => {
  let sink: SinkServer;
  let echo: TestServer;
  afterAll(async () => {
    await sink?.close();
    await echo?.close();
  });

  it('stops accepting, lets transfers in flight complete, exits 0', async () => {
    sink = await startSinkServer({ reply: (n) => `${n}` });
    const p = await spawnProxy(
      inFrontOf(`127.0.0.1:${sink.port}`, '--drain-timeout', '8000', '--health-interval', '0'),
    );
    const total = 4 * 1024 * 1024;
    const chunk = randomBytesFast(256 * 1024);
    const transfers = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const s = await connectTo(p.port);
        const result = collect(s);
        // Paced: ~1 s per transfer, so SIGTERM lands in the middle.
        const writing = (async () => {
          for (let sent = 0; sent < total; sent += chunk.length) {
            s.write(chunk);
            await sleep(60);
          }
          s.end();
        })();
        return { result, writing };
      }),
    );
    await waitFor(
      () => sink.received.length === 3 && sink.received.every((r) => r.bytes > 0),
      'transfers to start',
    );
    p.proc.kill('SIGTERM');
    await sleep(200);
    await expect(connectTo(p.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    for (const t of transfers) {
      await t.writing;
      const out = await t.result;
      expect(out.data.toString()).toBe(String(total));
    }
    expect(await p.exited).toBe(0);
    const msgs = p.logs.map((l) => l.msg);
    expect(msgs).toContain('shutting down');
    expect(msgs).toContain('draining');
    expect(msgs.at(-1)).toBe('closed');
    expect(
      p.logs.filter((l) => l.msg === 'connection closed' && l.reason === 'closed'),
    ).toHaveLength(3);
  });

  it('closes what is left at --drain-timeout and still exits 0', async () => {
    echo = await startEchoServer();
    const p = await spawnProxy(inFrontOf(`127.0.0.1:${echo.port}`, '--drain-timeout', '300'));
    const s = await connectTo(p.port);
    s.write('x');
    await new Promise((r) => s.once('data', r));
    const out = collect(s);
    const t0 = Date.now();
    p.proc.kill('SIGINT');
    expect(await p.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    await out;
    expect(p.logs.some((l) => l.msg === 'connection closed' && l.reason === 'shutdown')).toBe(true);
  });
});

describe('the bin: --workers', () => {
  let echo: TestServer;
  afterAll(async () => echo?.close());

  it('N workers share one port (even --port 0), metrics aggregate, SIGTERM stops them all', async () => {
    echo = await startEchoServer();
    const p = await spawnProxy(
      inFrontOf(`127.0.0.1:${echo.port}`, '--workers', '2', '--metrics-port', '0'),
      {},
      20_000,
    );
    const workerLines = () => p.logs.filter((l) => l.msg === 'worker listening');
    await waitFor(() => workerLines().length === 2, 'two workers');
    expect(new Set(workerLines().map((l) => l.port))).toEqual(new Set([p.port]));
    for (let i = 0; i < 20; i++)
      expect((await exchange(p.port, Buffer.from(`w${i}`))).data.toString()).toBe(`w${i}`);
    const base = `http://127.0.0.1:${p.metricsPort}`;
    await waitFor(
      async () =>
        (await (await fetch(`${base}/metrics`)).text()).includes('tcpb_proxy_connections_total 20'),
      'aggregated metrics',
    );
    const stats = (await (await fetch(`${base}/stats`)).json()) as {
      workers: { connections: { total: number } }[];
    };
    expect(stats.workers).toHaveLength(2);
    expect(stats.workers.reduce((n, w) => n + w.connections.total, 0)).toBe(20);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const pids = workerLines().map((l) => l.pid as number);
    p.proc.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    await sleep(100);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
