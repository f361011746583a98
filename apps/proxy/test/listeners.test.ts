/** One process, several listeners and pools from a config file, end to end through the bin. */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { configDir, startNamedServer, whoAnswers, writeConfig } from './helpers/config-files.js';
import type { TestServer } from './helpers/servers.js';
import { killAll, spawnProxy } from './helpers/spawn.js';

afterEach(() => killAll());
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('listeners and pools from a config file', () => {
  it('routes each listener to its pool; /metrics and /stats name listeners and pools', async () => {
    const [a1, a2, b1] = await Promise.all(['a1', 'a2', 'b1'].map((n) => startNamedServer(n)));
    servers.push(a1 as TestServer, a2 as TestServer, b1 as TestServer);
    const file = writeConfig(configDir(), 'two.yaml', {
      listeners: [
        { name: 'web', address: '127.0.0.1', port: 0, pool: 'a' },
        { name: 'api', address: '127.0.0.1', port: 0, pool: 'b', maxConns: 5 },
      ],
      pools: [
        { name: 'a', upstreams: [`127.0.0.1:${a1?.port}`, `127.0.0.1:${a2?.port}`] },
        {
          name: 'b',
          upstreams: [{ address: '127.0.0.1', port: b1?.port }],
          strategy: 'least-connections',
        },
      ],
    });
    const p = await spawnProxy(['--config', file, '--metrics-port', '0', '--host', '127.0.0.1']);
    const listening = p.logs.find((l) => l.msg === 'listening') as {
      listeners: { name: string; port: number }[];
    };
    const port = (name: string) => listening.listeners.find((l) => l.name === name)?.port as number;
    expect(port('web')).toBe(p.port);
    const web = [await whoAnswers(port('web')), await whoAnswers(port('web'))].sort();
    expect(web).toEqual(['a1', 'a2']);
    expect(await whoAnswers(port('api'))).toBe('b1');

    const base = `http://127.0.0.1:${p.metricsPort}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('tcpb_proxy_connections_total{listener="web"} 2');
    expect(metrics).toContain('tcpb_proxy_connections_total{listener="api"} 1');
    expect(metrics).toContain(
      `tcpb_proxy_upstream_connections_total{upstream="127.0.0.1:${b1?.port}",pool="b"} 1`,
    );
    const stats = (await (await fetch(`${base}/stats`)).json()) as {
      listeners: { name: string; total: number }[];
      pools: { name: string; strategy: string }[];
      upstreams: { pool: string }[];
    };
    expect(stats.listeners.map((l) => [l.name, l.total])).toEqual([
      ['web', 2],
      ['api', 1],
    ]);
    expect(stats.pools.map((x) => [x.name, x.strategy])).toEqual([
      ['a', 'round-robin'],
      ['b', 'least-connections'],
    ]);
    expect(stats.upstreams.map((u) => u.pool)).toEqual(['a', 'a', 'b']);
    p.proc.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(
      p.logs.some((l) => l.msg === 'connection closed' && l.listener === 'api' && l.pool === 'b'),
    ).toBe(true);
  });
});
