/** Service.reload(): listeners added, removed and kept; pools updated keeping health state. */
import { waitFor } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';
import { testCleanup } from './helpers/cleanup.js';
import { connectTo } from './helpers/clients.js';
import { startNamedServer, whoAnswers } from './helpers/config-files.js';
import { deadPort, type TestServer } from './helpers/servers.js';
import { listener, pool, serviceConfig } from './helpers/service.js';

const cleanup = testCleanup();
const { service } = cleanup;
async function named(name: string): Promise<TestServer> {
  const s = await startNamedServer(name);
  cleanup.defer(() => s.close());
  return s;
}

/** Sends `text` and waits for it to come back (after the server's greeting line). */
async function roundTrip(socket: import('node:net').Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (c: Buffer) => {
      got += c.toString();
      if (got.endsWith(text)) {
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(text);
  });
}

describe('reload: listeners', () => {
  it('a kept listener keeps its port and takes its new route; removed ones stop accepting but their connections finish; new ones bind', async () => {
    const [a, b] = [await named('a'), await named('b')];
    const s = await service(
      [listener('web', 'p1'), listener('old', 'p1')],
      [pool('p1', [`127.0.0.1:${a.port}`])],
    );
    const webPort = s.port('web');
    const oldPort = s.port('old');
    const established = await connectTo(oldPort);
    await roundTrip(established, 'before');

    const outcome = await s.service.reload(
      serviceConfig(
        [listener('web', 'p2'), listener('new', 'p1')],
        [pool('p1', [`127.0.0.1:${a.port}`]), pool('p2', [`127.0.0.1:${b.port}`])],
      ),
    );
    expect(outcome.listeners).toEqual({ added: ['new'], removed: ['old'], kept: ['web'] });
    expect(outcome.pools).toEqual({ added: ['p2'], removed: [], kept: ['p1'] });
    expect(s.port('web')).toBe(webPort);
    expect(await whoAnswers(webPort)).toBe('b');
    expect(await whoAnswers(outcome.bound[0]?.port as number)).toBe('a');
    // The removed listener's established connection still works …
    expect(await roundTrip(established, 'after')).toContain('after');
    // … while its port no longer accepts.
    await expect(connectTo(oldPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    established.end();
    await waitFor(
      () => s.logs.some((l) => l.msg === 'listener closed' && l.listener === 'old'),
      'old closed',
    );
  });

  it('a reload whose new listener cannot bind is refused and changes nothing', async () => {
    const a = await named('a');
    const s = await service([listener('web', 'p1')], [pool('p1', [`127.0.0.1:${a.port}`])]);
    const taken = s.port('web');
    await expect(
      s.service.reload(
        serviceConfig(
          [listener('web', 'p1'), listener('clash', 'p2', { port: taken })],
          [pool('p1', [`127.0.0.1:${a.port}`]), pool('p2', [`127.0.0.1:${a.port}`])],
        ),
      ),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect([...s.service.state.listeners.keys()]).toEqual(['web']);
    expect([...s.service.state.pools.keys()]).toEqual(['p1']);
    expect(await whoAnswers(taken)).toBe('a');
  });
});

describe('reload: pools', () => {
  it('upstreams that stay keep their health state and counters and take new weights; new ones join; removed ones go', async () => {
    const a = await named('a');
    const b = await named('b');
    const dead = await deadPort();
    const checks = { healthInterval: 50, healthRise: 2, healthFall: 1 };
    const s = await service(
      [listener('web', 'p')],
      [pool('p', [`127.0.0.1:${a.port}`, `127.0.0.1:${dead}`], checks)],
    );
    const up = () => s.service.stats().upstreams;
    await waitFor(
      () => up().find((u) => u.address.endsWith(`:${dead}`))?.state === 'down',
      'dead is down',
    );
    await whoAnswers(s.port('web'));
    const before = up().find((u) => u.address.endsWith(`:${a.port}`));
    expect(before?.total).toBe(1);

    await s.service.reload(
      serviceConfig(
        [listener('web', 'p')],
        [pool('p', [`127.0.0.1:${a.port}@5`, `127.0.0.1:${dead}`, `127.0.0.1:${b.port}`], checks)],
      ),
    );
    const after = up();
    expect(after.find((u) => u.address.endsWith(`:${dead}`))?.state).toBe('down');
    expect(after.find((u) => u.address.endsWith(`:${a.port}`))).toMatchObject({
      weight: 5,
      total: 1,
    });
    expect(after.map((u) => u.address)).toContain(`127.0.0.1:${b.port}`);

    await s.service.reload(
      serviceConfig([listener('web', 'p')], [pool('p', [`127.0.0.1:${b.port}`], checks)]),
    );
    // A removed upstream with connections still open is listed as 'removed' until they end.
    for (const u of up()) if (!u.address.endsWith(`:${b.port}`)) expect(u.state).toBe('removed');
    await waitFor(() => up().length === 1, 'removed upstreams dropped');
    expect(up().map((u) => u.address)).toEqual([`127.0.0.1:${b.port}`]);
    expect(await whoAnswers(s.port('web'))).toBe('b');
  });
});
