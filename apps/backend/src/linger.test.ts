import { once } from 'node:events';
import net, { type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LINGER_MS, linger } from './linger.js';

async function pair(): Promise<{ server: Socket; client: Socket; srv: net.Server }> {
  const srv = net.createServer({ allowHalfOpen: true });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const client = net.connect({
    port: (srv.address() as net.AddressInfo).port,
    host: '127.0.0.1',
    allowHalfOpen: true,
  });
  const [server] = (await once(srv, 'connection')) as [Socket];
  return { server, client, srv };
}

describe('linger', () => {
  it('sends the last bytes and our FIN, reads and drops what the peer still sends, closes when it does', async () => {
    const { server, client, srv } = await pair();
    const got: Buffer[] = [];
    client.on('data', (d) => got.push(d));
    const closed = linger(server, Buffer.from('bye'));
    client.write(Buffer.alloc(100_000)); // unread bytes would make our close a reset
    await once(client, 'end');
    expect(Buffer.concat(got).toString()).toBe('bye');
    client.end();
    await closed;
    expect(server.destroyed).toBe(true);
    srv.close();
  });

  it('a peer that never closes is cut after LINGER_MS', async () => {
    const { server, client, srv } = await pair();
    client.on('error', () => {});
    const t0 = performance.now();
    await linger(server);
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(LINGER_MS - 50);
    expect(ms).toBeLessThan(LINGER_MS + 2000);
    client.destroy();
    srv.close();
  });
});
