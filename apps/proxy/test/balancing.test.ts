import type { Socket } from 'node:net';
/** Deterministic PRNG (mulberry32) for the random strategies. */
import { prng as seeded } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';
import { testCleanup } from './helpers/cleanup.js';
import { connectTo, exchange } from './helpers/clients.js';
import type { RunningProxy, startProxy } from './helpers/proxy.js';
import type { TestServer } from './helpers/servers.js';

const cleanup = testCleanup();

async function setup(
  weights: number[],
  overrides: Parameters<typeof startProxy>[1],
  options: Parameters<typeof startProxy>[2] = {},
) {
  const servers: TestServer[] = [];
  for (const _ of weights) servers.push(await cleanup.echo());
  const p: RunningProxy = await cleanup.proxy(
    servers.map((s, i) => `127.0.0.1:${s.port}@${weights[i]}`),
    overrides,
    options,
  );
  return { servers, p };
}

/** Opens `n` connections that stay open (each has echoed once, so its upstream is connected). */
async function hold(port: number, n: number): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = await connectTo(port);
    s.write('x');
    await new Promise((r) => s.once('data', r));
    out.push(s);
  }
  cleanup.defer(async () => {
    for (const s of out) s.destroy();
  });
  return out;
}

describe('strategies end to end (real connections)', () => {
  it('round-robin: exact weighted shares', async () => {
    const { servers, p } = await setup([3, 1, 1], { strategy: 'round-robin' });
    for (let i = 0; i < 50; i++) await exchange(p.port, Buffer.from('r'));
    expect(servers.map((s) => s.accepted)).toEqual([30, 10, 10]);
  });

  it('least-connections: long-lived connections spread by weight', async () => {
    const { servers, p } = await setup([2, 1, 1], { strategy: 'least-connections' });
    await hold(p.port, 12);
    expect(servers.map((s) => s.accepted)).toEqual([6, 3, 3]);
    // Short connections now go to whichever has the fewest.
    const held = p.proxy.stats().upstreams.map((u) => u.active);
    expect(held).toEqual([6, 3, 3]);
  });

  it('least-connections counts connections still being opened', async () => {
    const { servers, p } = await setup([1, 1], { strategy: 'least-connections' });
    // 20 clients at once: they are all connecting upstream at the same time.
    await Promise.all(Array.from({ length: 20 }, () => hold(p.port, 1)));
    expect(servers.map((s) => s.accepted).sort()).toEqual([10, 10]);
  });

  it('random: weighted shares within tolerance', async () => {
    const { servers, p } = await setup([1, 3], { strategy: 'random' }, { random: seeded(11) });
    for (let i = 0; i < 200; i++) await exchange(p.port, Buffer.from('r'));
    const [a, b] = servers.map((s) => s.accepted) as [number, number];
    expect(a + b).toBe(200);
    expect(a).toBeGreaterThan(30);
    expect(a).toBeLessThan(70);
  });

  it('p2c: long-lived connections stay balanced', async () => {
    const { servers, p } = await setup([1, 1, 1], { strategy: 'p2c' }, { random: seeded(5) });
    await hold(p.port, 30);
    const counts = servers.map((s) => s.accepted);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(3);
  });

  it('source-hash: one client address sticks to one upstream, moves when it is down, returns when it is up', async () => {
    const { p } = await setup([1, 1, 1], { strategy: 'source-hash' });
    const totals = () => p.proxy.stats().upstreams.map((u) => u.total);
    for (let i = 0; i < 10; i++) await exchange(p.port, Buffer.from('s'));
    const home = totals().indexOf(10);
    expect(home).toBeGreaterThanOrEqual(0);
    const homeUp = p.proxy.pool.list[home];
    if (!homeUp) throw new Error('no endpoint');
    homeUp.checkResult(false);
    homeUp.checkResult(false);
    homeUp.checkResult(false); // --health-fall 3: down
    expect(homeUp.state).toBe('down');
    for (let i = 0; i < 10; i++) await exchange(p.port, Buffer.from('s'));
    const away = totals().findIndex((t, i) => i !== home && t === 10);
    expect(away).toBeGreaterThanOrEqual(0);
    homeUp.checkResult(true);
    homeUp.checkResult(true); // --health-rise 2: up
    for (let i = 0; i < 5; i++) await exchange(p.port, Buffer.from('s'));
    expect(totals()[home]).toBe(15);
    expect(totals()[away]).toBe(10);
  });
});
