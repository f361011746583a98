/**
 * Per-source limits under a flood, over real sockets: concurrent connections per client address,
 * the new-connection token bucket, refusals at once and counted per listener, and the tracker's
 * memory bound under a scan from many addresses (loopback takes any 127.x.y.z as a source).
 */
import { connect, type Socket } from 'node:net';
import { waitFor } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';
import { testCleanup } from './helpers/cleanup.js';
import { collect } from './helpers/clients.js';
import { listener, pool, type RunningService } from './helpers/service.js';

const cleanup = testCleanup();

async function setup(perSource: {
  maxConns?: number;
  rate?: number;
  burst?: number;
  maxTracked?: number;
}): Promise<RunningService> {
  const echo = await cleanup.echo();
  return cleanup.service(
    [
      listener('in', 'p', {
        perSource: { maxConns: 0, rate: 0, burst: 1, maxTracked: 1000, ...perSource },
      }),
    ],
    [pool('p', [`127.0.0.1:${echo.port}`])],
  );
}

/** Connects from `from`, writes "x": 'served' if it comes back, 'closed' if the proxy closes first. */
function attempt(
  port: number,
  from = '127.0.0.1',
): Promise<{ socket: Socket; outcome: 'served' | 'closed'; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = connect({ port, host: '127.0.0.1', localAddress: from });
    socket.on('error', () => {});
    const done = (outcome: 'served' | 'closed') =>
      resolve({ socket, outcome, ms: performance.now() - t0 });
    socket.once('data', () => done('served'));
    socket.once('close', () => done('closed'));
    socket.once('connect', () => socket.write('x'));
  });
}
const refused = (s: RunningService) => s.service.state.listeners.get('in')?.stats().refused ?? {};

describe('per-source limits under a flood', () => {
  it('concurrent: 60 at once from one address, 5 served, 55 closed at once and counted; another address is unaffected', async () => {
    const s = await setup({ maxConns: 5 });
    const results = await Promise.all(Array.from({ length: 60 }, () => attempt(s.port('in'))));
    const served = results.filter((r) => r.outcome === 'served');
    const closed = results.filter((r) => r.outcome === 'closed');
    expect(served).toHaveLength(5);
    expect(closed).toHaveLength(55);
    expect(refused(s)).toEqual({ 'per-source-conns': 55 });
    const other = await attempt(s.port('in'), '127.0.0.2');
    expect(other.outcome).toBe('served');
    other.socket.destroy();
    // Refused at once: none waited for anything (a generous bound on a loaded machine).
    expect(Math.max(...closed.map((r) => r.ms))).toBeLessThan(3000);
    // The slots come back when the connections end.
    for (const r of [...served, ...closed]) r.socket.destroy();
    await waitFor(() => s.service.stats().connections.active === 0, 'all closed');
    expect((await attempt(s.port('in'))).outcome).toBe('served');
  });

  it('rate: a burst of 10 then 10/s; a flood of 80 gets the burst plus the refill, the rest refused', async () => {
    const s = await setup({ rate: 10, burst: 10 });
    const t0 = performance.now();
    let served = 0;
    for (let i = 0; i < 80; i++) {
      const r = await attempt(s.port('in'));
      if (r.outcome === 'served') served++;
      r.socket.destroy();
    }
    const seconds = (performance.now() - t0) / 1000;
    expect(served).toBeGreaterThanOrEqual(10);
    expect(served).toBeLessThanOrEqual(10 + Math.ceil(seconds * 10) + 1);
    expect(refused(s)['per-source-rate']).toBe(80 - served);
  });

  it('a scan from 400 addresses keeps at most maxTracked of them', async () => {
    const s = await setup({ maxConns: 2, maxTracked: 32 });
    for (let i = 0; i < 400; i++) {
      const from = `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
      const r = await attempt(s.port('in'), from);
      r.socket.end();
      await collect(r.socket);
    }
    await waitFor(() => s.service.stats().connections.active === 0, 'all closed');
    expect(s.service.state.listeners.get('in')?.stats().sourcesTracked).toBe(32);
    expect(refused(s)).toEqual({});
  });
});
