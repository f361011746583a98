// The README's examples are these files; this test runs them and checks the README carries them.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sumThroughQueue } from './examples/bounded-queue.js';
import { exchangeLines } from './examples/connect-read-write.js';
import { pingPong } from './examples/ping-pong.js';
import { firstSquares } from './examples/worker-group.js';

describe('examples', () => {
  it('worker group: the first five squares, then everything stops', async () => {
    const squares = await firstSquares(5);
    expect(squares).toEqual([1, 4, 9, 16, 25]);
  });

  it('ping/pong: strictly alternating handoff', async () => {
    expect(await pingPong(3)).toEqual(['ping 1 pong 2', 'ping 2 pong 4', 'ping 3 pong 6']);
  });

  it('bounded queue: every item passes once, the producer never overfills it', async () => {
    expect(await sumThroughQueue(100, 4, 3)).toBe(5050);
    expect(await sumThroughQueue(1, 1, 1)).toBe(1);
  });

  describe('oneshot connect, then read and write', () => {
    let server: Server;
    let port = 0;
    beforeAll(async () => {
      // An upper-casing line server that ends its side once the client has ended its own.
      server = createServer({ allowHalfOpen: true }, (socket) => {
        socket.on('error', () => {});
        const rl = createInterface({ input: socket });
        rl.on('line', (line) => socket.write(`${line.toUpperCase()}\n`));
        rl.on('close', () => socket.end());
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('exchanges lines and ends done when the server ends', async () => {
      const r = await exchangeLines(port, ['hello', 'job', 'world']);
      expect(r.error).toBeUndefined();
      expect(r.state).toBe('done');
      expect(r.replies).toEqual(['HELLO', 'JOB', 'WORLD']);
    });

    it('a refused connection cancels the job before any reader or writer starts', async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const closedPort = (probe.address() as { port: number }).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const r = await exchangeLines(closedPort, ['x']);
      expect(r.state).toBe('cancelled');
      expect((r.error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
      expect(r.replies).toEqual([]);
    });
  });

  it('the README shows each example verbatim', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const file of [
      'worker-group.ts',
      'connect-read-write.ts',
      'ping-pong.ts',
      'bounded-queue.ts',
    ]) {
      const src = readFileSync(new URL(`./examples/${file}`, import.meta.url), 'utf8')
        .replaceAll("'../../src/index.js'", "'@tcpbalancer/job'")
        .trim();
      expect(readme, file).toContain(src);
    }
  });
});
