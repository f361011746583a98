/**
 * Memory per idle connection: opens `count` connections through the proxy, each echoing one byte
 * (so the proxy has connected upstream and relayed), then holds them until `release` resolves.
 */
import { connect, type Socket } from 'node:net';

export async function openIdle(port: number, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  const batch = 100;
  for (let i = 0; i < count; i += batch) {
    await Promise.all(
      Array.from(
        { length: Math.min(batch, count - i) },
        () =>
          new Promise<void>((resolve, reject) => {
            const s = connect({ port, host: '127.0.0.1', noDelay: true });
            sockets.push(s);
            s.on('error', reject);
            s.once('connect', () => s.write('Ex'));
            s.once('data', () => resolve());
          }),
      ),
    );
  }
  return sockets;
}
